"""SARIF 2.1.0: failed and unknown checks as results, rules from the check definitions."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, Severity, Status
from hardaudit.report.sarif import (
    SARIF_SCHEMA,
    render_sarif,
    report_to_sarif,
    rule_name,
    sarif_level,
)

from .sample import CHECKS, REPORT, WEB1

LEVELS = {"none", "note", "warning", "error"}
KINDS = {"notApplicable", "pass", "fail", "review", "open", "informational"}


def _run(log: dict[str, Any]) -> dict[str, Any]:
    (run,) = log["runs"]
    return run  # type: ignore[no-any-return]


def _assert_valid_structure(log: dict[str, Any]) -> None:
    """The 2.1.0 schema's requirements that this producer could get wrong."""
    assert log["version"] == "2.1.0"
    assert log["$schema"] == SARIF_SCHEMA
    run = _run(log)
    driver = run["tool"]["driver"]
    assert driver["name"] == "hardaudit"
    rules = driver["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for rule in rules:
        assert rule["defaultConfiguration"]["level"] in LEVELS
        assert rule["shortDescription"]["text"]
    for result in run["results"]:
        assert result["message"]["text"]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["kind"] in KINDS
        assert result["level"] in LEVELS
        # §3.27.10: a result of any kind other than "fail" has level "none".
        assert (result["kind"] == "fail") == (result["level"] != "none")
        for location in result["locations"]:
            assert "physicalLocation" not in location
            assert location["logicalLocations"][0]["name"]
    for invocation in run["invocations"]:
        assert isinstance(invocation["executionSuccessful"], bool)
        for note in invocation["toolExecutionNotifications"]:
            assert note["message"]["text"]
            assert note["level"] in LEVELS


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
        (Severity.INFO, "note"),
    ],
)
def test_severity_maps_to_level(severity: Severity, level: str) -> None:
    assert sarif_level(severity) == level


def test_sample_log_has_the_required_structure() -> None:
    log = json.loads(render_sarif(REPORT, CHECKS))
    _assert_valid_structure(log)
    assert _run(log)["tool"]["driver"]["version"] == "0.1.0"


def test_fail_level_follows_the_finding_not_the_check() -> None:
    results = {r["ruleId"]: r for r in _run(report_to_sarif(REPORT, CHECKS))["results"]}
    # ssh.permit-root-login is a high check that failed at the lesser medium severity.
    assert results["ssh.permit-root-login"]["level"] == "warning"
    assert results["ssh.permit-root-login"]["kind"] == "fail"
    assert results["ssh.password-auth"]["level"] == "error"
    assert results["net.exposed-ports"]["level"] == "error"


def test_unknown_is_an_open_result_with_level_none_and_its_reason() -> None:
    results = {r["ruleId"]: r for r in _run(report_to_sarif(REPORT, CHECKS))["results"]}
    unknown = results["fw.enabled"]
    assert (unknown["kind"], unknown["level"]) == ("open", "none")
    assert "`nft list ruleset` exited 1" in unknown["message"]["text"]


def test_passes_and_skips_are_not_results() -> None:
    run = _run(report_to_sarif(REPORT, CHECKS))
    reported = {r["ruleId"] for r in run["results"]}
    assert reported == {
        "ssh.password-auth",
        "ssh.permit-root-login",
        "net.exposed-ports",
        "fw.enabled",
    }
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == reported


def test_result_message_is_title_then_evidence_located_at_the_host() -> None:
    results = {r["ruleId"]: r for r in _run(report_to_sarif(REPORT, CHECKS))["results"]}
    result = results["net.exposed-ports"]
    assert result["message"]["text"] == (
        "No database or cache port listens on a public address\n"
        '- tcp 0.0.0.0:6379 redis-server <no auth> & "protected-mode no"\n'
        "- tcp [::]:5432 postgres"
    )
    (location,) = result["locations"]
    (logical,) = location["logicalLocations"]
    assert logical["name"] == logical["fullyQualifiedName"] == "web1"


def test_rule_metadata_comes_from_the_check_definition() -> None:
    checks = {c.id: c for c in load_checks()}
    check = checks["ssh.password-auth"]
    failed = CheckResult(check.id, Status.FAIL, check.severity, check.title, ("yes",))
    report = replace(REPORT, hosts=(replace(WEB1, findings=(failed,)),))
    (rule,) = _run(report_to_sarif(report, checks))["tool"]["driver"]["rules"]
    assert rule["id"] == "ssh.password-auth"
    assert rule["name"] == "SshPasswordAuth"
    assert rule["shortDescription"]["text"] == check.title
    assert rule["fullDescription"]["text"] == " ".join(check.rationale.split())
    assert rule["help"]["text"] == " ".join(check.remediation.split())
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["properties"]["tags"] == list(check.tags)
    assert rule["properties"]["definition"] == "checks/ssh/ssh.password-auth.yml"


def test_rules_fall_back_to_the_findings_without_definitions() -> None:
    run = _run(report_to_sarif(REPORT))
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    rule = rules["ssh.permit-root-login"]
    assert rule["shortDescription"]["text"] == "sshd does not allow root to log in"
    assert rule["defaultConfiguration"]["level"] == "warning"  # the worst severity seen
    assert "fullDescription" not in rule
    _assert_valid_structure(report_to_sarif(REPORT))


def test_execution_fails_when_a_host_was_not_audited() -> None:
    (invocation,) = _run(report_to_sarif(REPORT, CHECKS))["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["properties"]["host"] for n in notes] == ["db1", "cache1"]
    assert notes[1]["message"]["text"] == (
        "cache1: unreachable: bastion -> cache1 (10.0.1.5:22): connection refused"
    )
    assert invocation["startTimeUtc"] == "2025-01-02T03:04:05Z"


def test_execution_succeeds_when_every_host_was_audited() -> None:
    report = replace(REPORT, hosts=(WEB1,))
    (invocation,) = _run(report_to_sarif(report, CHECKS))["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == []


def test_all_passing_run_has_no_results_and_no_rules() -> None:
    passed = tuple(f for f in WEB1.findings if f.status == Status.PASS)
    log = report_to_sarif(replace(REPORT, hosts=(replace(WEB1, findings=passed),)), CHECKS)
    _assert_valid_structure(log)
    assert _run(log)["results"] == []
    assert _run(log)["tool"]["driver"]["rules"] == []


def test_unparseable_start_time_leaves_times_out() -> None:
    (invocation,) = _run(report_to_sarif(replace(REPORT, started_at="")))["invocations"]
    assert "startTimeUtc" not in invocation
    assert invocation["executionSuccessful"] is False


def test_rule_name_is_pascal_case_of_the_id() -> None:
    assert rule_name("ssh.permit-root-login") == "SshPermitRootLogin"
    assert rule_name("ctr.non-root") == "CtrNonRoot"
