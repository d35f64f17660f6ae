"""One host cannot stall or kill the run: each host's output is parsed and judged in a
worker process under a deadline and a memory cap; an overrun makes that host `error`."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from hardaudit.checks.loader import load_checks
from hardaudit.evaluate_bounded import BoundedJudge, HostBound
from hardaudit.inventory.model import Host
from hardaudit.runner import RunOptions, audit_hosts
from hardaudit.transport.base import HostStatus
from hardaudit.transport.replay import ReplayTransport

CAPTURES = Path(__file__).parents[2] / "fixtures" / "replay" / "captures"
CHECKS = load_checks()
HEALTHY = ("gold", "db1", "svc1", "dock1")


def _replace_section(stdout: str, nonce: str, name: str, body: str) -> str:
    """The capture with section `name`'s body replaced (and its cap dropped: a hostile host
    prints what it likes)."""
    pattern = re.compile(
        rf"^@@{nonce} BEGIN {re.escape(name)}[^\n]*\n.*?^@@{nonce} END {re.escape(name)}",
        re.MULTILINE | re.DOTALL,
    )
    replaced, count = pattern.subn(
        lambda m: f"@@{nonce} BEGIN {name}\n{body}\n@@{nonce} END {name}", stdout
    )
    assert count == 1
    return replaced


def _hostile_capture(directory: Path, host: str, sections: dict[str, str]) -> None:
    capture = json.loads((CAPTURES / "gold.json").read_text())
    for name, body in sections.items():
        capture["stdout"] = _replace_section(capture["stdout"], capture["nonce"], name, body)
    (directory / f"{host}.json").write_text(json.dumps(capture))


def _captures(tmp_path: Path, hostile: dict[str, dict[str, str]]) -> Path:
    for name in HEALTHY:
        (tmp_path / f"{name}.json").write_text((CAPTURES / f"{name}.json").read_text())
    for host, sections in hostile.items():
        _hostile_capture(tmp_path, host, sections)
    return tmp_path


def _nginx(files: dict[str, list[str]]) -> str:
    out = []
    for path, lines in files.items():
        out.append(f"@@NONCE FILE {path}")
        out.extend(f"{number}:{line}" for number, line in enumerate(lines, start=1))
    return "\n".join(out)


def _bombs() -> dict[str, dict[str, str]]:
    """Every input that once cost minutes, gigabytes or the whole host, one host each."""
    ten = {"/etc/nginx/nginx.conf": ["http {", "include /etc/nginx/conf.d/*.conf;", "}"]}
    for i in range(10):
        ten[f"/etc/nginx/conf.d/{i}.conf"] = ["include /etc/nginx/conf.d/*.conf;", "server { }"]
    deep = {"/etc/nginx/nginx.conf": ["http {", "server {", *["location / {"] * 20_000]}
    line = {"/etc/nginx/nginx.conf": ["http {", "server { add_header " + "${" * 20_000, "}"]}
    sshd_t = (CAPTURES.parent / ".." / "sshd" / "openssh-9.2-web1.txt").read_text()
    sshd_t = re.sub(r"(?m)^maxstartups .*$", "maxstartups 10:30:2147483647", sshd_t)
    drop_ins = ["@@NONCE FILE /etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf"]
    for i in range(10):
        drop_ins += [f"@@NONCE FILE /etc/ssh/sshd_config.d/{i}.conf", "Include *.conf", f"Port {i}"]
    limited = [
        f"-A INPUT -p tcp --dport 22 -m limit --limit {i}/min -j ACCEPT" for i in range(20_000)
    ]
    gotos = [":A - [0:0]", ":B - [0:0]", "-A INPUT -p tcp --dport 22 -m limit -j A"]
    iptables = "\n".join(
        ["*filter", ":INPUT DROP [0:0]", *gotos, "-A A -g B", "-A B -g A", *limited]
    )
    return {
        "bomb-sshd-includes": {"sshd_t": "", "sshd_config": "\n".join(drop_ins)},
        "bomb-iptables": {"nft": "", "iptables": iptables + "\nCOMMIT"},
        "bomb-maxstartups": {"sshd_t": sshd_t},
        "bomb-nginx-includes": {"nginx": _nginx(ten)},
        "bomb-nginx-deep": {"nginx": _nginx(deep)},
        "bomb-nginx-line": {"nginx": _nginx(line)},
        "bomb-nft-digits": {"nft": '{"nftables": [{"x": ' + "9" * 5000 + "}]}"},
        "bomb-nft-nesting": {"nft": "[" * 100_000 + "]" * 100_000},
        "bomb-listeners": {"listeners": "tcp LISTEN 0 128 0.0.0.0:²² *:*\ntcp LISTEN 0 1 x:ff"},
        "bomb-containers": {
            "containers": '{"id": "a", "pid": "12x"}\n## proc ² 0 0\n{"pid": ' + "9" * 5000 + "}"
        },
    }


def _fix_nonce(directory: Path) -> None:
    for path in directory.glob("bomb-*.json"):
        capture = json.loads(path.read_text())
        capture["stdout"] = capture["stdout"].replace("@@NONCE ", f"@@{capture['nonce']} ")
        path.write_text(json.dumps(capture))


def test_every_bomb_ends_within_budget_and_every_other_host_is_reported(tmp_path: Path) -> None:
    bombs = _bombs()
    directory = _captures(tmp_path, bombs)
    _fix_nonce(directory)
    hosts = [Host(name, name) for name in (*HEALTHY, *bombs)]
    started = time.monotonic()
    reports = audit_hosts(
        hosts,
        CHECKS,
        lambda host: ReplayTransport(directory),
        RunOptions(forks=4, bound=HostBound(seconds=10.0)),
    )
    elapsed = time.monotonic() - started
    assert elapsed < 30.0
    by_name = {r.name: r for r in reports}
    for name in HEALTHY:
        assert by_name[name].status == HostStatus.OK, by_name[name].reason
        assert by_name[name].findings
    for name in bombs:
        report = by_name[name]
        # parsed within the bound: only the facts the bomb is in are unknown
        assert report.status == HostStatus.OK, (name, report.reason)
        assert len(report.findings) == len(CHECKS)
        assert any(f.status == "pass" for f in report.findings), name


@pytest.mark.parametrize(
    ("marker", "seconds", "reason"),
    [
        ("BOMB-TIME", 1.0, "took over 1s (the per-host bound)"),
        # a time bound the memory bomb cannot reach first, even on a loaded machine
        ("BOMB-MEMORY", 10.0, "memory bound"),
        ("BOMB-CRASH", 10.0, "the worker judging this host's output ended"),
    ],
)
def test_an_overrun_makes_that_host_error_and_the_others_finish(
    tmp_path: Path, marker: str, seconds: float, reason: str
) -> None:
    directory = _captures(tmp_path, {"hostile": {"meta": f"uid=0\nprivilege=root\n{marker}"}})
    hosts = [Host("hostile", "hostile"), *(Host(name, name) for name in HEALTHY)]
    bound = HostBound(seconds=seconds, memory_bytes=512 << 20)
    started = time.monotonic()
    with BoundedJudge(
        CHECKS, bound, workers=1, target="tests.unit.bounds.hostile_judge:judge"
    ) as judge:
        reports = audit_hosts(
            hosts,
            CHECKS,
            lambda host: ReplayTransport(directory),
            RunOptions(forks=2),
            judge=judge,
        )
    assert time.monotonic() - started < 30.0
    by_name = {r.name: r for r in reports}
    assert by_name["hostile"].status == HostStatus.ERROR
    assert reason in by_name["hostile"].reason
    for name in HEALTHY:  # judged by the worker that replaced the one that overran
        assert by_name[name].status == HostStatus.OK, by_name[name].reason


def test_the_worker_judges_like_this_process() -> None:
    capture = json.loads((CAPTURES / "db1.json").read_text())
    args = (capture["stdout"], capture["stderr"], capture["nonce"], {"allowed_ports": [22]})
    from hardaudit.evaluate_bounded import parse_and_evaluate

    here = parse_and_evaluate(*args[:3], CHECKS, args[3])
    with BoundedJudge(CHECKS, HostBound(), workers=1) as judge:
        assert judge(*args) == here


def test_a_slow_worker_start_is_not_charged_to_the_first_host(tmp_path: Path) -> None:
    # the worker's imports take 2 s, the per-host bound is 1 s: the host is still judged
    directory = _captures(tmp_path, {})
    hosts = [Host(name, name) for name in HEALTHY]
    with BoundedJudge(
        CHECKS, HostBound(seconds=1.0), workers=1, target="tests.unit.bounds.slow_start_judge:judge"
    ) as judge:
        reports = audit_hosts(
            hosts, CHECKS, lambda host: ReplayTransport(directory), RunOptions(forks=1), judge=judge
        )
    for report in reports:
        assert report.status == HostStatus.OK, report.reason
