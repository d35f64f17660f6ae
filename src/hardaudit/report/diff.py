"""`audit diff` and `--baseline` output: the drift between two runs as text, JSON, Markdown.

Reads the report model only (a Drift and the two RunReports); the history layer computes
the Drift.
"""

from __future__ import annotations

import json
from typing import Any

from hardaudit.printable import printable
from hardaudit.report.json import drift_to_dict
from hardaudit.report.markdown import drift_markdown, md_text
from hardaudit.report.model import Drift, ObjectChange, ObjectDrift, RunReport

DIFF_SCHEMA = "hardaudit.diff/1"

# Object changes listed one per line in the terminal; still-failing ones are only counted.
_LISTED = (
    (ObjectChange.NEW, "NEW"),
    (ObjectChange.FIXED, "FIXED"),
    (ObjectChange.UNJUDGED, "NOT JUDGED"),
)


def _run_info(ref: str, report: RunReport) -> dict[str, Any]:
    return {
        "ref": ref,
        "id": report.annotations.run_id or None,
        "started_at": report.started_at,
        "fleet_score": report.fleet_score,
        "hosts": len(report.hosts),
        "failing_objects": len(report.failing_objects()),
    }


def diff_to_dict(
    drift: Drift, before: RunReport, after: RunReport, before_ref: str, after_ref: str
) -> dict[str, Any]:
    """The hardaudit.diff/1 document: run info of A and B, counts, then drift_to_dict."""
    return {
        "schema": DIFF_SCHEMA,
        "before": _run_info(before_ref, before),
        "after": _run_info(after_ref, after),
        "counts": {change.value: len(drift.of(change)) for change in ObjectChange},
        **drift_to_dict(drift),
    }


def render_diff_json(
    drift: Drift, before: RunReport, after: RunReport, before_ref: str, after_ref: str
) -> str:
    return json.dumps(diff_to_dict(drift, before, after, before_ref, after_ref), indent=2) + "\n"


def _line(label: str, obj: ObjectDrift) -> str:
    where = printable(obj.object.key) if obj.object.key else "(host)"
    return (
        f"  {label:<10} {obj.severity.label:<8} {printable(obj.host)}  "
        f"{printable(obj.check)}  {where}"
    )


def render_drift_text(drift: Drift) -> str:
    """The drift for a terminal: one summary line, then every new, fixed and no-longer-judged
    object (still-failing ones are counted), host changes, check changes."""
    counts = {change: len(drift.of(change)) for change in ObjectChange}
    out = [
        f"Drift since {printable(drift.baseline)} ({printable(drift.baseline_started_at)}): "
        f"{counts[ObjectChange.NEW]} new, {counts[ObjectChange.FIXED]} fixed, "
        f"{counts[ObjectChange.STILL]} still failing, "
        f"{counts[ObjectChange.UNJUDGED]} no longer judged"
    ]
    for change, label in _LISTED:
        ordered = sorted(drift.of(change), key=lambda o: (-o.severity, o.host, o.check))
        out.extend(_line(label, o) for o in ordered)
    for h in drift.hosts:
        out.append(
            f"  host {printable(h.host)}: {h.change.value} "
            f"({printable(h.before) or '-'} -> {printable(h.after) or '-'})"
        )
    if drift.checks_added:
        out.append("  checks added: " + ", ".join(printable(c) for c in drift.checks_added))
    if drift.checks_removed:
        out.append("  checks removed: " + ", ".join(printable(c) for c in drift.checks_removed))
    return "\n".join(out) + "\n"


def render_diff_markdown(
    drift: Drift, before: RunReport, after: RunReport, before_ref: str, after_ref: str
) -> str:
    """`audit diff --format markdown`: which runs, then the drift section."""
    out = [
        f"### hardaudit diff: {md_text(before_ref)} → {md_text(after_ref)}",
        "",
        f"Fleet score {_score(before.fleet_score)} → {_score(after.fleet_score)} · "
        f"{len(before.hosts)} → {len(after.hosts)} host(s)",
        "",
        *drift_markdown(drift),
    ]
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
