"""The history database: recording, first_seen streaks, never-audited hosts, trend, refs."""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from hardaudit.checks.model import Status
from hardaudit.errors import ReportError
from hardaudit.history.migrations import SCHEMA_VERSION
from hardaudit.history.store import HistoryDB, default_history_path
from hardaudit.model import HostStatus
from hardaudit.report.json import render_json
from hardaudit.report.model import ObjectHistory, fingerprint
from tests.unit.history.runs import T0, day, host, run

KEY = "/home/bob/.ssh/id_rsa"
FP = fingerprint("web1", "file.ssh-privkey", KEY)
PASS, FAIL, UNKNOWN, SKIP = Status.PASS, Status.FAIL, Status.UNKNOWN, Status.SKIP


@pytest.fixture
def db(tmp_path: Path) -> HistoryDB:
    history = HistoryDB.open(tmp_path / "state" / "history.sqlite")
    yield history  # type: ignore[misc]
    history.close()


def _record(db: HistoryDB, report):  # type: ignore[no-untyped-def]
    return db.annotate(report, db.record(report))


def _failing(night: int, *keys: str, **others: object):  # type: ignore[no-untyped-def]
    return run(night, host("web1", {"file.ssh-privkey": keys or (KEY,), "ssh.password-auth": PASS}))


def test_first_seen_is_the_start_of_the_failing_streak_and_counts_its_runs(db: HistoryDB) -> None:
    for night in range(3):
        annotated = _record(db, _failing(night))
    assert annotated.annotations.first_seen[FP] == ObjectHistory(day(0), 3)


def test_a_run_that_judged_the_object_fixed_breaks_the_streak(db: HistoryDB) -> None:
    _record(db, _failing(0))
    _record(db, run(1, host("web1", {"file.ssh-privkey": PASS})))
    annotated = _record(db, _failing(2))
    assert annotated.annotations.first_seen[FP] == ObjectHistory(day(2), 1)


def test_an_unreachable_host_or_an_unjudged_check_does_not_break_the_streak(db: HistoryDB) -> None:
    _record(db, _failing(0))
    _record(db, run(1, host("web1", status=HostStatus.UNREACHABLE)))
    _record(db, run(2, host("web1", {"file.ssh-privkey": UNKNOWN})))
    _record(db, run(3, host("web1", {"ssh.password-auth": PASS}), selection="--checks ssh.*"))
    _record(db, run(4, host("db1", {"file.ssh-privkey": PASS})))  # web1 not selected
    _record(db, run(5, host("web1", {"file.ssh-privkey": SKIP})))
    annotated = _record(db, _failing(6))
    # Failing in runs 0 and 6; the runs between judged nothing about this object.
    assert annotated.annotations.first_seen[FP] == ObjectHistory(day(0), 2)


def test_fixing_one_object_of_a_failing_check_restarts_only_that_objects_streak(
    db: HistoryDB,
) -> None:
    other = "/root/.ssh/id_ed25519"
    _record(db, _failing(0, KEY, other))
    _record(db, _failing(1, other))  # KEY fixed, the check still fails about `other`
    annotated = _record(db, _failing(2, KEY, other))
    seen = annotated.annotations.first_seen
    assert seen[FP] == ObjectHistory(day(2), 1)
    assert seen[fingerprint("web1", "file.ssh-privkey", other)] == ObjectHistory(day(0), 3)


def test_a_host_audited_in_no_run_so_far_is_never_audited(db: HistoryDB) -> None:
    down = host("db1", status=HostStatus.TIMEOUT)
    first = _record(db, run(0, host("web1", {}), down))
    assert first.annotations.never_audited == frozenset({"db1"})
    _record(db, run(1, host("web1", {}), host("db1", {})))
    again = _record(db, run(2, host("web1", {}), down))
    assert again.annotations.never_audited == frozenset()
    assert '"never_audited": true' not in render_json(again)
    assert '"never_audited": true' in render_json(first)


def test_the_trend_is_the_fleet_score_of_the_last_runs_of_the_same_selection(
    db: HistoryDB,
) -> None:
    _record(db, run(0, host("web1", {"ssh.password-auth": PASS})))
    _record(db, run(1, host("web1", {"ssh.password-auth": ("",)})))
    _record(db, run(2, host("web1", {"ssh.password-auth": PASS}), selection="limit web"))
    annotated = _record(db, run(3, host("web1", {"ssh.password-auth": PASS})))
    assert annotated.annotations.trend == ((day(0), 100.0), (day(1), 0.0), (day(3), 100.0))


def test_a_run_recorded_after_a_later_one_lengthens_the_later_streaks(db: HistoryDB) -> None:
    _record(db, _failing(0))
    late = db.record(_failing(2))
    db.record(_failing(1))  # a long run that started earlier and finished last
    assert db.annotate(_failing(2), late).annotations.first_seen[FP] == ObjectHistory(day(0), 3)


def test_load_run_re_renders_the_recorded_run_exactly(db: HistoryDB) -> None:
    _record(db, _failing(0))
    annotated = _record(db, _failing(1))
    loaded = db.load_run(annotated.annotations.run_id)
    assert render_json(loaded) == render_json(annotated)
    assert loaded.annotations.run_id == annotated.annotations.run_id


def test_refs_resolve_latest_latest_n_ids_and_unique_prefixes(db: HistoryDB) -> None:
    ids = [db.record(_failing(night)) for night in range(3)]
    assert db.resolve("latest") == ids[2]
    assert db.resolve("latest~2") == ids[0]
    assert db.resolve(ids[1]) == ids[1]
    assert db.resolve(ids[1][:19]) == ids[1]  # 20261103T020000Z-xx
    for bad in ("latest~3", "latest~x", "2026", "nosuchrun", ""):
        with pytest.raises(ReportError):
            db.resolve(bad)
    with pytest.raises(ReportError, match="several runs"):
        db.resolve("2026")


def test_a_run_is_recorded_once(db: HistoryDB) -> None:
    report = db.load_run(db.record(_failing(0)))
    with pytest.raises(ReportError, match="already in the history"):
        db.record(report)


def test_runs_and_host_trend_list_newest_first(db: HistoryDB) -> None:
    db.record(
        run(
            0,
            host("web1", {"file.ssh-privkey": (KEY, "/k2")}),
            host("db1", status=HostStatus.TIMEOUT),
        )
    )
    db.record(run(1, host("web1", {"file.ssh-privkey": PASS}), host("db1", {})))
    runs = db.runs()
    assert [r.started_at for r in runs] == [day(1), day(0)]
    assert runs[1].statuses == (("ok", 1), ("timeout", 1))
    assert (runs[1].failed_checks, runs[1].failing_objects, runs[1].hosts) == (1, 2, 2)
    trend = db.host_trend("web1")
    assert [(t.status, t.failed, t.failing_objects, t.score) for t in trend] == [
        ("ok", 0, 0, 100.0),
        ("ok", 1, 2, 0.0),
    ]
    assert db.host_trend("nobody") == ()


def test_prune_drops_old_runs_but_not_streak_starts_or_first_audits(db: HistoryDB) -> None:
    for night in range(5):
        db.record(
            run(
                night,
                host("web1", {"file.ssh-privkey": (KEY,)}),
                host("db1", status=HostStatus.TIMEOUT) if night else host("db1", {}),
            )
        )
    now = T0 + timedelta(days=4)
    assert db.prune(2, now=now) == 2  # nights 0 and 1 started more than 2 days before
    assert len(db.runs()) == 3
    latest = db.load_run("latest")
    assert latest.annotations.first_seen[FP] == ObjectHistory(day(0), 5)
    assert latest.annotations.never_audited == frozenset()  # db1 was audited on night 0
    assert db.prune(2, now=now) == 0


def test_the_database_is_private_and_the_default_path_follows_xdg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    path = default_history_path()
    assert path == tmp_path / "xdg" / "hardaudit" / "history.sqlite"
    previous = os.umask(0o022)
    try:
        with HistoryDB.open(path) as history:
            history.record(_failing(0))
            journals = [Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert [stat.S_IMODE(p.stat().st_mode) for p in journals] == [0o600, 0o600]
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)  # loosened by hand: tightened again on the next open
    HistoryDB.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("XDG_STATE_HOME", "relative/dir")  # ignored, as the spec says
    assert default_history_path() == Path.home() / ".local/state/hardaudit/history.sqlite"


def test_tests_never_touch_the_real_state_directory() -> None:
    assert default_history_path() != Path.home() / ".local/state/hardaudit/history.sqlite"
    assert "hardaudit-test-state-" in os.environ["XDG_STATE_HOME"]


def test_a_symlink_another_database_or_a_non_database_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.sqlite"
    link = tmp_path / "link.sqlite"
    link.symlink_to(target)
    with pytest.raises(ReportError, match="symbolic link"):
        HistoryDB.open(link)
    assert not target.exists()
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(ReportError, match="not a usable hardaudit history"):
        HistoryDB.open(junk)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as other:
        other.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(ReportError, match="not a hardaudit history"):
        HistoryDB.open(foreign)


def test_a_database_from_a_newer_hardaudit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryDB.open(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(ReportError, match="upgrade hardaudit"):
        HistoryDB.open(path)


def test_opening_uses_wal_and_foreign_keys(db: HistoryDB) -> None:
    assert db._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db._db.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000
    assert db.schema_version() == SCHEMA_VERSION


def test_an_annotated_report_is_stored_plain_and_annotated_from_this_history(db: HistoryDB) -> None:
    """A report that arrives annotated (from elsewhere) is stored plain and re-annotated here."""
    first = _record(db, _failing(0))
    foreign = replace(
        first, annotations=replace(first.annotations, run_id="", never_audited=frozenset({"web1"}))
    )
    loaded = db.load_run(db.record(replace(foreign, started_at=day(1))))
    assert loaded.annotations.never_audited == frozenset()
    assert loaded.annotations.first_seen[FP] == ObjectHistory(day(0), 2)


@pytest.mark.parametrize("run_id", ["latest~1", "x\x1b[2J", "a b", "../x", "-x", "x" * 65])
def test_a_run_id_that_could_mislead_a_terminal_or_a_ref_is_refused(
    db: HistoryDB, run_id: str
) -> None:
    report = _failing(0)
    with pytest.raises(ReportError, match="not one hardaudit writes"):
        db.record(replace(report, annotations=replace(report.annotations, run_id=run_id)))
    assert db.runs() == ()


def test_a_partial_failure_that_does_not_name_the_object_does_not_break_its_streak(
    db: HistoryDB,
) -> None:
    from hardaudit.checks.model import CheckResult, FindingObject, Severity

    other = "/root/.ssh/id_ed25519"
    _record(db, _failing(0, KEY, other))
    # Night 1: the check fails about `other` but could not read bob's key (its reason says so):
    # it judged nothing about KEY.
    partial = CheckResult(
        "file.ssh-privkey",
        FAIL,
        Severity.HIGH,
        "title",
        ("bad",),
        reason=f"also not judged: could not read {KEY}",
        objects=(FindingObject(other, other),),
    )
    _record(db, run(1, replace(host("web1", {"ssh.password-auth": PASS}), findings=(partial,))))
    annotated = _record(db, _failing(2, KEY, other))
    seen = annotated.annotations.first_seen
    assert seen[FP] == ObjectHistory(day(0), 2)
    assert seen[fingerprint("web1", "file.ssh-privkey", other)] == ObjectHistory(day(0), 3)


def test_a_stored_report_that_inflates_past_the_report_size_cap_is_refused(
    db: HistoryDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile history can hold a zlib bomb (a few MB that inflate to many GB): inflate no
    more than a report.json may weigh, like load_report does for files."""
    import hardaudit.history.store as store

    run_id = db.record(_failing(0))
    monkeypatch.setattr(store, "MAX_DOCUMENT_BYTES", 200, raising=False)
    with pytest.raises(ReportError, match="larger than"):
        db.load_run(run_id)
