"""The report of one run: per-host status and findings. Renderers only read this."""

from __future__ import annotations

from dataclasses import dataclass

from hardaudit.checks.model import CheckResult, Severity, Status
from hardaudit.transport.base import HostStatus

SCHEMA = "hardaudit.report/1"

# Weights for the score: a failed critical check costs more than a failed low one.
SEVERITY_WEIGHT = {
    Severity.CRITICAL: 8,
    Severity.HIGH: 4,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


@dataclass(frozen=True)
class HostReport:
    """One host's outcome; findings are empty unless status is ok."""

    name: str
    address: str
    groups: tuple[str, ...]
    status: HostStatus
    reason: str
    duration_s: float
    findings: tuple[CheckResult, ...] = ()
    privilege: str = ""
    os: str = ""
    notes: tuple[str, ...] = ()
    jump: tuple[str, ...] = ()
    port: int = 22
    # (section, wall seconds) as the facts script measured them on the target, in run order
    facts_timing: tuple[tuple[str, float], ...] = ()

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status == status)

    @property
    def score(self) -> float | None:
        """Weighted share of judged checks that passed (unknown counts as not passed), 0-100."""
        judged = [
            f for f in self.findings if f.status in (Status.PASS, Status.FAIL, Status.UNKNOWN)
        ]
        total = sum(SEVERITY_WEIGHT[f.severity] for f in judged)
        if self.status != HostStatus.OK or not total:
            return None
        passed = sum(SEVERITY_WEIGHT[f.severity] for f in judged if f.status == Status.PASS)
        return round(100.0 * passed / total, 1)

    def slowest_sections(self, count: int = 3) -> tuple[tuple[str, float], ...]:
        """The `count` sections that took longest on the target, slowest first."""
        return tuple(sorted(self.facts_timing, key=lambda item: -item[1])[:count])

    @property
    def worst_failure(self) -> Severity | None:
        failed = [f.severity for f in self.findings if f.status == Status.FAIL]
        return max(failed) if failed else None


@dataclass(frozen=True)
class RunReport:
    """A whole run."""

    tool_version: str
    started_at: str  # ISO 8601 UTC
    duration_s: float
    inventory: str
    selection: str
    checks: tuple[str, ...]
    hosts: tuple[HostReport, ...]

    @property
    def any_failed_check(self) -> bool:
        return any(h.count(Status.FAIL) for h in self.hosts)

    @property
    def any_host_not_audited(self) -> bool:
        return any(h.status != HostStatus.OK for h in self.hosts)
