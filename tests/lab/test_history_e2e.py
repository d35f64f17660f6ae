"""End to end: runs against the lab are recorded and first_seen survives from run to run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .audit_cli import run_audit
from .conftest import Lab

pytestmark = pytest.mark.lab


def _history_json(*args: str, tmp_path: Path, cwd: Path) -> dict[str, object]:
    done = run_audit(
        "history", "--format", "json", *args, out_dir=tmp_path / "h", cwd=cwd, output_dir=False
    )
    assert done.exit_code == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_first_seen_survives_across_runs_of_the_lab(lab: Lab, tmp_path: Path) -> None:
    history = tmp_path / "state" / "history.sqlite"
    audit = ("host", "--group", "prod", "-i", str(lab.inventory), "--history", str(history))
    first = run_audit(*audit, out_dir=tmp_path / "a", cwd=lab.repo)
    second = run_audit(*audit, out_dir=tmp_path / "b", cwd=lab.repo)
    assert (first.exit_code, second.exit_code) == (1, 1), second.stderr
    assert "warning" not in first.stderr + second.stderr
    objects = [
        o
        for h in second.report["hosts"]
        for f in h["findings"]
        if f["status"] == "fail"
        for o in f["objects"]
    ]
    assert objects  # db1 fails checks
    started = first.report["run"]["started_at"]
    assert {(o["first_seen"], o["runs"]) for o in objects} == {(started, 2)}
    assert "(failing since " in second.stdout
    assert "(2 runs))" in second.stdout
    listed = _history_json("--history", str(history), tmp_path=tmp_path, cwd=lab.repo)
    assert [r["id"] for r in listed["runs"]] == [  # type: ignore[index]
        second.report["run"]["id"],
        first.report["run"]["id"],
    ]
    db1 = _history_json("db1", "--history", str(history), tmp_path=tmp_path, cwd=lab.repo)
    assert [r["status"] for r in db1["runs"]] == ["ok", "ok"]  # type: ignore[index]


def test_a_run_without_history_flags_goes_to_the_sessions_private_state(
    lab: Lab, tmp_path: Path
) -> None:
    run = run_audit("host", "web1", "-i", str(lab.inventory), out_dir=tmp_path / "a", cwd=lab.repo)
    assert run.exit_code in (0, 1), run.stderr
    listed = _history_json(tmp_path=tmp_path, cwd=lab.repo)
    assert listed["history"] == os.path.join(
        os.environ["XDG_STATE_HOME"], "hardaudit", "history.sqlite"
    )
    assert run.report["run"]["id"] in [r["id"] for r in listed["runs"]]  # type: ignore[attr-defined]
