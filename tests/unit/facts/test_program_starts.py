"""Programs the facts script starts that the wrapper already ran (issue 11: target CPU).

Each program run costs a target ~1 ms of CPU: the script takes the wrapper's `id -u` and
`timeout` probe (HA_UID, HA_TK) and asks once whether grep is GNU grep (HA_GD), not once
per section. Shell functions shadowing the programs, defined right after the prelude's PATH
line, log each start."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hardaudit.facts.script import build_script

SHADOWS = """
id() { echo "id $*" >>"$HA_TEST_LOG"; command id "$@"; }
readlink() { echo "readlink $*" >>"$HA_TEST_LOG"; command readlink "$@"; }
grep() { echo "grep $*" >>"$HA_TEST_LOG"; command grep "$@"; }
timeout() { shift; echo "timeout $*" >>"$HA_TEST_LOG"; "$@"; }
head() { echo "head $*" >>"$HA_TEST_LOG"; command head "$@"; }
fold() { echo "fold $*" >>"$HA_TEST_LOG"; command fold "$@"; }
awk() {
  case $1 in *'tolower($1)=="include"'*) echo "awk-include $2" >>"$HA_TEST_LOG" ;; esac
  command awk "$@"
}
"""


def _starts(tmp_path: Path, facts: set[str]) -> list[str]:
    return _run(tmp_path, facts)[0]


def _run(tmp_path: Path, facts: set[str] | None, stream: bool = True) -> tuple[list[str], str]:
    built = build_script(become=False, nonce="n0nce", facts=facts)
    text = built.script
    if not stream:  # as where awk splits a line at a NUL (BusyBox's)
        text = text.replace("then HA_SC=1; fi", "then HA_SC=; fi")
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("PATH=")) + 2
    script = "".join([*lines[:at], SHADOWS, *lines[at:]])
    log = tmp_path / "starts.log"
    log.write_text("")
    done = subprocess.run(
        ["/bin/sh", "-c", built.command.removeprefix("/bin/sh -c ").strip("'")],
        input=script.encode(),
        capture_output=True,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HA_TEST_LOG": str(log)},
        timeout=60,
        check=False,
    )
    assert b"@@n0nce DONE" in done.stdout, done.stderr
    return log.read_text().splitlines(), done.stdout.decode(errors="replace")


def test_the_script_takes_the_wrappers_uid_and_timeout_probe(tmp_path: Path) -> None:
    starts = _starts(tmp_path, {"ssh_files"})
    assert not [s for s in starts if s.startswith("readlink")], starts
    assert "id -u" not in starts, starts


def test_grep_is_asked_once_whether_it_is_gnu_grep(tmp_path: Path) -> None:
    starts = _starts(tmp_path, {"ssh_files", "redis"})
    probes = [s for s in starts if s.endswith("-D skip -q x /dev/null")]
    assert probes == ["grep -D skip -q x /dev/null"], starts


def test_the_sshd_config_files_are_listed_once_for_the_three_sections(tmp_path: Path) -> None:
    if not Path("/etc/ssh/sshd_config").is_file():
        pytest.skip("no /etc/ssh/sshd_config here")
    starts, out = _run(tmp_path, {"sshd", "sshd_contexts", "etc_files"})
    listed = out.split("BEGIN sshd_config", 1)[1].split("END sshd_config", 1)[0].count(" FILE ")
    assert listed >= 1
    # one awk per file listed (its Include lines), for all three sections together
    assert len([s for s in starts if s.startswith("awk-include ")]) == listed, starts


def test_the_file_list_is_not_made_when_no_section_reads_it() -> None:
    script = build_script(become=False, nonce="n", facts={"listeners"}).script
    assert "HA_SSHD_FILES=$(" not in script
    assert "HA_SSHD_FILES=$(" in build_script(become=False, nonce="n", facts={"etc_files"}).script


def test_the_sections_are_capped_by_two_programs_not_two_per_section(tmp_path: Path) -> None:
    """Each section used to pipe through two `head -c` (~2 ms of CPU a section): with an awk
    that keeps NUL bytes, one capper per stream (fold + awk) does it for every section."""
    starts, out = _run(tmp_path, None)
    sections = out.count("@@n0nce END ")
    assert sections >= 20
    # head stays for the two sections whose loops a user's names can lengthen
    assert len([s for s in starts if s.startswith("head ")]) == 4, starts
    assert len([s for s in starts if s.startswith("fold ")]) == 2, starts
    starts, out = _run(tmp_path, None, stream=False)
    assert len([s for s in starts if s.startswith("head -c")]) == 2 * out.count("@@n0nce END ")
    assert not [s for s in starts if s.startswith("fold ")], starts
