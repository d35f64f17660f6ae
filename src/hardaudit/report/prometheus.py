"""Prometheus text exposition (format 0.0.4) for node_exporter's textfile collector.

Every metric is a gauge: each file describes one run, nothing accumulates across runs, so no
name ends in `_total` (the Prometheus naming docs keep that for counters). Names carry the
`hardaudit_` prefix and a unit suffix where there is a unit (`_seconds`, `_ratio` for the
score as 0-1, as the docs prefer ratios to percentages).

Per host (label `host`; the `connect` outcome is `hardaudit_host_up`):
  hardaudit_host_up                          1 audited, 0 not (unreachable, auth, ...)
  hardaudit_host_info{status,groups}         1, with the host's status and groups
  hardaudit_host_audit_duration_seconds
  hardaudit_host_score_ratio                 weighted share of judged checks passed, 0-1
  hardaudit_host_checks{status}              checks per result status (every status)
  hardaudit_host_failed_checks{severity}     failed checks per severity (every severity)
  hardaudit_host_failing_objects             failing objects (files, ports, keys ...)
  hardaudit_host_new_failing_objects         objects failing now, not in the baseline
  hardaudit_host_manual_items{profile}       manual (not machine-checkable) items of each of
                                             the host's profiles: to verify by hand
Per run:
  hardaudit_run_timestamp_seconds, hardaudit_run_duration_seconds, hardaudit_fleet_score_ratio,
  hardaudit_hosts{status}, hardaudit_new_failing_objects.

Series that only mean something for an audited host (score, checks) are left out for a host
that was not audited rather than written as 0; the `new` metrics appear only when the run
has a baseline (`--baseline`: annotations.drift). Label values come from the inventory and
are hostile: made printable (one visible line), then escaped as the format requires
(backslash, double quote, newline).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from hardaudit.checks.model import Severity, Status
from hardaudit.model import HostStatus
from hardaudit.printable import printable
from hardaudit.report.model import HostReport, ObjectChange, RunReport, manual_items

PREFIX = "hardaudit_"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def label_value(text: str) -> str:
    r"""A label value as the text format wants it: printable, then `\`, `"`, newline escaped.

    >>> label_value('db"1\n')
    'db\\"1\\\\n'
    """
    safe = printable(text)
    return safe.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


class _Family:
    """One metric family: HELP, TYPE, then its samples (label sets unique)."""

    def __init__(self, name: str, help_text: str) -> None:
        self.name = PREFIX + name
        self.help = help_text
        self.samples: list[str] = []
        self._seen: set[tuple[tuple[str, str], ...]] = set()

    def add(self, value: float, **labels: str) -> None:
        key = tuple((k, label_value(v)) for k, v in labels.items())
        if key in self._seen:  # two hosts whose names print alike: the first one stands
            return
        self._seen.add(key)
        rendered = ",".join(f'{k}="{v}"' for k, v in key)
        self.samples.append(
            f"{self.name}{{{rendered}}} {_number(value)}"
            if key
            else f"{self.name} {_number(value)}"
        )

    def lines(self) -> Iterable[str]:
        if not self.samples:
            return
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} gauge"
        yield from self.samples


def _timestamp(started_at: str) -> float | None:
    try:
        moment = datetime.fromisoformat(started_at)
    except ValueError:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return round(aware.timestamp(), 3)


def _new_by_host(report: RunReport) -> Counter[str] | None:
    drift = report.annotations.drift
    if drift is None:
        return None
    return Counter(o.host for o in drift.of(ObjectChange.NEW))


def _host_families() -> dict[str, _Family]:
    return {
        family.name.removeprefix(PREFIX): family
        for family in (
            _Family("host_up", "1 if the host was audited, 0 if it could not be (see host_info)."),
            _Family("host_info", "The host's audit status and inventory groups (always 1)."),
            _Family("host_audit_duration_seconds", "Time spent auditing the host."),
            _Family(
                "host_score_ratio",
                "Severity-weighted share of the host's judged checks that passed.",
            ),
            _Family("host_checks", "Checks of the host per result status."),
            _Family("host_failed_checks", "Failed checks of the host per severity."),
            _Family(
                "host_failing_objects", "Failing objects of the host (files, listeners, keys ...)."
            ),
            _Family(
                "host_new_failing_objects",
                "Objects of the host failing now and not in the baseline.",
            ),
            _Family(
                "host_manual_items",
                "Manual items of the host's profile: not machine-checkable, verify by hand.",
            ),
        )
    }


def render_prometheus(report: RunReport) -> str:
    """The run as a text-exposition file (ends with a newline; UTF-8)."""
    per_host = _host_families()
    new_by_host = _new_by_host(report)
    for host in report.hosts:
        _host(host, per_host)
        if new_by_host is not None:
            per_host["host_new_failing_objects"].add(new_by_host.get(host.name, 0), host=host.name)
        manual = Counter(name for name, _item in manual_items(host, report.profiles))
        for name in host.profiles:  # a profile without manual items is a 0, not absent
            per_host["host_manual_items"].add(manual.get(name, 0), host=host.name, profile=name)

    run = [
        _Family("run_timestamp_seconds", "When the run started (Unix time)."),
        _Family("run_duration_seconds", "How long the run took."),
        _Family("fleet_score_ratio", "Mean score ratio of the hosts that have one."),
        _Family("hosts", "Hosts of the run per audit status."),
        _Family("new_failing_objects", "Objects failing now and not in the baseline."),
    ]
    started = _timestamp(report.started_at)
    if started is not None:
        run[0].add(started)
    run[1].add(round(report.duration_s, 3))
    if report.fleet_score is not None:
        run[2].add(round(report.fleet_score / 100, 4))
    statuses = Counter(h.status for h in report.hosts)
    for status in HostStatus:
        run[3].add(statuses.get(status, 0), status=status.value)
    if new_by_host is not None:
        run[4].add(sum(new_by_host.values()))
    families = [*run, *per_host.values()]
    return "".join(f"{line}\n" for family in families for line in family.lines())


def _host(host: HostReport, families: dict[str, _Family]) -> None:
    audited = host.status == HostStatus.OK
    families["host_up"].add(1 if audited else 0, host=host.name)
    families["host_info"].add(
        1, host=host.name, status=host.status.value, groups=",".join(host.groups)
    )
    families["host_audit_duration_seconds"].add(round(host.duration_s, 3), host=host.name)
    if not audited:
        return
    if host.score is not None:
        families["host_score_ratio"].add(round(host.score / 100, 4), host=host.name)
    for status in Status:
        families["host_checks"].add(host.count(status), host=host.name, status=status.value)
    by_severity = Counter(f.severity for f in host.findings if f.status == Status.FAIL)
    for severity in sorted(Severity, reverse=True):
        families["host_failed_checks"].add(
            by_severity.get(severity, 0), host=host.name, severity=severity.label
        )
    families["host_failing_objects"].add(len(host.failing_objects()), host=host.name)
