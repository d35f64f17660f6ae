"""`audit diff`, `--baseline`, `--fail-on`, `--allow-unreachable` and `--format markdown`
through the CLI, on replayed lab captures (no network)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from hardaudit.cli import main
from tests.consumers import assert_valid_diff_json, assert_valid_report_json

REPLAY = Path(__file__).parents[2] / "fixtures" / "replay"


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # never ~/.local/state


def _run(out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(
        [
            "run",
            "-i",
            str(REPLAY / "inventory.yml"),
            "--replay-dir",
            str(REPLAY / "captures"),
            "--output-dir",
            str(out),
            *extra,
        ]
    )
    path = out / "report.json"
    return code, json.loads(path.read_text()) if path.exists() else {}


def _older_baseline(report: dict[str, Any], path: Path) -> Path:
    """The run as it was before db1 opened its ports: net.exposed-ports passed there."""
    for host in report["hosts"]:
        if host["name"] == "db1":
            for finding in host["findings"]:
                if finding["check"] == "net.exposed-ports":
                    finding.update(status="pass", evidence=[], objects=[])
    path.write_text(json.dumps(report))
    return path


def _new(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(o["host"], o["check"]) for o in report["drift"]["objects"] if o["change"] == "new"}


def test_fail_on_new_without_baseline_is_exit_2_saying_how_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _run(tmp_path / "o", "--fail-on", "new")
    assert code == 2
    assert "--baseline latest" in capsys.readouterr().err


def test_a_bad_fail_on_word_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path / "o", "--fail-on", "new,severe")[0] == 2
    assert "unknown word 'severe'" in capsys.readouterr().err


def test_an_unknown_baseline_is_exit_2_before_any_host_is_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _run(tmp_path / "o", "--baseline", "latest")
    assert code == 2
    assert report == {}
    assert "neither a report.json file nor a run" in capsys.readouterr().err


def test_unchanged_fleet_passes_fail_on_new_and_a_new_failure_fails_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = str(tmp_path / "history.sqlite")
    first_code, first = _run(tmp_path / "1", "--history", history)
    assert first_code == 3  # the replay's `nocapture` host is never audited
    gate = ["--fail-on", "new", "--allow-unreachable"]
    code, again = _run(tmp_path / "2", "--history", history, "--baseline", "latest", *gate)
    assert code == 0  # old failures only
    assert _new(again) == set()
    assert "Drift since latest" in capsys.readouterr().out
    assert (
        _run(tmp_path / "3", "--baseline", "latest", "--history", history, "--fail-on", "new")[0]
        == 3
    )

    baseline = _older_baseline(first, tmp_path / "older.json")
    code, worse = _run(tmp_path / "4", "--baseline", str(baseline), *gate)
    assert code == 1
    assert _new(worse) == {("db1", "net.exposed-ports")}
    assert_valid_report_json(worse)  # with its drift
    out = capsys.readouterr().out
    assert "1 new, 0 fixed" in out
    assert "NEW" in out
    assert "net.exposed-ports" in out.split("Drift since")[1]
    # net.exposed-ports is high: a floor above it lets the new failure pass.
    base = ["--baseline", str(baseline), "--allow-unreachable", "--fail-on"]
    assert _run(tmp_path / "5", *base, "new,high")[0] == 1
    assert _run(tmp_path / "6", *base, "new,critical")[0] == 0
    assert _run(tmp_path / "7", *base, "any")[0] == 1  # the old failures


def test_diff_of_two_reports_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, current = _run(tmp_path / "1")
    after = tmp_path / "1" / "report.json"
    before = _older_baseline(current, tmp_path / "older.json")
    capsys.readouterr()
    assert main(["diff", str(before), str(after), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert_valid_diff_json(doc)
    assert doc["schema"] == "hardaudit.diff/1"
    assert doc["before"]["ref"] == str(before)
    assert doc["after"]["started_at"] == current["run"]["started_at"]
    assert doc["counts"]["new"] == 1
    assert [o["host"] for o in doc["objects"] if o["change"] == "new"] == ["db1"]

    assert main(["diff", str(before), str(after)]) == 0
    table = capsys.readouterr().out
    assert table.startswith(f"Drift since {before}")
    assert "  NEW" in table

    assert main(["diff", str(before), str(after), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("### hardaudit diff:")
    assert "| db1 |" in markdown

    target = tmp_path / "out" / "diff.md"
    assert main(["diff", str(before), str(after), "--format", "markdown", "-o", str(target)]) == 0
    assert target.read_text() == markdown
    assert capsys.readouterr().out == ""


def test_diff_reverse_turns_new_into_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, current = _run(tmp_path / "1")
    before = _older_baseline(current, tmp_path / "older.json")
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "1" / "report.json"), str(before), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["counts"]["new"] == 0
    assert doc["counts"]["fixed"] == 1


def test_diff_of_a_broken_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert main(["diff", str(bad), str(bad)]) == 2
    assert "bad.json" in capsys.readouterr().err


def test_format_markdown_prints_the_summary_alone_and_writes_report_md(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _run(tmp_path / "o", "--format", "markdown")
    assert code == 3
    out = capsys.readouterr().out
    assert out.startswith("### hardaudit:")
    assert "reports:" not in out
    assert (tmp_path / "o" / "report.md").read_text() == out


def test_diff_output_file_leaves_its_directorys_mode_alone(tmp_path: Path) -> None:
    # `-o $GITHUB_WORKSPACE/diff.md` (or a directory a web server reads) must not become 0700:
    # the file is private (0600), written atomically, the directory is the user's own choice
    golden = Path(__file__).parents[2] / "golden" / "report.json"
    shared = tmp_path / "workspace"
    shared.mkdir()
    shared.chmod(0o755)
    target = shared / "diff.md"
    assert main(["diff", str(golden), str(golden), "--format", "markdown", "-o", str(target)]) == 0
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text().startswith("### hardaudit diff:")
