"""load_ref: a report.json file, or a run of the history (`latest`, `latest~1`, an id)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.checks.model import Status
from hardaudit.errors import ReportError
from hardaudit.history.refs import load_ref
from hardaudit.history.store import HistoryDB
from hardaudit.report.json import render_json

from .drift_runs import host, result, run

FIRST = run(host("web1", result("ssh.password-auth", Status.FAIL)))
SECOND = run(
    host("web1", result("ssh.password-auth", Status.PASS)), started_at="2026-12-02T02:00:00+00:00"
)


def test_an_existing_file_is_read_as_a_report(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(render_json(FIRST))
    assert load_ref(str(path), tmp_path / "no-history.sqlite") == FIRST


def test_a_broken_report_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("{")
    with pytest.raises(ReportError, match=r"report\.json"):
        load_ref(str(path), None)


def test_a_missing_file_without_a_history_says_both_ways_were_tried(tmp_path: Path) -> None:
    with pytest.raises(ReportError) as caught:
        load_ref(str(tmp_path / "gone.json"), tmp_path / "none.sqlite")
    text = str(caught.value)
    assert "neither a report.json file nor a run" in text
    assert "none.sqlite" in text


def test_run_refs_resolve_in_the_history(tmp_path: Path) -> None:
    # Runs against the stand-in store on this branch; the real one keeps the same interface.
    db_path = tmp_path / "h.sqlite"
    with HistoryDB.open(db_path) as db:
        first_id = db.record(FIRST)
        db.record(SECOND)
    assert load_ref("latest", db_path).hosts == SECOND.hosts
    assert load_ref("latest~1", db_path).hosts == FIRST.hosts
    assert load_ref(first_id, db_path).annotations.run_id == first_id
    with pytest.raises(ReportError, match="latest~2"):
        load_ref("latest~2", db_path)
