"""A fixed run, built by hand, that every report format is rendered from.

web1 was audited (every result status, a lesser severity, hostile-looking evidence); db1's
host key did not match; cache1 could not be reached through its bastion.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from hardaudit.checks.model import Check, CheckResult, FindingObject, Severity, Status
from hardaudit.report.model import HostReport, RunReport
from hardaudit.transport.base import HostStatus


def _check(
    check_id: str, severity: Severity, title: str, tags: tuple[str, ...], **refs: str
) -> Check:
    return Check(
        id=check_id,
        severity=severity,
        title=title,
        rationale=f"Why {check_id} matters:\n  one sentence,   wrapped.",
        remediation=f"How to fix {check_id}:\n  set it & reload.",
        evaluator="sshd_option",
        facts=("sshd",),
        references=MappingProxyType(refs),
        tags=tags,
        source=f"/venv/lib/hardaudit/builtin_checks/{check_id.partition('.')[0]}/{check_id}.yml",
    )


CHECKS = {
    c.id: c
    for c in (
        _check(
            "ssh.password-auth",
            Severity.HIGH,
            "sshd accepts neither passwords nor keyboard-interactive logins",
            ("cis", "ssh"),
            cis="5.1.19",
        ),
        _check(
            "ssh.permit-root-login",
            Severity.HIGH,
            "sshd does not allow root to log in",
            ("cis", "ssh"),
        ),
        _check(
            "net.exposed-ports",
            Severity.CRITICAL,
            "No database or cache port listens on a public address",
            ("network",),
        ),
        _check(
            "file.ssh-privkey", Severity.MEDIUM, "Private keys are readable by their owner only", ()
        ),
        _check("fw.enabled", Severity.MEDIUM, "A host firewall drops unsolicited input", ("fw",)),
        _check("ctr.non-root", Severity.LOW, "Containers do not run as root", ("containers",)),
    )
}


def _result(
    check_id: str,
    status: Status,
    evidence: tuple[str, ...] = (),
    reason: str = "",
    severity: Severity | None = None,
    objects: tuple[FindingObject, ...] = (),
) -> CheckResult:
    check = CHECKS[check_id]
    return CheckResult(
        check=check_id,
        status=status,
        severity=severity if severity is not None else check.severity,
        title=check.title,
        evidence=evidence,
        reason=reason,
        objects=objects,
    )


WEB1 = HostReport(
    name="web1",
    address="10.0.0.11",
    groups=("web", "prod"),
    status=HostStatus.OK,
    reason="",
    duration_s=1.2345,
    findings=(
        _result(
            "ssh.password-auth",
            Status.FAIL,
            ("passwordauthentication yes (/etc/ssh/sshd_config.d/50-cloud-init.conf:1)",),
        ),
        _result(
            "ssh.permit-root-login",
            Status.FAIL,
            ("permitrootlogin prohibit-password (/etc/ssh/sshd_config:33)",),
            severity=Severity.MEDIUM,
            objects=(FindingObject("/etc/ssh/sshd_config", "/etc/ssh/sshd_config", 33),),
        ),
        _result(
            "net.exposed-ports",
            Status.FAIL,
            (
                'tcp 0.0.0.0:6379 redis-server <no auth> & "protected-mode no"',
                "tcp [::]:5432 postgres",
            ),
            objects=(FindingObject("tcp/0.0.0.0:6379"), FindingObject("tcp/[::]:5432")),
        ),
        _result("file.ssh-privkey", Status.PASS),
        _result("fw.enabled", Status.UNKNOWN, reason="firewall: `nft list ruleset` exited 1"),
        _result("ctr.non-root", Status.SKIP, reason="no container engine"),
    ),
    privilege="sudo",
    os="Debian GNU/Linux 12 (bookworm)",
    notes=("sudo -n used for the facts script",),
    jump=("bastion",),
    facts_timing=(("meta", 0.01), ("sshd_t", 0.03), ("ssh_files", 0.05), ("nft", 0.02)),
)

DB1 = HostReport(
    name="db1",
    address="10.0.0.12",
    groups=("db", "prod"),
    status=HostStatus.HOSTKEY_MISMATCH,
    reason="db1 (10.0.0.12:22): host key does not match known_hosts "
    "(expected SHA256:AAAA, offered SHA256:BBBB)",
    duration_s=0.4,
)

CACHE1 = HostReport(
    name="cache1",
    address="10.0.1.5",
    groups=("cache",),
    status=HostStatus.UNREACHABLE,
    reason="bastion -> cache1 (10.0.1.5:22): connection refused",
    duration_s=0.0512,
    jump=("bastion",),
)

REPORT = RunReport(
    tool_version="0.1.0",
    started_at="2025-01-02T03:04:05+00:00",
    duration_s=2.5,
    inventory="inventory/prod.yml",
    selection="prod:cache",
    checks=tuple(sorted(CHECKS)),
    hosts=(WEB1, DB1, CACHE1),
)


def with_evidence(*evidence: str) -> RunReport:
    """REPORT with web1's first failure carrying `evidence` instead."""
    first, *rest = WEB1.findings
    web1 = replace(WEB1, findings=(replace(first, evidence=evidence), *rest))
    return replace(REPORT, hosts=(web1, DB1, CACHE1))
