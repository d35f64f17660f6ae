"""Run the real `audit` CLI as a subprocess (what a user or CI job runs) and read report.json.

Every report file a run writes is checked the way its consumer checks it (tests/consumers.py):
report.json against its shipped schema, SARIF against the official schema and GitHub's rules,
JUnit against Jenkins' xUnit schema, the Prometheus file with promtool.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.consumers import assert_valid_output


@dataclass(frozen=True)
class AuditRun:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    report: dict[str, Any]

    def host(self, name: str) -> dict[str, Any]:
        return next(h for h in self.report["hosts"] if h["name"] == name)

    def statuses(self, name: str) -> dict[str, str]:
        return {f["check"]: f["status"] for f in self.host(name)["findings"]}

    def finding(self, host: str, check: str) -> dict[str, Any]:
        return next(f for f in self.host(host)["findings"] if f["check"] == check)


def run_audit(
    *args: str, out_dir: Path, cwd: Path, timeout: float = 300, output_dir: bool = True
) -> AuditRun:
    """`python -m hardaudit <args> --output-dir out_dir`; report.json is always written.

    HOME is an empty directory next to out_dir: the developer's own ~/.ssh (config,
    known_hosts, agent) never leaks into a test, and --accept-new cannot write there.
    """
    home = out_dir.parent / f"{out_dir.name}-home"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    env["HOME"] = str(home)
    extra = ["--output-dir", str(out_dir)] if output_dir else []
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "hardaudit", *args, *extra],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
        env=env,
    )
    seconds = time.monotonic() - started
    report_path = out_dir / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    if out_dir.is_dir():
        for written in sorted(out_dir.iterdir()):
            assert_valid_output(written)
    return AuditRun(proc.returncode, proc.stdout, proc.stderr, seconds, report)


LETTER = {"pass": "P", "fail": "F", "unknown": "U", "skip": "S"}


def status_differences(
    run: AuditRun, hosts: tuple[str, ...], expected: dict[str, str]
) -> dict[str, tuple[str | None, str | None]]:
    """Checks whose letters over `hosts` differ from `expected` (check -> (want, seen)).

    expected maps every check id to one letter per host, in the order of `hosts`
    (P pass, F fail, U unknown, S skip); a check missing on either side is a difference.
    """
    seen = {
        check: "".join(LETTER[run.statuses(host)[check]] for host in hosts)
        for check in sorted(run.statuses(hosts[0]))
    }
    return {
        check: (expected.get(check), seen.get(check))
        for check in expected.keys() | seen.keys()
        if expected.get(check) != seen.get(check)
    }
