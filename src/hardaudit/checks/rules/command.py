"""The `command_output` evaluator: judges a user check's own read-only command.

The command runs in the same single exec as every other fact, as the login user (never
through sudo), with the same output caps; what it reads is the check author's responsibility.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hardaudit.checks.evaluators import CheckSpec, ParamError, check_regex, failure, register
from hardaudit.checks.model import Check, Outcome, Status
from hardaudit.facts.model import HostFacts
from hardaudit.facts.sections import failure_reason

_EVIDENCE_LINES = 5


def _exit_statuses(value: object, field: str) -> None:
    items = value if isinstance(value, list) else [value]
    if not items or any(isinstance(v, bool) or not isinstance(v, int) for v in items):
        raise ParamError(field, f"must be an exit status or a list of them, got {value!r}")


def _command_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    for name in ("stdout_matches", "stdout_not_matches"):
        if name in params:
            check_regex(params[name], f"params.{name}")
    for name in ("expect_rc", "unknown_rc"):
        if name in params:
            _exit_statuses(params[name], f"params.{name}")


@register(
    "command_output",
    optional=("expect_rc", "stdout_matches", "stdout_not_matches", "unknown_rc"),
    check_params=_command_params,
)
def command_output(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Pass when the command's exit status and stdout meet every given condition.

    params: expect_rc (int or list, default 0); stdout_matches (regex that must match a
    line); stdout_not_matches (regex that must match no line; the matching lines are the
    evidence); unknown_rc (exit statuses meaning "could not tell", e.g. 127).
    """
    section = facts.sections.get(check.command_fact)
    if section is None or section.rc is None or section.truncated:
        return Outcome(Status.UNKNOWN, reason=failure_reason(section, check.command))
    unknown_rc = check.params.get("unknown_rc", [126, 127])
    if section.rc in (unknown_rc if isinstance(unknown_rc, list) else [unknown_rc]):
        return Outcome(Status.UNKNOWN, reason=failure_reason(section, check.command))
    expected = check.params.get("expect_rc", 0)
    allowed = expected if isinstance(expected, list) else [expected]
    lines = section.text.splitlines()
    problems: list[str] = []
    if section.rc not in allowed:
        problems.append(f"`{check.command}` exited {section.rc}, expected {expected}")
    must = check.params.get("stdout_matches")
    if must and not any(re.search(str(must), line) for line in lines):
        problems.append(f"no output line matches {must!r}")
    must_not = check.params.get("stdout_not_matches")
    if must_not:
        hits = [line for line in lines if re.search(str(must_not), line)]
        problems.extend(f"output: {line}" for line in hits[:_EVIDENCE_LINES])
        if len(hits) > _EVIDENCE_LINES:
            problems.append(f"... {len(hits) - _EVIDENCE_LINES} more matching lines")
    if problems:
        # The host as a whole: output lines may hold volatile text (pids, times), not keys.
        return failure(problems)
    return Outcome(Status.PASS, (f"`{check.command}` exited {section.rc}",))
