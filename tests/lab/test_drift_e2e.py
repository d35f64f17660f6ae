"""Issue 9's drift in the lab: two audits with one host changed in between show exactly that
change as drift (terminal, report.json, `audit diff` JSON and Markdown, the HTML overview), and `--fail-on new`
exits 0 on the unchanged fleet with its old failures, 1 after the new failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.consumers import assert_valid_diff_json

from .audit_cli import run_audit
from .conftest import LABCTL, Lab

pytestmark = pytest.mark.lab

KEY = "/home/auditor/.ssh/id_drift_demo"  # lab/labctl.py DRIFT_KEY, on web1


def _labctl_drift(action: str) -> None:
    subprocess.run([sys.executable, str(LABCTL), "drift", action], check=True, capture_output=True)


def _diff(lab: Lab, history: Path, fmt: str) -> str:
    argv = ["diff", "latest~1", "latest", "--history", str(history), "--format", fmt]
    done = subprocess.run(
        [sys.executable, "-m", "hardaudit", *argv],
        capture_output=True,
        text=True,
        cwd=lab.repo,
        check=True,
        timeout=60,
    )
    return done.stdout


def _changes(drift: dict[str, object]) -> list[tuple[str, str, str, str]]:
    objects = drift["objects"]
    assert isinstance(objects, list)
    return [
        (o["change"], o["host"], o["check"], o["key"])
        for o in objects
        if o["change"] != "still-failing"
    ]


def test_one_changed_host_is_exactly_the_drift_and_gates_fail_on_new(
    lab: Lab, tmp_path: Path
) -> None:
    history = tmp_path / "history.sqlite"
    audit = ("run", "-i", str(lab.inventory), "--history", str(history))
    gate = ("--baseline", "latest", "--fail-on", "new", "--allow-unreachable")
    first = run_audit(*audit, out_dir=tmp_path / "1", cwd=lab.repo)
    assert first.exit_code == 3  # the lab's broken hosts; old failures everywhere else

    same = run_audit(*audit, *gate, out_dir=tmp_path / "2", cwd=lab.repo)
    assert same.exit_code == 0, same.stdout[-3000:]
    assert _changes(same.report["drift"]) == []
    assert "0 new, 0 fixed" in same.stdout

    _labctl_drift("apply")
    try:
        changed = run_audit(*audit, *gate, out_dir=tmp_path / "3", cwd=lab.repo)
    finally:
        _labctl_drift("revert")
    assert changed.exit_code == 1
    expected = [("new", "web1", "file.ssh-privkey", KEY)]  # the key file is the object
    assert _changes(changed.report["drift"]) == expected
    assert any(KEY in line for line in changed.finding("web1", "file.ssh-privkey")["evidence"])
    assert changed.report["drift"]["hosts"] == []
    tail = changed.stdout.split("Drift since latest")[1]
    assert ": 1 new, 0 fixed," in tail
    assert f"  NEW        high     web1  file.ssh-privkey  {KEY}" in tail.splitlines()

    document = json.loads(_diff(lab, history, "json"))
    assert_valid_diff_json(document)
    assert document["schema"] == "hardaudit.diff/1"
    assert _changes(document) == expected
    assert document["counts"]["new"] == 1
    markdown = _diff(lab, history, "markdown")
    assert "1 new · 0 fixed" in markdown
    assert f"| web1 | high | file.ssh-privkey | {KEY.replace('_', chr(92) + '_')} |" in markdown

    # The HTML of the same run, re-rendered from its report.json (which carries the drift).
    page = tmp_path / "3.html"
    stored = str(tmp_path / "3" / "report.json")
    subprocess.run(
        [sys.executable, "-m", "hardaudit", "report", stored, "--format", "html", "-o", str(page)],
        capture_output=True,
        cwd=lab.repo,
        check=True,
        timeout=120,
    )
    overview = page.read_text().split('<section id="drift">')[1].split("</section>")[0]
    assert '<span class="badge new">1 new</span>' in overview
    assert "0 fixed" in overview
    assert KEY in overview
