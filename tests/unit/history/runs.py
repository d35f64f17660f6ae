"""Small hand-built runs for the history tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hardaudit.checks.model import CheckResult, FindingObject, Severity, Status
from hardaudit.model import HostStatus
from hardaudit.report.model import HostReport, RunReport

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
CHECKS = ("ssh.password-auth", "file.ssh-privkey", "net.db-exposed")

# A host's results: check -> status, or a tuple of failing object keys (a FAIL about them).
Results = dict[str, "Status | tuple[str, ...]"]


def host(
    name: str, results: Results | None = None, status: HostStatus = HostStatus.OK
) -> HostReport:
    if status != HostStatus.OK:
        return HostReport(name, "192.0.2.1", ("prod",), status, "connection timed out", 10.0)
    findings = []
    for check, result in (results or {}).items():
        if isinstance(result, tuple):
            objects = tuple(
                FindingObject(key, key if key.startswith("/") else "") for key in result
            )
            findings.append(
                CheckResult(
                    check,
                    Status.FAIL,
                    Severity.HIGH,
                    f"{check} title",
                    (f"bad {result}",),
                    objects=objects,
                )
            )
        else:
            findings.append(CheckResult(check, result, Severity.HIGH, f"{check} title", ("ok",)))
    return HostReport(name, "192.0.2.1", ("prod",), HostStatus.OK, "", 1.5, tuple(findings))


def run(
    night: int, *hosts: HostReport, selection: str = "all", inventory: str = "inv.yml"
) -> RunReport:
    started = T0 + timedelta(days=night)
    return RunReport(
        tool_version="0.1.0",
        started_at=started.isoformat(timespec="seconds"),
        duration_s=12.0,
        inventory=inventory,
        selection=selection,
        checks=CHECKS,
        hosts=hosts,
    )


def day(night: int) -> str:
    return (T0 + timedelta(days=night)).isoformat(timespec="seconds")
