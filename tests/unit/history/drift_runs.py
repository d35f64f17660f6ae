"""Small hand-made runs for the drift, gate and Markdown tests."""

from __future__ import annotations

from hardaudit.checks.model import CheckResult, FindingObject, Severity, Status
from hardaudit.model import HostStatus
from hardaudit.report.model import HostReport, RunReport

SEVERITY = {
    "ssh.password-auth": Severity.HIGH,
    "net.exposed-ports": Severity.CRITICAL,
    "file.ssh-privkey": Severity.MEDIUM,
    "ctr.non-root": Severity.LOW,
    "sys.banner": Severity.INFO,
}


def result(
    check: str, status: Status, *keys: str, waived_from: Status | None = None
) -> CheckResult:
    return CheckResult(
        check=check,
        status=status,
        severity=SEVERITY.get(check, Severity.MEDIUM),
        title=f"title of {check}",
        evidence=(f"evidence of {check}",),
        objects=tuple(FindingObject(k) for k in keys),
        waived_from=waived_from,
    )


def host(name: str, *findings: CheckResult, status: HostStatus = HostStatus.OK) -> HostReport:
    return HostReport(
        name=name,
        address=f"{name}.example",
        groups=(),
        status=status,
        reason="" if status == HostStatus.OK else "connection refused",
        duration_s=1.0,
        findings=findings if status == HostStatus.OK else (),
    )


def run(
    *hosts: HostReport,
    checks: tuple[str, ...] = tuple(sorted(SEVERITY)),
    started_at: str = "2026-12-01T02:00:00+00:00",
) -> RunReport:
    return RunReport(
        tool_version="0.1.0",
        started_at=started_at,
        duration_s=3.0,
        inventory="inventory/prod.yml",
        selection="all",
        checks=checks,
        hosts=hosts,
    )
