"""Drift between two runs: which failing objects are new, fixed or still failing.

Pure: two RunReports in, one Drift out. Objects are compared by fingerprint (host + check +
object key), never by evidence text, so a changed message is not a change.

Rules (README "Drift and CI gates"):
- Only checks both runs ran are compared: a check that exists in one run only is listed in
  `checks_added`/`checks_removed` and produces no object change at all (enabling a check is
  a change of the measuring tool, not of the fleet).
- new: failing now, not failing in the baseline (also on a host added or back online).
- fixed: failing in the baseline, and now the host was audited and the check judged it
  (pass or fail) without this object failing. A failure that says it could not judge
  everything (a reason "also not judged: ...", or objects cut at MAX_OBJECTS) judged only
  the objects it names: the others are no longer judged, not fixed.
- no-longer-judged: failing in the baseline, but now the result is unknown, skipped,
  waived, missing, or the host was not audited or is gone. It is not "fixed".
- still-failing: failing in both.

>>> from hardaudit.report.model import RunReport
>>> empty = RunReport("0", "2026-01-01T00:00:00+00:00", 0.0, "inv", "all", (), ())
>>> diff_reports(empty, empty, "latest").objects
()
"""

from __future__ import annotations

from dataclasses import replace

from hardaudit.checks.model import Status
from hardaudit.model import HostStatus
from hardaudit.report.model import (
    Drift,
    FailingObject,
    HostChange,
    HostDrift,
    HostReport,
    ObjectChange,
    ObjectDrift,
    RunReport,
)

_JUDGED = (Status.PASS, Status.FAIL)


def _failing(report: RunReport, compared: frozenset[str]) -> dict[str, FailingObject]:
    """fingerprint -> failing object, for the compared checks (first occurrence wins)."""
    found: dict[str, FailingObject] = {}
    for obj in report.failing_objects():
        if obj.check in compared:
            found.setdefault(obj.fingerprint, obj)
    return found


def _judged(host: HostReport | None, check: str) -> bool:
    """Did this run judge every object of `check` on `host` (audited, and the result is a
    pass or a failure that judged all it could name, see CheckResult.partial)?"""
    if host is None or host.status != HostStatus.OK:
        return False
    return any(f.check == check and f.status in _JUDGED and not f.partial for f in host.findings)


def _host_changes(baseline: RunReport, current: RunReport) -> tuple[HostDrift, ...]:
    before = {h.name: h for h in baseline.hosts}
    now = {h.name: h for h in current.hosts}
    changes: list[HostDrift] = []
    for name, host in now.items():
        old = before.get(name)
        if old is None:
            changes.append(HostDrift(name, HostChange.ADDED, "", host.status.value))
        elif old.status == HostStatus.OK and host.status != HostStatus.OK:
            changes.append(
                HostDrift(name, HostChange.NOT_AUDITED, old.status.value, host.status.value)
            )
        elif old.status != HostStatus.OK and host.status == HostStatus.OK:
            changes.append(HostDrift(name, HostChange.BACK, old.status.value, host.status.value))
    changes.extend(
        HostDrift(name, HostChange.REMOVED, old.status.value, "")
        for name, old in before.items()
        if name not in now
    )
    return tuple(sorted(changes, key=lambda c: (c.host, c.change.value)))


def diff_reports(baseline: RunReport, current: RunReport, baseline_ref: str) -> Drift:
    """What changed from `baseline` to `current`; `baseline_ref` names the baseline
    (`latest`, a run id, a file) in reports."""
    compared = frozenset(baseline.checks) & frozenset(current.checks)
    before = _failing(baseline, compared)
    now = _failing(current, compared)
    hosts_now = {h.name: h for h in current.hosts}
    objects: list[ObjectDrift] = []
    for fp, obj in now.items():
        change = ObjectChange.STILL if fp in before else ObjectChange.NEW
        objects.append(
            ObjectDrift(obj.host, obj.check, obj.severity, obj.title, obj.object, change)
        )
    for fp, obj in before.items():
        if fp in now:
            continue
        fixed = _judged(hosts_now.get(obj.host), obj.check)
        change = ObjectChange.FIXED if fixed else ObjectChange.UNJUDGED
        objects.append(
            ObjectDrift(obj.host, obj.check, obj.severity, obj.title, obj.object, change)
        )
    objects.sort(key=lambda o: (o.host, o.check, o.object.key, o.change.value))
    return Drift(
        baseline=baseline_ref,
        baseline_started_at=baseline.started_at,
        objects=tuple(objects),
        hosts=_host_changes(baseline, current),
        checks_added=tuple(sorted(frozenset(current.checks) - frozenset(baseline.checks))),
        checks_removed=tuple(sorted(frozenset(baseline.checks) - frozenset(current.checks))),
    )


def with_drift(report: RunReport, baseline: RunReport | None, baseline_ref: str) -> RunReport:
    """`report` with `annotations.drift` set from `baseline` (unchanged without one)."""
    if baseline is None:
        return report
    drift = diff_reports(baseline, report, baseline_ref)
    return replace(report, annotations=replace(report.annotations, drift=drift))
