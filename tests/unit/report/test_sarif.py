"""SARIF 2.1.0: failing objects and unknown checks as results, rules from the check definitions,
every log valid for the official schema and GitHub code scanning's rules."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, FindingObject, Severity, Status
from hardaudit.report.model import fingerprint
from hardaudit.report.sarif import (
    SARIF_SCHEMA,
    SECURITY_SEVERITY,
    artifact_uri,
    render_sarif,
    report_to_sarif,
    rule_name,
    sarif_level,
)
from tests.consumers import assert_valid_sarif, github_sarif_problems

from .sample import CHECKS, DB1, REPORT, WEB1

LEVELS = {"none", "note", "warning", "error"}
KINDS = {"notApplicable", "pass", "fail", "review", "open", "informational"}


def _run(log: dict[str, Any]) -> dict[str, Any]:
    (run,) = log["runs"]
    return run  # type: ignore[no-any-return]


def _assert_valid_structure(log: dict[str, Any]) -> None:
    """The official 2.1.0 schema, GitHub's rules, and what this producer could get wrong."""
    assert_valid_sarif(json.dumps(log))
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
            assert location["physicalLocation"]["artifactLocation"]["uri"].startswith("hosts/")
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
    assert len(_run(report_to_sarif(REPORT, CHECKS))["results"]) == 5
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


def test_result_message_is_title_object_then_evidence_at_the_hosts_pseudo_artifact() -> None:
    results = [
        r
        for r in _run(report_to_sarif(REPORT, CHECKS))["results"]
        if r["ruleId"] == "net.exposed-ports"
    ]
    assert [r["properties"]["object"] for r in results] == ["tcp/0.0.0.0:6379", "tcp/[::]:5432"]
    result = results[0]
    assert result["message"]["text"] == (
        "No database or cache port listens on a public address: tcp/0.0.0.0:6379\n"
        '- tcp 0.0.0.0:6379 redis-server <no auth> & "protected-mode no"\n'
        "- tcp [::]:5432 postgres"
    )
    (location,) = result["locations"]
    assert location["physicalLocation"] == {"artifactLocation": {"uri": "hosts/web1/host"}}
    host, obj = location["logicalLocations"]
    assert host["name"] == host["fullyQualifiedName"] == "web1"
    assert (obj["name"], obj["fullyQualifiedName"]) == ("tcp/0.0.0.0:6379", "web1/tcp/0.0.0.0:6379")


def test_file_finding_is_located_at_the_file_on_the_host_with_its_line() -> None:
    results = {r["ruleId"]: r for r in _run(report_to_sarif(REPORT, CHECKS))["results"]}
    (location,) = results["ssh.permit-root-login"]["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "hosts/web1/etc/ssh/sshd_config"},
        "region": {"startLine": 33},
    }
    (location,) = results["ssh.password-auth"]["locations"]  # no object: the host
    assert location["physicalLocation"] == {"artifactLocation": {"uri": "hosts/web1/host"}}


def test_file_without_a_line_has_no_region() -> None:
    first, *rest = WEB1.findings
    located = replace(first, objects=(FindingObject("/root/.ssh/id_rsa", "/root/.ssh/id_rsa"),))
    report = replace(REPORT, hosts=(replace(WEB1, findings=(located, *rest)),))
    result = _run(report_to_sarif(report, CHECKS))["results"][0]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "hosts/web1/root/.ssh/id_rsa"}
    }


def test_one_result_per_failing_object_with_the_findings_fingerprint() -> None:
    results = _run(report_to_sarif(REPORT, CHECKS))["results"]
    prints = [r["partialFingerprints"]["hardaudit/v1"] for r in results]
    assert len(set(prints)) == len(prints) == 5
    by_object = {r["properties"].get("object", ""): r for r in results}
    assert by_object["tcp/[::]:5432"]["partialFingerprints"] == {
        "hardaudit/v1": fingerprint("web1", "net.exposed-ports", "tcp/[::]:5432")
    }
    # a finding without objects (and an unknown one) is about the host as a whole
    unknown = next(r for r in results if r["ruleId"] == "fw.enabled")
    assert unknown["partialFingerprints"]["hardaudit/v1"] == fingerprint("web1", "fw.enabled", "")


def test_fingerprint_survives_a_change_of_evidence() -> None:
    before = report_to_sarif(REPORT, CHECKS)
    changed = replace(
        REPORT,
        hosts=(
            replace(WEB1, findings=tuple(replace(f, evidence=("other",)) for f in WEB1.findings)),
        ),
    )
    after = report_to_sarif(changed, CHECKS)
    assert [r["partialFingerprints"] for r in _run(before)["results"]] == [
        r["partialFingerprints"] for r in _run(after)["results"]
    ]


@pytest.mark.parametrize(
    ("host", "path", "uri"),
    [
        ("web1.example.com", "/etc/ssh/sshd_config", "hosts/web1.example.com/etc/ssh/sshd_config"),
        ("..", "/etc/passwd", "hosts/..!/etc/passwd"),
        ("a/b", "", "hosts/a%2Fb/host"),
        ("web1", "/etc/../../x", "hosts/web1/etc/..!/..!/x"),
        ("web1", "/./x/.../", "hosts/web1/.!/x/..."),
        ("web 1", "/srv/my file#1?.env", "hosts/web%201/srv/my%20file%231%3F.env"),
        ("w\x1b[31m\u202e\ud800", "/é", "hosts/w%1B%5B31m%E2%80%AE%5Cud800/%C3%A9"),
        ("https://evil", "//x", "hosts/https%3A%2F%2Fevil/x"),
    ],
)
def test_artifact_uris_stay_relative_and_inside_the_host(host: str, path: str, uri: str) -> None:
    assert artifact_uri(host, path) == uri


_UNRESERVED_ESCAPE = re.compile(r"%(2[DdEe]|5[Ff]|7[Ee]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa])")


@pytest.mark.parametrize(
    ("host", "path"),
    [("..", "/etc/passwd"), (".", ""), ("web1", "/etc/../../../.github/workflows/ci.yml")],
)
def test_no_dot_segment_appears_once_the_uri_is_normalized(host: str, path: str) -> None:
    # RFC 3986 6.2.2.2: %2E is "." (an unreserved character), and a normalizer decodes it
    # before removing dot segments, so %2E%2E would climb out of hosts/<host>/ all the same
    uri = artifact_uri(host, path)
    normalized = _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), uri)
    assert not {".", ".."} & set(normalized.split("/")), normalized


def test_hostile_host_names_and_paths_still_make_a_valid_github_upload() -> None:
    hostile = "web\x1b]0;x\x07 ../..\u202e\ud800 #?%"
    first, *rest = WEB1.findings
    located = replace(first, objects=(FindingObject(hostile, "/../" + hostile, 7),))
    web1 = replace(WEB1, name=hostile, findings=(located, *rest))
    log = json.loads(
        render_sarif(replace(REPORT, hosts=(web1, replace(DB1, name=hostile))), CHECKS)
    )
    assert_valid_sarif(json.dumps(log))


def test_github_rules_catch_what_github_rejects() -> None:
    log = report_to_sarif(REPORT, CHECKS)
    result = _run(log)["results"][0]
    del result["locations"][0]["physicalLocation"]
    _run(log)["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = (
        "/etc/passwd"
    )
    del _run(log)["results"][2]["partialFingerprints"]
    _run(log)["tool"]["driver"]["rules"][0]["properties"]["tags"] = ["ssh"]
    problems = github_sarif_problems(log)
    assert len(problems) == 4, problems


@pytest.mark.parametrize(
    ("severity", "score", "band"),
    [
        (Severity.CRITICAL, "9.5", "critical"),  # GitHub: over 9.0
        (Severity.HIGH, "8.0", "high"),  # 7.0 to 8.9
        (Severity.MEDIUM, "5.5", "medium"),  # 4.0 to 6.9
        (Severity.LOW, "3.0", "low"),  # 0.1 to 3.9
    ],
)
def test_security_severity_lands_in_githubs_band(severity: Severity, score: str, band: str) -> None:
    bands = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9)}
    assert SECURITY_SEVERITY[severity] == score
    low, high = bands[band]
    assert low <= float(score) <= high


def test_every_rule_is_a_security_rule_with_a_security_severity() -> None:
    for checks in (CHECKS, None):
        rules = _run(report_to_sarif(REPORT, checks))["tool"]["driver"]["rules"]
        for rule in rules:
            assert rule["properties"]["tags"][0] == "security"
            assert rule["properties"]["security-severity"] in SECURITY_SEVERITY.values()
    rules = {r["id"]: r for r in _run(report_to_sarif(REPORT, CHECKS))["tool"]["driver"]["rules"]}
    assert rules["net.exposed-ports"]["properties"]["security-severity"] == "9.5"
    assert rules["ssh.password-auth"]["properties"]["tags"] == ["security", "cis", "ssh"]


def test_info_rule_has_no_security_severity() -> None:
    first = WEB1.findings[0]
    info = replace(first, severity=Severity.INFO)
    (rule,) = _run(report_to_sarif(replace(REPORT, hosts=(replace(WEB1, findings=(info,)),))))[
        "tool"
    ]["driver"]["rules"]
    assert "security-severity" not in rule["properties"]
    assert rule["properties"]["tags"] == ["security"]


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
    assert rule["properties"]["tags"] == ["security", *check.tags]
    assert rule["properties"]["security-severity"] == "8.0"
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


@pytest.mark.parametrize(
    ("started_at", "duration_s"),
    [("9999-12-31T23:59:59+00:00", 5.0), ("2026-12-07T00:00:00+00:00", 1e300)],
)
def test_an_end_time_past_the_calendar_leaves_the_times_out_not_a_traceback(
    started_at: str, duration_s: float
) -> None:
    # both are valid report.json (`audit report FILE --format sarif` reads any such file)
    report = replace(REPORT, started_at=started_at, duration_s=duration_s)
    log = json.loads(render_sarif(report, CHECKS))
    (invocation,) = _run(log)["invocations"]
    assert "endTimeUtc" not in invocation
    _assert_valid_structure(log)
