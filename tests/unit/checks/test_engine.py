"""engine.evaluate and run_evaluator: severity overrides and last-resort error handling."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from hardaudit.checks.engine import evaluate
from hardaudit.checks.evaluators import run_evaluator
from hardaudit.checks.loader import load_check_file
from hardaudit.checks.model import Check, Severity, Status
from hardaudit.facts.model import Section

from .factories import facts, sshd

INFO_LESSER = """\
id: acme.root
severity: high
title: t
rationale: r
remediation: m
facts: [sshd, sshd_contexts]
evaluator: sshd_option
params:
  options:
    permitrootlogin: ["no"]
  lesser:
    permitrootlogin:
      forced-commands-only: info
"""


def test_a_lesser_failure_at_info_keeps_info(tmp_path: Path) -> None:
    path = tmp_path / "acme.root.yml"
    path.write_text(INFO_LESSER)
    check = load_check_file(path)
    (result,) = evaluate([check], facts(sshd=sshd(permitrootlogin="forced-commands-only")), {})
    assert (result.status, result.severity) == (Status.FAIL, Severity.INFO)


def test_a_bad_regex_that_slipped_past_the_loader_is_unknown_not_a_crash() -> None:
    check = Check(
        id="acme.cmd",
        severity=Severity.LOW,
        title="t",
        rationale="r",
        remediation="m",
        evaluator="command_output",
        facts=("command",),
        params=MappingProxyType({"stdout_matches": "^(ok"}),
        command="true",
    )
    host = facts(sections=MappingProxyType({"user.acme.cmd": Section("user.acme.cmd", "ok", 0)}))
    outcome = run_evaluator(check, host, {})
    assert outcome.status == Status.UNKNOWN
    assert outcome.reason.startswith("evaluator command_output failed: error: ")
