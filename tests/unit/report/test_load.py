"""report.json read back (report/load.py): the inverse of the JSON renderer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hardaudit.checks.model import CheckResult, FindingObject, Severity, Status
from hardaudit.errors import ReportError
from hardaudit.model import HostStatus
from hardaudit.report.json import render_json, report_to_dict
from hardaudit.report.load import load_report, report_from_dict
from hardaudit.report.model import (
    Drift,
    HostChange,
    HostDrift,
    HostReport,
    ObjectChange,
    ObjectDrift,
    ObjectHistory,
    RunAnnotations,
    RunReport,
    WaiverRecord,
    WaiverState,
    fingerprint,
)

GOLDEN = Path(__file__).parents[2] / "golden" / "report.json"


def _annotated() -> RunReport:
    key = FindingObject("/root/.ssh/id_rsa", path="/root/.ssh/id_rsa")
    fail = CheckResult(
        "file.ssh-privkey",
        Status.FAIL,
        Severity.HIGH,
        "keys 600",
        ("/root/.ssh/id_rsa 0644",),
        objects=(key, FindingObject("/home/a/.ssh/id_ed25519", line=3)),
    )
    host = HostReport(
        "web1",
        "127.0.0.1",
        ("web",),
        HostStatus.OK,
        "",
        1.0,
        (fail,),
        port=2201,
        facts_timing=(("meta", 0.01), ("sshd", 0.25)),
    )
    down = HostReport("db1", "127.0.0.1", (), HostStatus.UNREACHABLE, "refused", 0.5)
    fp = fingerprint("web1", "file.ssh-privkey", "/root/.ssh/id_rsa")
    drift = Drift(
        "latest~1",
        "2026-12-06T00:00:00+00:00",
        (
            ObjectDrift(
                "web1", "file.ssh-privkey", Severity.HIGH, "keys 600", key, ObjectChange.NEW
            ),
        ),
        (HostDrift("db1", HostChange.NOT_AUDITED, "ok", "unreachable"),),
        ("ssh.new",),
        ("ssh.old",),
    )
    notes = RunAnnotations(
        run_id="r7",
        first_seen={fp: ObjectHistory("2026-11-02T01:00:00+00:00", 35)},
        never_audited=frozenset({"db1"}),
        trend=(("2026-12-06T00:00:00+00:00", 50.0), ("2026-12-07T00:00:00+00:00", None)),
        drift=drift,
    )
    waiver = WaiverRecord(
        "ssh.*", "all", "bastions", "ops", "OPS-1", "2027-01-01", "w.yml:3", WaiverState.STALE, 0
    )
    return RunReport(
        "0.1.0",
        "2026-12-07T00:00:00+00:00",
        3.0,
        "inv.yml",
        "all",
        ("file.ssh-privkey",),
        (host, down),
        (waiver,),
        notes,
    )


def test_golden_report_reads_back_to_the_same_document() -> None:
    data = json.loads(GOLDEN.read_text())
    assert report_to_dict(load_report(GOLDEN)) == data


def test_annotations_objects_and_waivers_survive_a_round_trip() -> None:
    report = _annotated()
    again = report_from_dict(json.loads(render_json(report)))
    assert again == report


def test_a_wrong_field_is_named_with_its_json_path(tmp_path: Path) -> None:
    data = json.loads(GOLDEN.read_text())
    data["hosts"][0]["findings"][1]["status"] = "great"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ReportError) as err:
        load_report(path)
    assert "hosts[0].findings[1].status" in str(err.value)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("text", ["", "[]", '{"schema": "other/1"}', "\xff", "[" * 100000])
def test_garbage_is_a_report_error_not_a_traceback(tmp_path: Path, text: str) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape") if text != "\xff" else b"\xff")
    with pytest.raises(ReportError):
        load_report(path)
