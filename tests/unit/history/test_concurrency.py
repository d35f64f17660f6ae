"""Overlapping cron jobs and shard merges: parallel writers never corrupt the history."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from hardaudit.history.store import HistoryDB
from hardaudit.report.model import ObjectHistory, fingerprint
from tests.unit.history.runs import day, host, run

WRITERS = 6
RUNS_EACH = 5


def _writer(path: str, writer: int, ready: multiprocessing.synchronize.Barrier) -> list[str]:  # type: ignore[name-defined]
    ready.wait()  # every process opens (and migrates) the new file at the same moment
    ids = []
    with HistoryDB.open(Path(path)) as history:
        for i in range(RUNS_EACH):
            hosts = [
                host(f"h{n}", {"file.ssh-privkey": (f"/k{writer}-{i}", "/shared")})
                for n in range(40)
            ]
            ids.append(history.record(run(i, *hosts, selection=f"writer {writer}")))
    return ids


def test_parallel_writers_record_every_run_and_keep_the_database_intact(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    context = multiprocessing.get_context("spawn")
    ready = context.Manager().Barrier(WRITERS)
    with context.Pool(WRITERS) as pool:
        results = pool.starmap(_writer, [(str(path), w, ready) for w in range(WRITERS)])
    ids = {run_id for ids in results for run_id in ids}
    assert len(ids) == WRITERS * RUNS_EACH
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = {r[0] for r in raw.execute("SELECT id FROM runs")}
        (hosts,) = raw.execute("SELECT count(*) FROM hosts").fetchone()
    assert stored == ids
    assert hosts == WRITERS * RUNS_EACH * 40
    with HistoryDB.open(path) as history:
        latest = history.load_run("latest")
    # "/shared" failed in every run of every writer, whatever order they were recorded in.
    shared = fingerprint("h0", "file.ssh-privkey", "/shared")
    assert latest.annotations.first_seen[shared] == ObjectHistory(day(0), WRITERS * RUNS_EACH)
