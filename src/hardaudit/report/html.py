r"""HTML: one self-contained page for people, built for a fleet.

The page opens on an overview read at a glance (what changed since the baseline, the fleet
score and its trend, counts, a family summary, never-audited hosts, waiver debt), then a
host x check-family grid that is also the sortable, filterable host list, and a per-check
view ("which hosts fail ssh.password-auth"). Those are HTML and read without scripts.

The findings (one row per failing object, with "failing since") and each host's details
with its evidence are many: at 2,000 hosts, as markup, they made the page 20 MB and slow to
open. They travel instead as one JSON data block (`embed_json`, DATA_FORMAT below) that the
page's one script draws on demand: 300 rows at a time, one host at a time. That script is
static, the same in every report, admitted by its sha256 in the Content-Security-Policy,
writes text with `textContent` only and fetches nothing.

Every field a target, the inventory or the history supplied goes through `printable`, so
controls, newlines and bidirectional overrides show as visible `\xNN`/`\uNNNN` escapes;
then the template engine escapes it for HTML (autoescape), or `embed_json` for the data
block.

DATA_FORMAT (short keys: the block is most of the page):
    {"checks": {id: [title, 1 if the checks table says how to fix it else 0]},
     "hosts": [{"a": anchor, "n": name, "ad": address, "g": [groups], "s": status,
                "r": reason, "ok": audited, "na": never audited, "ch": drift host change,
                "d": duration, "j": [jump hops], "pv": privilege, "os": os, "no": [notes],
                "sc": score, "p": [passed check ids], "sk": [[skipped check id, reason]],
                "f": [{"c": check, "st": fail|unknown|waived, "sv": severity 0-4,
                       "ev": [evidence], "r": reason,
                       "o": [[object key, path:line, failing since, 1 if new else 0]]}]}]}
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2

from hardaudit.checks.model import Check, CheckResult, FindingObject, Severity, Status
from hardaudit.model import HostStatus
from hardaudit.printable import printable
from hardaudit.report.model import (
    HostChange,
    HostReport,
    ObjectChange,
    ObjectDrift,
    RunReport,
    WaiverState,
    fingerprint,
    profile_summary,
)

# Lists in the overview are cut here; the full set is in the filterable tables below them.
LIST_LIMIT = 200
# A waiver that expires within this many days of the run is flagged as debt coming due.
EXPIRES_SOON_DAYS = 30
# Separates a host's groups in a data attribute: `printable` escapes every newline in a
# group name, so the separator cannot occur inside one.
GROUP_SEPARATOR = "\n"

SCRIPT = resources.files("hardaudit.report").joinpath("templates/report.js").read_text("utf-8")
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
# No network, no plugin, no frame, no form target, no <base>: the one script by its hash.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"
)

SEVERITIES = tuple(sorted(Severity, reverse=True))  # critical first


@dataclass(frozen=True)
class Cell:
    """One host x family cell of the grid: the worst result of that family on that host."""

    css: str  # critical/high/medium/low/info (a failure), unknown, waived, pass, none, na
    mark: str


@dataclass(frozen=True)
class HostView:
    """One host's row in the grid (its findings travel in the page's data block)."""

    anchor: str
    name: str
    group_list: str  # GROUP_SEPARATOR-joined, for the group filter
    groups: str
    status: str
    audited: bool
    never_audited: bool
    change: str  # HostChange value from the drift, or ""
    failed: int
    unknown: int
    waived: int
    new: int
    score: str
    score_sort: float
    worst: str
    worst_rank: int  # -1: nothing failed
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class ManualView:
    """A manual item of a profile: not machine-checkable, listed with its hosts."""

    id: str
    text: str


@dataclass(frozen=True)
class ProfileView:
    name: str
    description: str
    source: str
    hosts: tuple[HostLink, ...]  # at most LIST_LIMIT
    host_count: int
    counts: tuple[tuple[str, int], ...]  # (status, results) over its hosts
    variables: tuple[tuple[str, str], ...]  # (name, JSON text)
    manual: tuple[ManualView, ...]


@dataclass(frozen=True)
class HostLink:
    anchor: str
    name: str


@dataclass(frozen=True)
class CheckView:
    """One check across the fleet: which hosts fail it."""

    id: str
    severity: str
    rank: int
    title: str
    failing: tuple[HostLink, ...]  # cut at LIST_LIMIT
    failing_count: int
    unknown: int
    waived: int
    passed: int
    new: int
    remediation: str


@dataclass(frozen=True)
class FamilyView:
    """One check family: how many hosts have each worst result in it (a stacked bar)."""

    name: str
    parts: tuple[tuple[str, int, str], ...]  # (css, hosts, percent of the bar)


@dataclass(frozen=True)
class WaiverView:
    check: str
    hosts: str
    reason: str
    owner: str
    ticket: str
    expires: str
    due: str  # "expires in 5 days", "expired 3 days ago", or ""
    flagged: bool
    state: str
    matched: int
    source: str


@dataclass(frozen=True)
class DriftObjectView:
    anchor: str
    host: str
    check: str
    severity: str
    title: str
    key: str


@dataclass(frozen=True)
class DriftView:
    baseline: str
    baseline_started_at: str
    new: tuple[DriftObjectView, ...]
    new_count: int
    fixed: tuple[DriftObjectView, ...]
    fixed_count: int
    still: int
    unjudged: int
    hosts: tuple[tuple[str, str, str, str, str], ...]  # (anchor, host, change, before, after)
    host_counts: tuple[tuple[str, int], ...]
    checks_added: tuple[str, ...]
    checks_removed: tuple[str, ...]


@dataclass(frozen=True)
class TrendView:
    """The fleet score over the recorded runs, as an inline SVG sparkline."""

    segments: tuple[str, ...]  # polylines: space-separated "x,y" pairs (a gap: no score)
    last_x: float
    last_y: float
    first: str
    last: str
    runs: int
    delta: str  # "+2.5 since the previous run" or ""
    label: str


_GRID_MARK = {
    "critical": "C",
    "high": "H",
    "medium": "M",
    "low": "L",
    "info": "I",
    "unknown": "?",
    "waived": "W",
    "pass": "✓",
    "none": "·",
    "na": "×",
}
GRID_LEGEND = (
    ("critical", "failed, critical"),
    ("high", "failed, high"),
    ("medium", "failed, medium"),
    ("low", "failed, low"),
    ("info", "failed, info"),
    ("unknown", "unknown"),
    ("waived", "waived"),
    ("pass", "passed"),
    ("none", "skipped / not selected"),
    ("na", "host not audited"),
)
_GRID_ORDER = [css for css, _ in GRID_LEGEND]


def _score(score: float | None) -> str:
    return "-" if score is None else f"{score:g}"


def _family(check_id: str) -> str:
    return check_id.split(".", 1)[0]


def _day(iso: str) -> str:
    return printable(iso[:10])


def _since(first_seen: str, runs: int) -> str:
    return f"{_day(first_seen)} ({runs} run{'s' if runs != 1 else ''})"


def _cells(families: tuple[str, ...], host: HostReport) -> tuple[Cell, ...]:
    """The host's grid row: per family, the worst result (one pass over its findings, so a
    report with thousands of check families still renders in linear time)."""
    if host.status != HostStatus.OK:
        return tuple(Cell("na", _GRID_MARK["na"]) for _ in families)
    failed: dict[str, Severity] = {}
    statuses: dict[str, set[Status]] = {}
    for f in host.findings:
        family = _family(f.check)
        if f.status == Status.FAIL:
            failed[family] = max(failed.get(family, f.severity), f.severity)
        statuses.setdefault(family, set()).add(f.status)
    return tuple(_cell(failed.get(family), statuses.get(family, set())) for family in families)


def _cell(worst: Severity | None, statuses: set[Status]) -> Cell:
    if worst is not None:
        css = worst.label
    else:
        css = next(
            (
                name
                for status, name in (
                    (Status.UNKNOWN, "unknown"),
                    (Status.WAIVED, "waived"),
                    (Status.PASS, "pass"),
                )
                if status in statuses
            ),
            "none",
        )
    return Cell(css, _GRID_MARK[css])


class _Context:
    """What the whole page shares: annotations looked up once."""

    def __init__(self, report: RunReport, checks: Mapping[str, Check]) -> None:
        self.report = report
        self.checks = checks
        self.first_seen = report.annotations.first_seen
        self.never = report.annotations.never_audited
        drift = report.annotations.drift
        self.new: frozenset[str] = frozenset(
            o.fingerprint for o in (drift.of(ObjectChange.NEW) if drift else ())
        )
        self.host_change = {h.host: h.change.value for h in (drift.hosts if drift else ())}
        self.families = tuple(sorted({_family(c) for c in report.checks}))
        self.anchors = {h.name: f"host-{i}" for i, h in enumerate(report.hosts, start=1)}

    def object_data(self, host: str, result: CheckResult, obj: FindingObject) -> list[Any]:
        """[key, location, failing since, new] of one failing object."""
        print_key = fingerprint(host, result.check, obj.key)
        seen = self.first_seen.get(print_key)
        location = printable(obj.path) if obj.path else ""
        if location and obj.line:
            location += f":{obj.line}"
        return [
            printable(obj.key),
            location,
            _since(seen.first_seen, seen.runs) if seen else "",
            1 if print_key in self.new else 0,
        ]

    def host_data(self, host: HostReport) -> dict[str, Any]:
        """One host's details for the page's data block (DATA_FORMAT in the module docstring)."""
        findings = []
        for result in sorted(host.findings, key=lambda f: -f.severity):
            if result.status in (Status.PASS, Status.SKIP):
                continue
            reason = result.reason
            if result.waived_from is not None:
                reason = f"waived ({result.waived_from.value}): {result.waiver_reason}"
            findings.append(
                {
                    "c": printable(result.check),
                    "st": result.status.value,
                    "sv": int(result.severity),
                    "ev": [printable(line) for line in result.evidence],
                    "r": printable(reason),
                    "o": [self.object_data(host.name, result, o) for o in result.failing_objects],
                }
            )
        return {
            "a": self.anchors[host.name],
            "n": printable(host.name),
            "ad": printable(host.address),
            "g": [printable(g) for g in host.groups],
            "s": host.status.value,
            "r": printable(host.reason),
            "ok": host.status == HostStatus.OK,
            "na": host.name in self.never,
            "ch": self.host_change.get(host.name, ""),
            "d": f"{host.duration_s:.2f}s",
            "j": [printable(hop) for hop in host.jump],
            "pv": printable(host.privilege),
            "os": printable(host.os),
            "no": [printable(n) for n in host.notes],
            "sc": _score(host.score),
            "f": findings,
            "p": [printable(f.check) for f in host.findings if f.status == Status.PASS],
            "sk": [
                [printable(f.check), printable(f.reason)]
                for f in host.findings
                if f.status == Status.SKIP
            ],
        }

    def host(self, host: HostReport) -> HostView:
        worst = host.worst_failure
        score = host.score
        groups = [printable(g) for g in host.groups]
        new = sum(1 for o in host.failing_objects() if o.fingerprint in self.new)
        return HostView(
            anchor=self.anchors[host.name],
            name=printable(host.name),
            group_list=GROUP_SEPARATOR.join(groups),
            groups=", ".join(groups),
            status=host.status.value,
            audited=host.status == HostStatus.OK,
            never_audited=host.name in self.never,
            change=self.host_change.get(host.name, ""),
            failed=host.count(Status.FAIL),
            unknown=host.count(Status.UNKNOWN),
            waived=host.count(Status.WAIVED),
            new=new,
            score=_score(score),
            score_sort=-1.0 if score is None else score,
            worst=worst.label if worst else "-",
            worst_rank=int(worst) if worst is not None else -1,
            cells=_cells(self.families, host),
        )


def _checks(report: RunReport, ctx: _Context) -> tuple[CheckView, ...]:
    results: dict[str, list[tuple[HostReport, CheckResult]]] = {c: [] for c in report.checks}
    for host in report.hosts:
        for result in host.findings:
            results.setdefault(result.check, []).append((host, result))
    drift = report.annotations.drift
    new_by_check = Counter(o.check for o in (drift.of(ObjectChange.NEW) if drift else ()))
    views = []
    for check_id, pairs in results.items():
        check = ctx.checks.get(check_id)
        severity = (
            check.severity if check else max((r.severity for _, r in pairs), default=Severity.INFO)
        )
        title = check.title if check else next((r.title for _, r in pairs), "")
        failing = [h for h, r in pairs if r.status == Status.FAIL]
        views.append(
            CheckView(
                id=printable(check_id),
                severity=severity.label,
                rank=int(severity),
                title=printable(title),
                failing=tuple(
                    HostLink(ctx.anchors[h.name], printable(h.name)) for h in failing[:LIST_LIMIT]
                ),
                failing_count=len(failing),
                unknown=sum(1 for _, r in pairs if r.status == Status.UNKNOWN),
                waived=sum(1 for _, r in pairs if r.status == Status.WAIVED),
                passed=sum(1 for _, r in pairs if r.status == Status.PASS),
                new=new_by_check[check_id],
                remediation=printable(" ".join(check.remediation.split())) if check else "",
            )
        )
    views.sort(key=lambda v: (-v.failing_count, -v.rank, v.id))
    return tuple(views)


def _families(hosts: list[HostView], families: tuple[str, ...]) -> tuple[FamilyView, ...]:
    views = []
    for i, name in enumerate(families):
        counts = Counter(h.cells[i].css for h in hosts)
        total = sum(counts.values()) or 1
        parts = tuple(
            (css, counts[css], f"{100.0 * counts[css] / total:.2f}")
            for css in _GRID_ORDER
            if counts[css]
        )
        views.append(FamilyView(printable(name), parts))
    return tuple(views)


def _parse_day(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _waivers(report: RunReport) -> tuple[WaiverView, ...]:
    today = _parse_day(report.started_at)
    views = []
    for w in report.waivers:
        due = ""
        expires = _parse_day(w.expires) if w.expires else None
        if today and expires:
            days = (expires - today).days
            if days < 0:
                due = f"expired {-days} day{'s' if days != -1 else ''} ago"
            elif days <= EXPIRES_SOON_DAYS:
                due = f"expires in {days} day{'s' if days != 1 else ''}"
        views.append(
            WaiverView(
                check=printable(w.check),
                hosts=printable(w.hosts),
                reason=printable(w.reason),
                owner=printable(w.owner),
                ticket=printable(w.ticket),
                expires=printable(w.expires) or "never",
                due=due,
                flagged=w.state != WaiverState.ACTIVE or bool(due),
                state=w.state.value,
                matched=w.matched,
                source=printable(w.source),
            )
        )
    order = {WaiverState.EXPIRED.value: 0, WaiverState.STALE.value: 1, WaiverState.ACTIVE.value: 2}
    views.sort(key=lambda v: (order[v.state], not v.flagged, v.expires, v.check))
    return tuple(views)


def _drift_object(o: ObjectDrift, anchors: Mapping[str, str]) -> DriftObjectView:
    return DriftObjectView(
        anchor=anchors.get(o.host, ""),
        host=printable(o.host),
        check=printable(o.check),
        severity=o.severity.label,
        title=printable(o.title),
        key=printable(o.object.key) if o.object.key else "(the host)",
    )


def _drift(report: RunReport, anchors: Mapping[str, str]) -> DriftView | None:
    drift = report.annotations.drift
    if drift is None:
        return None

    def listed(change: ObjectChange) -> tuple[DriftObjectView, ...]:
        chosen = sorted(drift.of(change), key=lambda o: (-o.severity, o.host, o.check))
        return tuple(_drift_object(o, anchors) for o in chosen[:LIST_LIMIT])

    host_counts = Counter(h.change for h in drift.hosts)
    return DriftView(
        baseline=printable(drift.baseline),
        baseline_started_at=printable(drift.baseline_started_at),
        new=listed(ObjectChange.NEW),
        new_count=len(drift.of(ObjectChange.NEW)),
        fixed=listed(ObjectChange.FIXED),
        fixed_count=len(drift.of(ObjectChange.FIXED)),
        still=len(drift.of(ObjectChange.STILL)),
        unjudged=len(drift.of(ObjectChange.UNJUDGED)),
        hosts=tuple(
            (
                anchors.get(h.host, ""),
                printable(h.host),
                h.change.value,
                printable(h.before) or "-",
                printable(h.after) or "-",
            )
            for h in drift.hosts[:LIST_LIMIT]
        ),
        host_counts=tuple((c.value, host_counts[c]) for c in HostChange if host_counts[c]),
        checks_added=tuple(printable(c) for c in drift.checks_added),
        checks_removed=tuple(printable(c) for c in drift.checks_removed),
    )


SPARK_WIDTH = 160
SPARK_HEIGHT = 32


def _trend(report: RunReport, fleet_score: float | None) -> TrendView | None:
    points = list(report.annotations.trend)
    if not points or points[-1][0] != report.started_at:
        points.append((report.started_at, fleet_score))  # this run closes the trend
    if len(points) < 2:
        return None
    scores = [s for _, s in points if s is not None]
    # the line spans the range the score moved in (at least 10 points), so a change shows
    low = max(0.0, min(scores, default=0.0) - 2)
    high = min(100.0, max(max(scores, default=100.0) + 2, low + 10))
    step = (SPARK_WIDTH - 4) / (len(points) - 1)
    segments: list[list[str]] = [[]]
    last_x = last_y = 0.0
    for i, (_, score) in enumerate(points):
        if score is None:
            if segments[-1]:
                segments.append([])
            continue
        last_x = 2 + i * step
        last_y = 2 + (SPARK_HEIGHT - 4) * (1 - (min(max(score, low), high) - low) / (high - low))
        segments[-1].append(f"{last_x:.1f},{last_y:.1f}")
    delta = ""
    if len(points) >= 2 and points[-1][1] is not None and points[-2][1] is not None:
        diff = points[-1][1] - points[-2][1]
        delta = f"{diff:+.1f} since the previous run"
    first = "-" if not scores else f"{scores[0]:g}"
    last = "-" if points[-1][1] is None else f"{points[-1][1]:g}"
    return TrendView(
        segments=tuple(" ".join(s) for s in segments if s),
        last_x=last_x,
        last_y=last_y,
        first=first,
        last=last,
        runs=len(points),
        delta=delta,
        label=f"fleet score over {len(points)} runs, from {first} to {last}"
        f" (scale {low:g}-{high:g})",
    )


# Characters that could end the data block or start markup inside it, and the two line
# separators that old JavaScript parsers took for line ends: written as \u escapes.
_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def embed_json(data: object) -> str:
    r"""JSON that is inert inside `<script type="application/json">`: no `</script>`, `<!--`,
    or raw U+2028 can occur, whatever the strings hold.

    >>> embed_json({"n": "</script>\u2028"})
    '{"n":"\\u003c/script\\u003e\\u2028"}'
    """
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.translate(_JSON_ESCAPES)


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("hardaudit.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _profiles(report: RunReport, anchors: Mapping[str, str]) -> tuple[ProfileView, ...]:
    views = []
    for record, count, counts in profile_summary(report):
        hosts = [h for h in report.hosts if record.name in h.profiles][:LIST_LIMIT]
        views.append(
            ProfileView(
                name=printable(record.name),
                description=printable(record.description),
                source=printable(record.source),
                hosts=tuple(HostLink(anchors[h.name], printable(h.name)) for h in hosts),
                host_count=count,
                counts=tuple((s.value, counts[s]) for s in Status),
                variables=tuple(
                    (printable(name), printable(json.dumps(_plain(value))))
                    for name, value in record.variables
                ),
                manual=tuple(ManualView(printable(m.id), printable(m.text)) for m in record.manual),
            )
        )
    return tuple(views)


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, tuple) else value


def _worst_first(host: HostView) -> tuple[int, float, int, str]:
    # not audited first, then the lowest score, then the worst failure
    return (host.audited, host.score_sort, -host.worst_rank, host.name)


def render_html(report: RunReport, checks: Mapping[str, Check] | None = None) -> str:
    """The report as one HTML page; `checks` (by id) adds remediation, titles and severities."""
    ctx = _Context(report, checks or {})
    fleet_score = report.fleet_score
    hosts = sorted((ctx.host(h) for h in report.hosts), key=_worst_first)
    check_views = _checks(report, ctx)
    data = {
        "checks": {c.id: [c.title, 1 if c.remediation else 0] for c in check_views},
        "hosts": [ctx.host_data(h) for h in report.hosts],
    }
    results = Counter(f.status for h in report.hosts for f in h.findings)
    failing = report.failing_objects()
    by_severity = Counter(o.severity for o in failing)
    new_by_severity = Counter(o.severity for o in failing if o.fingerprint in ctx.new)
    host_status = Counter(h.status for h in report.hosts)
    never = [h for h in hosts if h.never_audited]
    groups = sorted({g for h in report.hosts for g in map(printable, h.groups)})
    return _ENV.get_template("report.html.j2").render(
        report=report,
        csp=CSP,
        script=SCRIPT,
        hosts=hosts,
        data=embed_json(data),
        finding_count=len(failing) + results[Status.UNKNOWN] + results[Status.WAIVED],
        audited=[h for h in hosts if h.audited],
        not_audited=[h for h in hosts if not h.audited],
        never=never[:LIST_LIMIT],
        never_count=len(never),
        families=ctx.families,
        family_views=_families(hosts, ctx.families),
        legend=[(css, _GRID_MARK[css], text) for css, text in GRID_LEGEND],
        check_views=check_views,
        waivers=_waivers(report),
        profiles=_profiles(report, ctx.anchors),
        drift=_drift(report, ctx.anchors),
        trend=_trend(report, fleet_score),
        fleet_score=_score(fleet_score),
        host_status=[(s.value, host_status[s]) for s in HostStatus if host_status[s]],
        results=[(s.value, results[s]) for s in Status],
        severities=[(s.label, int(s), by_severity[s], new_by_severity[s]) for s in SEVERITIES],
        failing_count=len(failing),
        groups=groups,
        statuses=[s.value for s in HostStatus],
        duration=f"{report.duration_s:.2f}s",
        run_id=printable(report.annotations.run_id),
        started_at=printable(report.started_at),
        tool_version=printable(report.tool_version),
        inventory=printable(report.inventory),
        selection=printable(report.selection),
    )
