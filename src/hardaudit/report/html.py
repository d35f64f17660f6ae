r"""HTML: one self-contained page (inline CSS, no scripts, nothing fetched) for people.

Every value is escaped by the template engine: evidence comes from the audited hosts, which
may be hostile. Every field a target or the inventory supplied also goes through `printable`,
so controls, newlines and bidirectional overrides show as visible `\xNN`/`\uNNNN` escapes
instead of reordering or splitting what the reader sees. A Content-Security-Policy forbidding
scripts is the second line of defence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import jinja2

from hardaudit.checks.model import Check, CheckResult, Status
from hardaudit.model import HostStatus
from hardaudit.printable import printable
from hardaudit.report.model import HostReport, RunReport


@dataclass(frozen=True)
class FindingView:
    """A finding as the page shows it, with its check's remediation when known."""

    check: str
    severity: str
    title: str
    evidence: tuple[str, ...]
    reason: str
    remediation: str


@dataclass(frozen=True)
class HostView:
    """One host's section and summary row."""

    anchor: str
    name: str
    address: str
    groups: str
    status: str
    reason: str
    audited: bool
    duration: str
    jump: str
    privilege: str
    os: str
    notes: tuple[str, ...]
    passed: int
    failed: int
    unknown: int
    skipped: int
    score: str
    worst: str
    failures: tuple[FindingView, ...]
    unknowns: tuple[FindingView, ...]
    passes: tuple[FindingView, ...]
    skips: tuple[FindingView, ...]
    waived: tuple[FindingView, ...] = ()


def _finding(result: CheckResult, checks: Mapping[str, Check]) -> FindingView:
    check = checks.get(result.check)
    return FindingView(
        check=printable(result.check),
        severity=result.severity.label,
        title=printable(result.title),
        evidence=tuple(printable(line) for line in result.evidence),
        reason=printable(
            f"waived ({result.waived_from.value}): {result.waiver_reason}"
            if result.waived_from is not None
            else result.reason
        ),
        remediation=printable(" ".join(check.remediation.split())) if check else "",
    )


def _host(index: int, host: HostReport, checks: Mapping[str, Check]) -> HostView:
    def of(status: Status) -> tuple[FindingView, ...]:
        chosen = [f for f in host.findings if f.status == status]
        if status == Status.FAIL:
            chosen.sort(key=lambda f: -f.severity)  # worst first, as in the terminal report
        return tuple(_finding(f, checks) for f in chosen)

    worst = host.worst_failure
    return HostView(
        anchor=f"host-{index}",
        name=printable(host.name),
        address=printable(host.address),
        groups=printable(", ".join(host.groups)),
        status=host.status.value,
        reason=printable(host.reason),
        audited=host.status == HostStatus.OK,
        duration=f"{host.duration_s:.2f}s",
        jump=" → ".join(printable(hop) for hop in host.jump),
        privilege=printable(host.privilege),
        os=printable(host.os),
        notes=tuple(printable(n) for n in host.notes),
        passed=host.count(Status.PASS),
        failed=host.count(Status.FAIL),
        unknown=host.count(Status.UNKNOWN),
        skipped=host.count(Status.SKIP),
        score="-" if host.score is None else f"{host.score:g}",
        worst=worst.label if worst else "-",
        failures=of(Status.FAIL),
        unknowns=of(Status.UNKNOWN),
        passes=of(Status.PASS),
        skips=of(Status.SKIP),
        waived=of(Status.WAIVED),
    )


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("hardaudit.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_html(report: RunReport, checks: Mapping[str, Check] | None = None) -> str:
    """The report as one HTML page; `checks` (by id) adds remediation to failed findings."""
    hosts = [_host(i, h, checks or {}) for i, h in enumerate(report.hosts, start=1)]
    return _ENV.get_template("report.html.j2").render(
        report=report,
        hosts=hosts,
        audited=[h for h in hosts if h.audited],
        not_audited=[h for h in hosts if not h.audited],
        duration=f"{report.duration_s:.2f}s",
        inventory=printable(report.inventory),
        selection=printable(report.selection),
    )
