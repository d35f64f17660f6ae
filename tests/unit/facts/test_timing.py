"""Per-section timing and CPU measured on the target: the script's clock and `times`, the
defensive parser, and the report's `hosts[].facts_timing`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hardaudit.evaluate_bounded import parse_and_evaluate
from hardaudit.facts.parsers.timing import MAX_SECTIONS, parse_timing
from hardaudit.facts.script import build_script
from hardaudit.report.json import render_json
from hardaudit.report.model import HostReport, RunReport
from hardaudit.transport.base import HostStatus

NONCE = "0123456789abcdef01234567"
SHELLS = [["dash"]] + ([["busybox", "sh"]] if shutil.which("busybox") else [])
CPU = f"@@{NONCE} CPU\n0m0.010000s 0m0.020000s\n0m0.100000s 0m0.050000s\n"


def _time(section: str, ticks: str, unit: str = "cs", nonce: str = NONCE) -> str:
    return f"@@{nonce} TIME {section} {ticks} {unit}\n"


def test_each_clock_unit_becomes_seconds() -> None:
    out = _time("meta", "7") + _time("sshd_t", "250000000", "ns") + _time("nft", "2", "s")
    timing = parse_timing(out + CPU, NONCE)
    assert timing.sections == (("meta", 0.07), ("sshd_t", 0.25), ("nft", 2.0))
    assert timing.cpu_s == 0.18


def test_user_check_sections_are_timed() -> None:
    assert parse_timing(_time("user.site.umask", "3"), NONCE).sections == (
        ("user.site.umask", 0.03),
    )


@pytest.mark.parametrize(
    "line",
    [
        _time("meta", "7", nonce="ffffffffffffffffffffffff"),  # another nonce: forged
        _time("no_such_section", "7"),  # unknown sections are ignored
        _time("meta", "-7"),
        _time("meta", "7.5"),
        _time("meta", "1e9"),
        _time("meta", "7", "ms"),
        _time("meta", "1" * 21),  # more digits than any clock prints
        _time("meta", str(86_401 * 100)),  # more than a day
        "x" + _time("meta", "7"),  # not at the start of a line
        _time("meta", "7").replace("\n", " trailing\n"),
        f"@@{NONCE} TIME meta 7 cs",  # no end of line: the stream was cut
        _time("meta\x1b[2J", "7"),
    ],
)
def test_a_hostile_or_malformed_time_line_is_ignored(line: str) -> None:
    assert parse_timing(line, NONCE).sections == ()


def test_a_section_is_timed_once_the_first_line_wins() -> None:
    out = _time("meta", "7") + _time("meta", "900000")
    assert parse_timing(out, NONCE).sections == (("meta", 0.07),)


def test_a_flood_of_time_lines_is_read_only_up_to_the_bound() -> None:
    flood = _time("no_such_section", "1") * (MAX_SECTIONS + 10) + _time("meta", "7")
    assert parse_timing(flood, NONCE).sections == ()


@pytest.mark.parametrize(
    "cpu",
    [
        "",  # the script never got to its end
        f"@@{NONCE} CPU\n0m0.01s 0m0.02s\n",  # one line only
        f"@@{NONCE} CPU\n0m0.01s 0m0.02s\nrm -rf / 0m0.05s\n",
        f"@@{NONCE} CPU\n0m0.01s 0m0.02s\n{'9' * 12}m0.1s 0m0.05s\n",
        f"@@{NONCE} CPU\n0m0.01s 0m0.02s\n1000000m0.1s 0m0.05s\n",  # more than a day
        "@@ffffffffffffffffffffffff CPU\n0m0.01s 0m0.02s\n0m0.1s 0m0.05s\n",
    ],
)
def test_cpu_is_none_unless_times_printed_two_whole_lines(cpu: str) -> None:
    assert parse_timing(cpu, NONCE).cpu_s is None


def test_bash_and_busybox_times_formats_are_read() -> None:
    cpu = f"@@{NONCE} CPU\n0m0.010s 0m0.020s\n1m0.500s 0m0.050s\n"
    assert parse_timing(cpu, NONCE).cpu_s == 60.58


def _run_script(shell: list[str], script: str) -> str:
    done = subprocess.run(
        [*shell, "-s"],
        input=script,
        capture_output=True,
        text=True,
        env={"HA_PRIV": "user", "HA_SUDO": "", "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=120,
    )
    return done.stdout


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
@pytest.mark.parametrize(
    ("clock", "unit"),
    [
        ("", "cs"),  # /proc/uptime, read without a fork
        ("/no/such/uptime", "ns"),  # GNU date prints nanoseconds
    ],
)
def test_the_script_times_every_section_it_runs(shell: list[str], clock: str, unit: str) -> None:
    built = build_script(become=False, nonce=NONCE, facts={"ipv6"})
    script = built.script.replace("/proc/uptime", clock) if clock else built.script
    out = _run_script(shell, script)
    assert f"@@{NONCE} TIME ipv6 " in out
    assert out.split(f"@@{NONCE} TIME meta ", 1)[1].split("\n", 1)[0].endswith(f" {unit}")
    timing = parse_timing(out, NONCE)
    assert [name for name, _ in timing.sections] == ["meta", "ipv6"]
    assert all(0 <= seconds < 60 for _, seconds in timing.sections)
    assert timing.cpu_s is not None
    assert 0 <= timing.cpu_s < 60


def test_a_date_without_nanoseconds_gives_seconds(tmp_path: Path) -> None:
    fake = tmp_path / "date"  # prints `+%s%N` literally, as a date without %N does
    fake.write_text("#!/bin/sh\ncase $1 in +%s%N) echo 1700000000N ;; *) echo 1700000000 ;; esac\n")
    fake.chmod(0o755)
    built = build_script(become=False, nonce=NONCE, facts={"ipv6"})
    script = built.script.replace("/proc/uptime", "/no/such/uptime")
    script = script.replace("PATH=/usr/local/sbin", f"PATH={tmp_path}:/usr/local/sbin", 1)
    out = _run_script(["dash"], script)
    assert f"@@{NONCE} TIME ipv6 0 s\n" in out
    assert parse_timing(out, NONCE).sections == (("meta", 0.0), ("ipv6", 0.0))


def test_the_pipeline_carries_timing_to_the_verdict() -> None:
    out = (
        f"@@{NONCE} BEGIN meta cap=99\nuid=0\nprivilege=root\n@@{NONCE} END meta rc=0\n"
        + _time("meta", "12")
        + CPU
    )
    verdict = parse_and_evaluate(out, "", NONCE, (), {})
    assert verdict.facts_timing == (("meta", 0.12),)


def test_report_json_has_facts_timing_as_an_object_of_seconds() -> None:
    host = HostReport(
        name="web1",
        address="web1",
        groups=(),
        status=HostStatus.OK,
        reason="",
        duration_s=1.0,
        facts_timing=(("meta", 0.01), ("world_writable", 0.4), ("nft", 0.02), ("ssh_files", 0.1)),
    )
    report = RunReport("0", "2026-01-01T00:00:00Z", 1.0, "inv", "all", (), (host,))
    document = json.loads(render_json(report))
    assert document["hosts"][0]["facts_timing"] == {
        "meta": 0.01,
        "world_writable": 0.4,
        "nft": 0.02,
        "ssh_files": 0.1,
    }
    assert host.slowest_sections() == (("world_writable", 0.4), ("ssh_files", 0.1), ("nft", 0.02))
