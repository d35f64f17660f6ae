"""`audit run` records into the history and shows first_seen; `audit history` reads it."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from hardaudit.cli import main
from hardaudit.history.store import default_history_path

REPLAY = Path(__file__).parents[2] / "fixtures" / "replay"


def _run(out: Path, *extra: str) -> int:
    return main(
        [
            "run",
            "-i",
            str(REPLAY / "inventory.yml"),
            "--replay-dir",
            str(REPLAY / "captures"),
            "--checks",
            "ssh.*",
            "--output-dir",
            str(out),
            *extra,
        ]
    )


def test_every_run_is_recorded_and_the_report_says_how_long_each_object_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "h" / "history.sqlite"
    assert _run(tmp_path / "a", "--history", str(history)) == 3
    capsys.readouterr()
    assert _run(tmp_path / "b", "--history", str(history)) == 3
    out = capsys.readouterr().out
    assert "(failing since 20" in out
    assert "(2 runs))" in out
    assert "(never audited)" in out  # nocapture has no capture: never audited so far
    assert "fleet score, last 2 runs" in out
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["run"]["id"]
    objects = [o for h in report["hosts"] for f in h["findings"] for o in f.get("objects", [])]
    assert objects
    assert all(o["runs"] == 2 for o in objects)
    assert len(report["trend"]) == 2
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert stat.S_IMODE(history.parent.stat().st_mode) == 0o700

    assert main(["history", "--history", str(history), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert next(r["id"] for r in listed["runs"]) == report["run"]["id"]
    assert listed["runs"][0]["statuses"] == {"ok": 5, "unreachable": 1}
    assert main(["history", "db1", "--history", str(history)]) == 0
    table = capsys.readouterr().out
    assert table.startswith("db1: 2 run(s), newest first")
    assert "ok" in table
    assert main(["history", "--host", "nosuchhost", "--history", str(history)]) == 2
    assert main(["history", "prune", "--keep-days", "1", "--history", str(history)]) == 0
    assert "pruned 0 run(s)" in capsys.readouterr().out


def test_a_replay_goes_only_to_a_history_named_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Live runs going to the default history are pinned by the lab test
    # test_a_run_without_history_flags_goes_to_the_sessions_private_state.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert _run(tmp_path / "a") == 3
    assert not default_history_path().exists()  # a replay of old output is not `latest`
    assert main(["history"]) == 0
    assert "no run recorded yet" in capsys.readouterr().out
    assert not default_history_path().exists()  # reading never creates it
    named = tmp_path / "named.sqlite"
    assert _run(tmp_path / "b", "--history", str(named), "--no-history") == 3
    assert not named.exists()
    assert _run(tmp_path / "c", "--history", str(named)) == 3
    capsys.readouterr()
    assert main(["history", "--history", str(named)]) == 0
    assert "ok 5, unreachable 1" in capsys.readouterr().out


def test_a_history_that_cannot_be_written_warns_and_keeps_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database" * 200)
    assert _run(tmp_path / "a", "--history", str(junk)) == 3  # the audit's own exit status
    captured = capsys.readouterr()
    assert "warning: the run was not recorded in the history" in captured.err
    assert "Traceback" not in captured.err
    assert "db1" in captured.out  # the report is rendered all the same
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert report["run"]["id"] is None
    assert junk.read_bytes() == b"not a database" * 200


def test_history_arguments_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = str(tmp_path / "none.sqlite")
    assert main(["history", "--keep-days", "3", "--history", history]) == 2
    assert main(["history", "prune", "--keep-days", "0", "--history", history]) == 2
    assert main(["history", "prune", "--history", history]) == 0
    assert "nothing to prune" in capsys.readouterr().out
    assert not os.path.exists(history)


def test_the_lab_tests_cli_subprocesses_use_the_sessions_private_history(tmp_path: Path) -> None:
    """tests/lab/audit_cli.py runs `python -m hardaudit` with a temporary HOME: the
    XDG_STATE_HOME set by tests/conftest.py must reach it, so no lab test records a run in
    the developer's ~/.local/state."""
    from tests.lab.audit_cli import run_audit

    done = run_audit(
        "history", "--format", "json", out_dir=tmp_path / "out", cwd=tmp_path, output_dir=False
    )
    assert done.exit_code == 0, done.stderr
    where = Path(json.loads(done.stdout)["history"])
    assert where == Path(os.environ["XDG_STATE_HOME"]) / "hardaudit" / "history.sqlite"
    assert "hardaudit-test-state-" in str(where)


def _damaged(tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str) -> Path:
    """A history of two replayed runs, then damaged with `sql` (a hostile or broken file)."""
    import sqlite3

    history = tmp_path / "damaged.sqlite"
    assert _run(tmp_path / "a", "--history", str(history)) == 3
    assert _run(tmp_path / "b", "--history", str(history)) == 3
    capsys.readouterr()
    with sqlite3.connect(history) as db:
        db.execute(sql)
    return history


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE runs SET checks = 'not json'",
        "UPDATE hosts SET results = ''",
    ],
)
def test_a_damaged_history_warns_and_the_audit_keeps_its_report_and_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str
) -> None:
    history = _damaged(tmp_path, capsys, sql)
    assert _run(tmp_path / "c", "--history", str(history)) == 3  # the audit's own status
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "db1" in captured.out  # the report is rendered all the same
    assert (tmp_path / "c" / "report.json").is_file()


def test_a_damaged_stored_report_is_a_usage_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = _damaged(tmp_path, capsys, "UPDATE runs SET document = 'text'")
    assert main(["report", "latest", "--history", str(history)]) == 2
    assert main(["diff", "latest~1", "latest", "--history", str(history)]) == 2
    assert _run(tmp_path / "c", "--history", str(history), "--baseline", "latest") == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "damaged" in err


def test_history_tables_escape_what_a_hostile_history_file_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = _damaged(
        tmp_path,
        capsys,
        "UPDATE runs SET id = id || char(27) || ']0;owned' || char(7),"
        " started_at = started_at || char(27) || '[2J'",
    )
    import sqlite3

    with sqlite3.connect(history) as db:
        db.execute("UPDATE hosts SET status = char(27) || '[31m' || status")
    assert main(["history", "--history", str(history)]) == 0
    assert main(["history", "db1", "--history", str(history)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "db1: 2 run(s)" in out


def test_huge_numbers_on_the_history_command_lines_are_answered_not_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "h.sqlite"
    assert _run(tmp_path / "a", "--history", str(history)) == 3
    huge = "9" * 30
    assert main(["history", "--last", huge, "--history", str(history)]) == 0
    assert main(["history", "db1", "--last", huge, "--history", str(history)]) == 0
    assert main(["history", "prune", "--keep-days", "999999999", "--history", str(history)]) == 0
    assert "pruned 0 run(s)" in capsys.readouterr().out
    assert main(["diff", f"latest~{huge}", "latest", "--history", str(history)]) == 2
    assert main(["report", f"latest~{huge}", "--history", str(history)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "the history holds 1 run(s)" in err


@pytest.mark.parametrize(
    "since", ["99999999999999999", "'x'", "-99999999999999999", "0, streak = 'many'"]
)
def test_a_damaged_failing_streak_start_is_a_usage_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], since: str
) -> None:
    history = _damaged(tmp_path, capsys, f"UPDATE failing SET since = {since}")
    assert main(["report", "latest", "--history", str(history)]) == 2
    assert _run(tmp_path / "c", "--history", str(history)) == 3  # warned, report kept
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "damaged" in captured.err
    assert (tmp_path / "c" / "report.json").is_file()


@pytest.mark.parametrize(
    "sql",
    ["DROP TABLE failing", "ALTER TABLE runs DROP COLUMN document", "DROP TABLE host_audited"],
)
def test_a_history_missing_tables_or_columns_is_refused_on_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str
) -> None:
    history = _damaged(tmp_path, capsys, sql)
    for command in (["history"], ["history", "db1"], ["report", "latest"], ["history", "prune"]):
        assert main([*command, "--history", str(history)]) == 2
    assert main(["diff", "latest~1", "latest", "--history", str(history)]) == 2
    assert _run(tmp_path / "c", "--history", str(history), "--baseline", "latest") == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "not a usable hardaudit history" in err


def test_an_ad_hoc_run_between_two_nightlies_does_not_turn_the_new_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "h.sqlite"
    nightly = ("--history", str(history), "--allow-unreachable")
    assert _run(tmp_path / "a", *nightly) == 1
    assert _run(tmp_path / "b", "--history", str(history), "-l", "db1") == 1  # someone, by hand
    # The fleet did not change since the last nightly: nothing is new.
    assert _run(tmp_path / "c", *nightly, "--baseline", "latest", "--fail-on", "new") == 0
    capsys.readouterr()
    drift = json.loads((tmp_path / "c" / "report.json").read_text())["drift"]
    assert drift["hosts"] == []  # the nightly before, not the ad-hoc run of db1
    # The same with --checks: an ad-hoc run of fewer checks is not the baseline either.
    assert _run(
        tmp_path / "d", "--history", str(history), "-l", "db1", "--checks", "ssh.pubkey*"
    ) in (0, 1)
    assert _run(tmp_path / "e", *nightly, "--baseline", "latest", "--fail-on", "new") == 0
    assert json.loads((tmp_path / "e" / "report.json").read_text())["drift"]["checks_added"] == []
    # `latest~1` counts runs of the same audit too: c, then a.
    assert _run(tmp_path / "f", *nightly, "--baseline", "latest~1", "--fail-on", "new") == 0


def test_a_baseline_latest_with_no_earlier_run_of_the_same_audit_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "h.sqlite"
    assert _run(tmp_path / "a", "--history", str(history), "-l", "db1") == 1
    capsys.readouterr()
    code = _run(tmp_path / "b", "--history", str(history), "--baseline", "latest")
    assert code == 2
    err = capsys.readouterr().err
    assert "of this inventory, host selection and check set" in err
    assert "Traceback" not in err


def test_without_a_home_directory_the_default_history_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CI container running as a uid with no passwd entry and no HOME: Path.home() fails."""
    from hardaudit.history.commands import record_run
    from hardaudit.report.load import load_report

    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.delenv("HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    named = tmp_path / "named.sqlite"
    assert _run(tmp_path / "a", "--history", str(named)) == 3  # an explicit history still works
    assert named.is_file()
    report = load_report(tmp_path / "a" / "report.json")
    assert record_run(report, None) is report  # the default one: a warning, the audit kept
    assert _run(tmp_path / "b", "--baseline", "latest") == 2
    assert main(["history"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "warning: the run was not recorded" in err
    assert "XDG_STATE_HOME" in err


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE runs SET fleet_score = 'abc'",
        "UPDATE runs SET duration_s = 'slow'",
        "UPDATE hosts SET score = 'x', passed = 'many'",
    ],
)
def test_wrongly_typed_values_in_a_history_never_lose_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str
) -> None:
    history = _damaged(tmp_path, capsys, sql)
    assert _run(tmp_path / "c", "--history", str(history)) == 3  # the audit's own status
    assert main(["history", "--history", str(history)]) in (0, 2)
    assert main(["history", "db1", "--history", str(history)]) in (0, 2)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert (tmp_path / "c" / "report.json").is_file()
