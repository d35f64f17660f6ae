"""Terminal output: one row per host, then failed checks grouped by host with evidence."""

from __future__ import annotations

from tabulate import tabulate

from hardaudit.checks.model import Status
from hardaudit.report.model import RunReport
from hardaudit.transport.base import HostStatus


def render_table(report: RunReport) -> str:
    """The summary table and the failures, as plain text."""
    rows = []
    for h in report.hosts:
        worst = h.worst_failure
        rows.append(
            [
                h.name,
                h.status.value,
                h.count(Status.PASS),
                h.count(Status.FAIL),
                h.count(Status.UNKNOWN),
                "-" if h.score is None else f"{h.score:.0f}",
                worst.label if worst else "-",
            ]
        )
    out = [
        tabulate(
            rows,
            headers=["host", "status", "pass", "fail", "unknown", "score", "worst"],
            tablefmt="simple",
        )
    ]
    problems = [h for h in report.hosts if h.status != HostStatus.OK]
    if problems:
        out.append("\nHosts not audited:")
        out.extend(f"  {h.name}: {h.status.value}: {h.reason}" for h in problems)
    for h in report.hosts:
        failed = [f for f in h.findings if f.status == Status.FAIL]
        unknown = [f for f in h.findings if f.status == Status.UNKNOWN]
        if not failed and not unknown:
            continue
        out.append(f"\n{h.name}")
        for f in sorted(failed, key=lambda f: -f.severity):
            out.append(f"  FAIL {f.severity.label:<8} {f.check}: {f.title}")
            out.extend(f"       - {line}" for line in f.evidence)
        for f in unknown:
            out.append(f"  UNKNOWN         {f.check}: {f.reason}")
    return "\n".join(out) + "\n"
