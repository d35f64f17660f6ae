"""The one place that maps run outcomes to process exit codes (documented in README)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from hardaudit.checks.model import Severity
from hardaudit.errors import UsageError
from hardaudit.report.model import ObjectChange, RunReport


class ExitStatus(enum.IntEnum):
    """Exit codes a CI job can gate on."""

    OK = 0  # every selected host audited, no failed check
    CHECKS_FAILED = 1  # at least one check failed
    USAGE_ERROR = 2  # bad arguments, inventory or check definition
    HOST_ERROR = 3  # at least one host could not be audited (wins over CHECKS_FAILED)
    INTERRUPTED = 130  # Ctrl-C


# --------------------------------------------------------------------------- CI gates
# `--fail-on` (README "Drift and CI gates"): which failing objects make the exit status 1.
# Unknown, skipped and waived results never count (as before: unknown is not a failure).

_FLOORS = ("critical", "high", "medium", "low")
FAIL_ON_WORDS = ("any", "new", *_FLOORS)


@dataclass(frozen=True)
class FailOn:
    """A parsed `--fail-on`: only new objects, and/or only this severity or worse."""

    new_only: bool = False
    floor: Severity | None = None

    @property
    def text(self) -> str:
        words = (["new"] if self.new_only else []) + ([self.floor.label] if self.floor else [])
        return ",".join(words) or "any"


def parse_fail_on(text: str) -> FailOn:
    """`any` | `new` | a severity floor, or `new,<floor>`; ValueError says what is wrong.

    >>> parse_fail_on("new,high")
    FailOn(new_only=True, floor=<Severity.HIGH: 3>)
    """
    words = [w.strip().lower() for w in text.split(",")]
    unknown = [w for w in words if w not in FAIL_ON_WORDS]
    if unknown:
        raise ValueError(
            f"--fail-on: unknown word {unknown[0]!r}; use any, new, critical, high, medium or "
            "low, or new with one severity (e.g. new,high)"
        )
    floors = sorted({w for w in words if w in _FLOORS})
    if len(floors) > 1:
        raise ValueError(f"--fail-on: give one severity floor, not {' and '.join(floors)}")
    if "any" in words and len(set(words)) > 1:
        raise ValueError("--fail-on: `any` cannot be combined (it already fails on everything)")
    return FailOn(new_only="new" in words, floor=Severity.parse(floors[0]) if floors else None)


@dataclass(frozen=True)
class GateFailure:
    """One failing object as the gate sees it."""

    severity: Severity
    new: bool  # absent from the baseline (drift "new")


def gate_status(
    failures: Iterable[GateFailure],
    *,
    any_host_not_audited: bool,
    fail_on: FailOn,
    allow_unreachable: bool = False,
) -> ExitStatus:
    """The exit status of a run under a `--fail-on` gate.

    Hosts not audited give HOST_ERROR (it wins) unless `allow_unreachable`; then a failure
    that passes every filter of `fail_on` gives CHECKS_FAILED.
    """
    if any_host_not_audited and not allow_unreachable:
        return ExitStatus.HOST_ERROR
    for failure in failures:
        if fail_on.new_only and not failure.new:
            continue
        if fail_on.floor is not None and failure.severity < fail_on.floor:
            continue
        return ExitStatus.CHECKS_FAILED
    return ExitStatus.OK


def require_baseline(fail_on: FailOn, has_baseline: bool) -> None:
    """`--fail-on new` compares with a baseline: UsageError without one."""
    if fail_on.new_only and not has_baseline:
        raise UsageError(
            f"--fail-on {fail_on.text} needs a baseline to tell new findings from old ones",
            hint="add --baseline latest (the previous run in the history), a run id or a "
            "report.json file",
        )


def run_gate_failures(report: RunReport) -> tuple[GateFailure, ...]:
    """Every failing object of `report` (waived ones are not failing), marked new when the
    report's drift (`annotations.drift`) calls it new."""
    drift = report.annotations.drift
    new = (
        frozenset(o.fingerprint for o in drift.of(ObjectChange.NEW))
        if drift is not None
        else frozenset()
    )
    return tuple(
        GateFailure(obj.severity, obj.fingerprint in new) for obj in report.failing_objects()
    )


def run_exit_status(report: RunReport, fail_on: FailOn, *, allow_unreachable: bool) -> ExitStatus:
    """`gate_status` of a whole run."""
    return gate_status(
        run_gate_failures(report),
        any_host_not_audited=report.any_host_not_audited,
        fail_on=fail_on,
        allow_unreachable=allow_unreachable,
    )
