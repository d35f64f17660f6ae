"""JUnit XML: one suite per host, one case per check, counts CI systems can trust."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from hardaudit.report.junit import classname, render_junit, xml_safe
from tests.consumers import assert_valid_junit

from .sample import DB1, REPORT, WEB1, with_evidence


def _suites(xml: str) -> dict[str, ET.Element]:
    return {s.get("name", ""): s for s in ET.fromstring(xml).iter("testsuite")}


def _count(suite: ET.Element, child: str) -> int:
    return sum(1 for case in suite.iter("testcase") if case.find(child) is not None)


def test_counts_match_the_testcases_in_every_suite_and_in_total() -> None:
    root = ET.fromstring(render_junit(REPORT))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root.iter("testsuite"):
        counts = {
            "tests": len(suite.findall("testcase")),
            "failures": _count(suite, "failure"),
            "errors": _count(suite, "error"),
            "skipped": _count(suite, "skipped"),
        }
        assert {k: int(suite.get(k, "-1")) for k in counts} == counts
        for key, value in counts.items():
            totals[key] += value
    assert {k: int(root.get(k, "-1")) for k in ("tests", "failures", "errors")} == {
        k: totals[k] for k in ("tests", "failures", "errors")
    }
    assert totals == {"tests": 8, "failures": 3, "errors": 3, "skipped": 1}


def test_one_case_per_check_named_by_host_and_check_id() -> None:
    web1 = _suites(render_junit(REPORT))["web1"]
    cases = web1.findall("testcase")
    assert {c.get("classname") for c in cases} == {"hardaudit.web1"}
    assert {c.get("time") for c in cases} == {"0.000"}
    assert [c.get("name") for c in cases] == [f.check for f in REPORT.hosts[0].findings]
    assert web1.get("hostname") == "10.0.0.11"
    assert web1.get("time") == "1.234"


def test_fail_unknown_skip_map_to_failure_error_skipped() -> None:
    cases = {c.get("name"): c for c in _suites(render_junit(REPORT))["web1"].iter("testcase")}
    failure = cases["net.exposed-ports"].find("failure")
    assert failure is not None
    assert failure.get("message") == "No database or cache port listens on a public address"
    assert failure.get("type") == "critical"
    assert failure.text == (
        'tcp 0.0.0.0:6379 redis-server <no auth> & "protected-mode no"\ntcp [::]:5432 postgres'
    )
    error = cases["fw.enabled"].find("error")
    assert error is not None
    assert error.get("message") == "firewall: `nft list ruleset` exited 1"
    skipped = cases["ctr.non-root"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "no container engine"
    assert list(cases["file.ssh-privkey"]) == []


def test_host_not_audited_is_one_connect_case_with_status_and_reason() -> None:
    db1 = _suites(render_junit(REPORT))["db1"]
    (case,) = db1.findall("testcase")
    assert (case.get("classname"), case.get("name")) == ("hardaudit.db1", "connect")
    assert case.get("time") == "0.400"  # the time spent trying
    error = case.find("error")
    assert error is not None
    assert error.get("type") == "hostkey-mismatch"
    assert error.get("message", "").startswith("hostkey-mismatch: db1 (10.0.0.12:22): host key")
    assert (db1.get("tests"), db1.get("errors"), db1.get("failures")) == ("1", "1", "0")


def test_markup_in_evidence_and_titles_is_escaped_and_round_trips() -> None:
    evidence = '<script>alert("x")</script> & ]]> <![CDATA['
    xml = render_junit(with_evidence(evidence))
    assert "<script>" not in xml
    failure = _suites(xml)["web1"].find("testcase/failure")
    assert failure is not None
    assert failure.text == evidence


def test_hostile_text_in_attributes_round_trips() -> None:
    host = replace(REPORT.hosts[1], name='db1" evil="1', reason="a\nb <x> & 'y'")
    (suite,) = ET.fromstring(render_junit(replace(REPORT, hosts=(host,)))).iter("testsuite")
    assert suite.get("name") == 'db1" evil="1'
    assert suite.get("evil") is None
    error = suite.find("testcase/error")
    assert error is not None
    assert error.get("message") == "hostkey-mismatch: a\nb <x> & 'y'"


def test_control_characters_cannot_break_the_document() -> None:
    xml = render_junit(with_evidence("nul\x00 esc\x1b[0m bell\x07 cr\r ok\ttab"))
    failure = _suites(xml)["web1"].find("testcase/failure")
    assert failure is not None
    assert failure.text == "nul\\x00 esc\\x1b[0m bell\\x07 cr\\r ok\ttab"


def test_xml_safe_keeps_printable_text() -> None:
    assert xml_safe("héllo — ✓ tab\tnewline\n") == "héllo — ✓ tab\tnewline\n"
    assert xml_safe("\x7f\x85\ufffe") == "\\x7f\\x85\\ufffe"


def test_document_declares_utf8_and_ends_with_newline() -> None:
    xml = render_junit(REPORT)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="hardaudit"')
    assert xml.endswith("</testsuites>\n")


def test_sample_validates_against_jenkins_xunit_schema_and_parses_with_junitparser() -> None:
    assert_valid_junit(render_junit(REPORT))


def test_testsuites_carries_neither_skipped_nor_timestamp() -> None:
    # junit-10.xsd allows only name, time, tests, failures and errors on testsuites.
    root = ET.fromstring(render_junit(REPORT))
    assert set(root.attrib) == {"name", "tests", "failures", "errors", "time"}
    assert all(suite.get("timestamp") == "2025-01-02T03:04:05" for suite in root)
    assert [suite.get("skipped") for suite in root] == ["1", "0", "0"]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("web1.example.com", "hardaudit.web1_example_com"),
        ("10.0.0.1", "hardaudit.10_0_0_1"),
        ("web1", "hardaudit.web1"),
    ],
)
def test_classname_keeps_a_dotted_host_in_one_class(host: str, expected: str) -> None:
    assert classname(host) == expected
    package, _, klass = expected.rpartition(".")
    assert package == "hardaudit"  # what Jenkins and GitLab take as package and class
    assert klass


def test_dotted_host_name_is_one_class_in_junitparser() -> None:
    from junitparser import JUnitXml

    report = replace(REPORT, hosts=(replace(WEB1, name="web1.prod.example.com"), DB1))
    xml = render_junit(report)
    assert_valid_junit(xml)
    suites = JUnitXml.fromstring(xml)
    classnames = {case.classname for suite in suites for case in suite}
    assert classnames == {"hardaudit.web1_prod_example_com", "hardaudit.db1"}


def test_failures_and_errors_as_gitlab_counts_them() -> None:
    from junitparser import Error, Failure, JUnitXml, Skipped

    kinds: dict[str, str] = {}
    for suite in JUnitXml.fromstring(render_junit(REPORT)):
        for case in suite:
            (result,) = case.result or [None]
            kinds[f"{suite.name}/{case.name}"] = {
                Failure: "failure",
                Error: "error",
                Skipped: "skipped",
                type(None): "passed",
            }[type(result)]
    assert kinds == {
        "web1/ssh.password-auth": "failure",
        "web1/ssh.permit-root-login": "failure",
        "web1/net.exposed-ports": "failure",
        "web1/file.ssh-privkey": "passed",
        "web1/fw.enabled": "error",  # unknown: not decided, not a pass
        "web1/ctr.non-root": "skipped",
        "db1/connect": "error",  # not audited
        "cache1/connect": "error",
    }


def test_schema_validation_catches_a_testsuites_timestamp() -> None:
    xml = render_junit(REPORT).replace(
        '<testsuites name="hardaudit"', '<testsuites timestamp="x" name="hardaudit"'
    )
    with pytest.raises(AssertionError, match=r"junit-10\.xsd"):
        assert_valid_junit(xml)


def test_a_hostile_start_time_from_a_stored_report_keeps_the_document_valid() -> None:
    # `audit report FILE --format junit` takes run.started_at from the file as it is
    report = replace(REPORT, started_at="2025-01-02T03:04:05\x00\x1b[2J\ufffe")
    text = render_junit(report)
    assert_valid_junit(text)
    stamps = {suite.get("timestamp") for suite in ET.fromstring(text).iter("testsuite")}
    assert stamps == {"2025-01-02T03:04:05\\x00\\x1b[2J\\ufffe"}
