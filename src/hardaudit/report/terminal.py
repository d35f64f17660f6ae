"""Terminal output: one row per host, then failed checks grouped by host with evidence.

Every field that a target or the inventory supplied goes through `printable`: one field is
one line of visible characters, so no text can forge a row or a finding line.
"""

from __future__ import annotations

from tabulate import tabulate

from hardaudit.checks.model import CheckResult, Status
from hardaudit.model import HostStatus
from hardaudit.printable import printable
from hardaudit.report.model import (
    HostReport,
    RunReport,
    WaiverRecord,
    WaiverState,
    fingerprint,
    profile_groups,
    profile_summary,
)


def _since(report: RunReport, host: HostReport, result: CheckResult) -> str:
    """` (failing since 2026-11-02 (35 runs))` from the history: the oldest failing object of
    the finding; "" without a history."""
    seen = report.annotations.first_seen
    streaks = [
        found
        for obj in result.failing_objects
        if (found := seen.get(fingerprint(host.name, result.check, obj.key))) is not None
    ]
    if not streaks:
        return ""
    oldest = min(streaks, key=lambda s: (s.first_seen, -s.runs))
    runs = f"{oldest.runs} run" + ("s" if oldest.runs != 1 else "")
    return f" (failing since {printable(oldest.first_seen[:10])} ({runs}))"


def render_table(report: RunReport) -> str:
    """The summary table and the failures, as plain text."""
    any_waived = any(h.count(Status.WAIVED) for h in report.hosts)
    rows = []
    for h in report.hosts:
        worst = h.worst_failure
        counts = [h.count(Status.PASS), h.count(Status.FAIL), h.count(Status.UNKNOWN)]
        if any_waived:  # the column appears only in runs that use waivers
            counts.append(h.count(Status.WAIVED))
        score = "-" if h.score is None else f"{h.score:.0f}"
        rows.append(
            [printable(h.name), h.status.value, *counts, score, worst.label if worst else "-"]
        )
    headers = ["host", "status", "pass", "fail", "unknown"]
    headers += ["waived"] if any_waived else []
    headers += ["score", "worst"]
    # Only the counts are numbers: a host named "1e3" must not show as 1000.
    # (tabulate takes the list only when there is a row: with none it fails on the indexes)
    text_columns: list[int] | bool = [0, 1, len(headers) - 2, len(headers) - 1] if rows else True
    out = [tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=text_columns)]
    trend = [score for _, score in report.annotations.trend if score is not None]
    if len(trend) > 1:  # from the history: is the fleet getting better?
        shown = " ".join(f"{score:.1f}" for score in trend[-8:])
        out.append(f"\nfleet score, last {min(len(trend), 8)} runs (oldest first): {shown}")
    problems = [h for h in report.hosts if h.status != HostStatus.OK]
    if problems:
        out.append("\nHosts not audited:")
        never = report.annotations.never_audited
        out.extend(
            f"  {printable(h.name)}: {h.status.value}: {printable(h.reason)}"
            + (" (never audited)" if h.name in never else "")
            for h in problems
        )
    if report.profiles:
        out.extend(profiles_section(report))
    for h in report.hosts:
        failed = [f for f in h.findings if f.status == Status.FAIL]
        unknown = [f for f in h.findings if f.status == Status.UNKNOWN]
        waived = [f for f in h.findings if f.status == Status.WAIVED]
        if not failed and not unknown and not waived:
            continue
        out.append(f"\n{printable(h.name)}")
        out.extend(_host_profiles(report, h))
        for f in sorted(failed, key=lambda f: -f.severity):
            out.append(
                f"  FAIL {f.severity.label:<8} {printable(f.check)}: {printable(f.title)}"
                + _since(report, h, f)
            )
            out.extend(f"       - {printable(line)}" for line in f.evidence)
        for f in unknown:
            out.append(f"  UNKNOWN         {printable(f.check)}: {printable(f.reason)}")
        for f in waived:
            was = f.waived_from.value if f.waived_from else "?"
            out.append(f"  WAIVED ({was})   {printable(f.check)}: {printable(f.waiver_reason)}")
    if report.waivers:
        out.extend(waivers_section(report.waivers))
    return "\n".join(out) + "\n"


def _counts(counts: dict[Status, int]) -> str:
    return ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s] or s != Status.WAIVED)


def profiles_section(report: RunReport) -> list[str]:
    """One line per profile of the run: its hosts, results and manual items."""
    out = ["\nProfiles:"]
    for record, hosts, counts in profile_summary(report):
        out.append(f"  {printable(record.name)}: {hosts} host(s); {_counts(counts)}")
        out.extend(
            f"    MANUAL {printable(item.id)}: {printable(item.text)}"
            f" (not machine-checkable: verify by hand on its {hosts} host(s))"
            for item in record.manual
        )
    return out


def _host_profiles(report: RunReport, host: HostReport) -> list[str]:
    """The host's results per profile, with its manual items counted (never a pass)."""
    out = []
    for record, results in profile_groups(host, report.profiles):
        counts = {s: sum(1 for r in results if r.status == s) for s in Status}
        manual = f"; {len(record.manual)} manual" if record.manual else ""
        out.append(f"  profile {printable(record.name)}: {_counts(counts)}{manual}")
    return out


_WAIVER_ADVICE = {
    WaiverState.EXPIRED: "it waives nothing: renew it or fix the finding",
    WaiverState.STALE: "it waived nothing in this run: remove it if the finding is fixed",
}


def waivers_section(records: tuple[WaiverRecord, ...]) -> list[str]:
    """The waiver debt in a few lines: counts, then each expired and stale waiver named."""
    active = [w for w in records if w.state == WaiverState.ACTIVE]
    waived = sum(w.matched for w in active)
    counts = {state: sum(1 for w in records if w.state == state) for state in WaiverState}
    out = [
        f"\nWaivers: {counts[WaiverState.ACTIVE]} active ({waived} result(s) waived),"
        f" {counts[WaiverState.STALE]} stale, {counts[WaiverState.EXPIRED]} expired"
    ]
    for state in (WaiverState.EXPIRED, WaiverState.STALE):
        for w in (r for r in records if r.state == state):
            until = f" on {w.expires}" if state == WaiverState.EXPIRED else ""
            who = f"owner {printable(w.owner)}" if w.owner else "no owner"
            ticket = f", ticket {printable(w.ticket)}" if w.ticket else ""
            out.append(
                f"  {state.value.upper():<8} {printable(w.check)} on {printable(w.hosts)}"
                f" ({printable(w.source)}){until}: {_WAIVER_ADVICE[state]}; {who}{ticket}"
            )
    return out
