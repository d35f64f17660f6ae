"""The JSON Schemas shipped for report.json and the diff document: valid draft 2020-12, in
step with the code's enums, accepting what the renderers write and refusing what they never
write."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hardaudit.checks.model import Severity, Status
from hardaudit.model import HostStatus
from hardaudit.report.json import drift_to_dict, render_json, report_to_dict
from hardaudit.report.model import HostChange, ObjectChange, WaiverState
from hardaudit.report.schemas import SCHEMAS, load_schema, schema_text
from tests.consumers import assert_valid_diff_json, assert_valid_report_json, strict

from .sample import REPORT
from .test_load import _annotated

GOLDEN = Path(__file__).parents[2] / "golden" / "report.json"


@pytest.mark.parametrize("name", SCHEMAS)
def test_shipped_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema_text(name).endswith("}\n")


def test_unknown_schema_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown schema 'html'"):
        schema_text("html")


def test_enums_follow_the_code() -> None:
    defs = load_schema("report")["$defs"]
    assert defs["host"]["properties"]["status"]["enum"] == [s.value for s in HostStatus]
    assert defs["finding"]["properties"]["status"]["enum"] == [s.value for s in Status]
    assert set(defs["severity"]["enum"]) == {s.label for s in Severity}
    assert set(defs["host"]["properties"]["summary"]["required"]) == {s.value for s in Status}
    assert defs["waiver"]["properties"]["state"]["enum"] == [s.value for s in WaiverState]
    assert defs["objectDrift"]["properties"]["change"]["enum"] == [c.value for c in ObjectChange]
    assert defs["hostDrift"]["properties"]["change"]["enum"] == [c.value for c in HostChange]


def test_diff_schema_shares_the_drift_definitions_of_the_report_schema() -> None:
    report, diff = load_schema("report")["$defs"], load_schema("diff")["$defs"]
    for name in ("baseline", "objectDrift", "hostDrift", "severity", "fingerprint"):
        assert diff[name] == report[name], name
    drift = report["drift"]["properties"]
    assert {k: v for k, v in load_schema("diff")["properties"].items() if k in drift} == drift


def test_golden_and_sample_reports_match_the_schema() -> None:
    assert_valid_report_json(GOLDEN.read_text())
    assert_valid_report_json(render_json(REPORT))


def test_annotated_report_with_history_drift_waivers_matches_the_schema() -> None:
    document = report_to_dict(_annotated())
    assert document["drift"]
    assert document["trend"]
    assert document["waivers"]
    assert_valid_report_json(document)


def test_facts_timing_per_host_is_allowed() -> None:
    document = report_to_dict(REPORT)
    document["hosts"][0]["facts_timing"] = {"sshd": 0.12, "listeners": 0.4}
    assert_valid_report_json(document)
    document["hosts"][0]["facts_timing"] = {"sshd": "slow"}
    with pytest.raises(AssertionError, match="facts_timing"):
        assert_valid_report_json(document)


def _broken(change: Any) -> dict[str, Any]:
    document = report_to_dict(replace(REPORT))
    change(document)
    return document


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("schema", lambda d: d.update(schema="hardaudit.report/2")),
        ("status", lambda d: d["hosts"][0].update(status="fine")),
        ("severity", lambda d: d["hosts"][0]["findings"][0].update(severity="urgent")),
        (
            "fingerprint",
            lambda d: d["hosts"][0]["findings"][0]["objects"][0].update(fingerprint="x"),
        ),
        ("findings", lambda d: d["hosts"][0].pop("findings")),
        ("score", lambda d: d["hosts"][0].update(score=101)),
        ("surprise", lambda d: d["hosts"][0].update(surprise=1)),
    ],
)
def test_what_the_renderer_never_writes_is_refused(what: str, change: Any) -> None:
    with pytest.raises(AssertionError, match=what):
        assert_valid_report_json(_broken(change))


def test_shipped_report_schema_lets_consumers_meet_added_fields() -> None:
    # The contract: fields may be added. Only the tests close the objects (tests/consumers.py).
    document = _broken(lambda d: d["hosts"][0].update(added_later=1))
    jsonschema.validate(document, load_schema("report"), jsonschema.Draft202012Validator)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            document, strict(load_schema("report")), jsonschema.Draft202012Validator
        )


def _diff_document() -> dict[str, Any]:
    """`audit diff --format json` of an annotated run against its baseline: report/diff.py's
    own diff_to_dict once merged; until then the same document built here from drift_to_dict
    (its shape as the drift branch writes it: schema, before, after, counts, drift)."""
    report = _annotated()
    drift = report.annotations.drift
    assert drift is not None
    try:
        from hardaudit.report.diff import diff_to_dict  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        pass
    else:
        document: dict[str, Any] = diff_to_dict(drift, report, report, "latest~1", "latest")
        return document

    def side(ref: str) -> dict[str, Any]:
        return {
            "ref": ref,
            "id": report.annotations.run_id or None,
            "started_at": report.started_at,
            "fleet_score": report.fleet_score,
            "hosts": len(report.hosts),
            "failing_objects": len(report.failing_objects()),
        }

    return {
        "schema": "hardaudit.diff/1",
        "before": side("latest~1"),
        "after": side("latest"),
        "counts": {change.value: len(drift.of(change)) for change in ObjectChange},
        **drift_to_dict(drift),
    }


def test_diff_document_matches_the_diff_schema() -> None:
    assert_valid_diff_json(_diff_document())
    assert_valid_diff_json(json.dumps(_diff_document()))


def test_diff_schema_refuses_a_wrong_change() -> None:
    document = _diff_document()
    document["objects"][0]["change"] = "vanished"
    with pytest.raises(AssertionError, match="change"):
        assert_valid_diff_json(document)
