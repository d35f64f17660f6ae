"""Versioned migrations: a database written by an earlier schema opens, migrated, data intact."""

from __future__ import annotations

import json
import sqlite3
import zlib
from dataclasses import replace
from pathlib import Path

from hardaudit.history.migrations import MIGRATIONS, SCHEMA_VERSION, V1
from hardaudit.history.store import HistoryDB
from hardaudit.model import HostStatus
from hardaudit.report.json import render_json, report_to_dict
from hardaudit.report.model import ObjectHistory, RunAnnotations, fingerprint
from tests.unit.history.runs import T0, day, host, run

KEY = "/home/bob/.ssh/id_rsa"


def _v1_database(path: Path) -> str:
    """A history as hardaudit with schema v1 wrote it: one run, web1 failing, db1 down."""
    report = run(
        0, host("web1", {"file.ssh-privkey": (KEY,)}), host("db1", status=HostStatus.UNREACHABLE)
    )
    run_id = "20261102T020000Z-abcdef"
    stored = replace(report, annotations=RunAnnotations(run_id=run_id))
    document = zlib.compress(json.dumps(report_to_dict(stored)).encode())
    db = sqlite3.connect(path, isolation_level=None)
    for statement in V1:
        db.execute(statement)
    db.execute("UPDATE schema_version SET version = 1")
    db.execute(
        "INSERT INTO runs VALUES (1, ?, ?, ?, 12.0, '0.1.0', 'inv.yml', 'all', ?, 0.0, ?, ?)",
        (run_id, day(0), day(0), json.dumps(report.checks), day(0), document),
    )
    db.execute("INSERT INTO hosts VALUES (1, 'web1', 'ok', '', 0.0, 0, 1, 0, 0, 0, '-F-')")
    db.execute(
        "INSERT INTO hosts VALUES (1, 'db1', 'unreachable', 'timed out', NULL, 0, 0, 0, 0, 0, '---')"
    )
    fp = fingerprint("web1", "file.ssh-privkey", KEY)
    db.execute("INSERT INTO objects VALUES (1, ?, 'web1', 'file.ssh-privkey', ?)", (fp, KEY))
    db.execute("INSERT INTO failing VALUES (1, 1, 3, ?, 0, ?, 1)", (KEY, int(T0.timestamp())))
    db.close()
    return run_id


def test_a_v1_database_is_migrated_with_its_runs_intact(tmp_path: Path) -> None:
    assert SCHEMA_VERSION == len(MIGRATIONS) == 2
    path = tmp_path / "history.sqlite"
    run_id = _v1_database(path)
    with HistoryDB.open(path) as history:
        assert history.schema_version() == 2
        (summary,) = history.runs()
        assert (summary.id, summary.failing_objects, summary.statuses) == (
            run_id,
            1,
            (("ok", 1), ("unreachable", 1)),
        )
        old = history.load_run(run_id)
        assert old.annotations.never_audited == frozenset({"db1"})
        # The next run goes on from the migrated one: the streak and first audits carry over.
        new = history.annotate(
            r := run(1, host("web1", {"file.ssh-privkey": (KEY,)}), host("db1", {})),
            history.record(r),
        )
    fp = fingerprint("web1", "file.ssh-privkey", KEY)
    assert old.annotations.first_seen[fp] == ObjectHistory(day(0), 1)
    assert new.annotations.first_seen[fp] == ObjectHistory(day(0), 2)
    assert new.annotations.never_audited == frozenset()
    assert '"id": "20261102T020000Z-abcdef"' in render_json(old)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = raw.execute("SELECT host, first_ok FROM host_audited ORDER BY host").fetchall()
    assert rows == [("db1", day(1)), ("web1", day(0))]


def test_a_current_database_is_not_migrated_again(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    HistoryDB.open(path).close()
    with HistoryDB.open(path) as history:
        assert history.schema_version() == SCHEMA_VERSION
