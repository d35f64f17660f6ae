"""JUnit XML: one suite per host, one case per check, counts CI systems can trust."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from hardaudit.report.junit import render_junit, xml_safe

from .sample import REPORT, with_evidence


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
    assert {k: int(root.get(k, "-1")) for k in totals} == totals
    assert totals == {"tests": 8, "failures": 3, "errors": 3, "skipped": 1}


def test_one_case_per_check_named_by_host_and_check_id() -> None:
    web1 = _suites(render_junit(REPORT))["web1"]
    cases = web1.findall("testcase")
    assert {c.get("classname") for c in cases} == {"web1"}
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
    assert (case.get("classname"), case.get("name")) == ("db1", "connect")
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
