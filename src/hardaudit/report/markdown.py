"""Markdown: a short run summary for $GITHUB_STEP_SUMMARY or a merge-request comment.

Link-free and capped (each table shows at most ROWS rows, then "... N more"), so a fleet of
thousands still fits a job summary. Every field a target or an inventory supplied goes
through `md_text`: it stays one table cell of visible text and cannot open HTML, a code
span, a link or a new row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hardaudit.checks.model import Status
from hardaudit.model import HostStatus
from hardaudit.printable import printable, short_reason
from hardaudit.report.model import (
    Drift,
    HostReport,
    ObjectChange,
    ObjectDrift,
    RunReport,
    manual_items,
    profile_summary,
)

ROWS = 10  # rows per table; the rest is counted, not listed
REASON_CHARS = 100  # why a host was not audited, cut (the full reason is in report.json)

# Markdown punctuation that could start emphasis, a code span, a link, a table cell or an
# image; HTML's two tag characters become entities.
_BACKSLASHED = re.compile(r"([\\`*_\[\]|])")
_ENTITIES = {"<": "&lt;", ">": "&gt;"}
# What GitHub would turn into a link by itself (autolinks): scheme:// and www. lose it to a
# backslash.
_AUTOLINK = re.compile(r"(:)(?=//)|(?<=www)(\.)", re.IGNORECASE)
# What GitHub and GitLab turn into references AFTER Markdown, from the text it leaves, so a
# backslash does not stop them: @user, #12 and GH-12 (issues), !12 (merge requests), ~label,
# $12 (snippets), &12 (epics), %milestone; cmark-gfm also links user@host.name after
# unescaping. Such characters go into a code span of their own, which none of them looks into
# (a run of them shares one span: two spans side by side would read as a `` delimiter).
# `&` is among them, so it needs no entity: a code span shows it as it is.
_REFERENCE = re.compile(r"[@#!~$%&]+|(?<=gh)-(?=[0-9])", re.IGNORECASE)


def md_text(text: str) -> str:
    r"""`text` as inert Markdown inline text: one line, no HTML, no link, no reference.

    >>> md_text("a|b `c` <img src=x> [l](http://e.x) #1\nrow")
    'a\\|b \\`c\\` &lt;img src=x&gt; \\[l\\](http\\://e.x) `#`1\\\\nrow'
    """
    line = printable(text)  # newlines and controls become visible \n, \x1b ...
    line = _BACKSLASHED.sub(r"\\\1", line)
    line = _REFERENCE.sub(lambda m: f"`{m.group()}`", line)  # before `<` becomes `&lt;`
    line = "".join(_ENTITIES.get(char, char) for char in line)
    return _AUTOLINK.sub(lambda m: "\\" + m.group(), line)


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], total: int | None = None
) -> list[str]:
    """A GitHub table of at most ROWS rows (cells already escaped), then '... N more'."""
    total = len(rows) if total is None else total
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows[:ROWS]]
    if total > ROWS:
        out.append(f"\n... {total - ROWS} more")
    return out


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _object_label(key: str) -> str:
    return md_text(key) if key else "(host)"


def _counts(report: RunReport) -> list[str]:
    audited = [h for h in report.hosts if h.status == HostStatus.OK]
    row = [str(len(audited)), str(len(report.hosts) - len(audited))]
    row += [str(sum(h.count(status) for h in report.hosts)) for status in Status]
    headers = ["audited", "not audited", *(status.value for status in Status)]
    return _table(headers, [row])


def _score_line(report: RunReport) -> str:
    line = f"Fleet score **{_score(report.fleet_score)}**"
    earlier = [score for _at, score in report.annotations.trend[:-1]]
    if earlier:
        line += f" (previous run {_score(earlier[-1])})"
    return line


def _drift_rows(objects: Sequence[ObjectDrift]) -> list[list[str]]:
    ordered = sorted(objects, key=lambda o: (-o.severity, o.host, o.check, o.object.key))
    return [
        [md_text(o.host), o.severity.label, md_text(o.check), _object_label(o.object.key)]
        for o in ordered
    ]


def drift_markdown(drift: Drift, heading: str = "####") -> list[str]:
    """The drift section: counts, new findings, fixed ones, host and check changes."""
    new, fixed = drift.of(ObjectChange.NEW), drift.of(ObjectChange.FIXED)
    still, unjudged = drift.of(ObjectChange.STILL), drift.of(ObjectChange.UNJUDGED)
    since = f"{md_text(drift.baseline)} ({md_text(drift.baseline_started_at)})"
    out = [
        f"{heading} New findings since {since}",
        "",
        f"{len(new)} new · {len(fixed)} fixed · {len(still)} still failing · "
        f"{len(unjudged)} no longer judged",
        "",
    ]
    headers = ["host", "severity", "check", "object"]
    if new:
        out += [*_table(headers, _drift_rows(new)), ""]
    if fixed:
        out += [f"{heading} Fixed", "", *_table(headers, _drift_rows(fixed)), ""]
    if unjudged:
        out += [f"{heading} No longer judged", "", *_table(headers, _drift_rows(unjudged)), ""]
    if drift.hosts:
        rows = [
            [md_text(h.host), h.change.value, md_text(h.before) or "-", md_text(h.after) or "-"]
            for h in drift.hosts
        ]
        out += [
            f"{heading} Host changes",
            "",
            *_table(["host", "change", "before", "now"], rows),
            "",
        ]
    for label, checks in (
        ("Checks added", drift.checks_added),
        ("Checks removed", drift.checks_removed),
    ):
        if checks:
            shown = ", ".join(md_text(c) for c in checks[:ROWS])
            more = f" ... {len(checks) - ROWS} more" if len(checks) > ROWS else ""
            out += [f"{label}: {shown}{more}", ""]
    return out


def _worst_key(host: HostReport) -> tuple[int, float, str]:
    # Hosts not audited first, then the lowest score, then the name.
    audited = host.status == HostStatus.OK
    return (1 if audited else 0, host.score if host.score is not None else 101.0, host.name)


def _worst_hosts(report: RunReport) -> list[str]:
    hosts = [h for h in report.hosts if h.status != HostStatus.OK or h.count(Status.FAIL)]
    rows = []
    for h in sorted(hosts, key=_worst_key):
        worst = h.worst_failure
        status = h.status.value if h.status == HostStatus.OK else f"{h.status.value}: {h.reason}"
        status = short_reason(status, REASON_CHARS)
        rows.append(
            [
                md_text(h.name),
                md_text(status),
                _score(h.score),
                str(h.count(Status.FAIL)),
                str(h.count(Status.WAIVED)),
                worst.label if worst else "-",
            ]
        )
    if not rows:
        return []
    headers = ["host", "status", "score", "fail", "waived", "worst"]
    return ["#### Worst hosts", "", *_table(headers, rows), ""]


def _failing_longest(report: RunReport) -> list[str]:
    seen = report.annotations.first_seen
    rows = []
    for obj in report.failing_objects():
        history = seen.get(obj.fingerprint)
        if history is not None and history.runs > 1:
            rows.append((history.first_seen, -history.runs, obj))
    if not rows:
        return []
    rows.sort(key=lambda r: (r[0], r[1], r[2].host, r[2].check, r[2].object.key))
    cells = [
        [
            md_text(obj.host),
            md_text(obj.check),
            _object_label(obj.object.key),
            md_text(first[:10]),
            str(-runs),
        ]
        for first, runs, obj in rows
    ]
    headers = ["host", "check", "object", "failing since", "runs"]
    return ["#### Failing longest", "", *_table(headers, cells), ""]


def _waiver_debt(report: RunReport) -> list[str]:
    if not report.waivers:
        return []
    order = {"expired": 0, "stale": 1, "active": 2}
    waivers = sorted(
        report.waivers, key=lambda w: (order.get(w.state.value, 3), w.expires or "9999")
    )
    rows = [
        [
            md_text(w.check),
            md_text(w.hosts),
            md_text(w.owner) or "-",
            md_text(w.ticket) or "-",
            md_text(w.expires) or "never",
            w.state.value,
            str(w.matched),
            md_text(w.reason),
        ]
        for w in waivers
    ]
    headers = ["check", "hosts", "owner", "ticket", "expires", "state", "waived", "reason"]
    return ["#### Waiver debt", "", *_table(headers, rows), ""]


def _profiles(report: RunReport) -> list[str]:
    """Results per profile, then every manual item with the hosts it applies to: not capped,
    the checklist is handed over whole (its length is the profiles', not the fleet's)."""
    if not report.profiles:
        return []
    rows = [
        [
            md_text(record.name),
            str(hosts),
            *(str(counts[status]) for status in Status),
            str(len(record.manual)),
        ]
        for record, hosts, counts in profile_summary(report)
    ]
    headers = ["profile", "hosts", *(status.value for status in Status), "manual"]
    out = ["#### Profiles", "", *_table(headers, rows), ""]
    hosts_of: dict[tuple[str, str], list[str]] = {}
    texts: dict[tuple[str, str], str] = {}
    for host in report.hosts:
        for profile, item in manual_items(host, report.profiles):
            hosts_of.setdefault((profile, item.id), []).append(host.name)
            texts[(profile, item.id)] = item.text
    if hosts_of:
        out += ["#### Not machine-checkable (verify by hand)", ""]
        out.append("| profile | item | hosts | what to verify |")
        out.append("|---|---|---|---|")
        for (profile, item_id), names in hosts_of.items():
            shown = ", ".join(md_text(n) for n in names[:ROWS])
            shown += f" ... {len(names) - ROWS} more" if len(names) > ROWS else ""
            text = md_text(texts[(profile, item_id)])
            out.append(f"| {md_text(profile)} | {md_text(item_id)} | {shown} | {text} |")
        out.append("")
    return out


def render_markdown(report: RunReport) -> str:
    """The run summary as GitHub-flavoured Markdown (ends with one newline)."""
    out = [
        f"### hardaudit: {len(report.hosts)} host(s), {len(report.checks)} check(s)",
        "",
        f"Run {md_text(report.started_at)} · selection {md_text(report.selection)}"
        + (f" · run id {md_text(report.annotations.run_id)}" if report.annotations.run_id else ""),
        "",
        _score_line(report),
        "",
        *_counts(report),
        "",
    ]
    if report.annotations.drift is not None:
        out += drift_markdown(report.annotations.drift)
    out += _worst_hosts(report)
    out += _profiles(report)
    out += _failing_longest(report)
    out += _waiver_debt(report)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"
