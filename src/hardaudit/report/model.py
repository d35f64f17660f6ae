"""The report of one run: per-host status and findings. Renderers only read this."""

from __future__ import annotations

import enum
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hardaudit.checks.model import CheckResult, FindingObject, Severity, Status
from hardaudit.model import HostStatus
from hardaudit.profiles.model import ManualItem

SCHEMA = "hardaudit.report/1"

# Weights for the score: a failed critical check costs more than a failed low one.
SEVERITY_WEIGHT = {
    Severity.CRITICAL: 8,
    Severity.HIGH: 4,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


def fingerprint(host: str, check: str, key: str) -> str:
    """Stable identity of one failing object: host + check id + object key (never evidence).

    >>> fingerprint("web1", "file.ssh-privkey", "/root/.ssh/id_rsa")[:12]
    '25ceb0dfeb3b'
    """
    digest = hashlib.sha256("\x1f".join((host, check, key)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class FailingObject:
    """One failing object of one host, as the history and drift see it."""

    host: str
    check: str
    severity: Severity
    title: str
    object: FindingObject

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.host, self.check, self.object.key)


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
    profiles: tuple[str, ...] = ()  # names of the run's ProfileRecords that apply to this host

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status == status)

    @functools.cached_property  # read per host by every renderer and by fleet_score
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

    def failing_objects(self) -> tuple[FailingObject, ...]:
        """Every failing object of this host (a FAIL with no objects is one host-wide object)."""
        return tuple(
            FailingObject(self.name, f.check, f.severity, f.title, obj)
            for f in self.findings
            for obj in f.failing_objects
        )


@dataclass(frozen=True)
class ObjectHistory:
    """How long one failing object has been failing, from the run history."""

    first_seen: str  # ISO 8601 UTC start of the first run of the current failing streak
    runs: int  # runs in that streak, this one included


class ObjectChange(enum.StrEnum):
    """What happened to one object between a baseline and this run."""

    NEW = "new"  # failing now, not failing in the baseline
    FIXED = "fixed"  # failing in the baseline, judged and not failing now
    STILL = "still-failing"
    UNJUDGED = "no-longer-judged"  # failing in the baseline; now unknown/skipped/host not audited


class HostChange(enum.StrEnum):
    ADDED = "added"  # in this run, not in the baseline
    REMOVED = "removed"  # in the baseline, not in this run
    NOT_AUDITED = "newly-not-audited"  # audited in the baseline, not now
    BACK = "back-online"  # not audited in the baseline, audited now


@dataclass(frozen=True)
class ObjectDrift:
    host: str
    check: str
    severity: Severity
    title: str
    object: FindingObject
    change: ObjectChange

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.host, self.check, self.object.key)


@dataclass(frozen=True)
class HostDrift:
    host: str
    change: HostChange
    before: str  # host status in the baseline ("" when absent)
    after: str  # host status now ("" when absent)


@dataclass(frozen=True)
class Drift:
    """What changed between a baseline run and this one (`audit diff`, `--baseline`)."""

    baseline: str  # how the baseline was named: a run id or a file
    baseline_started_at: str
    objects: tuple[ObjectDrift, ...] = ()
    hosts: tuple[HostDrift, ...] = ()
    checks_added: tuple[str, ...] = ()
    checks_removed: tuple[str, ...] = ()

    def of(self, change: ObjectChange) -> tuple[ObjectDrift, ...]:
        return tuple(o for o in self.objects if o.change == change)


class WaiverState(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    STALE = "stale"  # matches no result of this run


@dataclass(frozen=True)
class WaiverRecord:
    """One waiver as this run used it (the waiver-debt section of reports)."""

    check: str
    hosts: str
    reason: str
    owner: str
    ticket: str
    expires: str  # YYYY-MM-DD or ""
    source: str  # file:line
    state: WaiverState
    matched: int  # results it waived in this run


@dataclass(frozen=True)
class ProfileRecord:
    """One profile as this run applied it (report.json `profiles[]`): the checks of the run
    it selects, the variables it set (JSON values, lists as tuples) and its manual items,
    which every report lists as not machine-checkable, never as passed."""

    name: str
    description: str
    source: str  # the profile's file
    checks: tuple[str, ...]  # ids of this run's checks the profile selects
    variables: tuple[tuple[str, Any], ...] = ()
    manual: tuple[ManualItem, ...] = ()


def profile_groups(
    host: HostReport, profiles: tuple[ProfileRecord, ...]
) -> tuple[tuple[ProfileRecord, tuple[CheckResult, ...]], ...]:
    """The host's results grouped by its profiles, in the host's profile order: a check that
    two profiles select is in both groups (judged once, with the host's variables)."""
    by_name = {p.name: p for p in profiles}
    groups = []
    for name in host.profiles:
        record = by_name.get(name)
        if record is not None:
            wanted = set(record.checks)
            groups.append((record, tuple(f for f in host.findings if f.check in wanted)))
    return tuple(groups)


def manual_items(
    host: HostReport, profiles: tuple[ProfileRecord, ...]
) -> tuple[tuple[str, ManualItem], ...]:
    """(profile name, item) for every manual item of the host's profiles, in order."""
    by_name = {p.name: p for p in profiles}
    return tuple(
        (name, item) for name in host.profiles if name in by_name for item in by_name[name].manual
    )


def profile_summary(report: RunReport) -> tuple[tuple[ProfileRecord, int, dict[Status, int]], ...]:
    """Per profile of the run: how many hosts have it, and its results over those hosts by
    status (a check two profiles select counts in both)."""
    out = []
    for record in report.profiles:
        hosts = [h for h in report.hosts if record.name in h.profiles]
        counts = dict.fromkeys(Status, 0)
        wanted = set(record.checks)
        for host in hosts:
            for finding in host.findings:
                if finding.check in wanted:
                    counts[finding.status] += 1
        out.append((record, len(hosts), counts))
    return tuple(out)


@dataclass(frozen=True)
class RunAnnotations:
    """What the history and a baseline add to a run; empty when there is no history."""

    run_id: str = ""
    first_seen: Mapping[str, ObjectHistory] = field(
        default_factory=lambda: MappingProxyType({})
    )  # fingerprint -> history
    never_audited: frozenset[str] = frozenset()  # hosts never audited successfully so far
    trend: tuple[tuple[str, float | None], ...] = ()  # (started_at, fleet score), oldest first
    drift: Drift | None = None


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
    waivers: tuple[WaiverRecord, ...] = ()
    annotations: RunAnnotations = field(default_factory=RunAnnotations)
    profiles: tuple[ProfileRecord, ...] = ()  # the profiles any host of the run has

    @property
    def manual_count(self) -> int:
        """Manual (not machine-checkable) items over every host: one per host and item."""
        return sum(len(manual_items(h, self.profiles)) for h in self.hosts)

    @property
    def any_failed_check(self) -> bool:
        return any(h.count(Status.FAIL) for h in self.hosts)

    @property
    def any_host_not_audited(self) -> bool:
        return any(h.status != HostStatus.OK for h in self.hosts)

    @property
    def fleet_score(self) -> float | None:
        """Mean score of the hosts that have one (audited, with judged checks), 0-100."""
        scores = [h.score for h in self.hosts if h.score is not None]
        return round(sum(scores) / len(scores), 1) if scores else None

    def failing_objects(self) -> tuple[FailingObject, ...]:
        return tuple(o for h in self.hosts for o in h.failing_objects())
