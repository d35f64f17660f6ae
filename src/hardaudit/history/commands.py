"""What the command line does with the history: record a run, list runs, a host's trend, prune.

`record_run` is the one call `audit run/host` makes: a history that cannot be opened or
written never loses the audit. It warns on stderr and the report is rendered without
history annotations; the exit status stays the audit's own (0, 1 or 3), so a CI gate is not
turned by a full disk on the auditor's machine.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from tabulate import tabulate

from hardaudit.errors import AuditError
from hardaudit.history.store import HistoryDB, HostRun, RunSummary, default_history_path
from hardaudit.printable import printable, short_reason
from hardaudit.report.model import RunReport

HISTORY_SCHEMA = "hardaudit.history/1"


def record_run(
    report: RunReport, path: Path | None, *, enabled: bool = True, stderr: TextIO | None = None
) -> RunReport:
    """Record `report` in the history at `path` (default: `default_history_path()`) and
    return it annotated (run id, first_seen, never_audited, trend); unchanged, after a
    warning on stderr, when the history is disabled or cannot be used."""
    if not enabled:
        return report
    target: Path | str = path if path is not None else "(the default history)"
    try:
        target = path if path is not None else default_history_path()
        with HistoryDB.open(target) as history:
            run_id = history.record(report)
            return history.annotate(report, run_id)
    except (AuditError, sqlite3.Error, OSError) as exc:
        print(
            f"audit: warning: the run was not recorded in the history {printable(str(target))}: "
            f"{printable(short_reason(str(exc), 300))} (the report below is complete; "
            "--no-history skips the history)",
            file=stderr or sys.stderr,
        )
    return report


def _statuses(summary: RunSummary) -> str:
    return printable(", ".join(f"{status} {count}" for status, count in summary.statuses))


def _when(started_at: str) -> str:
    return printable(started_at.replace("+00:00", "Z"))


def _score(score: float | None) -> str:
    return "-" if score is None else f"{score:.1f}"


def render_runs(runs: Sequence[RunSummary]) -> str:
    """`audit history`: one row per run, newest first."""
    rows = [
        [
            printable(r.id),  # the database may be damaged or hostile: escape what it holds
            _when(r.started_at),
            str(r.hosts),
            _statuses(r),
            str(r.failed_checks),
            str(r.failing_objects),
            _score(r.fleet_score),
            printable(short_reason(r.selection, 40)),
        ]
        for r in runs
    ]
    headers = [
        "run",
        "started (UTC)",
        "hosts",
        "host status",
        "fail",
        "objects",
        "score",
        "selection",
    ]
    return tabulate(rows, headers=headers, disable_numparse=True) + "\n"


def render_host_trend(host: str, runs: Sequence[HostRun]) -> str:
    """`audit history HOST`: that host in each run, newest first."""
    rows = [
        [
            printable(r.run_id),
            _when(r.started_at),
            printable(r.status),
            _score(r.score),
            str(r.passed),
            str(r.failed),
            str(r.unknown),
            str(r.failing_objects),
            printable(short_reason(r.reason, 60)) or "-",
        ]
        for r in runs
    ]
    headers = [
        "run",
        "started (UTC)",
        "status",
        "score",
        "pass",
        "fail",
        "unknown",
        "objects",
        "reason",
    ]
    title = f"{printable(host)}: {len(runs)} run(s), newest first\n"
    return title + tabulate(rows, headers=headers, disable_numparse=True) + "\n"


def runs_to_json(path: Path, runs: Sequence[RunSummary]) -> str:
    data = {
        "schema": HISTORY_SCHEMA,
        "history": str(path),
        "runs": [{**asdict(r), "statuses": dict(r.statuses)} for r in runs],
    }
    return json.dumps(data, indent=2) + "\n"


def host_trend_to_json(path: Path, host: str, runs: Sequence[HostRun]) -> str:
    data = {
        "schema": HISTORY_SCHEMA,
        "history": str(path),
        "host": host,
        "runs": [asdict(r) for r in runs],
    }
    return json.dumps(data, indent=2) + "\n"


def history_command(
    path: Path | None,
    host: str | None,
    *,
    prune: bool = False,
    keep_days: int | None = None,
    last: int = 20,
    fmt: str = "table",
) -> str:
    """The output of `audit history [HOST]` or `audit history prune`; reading never creates
    the database. Raises UsageError for a host no recorded run includes."""
    from hardaudit.errors import UsageError
    from hardaudit.history.store import DEFAULT_KEEP_DAYS

    target = path if path is not None else default_history_path()
    exists = target.exists()
    if prune:
        keep = DEFAULT_KEEP_DAYS if keep_days is None else keep_days
        if not exists:
            return f"no history at {printable(str(target))}: nothing to prune\n"
        with HistoryDB.open(target) as history:
            removed = history.prune(keep)
        return (
            f"pruned {removed} run(s) that started more than {keep} day(s) ago "
            f"from {printable(str(target))}\n"
        )
    if keep_days is not None:
        raise UsageError("--keep-days goes with `audit history prune`")
    if host is None:
        runs: tuple[RunSummary, ...] = ()
        if exists:
            with HistoryDB.open(target) as history:
                runs = history.runs(limit=last)
        if fmt == "json":
            return runs_to_json(target, runs)
        if not runs:
            return f"no run recorded yet in {printable(str(target))}\n"
        return render_runs(runs)
    trend: tuple[HostRun, ...] = ()
    if exists:
        with HistoryDB.open(target) as history:
            trend = history.host_trend(host, limit=last)
    if not trend:
        raise UsageError(
            f"host {host!r} is in no run recorded in {target}",
            hint="see `audit history` and the host names of its runs",
        )
    if fmt == "json":
        return host_trend_to_json(target, host, trend)
    return render_host_trend(host, trend)
