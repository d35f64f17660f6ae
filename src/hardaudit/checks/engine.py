"""Apply selected checks to one host's facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hardaudit.checks.evaluators import run_evaluator
from hardaudit.checks.model import Check, CheckResult
from hardaudit.facts.model import HostFacts


def check_variables(check: Check, host_vars: Mapping[str, Any]) -> dict[str, Any]:
    """The check's tuning variables: inventory value if set, else the check's default."""
    return {v.name: host_vars.get(v.name, v.default) for v in check.variables}


def evaluate(
    checks: Sequence[Check], facts: HostFacts, host_vars: Mapping[str, Any]
) -> tuple[CheckResult, ...]:
    """One result per check, in the order given."""
    results = []
    for check in checks:
        outcome = run_evaluator(check, facts, check_variables(check, host_vars))
        results.append(
            CheckResult(
                check=check.id,
                status=outcome.status,
                severity=check.severity if outcome.severity is None else outcome.severity,
                title=check.title,
                evidence=outcome.evidence,
                reason=outcome.reason,
                objects=outcome.objects,
            )
        )
    return tuple(results)
