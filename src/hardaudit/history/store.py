"""The run history: every audit recorded in one SQLite file (stdlib sqlite3, WAL mode).

What is stored per run: the whole report.json (compact JSON, zlib-compressed) so a stored run
re-renders exactly, plus normalised rows for the questions asked of a history:
- `hosts`: each host's status, reason, score, counts, and one letter per check (P F U S W -)
  saying whether the check judged the host in that run;
- `failing`: each failing object (interned once in `objects` by its fingerprint) with the
  start and length of its current failing streak, computed when the run is recorded.

Streak rule: an object's streak goes on through every earlier run in which it was failing and
is broken only by a run that *judged* it and found it not failing (the check passed, or failed
about other objects). A run where the host was not audited (unreachable, timeout...), was not
selected, or where the check was unknown, skipped, waived or not run judged nothing, so it
neither breaks nor lengthens the streak; nor does a partial failure (CheckResult.partial:
it could not judge everything, or named only the first MAX_OBJECTS objects) that does not
name the object.

Concurrency: every write is one `BEGIN IMMEDIATE` transaction and SQLite's busy timeout makes
a second writer wait (up to a minute) instead of failing; WAL lets readers go on meanwhile.
Runs recorded out of start order (a long run finishing after a short later one) re-compute the
streaks of the runs that started after them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import sqlite3
import stat
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType, TracebackType

from hardaudit.checks.model import Status
from hardaudit.errors import ReportError
from hardaudit.history.migrations import MIGRATIONS, SCHEMA_VERSION
from hardaudit.model import HostStatus
from hardaudit.printable import printable
from hardaudit.report.json import iter_json
from hardaudit.report.load import report_from_dict
from hardaudit.report.model import ObjectHistory, RunAnnotations, RunReport

HISTORY_FILE = "history.sqlite"
DEFAULT_KEEP_DAYS = 90  # `audit history prune` without --keep-days
TREND_RUNS = 30  # fleet scores in a report's trend
MAX_DOCUMENT_BYTES = 512 * 1024 * 1024  # a stored report inflates to no more (as report files)
BUSY_TIMEOUT_S = 60.0  # a writer waits this long for another one before giving up
_LETTERS = {
    Status.PASS: "P",
    Status.FAIL: "F",
    Status.UNKNOWN: "U",
    Status.SKIP: "S",
    Status.WAIVED: "W",
}
_NOT_RUN = "-"
_SQL_INT_MAX = (1 << 63) - 1  # a LIMIT/OFFSET past this is "all" (SQLite integers are 64-bit)
_PARTIAL = "f"  # a FAIL that judged only the objects it names (CheckResult.partial)
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")  # typed on command lines, printed
_HINT = "pass another file with --history, or --no-history to audit without one"


def default_history_path() -> Path:
    """`$XDG_STATE_HOME/hardaudit/history.sqlite`, else `~/.local/state/hardaudit/history.sqlite`.

    A relative XDG_STATE_HOME is ignored, as the XDG base directory specification says.
    """
    base = os.environ.get("XDG_STATE_HOME", "")
    if os.path.isabs(base):
        return Path(base) / "hardaudit" / HISTORY_FILE
    try:
        home = Path.home()
    except (RuntimeError, KeyError, OSError):  # no HOME, and a uid with no passwd entry
        raise ReportError(
            "there is no default history: HOME is not set and this user has no home directory",
            field="--history",
            hint="set XDG_STATE_HOME or HOME, pass --history PATH, or --no-history",
        ) from None
    return home / ".local" / "state" / "hardaudit" / HISTORY_FILE


@dataclass(frozen=True)
class RunSummary:
    """One run as `audit history` lists it."""

    id: str
    started_at: str
    duration_s: float
    inventory: str
    selection: str
    hosts: int
    statuses: tuple[tuple[str, int], ...]  # (host status, hosts), most frequent first
    failed_checks: int  # FAIL results over all hosts
    failing_objects: int
    fleet_score: float | None


@dataclass(frozen=True)
class HostRun:
    """One host in one run, as `audit history HOST` lists it."""

    run_id: str
    started_at: str
    status: str
    reason: str
    score: float | None
    passed: int
    failed: int
    unknown: int
    failing_objects: int


def _utc(text: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(
            f"not an ISO 8601 time: {text[:40]!r}",
            field=field,
            hint="a report written by `audit run` has one",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    """Times as stored: UTC, whole seconds, one format, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _since_stamp(since: object, where: Path) -> str:
    """A stored streak start (unix seconds) as a time; ReportError when the row is damaged."""
    try:
        if not isinstance(since, int):
            raise TypeError(type(since).__name__)
        return _stamp(datetime.fromtimestamp(since, UTC))
    except (TypeError, ValueError, OverflowError, OSError):
        raise ReportError(
            f"a failing streak's start is damaged ({str(since)[:40]!r})",
            file=str(where),
            hint=_HINT,
        ) from None


def _real(value: object, where: Path) -> float | None:
    """A stored score or duration (None stays None); ReportError when the value is damaged."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return None if value is None else float(value)
    raise ReportError(
        f"a stored number is damaged ({str(value)[:40]!r})", file=str(where), hint=_HINT
    )


def _whole(value: object, where: Path) -> int:
    """A stored count (NULL: 0); ReportError when the value is damaged."""
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ReportError(
        f"a stored count is damaged ({str(value)[:40]!r})", file=str(where), hint=_HINT
    )


def _streak_runs(streak: object, where: Path) -> int:
    if not isinstance(streak, int) or streak < 1:
        raise ReportError(
            f"a failing streak's length is damaged ({str(streak)[:40]!r})",
            file=str(where),
            hint=_HINT,
        )
    return streak


def _new_run_id(started: datetime) -> str:
    """`20261207T040129Z-3fa9c1`: sorts by start, and two runs in one second still differ."""
    return f"{started.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def _prepare_file(path: Path) -> None:
    """Create the database file 0600 (its directory 0700 when hardaudit makes it or it is the
    default one); refuse a symbolic link, a non-file or another user's file."""
    from hardaudit.localfiles import prepare_private_dir

    parent = path.parent
    try:
        default_parent: Path | None = default_history_path().parent
    except ReportError:  # no home: an explicit --history still works
        default_parent = None
    if not parent.exists() or parent == default_parent:
        prepare_private_dir(parent, "the run history", "--history")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ReportError("is a symbolic link", file=str(path), hint=_HINT) from None
        raise ReportError(
            f"cannot open the history: {exc.strerror}", file=str(path), hint=_HINT
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ReportError("is not a regular file", file=str(path), hint=_HINT)
        if info.st_uid != os.geteuid():
            raise ReportError(
                f"is owned by uid {info.st_uid}, not by you (uid {os.geteuid()})",
                file=str(path),
                hint=_HINT,
            )
        if stat.S_IMODE(info.st_mode) & 0o077:  # it maps the fleet: owner only
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class RunScope:
    """Which runs count as the same audit for `latest` (a baseline): same inventory, host
    selection and check set (report.json `run.inventory`, `run.selection`, `run.checks`)."""

    inventory: str
    selection: str
    checks: tuple[str, ...]


class HistoryDB:
    """The run history in one SQLite file. Use `HistoryDB.open(path)`, as a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._checks_of: dict[int, dict[str, int]] = {}

    # -- opening -----------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> HistoryDB:
        """Open (create, migrate) the history at `path`; ReportError if it cannot be used."""
        _prepare_file(path)
        try:
            connection = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise ReportError(
                f"cannot open the history: {exc}", file=str(path), hint=_HINT
            ) from None
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            connection.execute("PRAGMA foreign_keys = ON")
            _retry_while_locked(lambda: _set_up(connection, path))
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise ReportError(
                f"not a usable hardaudit history database: {exc}", file=str(path), hint=_HINT
            ) from None
        except BaseException:
            connection.close()
            raise
        return cls(connection, path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> HistoryDB:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so two writers serialise instead of deadlock."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise ReportError(
                f"the history stayed locked for {BUSY_TIMEOUT_S:.0f}s: {exc}",
                file=str(self.path),
                hint="another audit is writing it; try again",
            ) from None
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- recording ---------------------------------------------------------------------
    def record(self, report: RunReport) -> str:
        """Store a run; return its id (the report's own `annotations.run_id` when it has one).

        ReportError if a run with that id is already stored or the start time is not ISO 8601.
        """
        started = _utc(report.started_at, "run.started_at")
        run_id = report.annotations.run_id or _new_run_id(started)
        if not _RUN_ID.fullmatch(run_id) or run_id.startswith("latest"):
            raise ReportError(
                f"run id {printable(run_id[:80])} is not one hardaudit writes",
                field="run.id",
                hint="letters, digits and ._:- (at most 64), not starting with latest",
            )
        stored = replace(report, annotations=RunAnnotations(run_id=run_id))
        # Compact report.json, compressed host by host (never the whole fleet's document
        # in memory): the same bytes as zlib.compress(json.dumps(report_to_dict(...))).
        deflate = zlib.compressobj(6)
        parts = [deflate.compress(p.encode("utf-8")) for p in iter_json(stored, compact=True)]
        parts.append(deflate.flush())
        document = b"".join(parts)
        checks = list(
            dict.fromkeys([*report.checks, *(f.check for h in report.hosts for f in h.findings)])
        )
        index = {check: i for i, check in enumerate(checks)}
        started_at = _stamp(started)
        epoch = int(started.timestamp())
        host_rows = []
        for host in report.hosts:
            letters = [_NOT_RUN] * len(checks)
            for finding in host.findings:
                letters[index[finding.check]] = (
                    _PARTIAL if finding.partial else _LETTERS[finding.status]
                )
            host_rows.append(
                (
                    host.name,
                    host.status.value,
                    host.reason,
                    host.score,
                    host.count(Status.PASS),
                    host.count(Status.FAIL),
                    host.count(Status.UNKNOWN),
                    host.count(Status.SKIP),
                    host.count(Status.WAIVED),
                    "".join(letters),
                )
            )
        failing = {o.fingerprint: o for o in report.failing_objects()}  # one row per object
        with self._write() as db:
            if db.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone():
                raise ReportError(
                    f"run {run_id} is already in the history",
                    file=str(self.path),
                    hint="a run is recorded once",
                )
            seq = db.execute(
                "INSERT INTO runs (id, started_at, finished_at, duration_s, tool_version,"
                " inventory, selection, checks, fleet_score, recorded_at, document, failing)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    started_at,
                    _stamp(started + timedelta(seconds=max(report.duration_s, 0.0))),
                    report.duration_s,
                    report.tool_version,
                    report.inventory,
                    report.selection,
                    json.dumps(checks),
                    report.fleet_score,
                    _stamp(datetime.now(UTC)),
                    document,
                    len(failing),
                ),
            ).lastrowid
            assert seq is not None
            self._checks_of[seq] = index
            db.executemany(
                "INSERT INTO hosts (run, host, status, reason, score, passed, failed, unknown,"
                " skipped, waived, results) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(seq, *row) for row in host_rows],
            )
            db.executemany(
                "INSERT INTO host_audited (host, first_ok, last_ok) VALUES (?, ?, ?)"
                " ON CONFLICT (host) DO UPDATE SET"
                " first_ok = min(first_ok, excluded.first_ok),"
                " last_ok = max(last_ok, excluded.last_ok)",
                [
                    (h.name, started_at, started_at)
                    for h in report.hosts
                    if h.status == HostStatus.OK
                ],
            )
            past = _Past(db, seq, started_at)
            rows = []
            for fp, obj in failing.items():
                object_id = self._object_id(fp, obj.host, obj.check, obj.object.key)
                since, streak = self._streak(past, obj.host, obj.check, object_id, epoch)
                rows.append(
                    (
                        seq,
                        object_id,
                        int(obj.severity),
                        obj.object.path,
                        obj.object.line,
                        since,
                        streak,
                    )
                )
            db.executemany(
                "INSERT INTO failing (run, object, severity, path, line, since, streak)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._restreak_after(seq, started_at, {h.name for h in report.hosts})
        return run_id

    def _object_id(self, fp: str, host: str, check: str, key: str) -> int:
        row = self._db.execute("SELECT id FROM objects WHERE fingerprint = ?", (fp,)).fetchone()
        if row is not None:
            return int(row[0])
        cursor = self._db.execute(
            "INSERT INTO objects (fingerprint, host, check_id, key) VALUES (?, ?, ?, ?)",
            (fp, host, check, key),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _check_index(self, seq: int) -> dict[str, int]:
        index = self._checks_of.get(seq)
        if index is None:
            (checks,) = self._db.execute("SELECT checks FROM runs WHERE seq = ?", (seq,)).fetchone()
            try:
                names = json.loads(checks)
            except (TypeError, ValueError):
                names = None
            if not isinstance(names, list):
                raise ReportError(
                    f"the check list of a stored run (seq {seq}) is damaged",
                    file=str(self.path),
                    hint=_HINT,
                )
            index = {str(check): i for i, check in enumerate(names)}
            self._checks_of[seq] = index
        return index

    def _streak(
        self, past: _Past, host: str, check: str, object_id: int, started: int
    ) -> tuple[int, int]:
        """(since, runs) of an object failing in the run `past` looks back from, which
        started at `started` (unix seconds)."""
        for seq, status, results in past.of(host):
            if status != HostStatus.OK.value:
                continue  # not audited: judged nothing
            position = self._check_index(seq).get(check)
            # a results string shorter than the check list (a damaged row) judged nothing more
            letter = _NOT_RUN
            if position is not None:
                letter = results[position : position + 1] or _NOT_RUN
            if letter == "P":
                break
            if letter not in ("F", _PARTIAL):
                continue  # unknown, skipped, waived, not run: judged nothing
            row = self._db.execute(
                "SELECT since, streak FROM failing WHERE run = ? AND object = ?", (seq, object_id)
            ).fetchone()
            if row is None and letter == _PARTIAL:
                continue  # a partial failure that does not name it: judged nothing about it
            if row is None:
                break  # the check failed about other objects: this one was fixed then
            _since_stamp(row[0], self.path)  # a damaged row is refused, not carried on
            return int(row[0]), _streak_runs(row[1], self.path) + 1
        return started, 1

    def _restreak_after(self, seq: int, started_at: str, hosts: set[str]) -> None:
        """Runs that started after one recorded late: their streaks may run through it."""
        later = self._db.execute(
            "SELECT seq, started_at FROM runs WHERE (started_at, seq) > (?, ?)"
            " ORDER BY started_at, seq",
            (started_at, seq),
        ).fetchall()
        for later_seq, later_start in later:
            past = _Past(self._db, later_seq, later_start)
            epoch = int(_utc(later_start, "runs.started_at").timestamp())
            rows = self._db.execute(
                "SELECT o.id, o.host, o.check_id FROM failing AS f"
                " JOIN objects AS o ON o.id = f.object WHERE f.run = ?",
                (later_seq,),
            ).fetchall()
            updates = [
                (*self._streak(past, host, check, object_id, epoch), later_seq, object_id)
                for object_id, host, check in rows
                if host in hosts
            ]
            self._db.executemany(
                "UPDATE failing SET since = ?, streak = ? WHERE run = ? AND object = ?", updates
            )

    # -- reading -----------------------------------------------------------------------
    def _run_row(self, run_id: str) -> tuple[int, str, str, str]:
        row = self._db.execute(
            "SELECT seq, started_at, inventory, selection FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise ReportError(
                f"no run {run_id!r} in the history", file=str(self.path), hint="see `audit history`"
            )
        return int(row[0]), str(row[1]), str(row[2]), str(row[3])

    def resolve(self, ref: str, scope: RunScope | None = None) -> str:
        """The run id `ref` names: `latest`, `latest~N` (N runs before it), an id or a unique
        prefix of one. ReportError when it names no run or several.

        With a `scope`, `latest` and `latest~N` count only runs of that inventory, host
        selection and check set (a baseline must be the same audit, not an ad-hoc run of one
        host or one check in between); a run id is taken as given."""
        where = str(self.path)
        if ref == "latest" or ref.startswith("latest~"):
            back_text = ref.partition("~")[2] if "~" in ref else "0"
            if not back_text.isdigit() or not back_text.isascii():
                raise ReportError(
                    f"{ref!r}: expected latest or latest~N (N a whole number)",
                    file=where,
                    hint="e.g. latest~1 is the run before the latest",
                )
            back = int(back_text)
            row = None
            if back <= _SQL_INT_MAX and scope is None:
                row = self._db.execute(
                    "SELECT id FROM runs ORDER BY started_at DESC, seq DESC LIMIT 1 OFFSET ?",
                    (back,),
                ).fetchone()
            elif back <= _SQL_INT_MAX and scope is not None:
                row = self._db.execute(
                    "SELECT id FROM runs WHERE inventory = ? AND selection = ? AND checks = ?"
                    " ORDER BY started_at DESC, seq DESC LIMIT 1 OFFSET ?",
                    (scope.inventory, scope.selection, json.dumps(list(scope.checks)), back),
                ).fetchone()
            if row is None:
                (count,) = self._db.execute("SELECT count(*) FROM runs").fetchone()
                alike = (
                    " of this inventory, host selection and check set" if scope is not None else ""
                )
                raise ReportError(
                    f"{ref!r}: the history holds {count} run(s), not enough{alike}",
                    file=where,
                    hint="see `audit history`; name a run id to compare with another audit",
                )
            return str(row[0])
        if not ref:
            raise ReportError("an empty run id", file=where, hint="see `audit history`")
        rows = self._db.execute(
            "SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY started_at LIMIT 6",
            (len(ref), ref),
        ).fetchall()
        exact = [r for r in rows if r[0] == ref]
        if exact:
            return ref
        if not rows:
            raise ReportError(
                f"no run {ref!r} in the history", file=where, hint="see `audit history`"
            )
        if len(rows) > 1:
            names = ", ".join(str(r[0]) for r in rows[:5])
            raise ReportError(
                f"{ref!r} names several runs ({names}{', ...' if len(rows) > 5 else ''})",
                file=where,
                hint="give more characters of the run id",
            )
        return str(rows[0][0])

    def load_run(self, run_id: str) -> RunReport:
        """The stored run, exactly as it was recorded, with its history annotations (first_seen,
        never_audited, trend as of that run) and run_id set; drift is not stored."""
        run_id = self.resolve(run_id)
        (blob,) = self._db.execute("SELECT document FROM runs WHERE id = ?", (run_id,)).fetchone()
        try:
            inflater = zlib.decompressobj()
            raw = inflater.decompress(blob, MAX_DOCUMENT_BYTES + 1)  # a bomb stops here
            if len(raw) > MAX_DOCUMENT_BYTES or inflater.unconsumed_tail:
                raise ReportError(
                    f"run {run_id}: the stored report is larger than "
                    f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB: damaged or hostile",
                    file=str(self.path),
                    hint=_HINT,
                )
            data = json.loads(raw.decode("utf-8"))
        except (zlib.error, TypeError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            raise ReportError(
                f"run {run_id}: the stored report is damaged ({str(exc)[:100]})",
                file=str(self.path),
            ) from None
        report = report_from_dict(data, f"{self.path}:{run_id}")
        return self.annotate(report, run_id)

    def annotate(self, report: RunReport, run_id: str) -> RunReport:
        """`report` with annotations.run_id, first_seen, never_audited and trend from the
        history as of run `run_id` (drift is left as it is)."""
        seq, started_at, inventory, selection = self._run_row(run_id)
        wanted = {o.fingerprint for o in report.failing_objects()}
        first_seen = {
            str(fp): ObjectHistory(_since_stamp(since, self.path), _streak_runs(streak, self.path))
            for fp, since, streak in self._db.execute(
                "SELECT o.fingerprint, f.since, f.streak FROM failing AS f"
                " JOIN objects AS o ON o.id = f.object WHERE f.run = ?",
                (seq,),
            )
            if fp in wanted
        }
        audited = {
            str(host)
            for (host,) in self._db.execute(
                "SELECT host FROM host_audited WHERE first_ok <= ?", (started_at,)
            )
        }
        never = frozenset(h.name for h in report.hosts if h.name not in audited)
        # Like with like: the trend follows runs of the same inventory and selection.
        trend = self._db.execute(
            "SELECT started_at, fleet_score FROM runs WHERE inventory = ? AND selection = ?"
            " AND (started_at, seq) <= (?, ?) ORDER BY started_at DESC, seq DESC LIMIT ?",
            (inventory, selection, started_at, seq, TREND_RUNS),
        ).fetchall()
        notes = replace(
            report.annotations,
            run_id=run_id,
            first_seen=MappingProxyType(first_seen),
            never_audited=never,
            trend=tuple((str(at), _real(s, self.path)) for at, s in reversed(trend)),
        )
        return replace(report, annotations=notes)

    def runs(self, limit: int = 20) -> tuple[RunSummary, ...]:
        """The latest `limit` runs, newest first."""
        out = []
        rows = self._db.execute(
            "SELECT seq, id, started_at, duration_s, inventory, selection, fleet_score, failing"
            " FROM runs ORDER BY started_at DESC, seq DESC LIMIT ?",
            (min(limit, _SQL_INT_MAX),),
        ).fetchall()
        for seq, run_id, started_at, duration, inventory, selection, score, failing in rows:
            counts = self._db.execute(
                "SELECT status, count(*), sum(failed) FROM hosts WHERE run = ? GROUP BY status"
                " ORDER BY count(*) DESC, status",
                (seq,),
            ).fetchall()
            out.append(
                RunSummary(
                    id=run_id,
                    started_at=started_at,
                    duration_s=_real(duration, self.path) or 0.0,
                    inventory=inventory,
                    selection=selection,
                    hosts=sum(int(c[1]) for c in counts),
                    statuses=tuple((str(c[0]), int(c[1])) for c in counts),
                    failed_checks=sum(int(c[2] or 0) for c in counts),
                    failing_objects=_whole(failing, self.path),
                    fleet_score=_real(score, self.path),
                )
            )
        return tuple(out)

    def host_trend(self, host: str, limit: int = 30) -> tuple[HostRun, ...]:
        """`host` in the latest `limit` runs that included it, newest first."""
        rows = self._db.execute(
            "SELECT r.id, r.started_at, h.status, h.reason, h.score, h.passed, h.failed,"
            " h.unknown, (SELECT count(*) FROM failing AS f JOIN objects AS o ON o.id = f.object"
            "   WHERE f.run = h.run AND o.host = h.host)"
            " FROM hosts AS h JOIN runs AS r ON r.seq = h.run WHERE h.host = ?"
            " ORDER BY r.started_at DESC, r.seq DESC LIMIT ?",
            (host, min(limit, _SQL_INT_MAX)),
        ).fetchall()
        return tuple(
            HostRun(
                run_id=str(r[0]),
                started_at=str(r[1]),
                status=str(r[2]),
                reason=str(r[3]),
                score=_real(r[4], self.path),
                passed=_whole(r[5], self.path),
                failed=_whole(r[6], self.path),
                unknown=_whole(r[7], self.path),
                failing_objects=_whole(r[8], self.path),
            )
            for r in rows
        )

    def prune(self, keep_days: int, now: datetime | None = None) -> int:
        """Delete runs that started more than `keep_days` days ago; return how many.

        Streaks of the runs kept are not shortened (a streak that began in a pruned run keeps
        its start), nor is when a host was first audited.
        """
        if keep_days < 0:
            raise ReportError("--keep-days must be 0 or more", field="keep_days")
        try:
            cutoff = _stamp((now or datetime.now(UTC)) - timedelta(days=keep_days))
        except OverflowError:  # before year 1: no run is that old
            return 0
        with self._write() as db:
            deleted = db.execute("DELETE FROM runs WHERE started_at < ?", (cutoff,)).rowcount
            db.execute("DELETE FROM objects WHERE id NOT IN (SELECT object FROM failing)")
        self._checks_of.clear()
        return int(deleted)

    def schema_version(self) -> int:
        return int(self._db.execute("SELECT version FROM schema_version").fetchone()[0])


class _Past:
    """A host's earlier runs (newest first) as seen from one run, fetched on demand."""

    _FIRST = 8  # most streaks are decided by the previous run or two

    def __init__(self, db: sqlite3.Connection, seq: int, started_at: str) -> None:
        self._db = db
        self._seq = seq
        self._started_at = started_at
        self._cache: dict[str, tuple[list[tuple[int, str, str]], bool]] = {}

    def _fetch(self, host: str, limit: int) -> list[tuple[int, str, str]]:
        return [
            (int(r[0]), str(r[1]), str(r[2]))
            for r in self._db.execute(
                "SELECT h.run, h.status, h.results FROM hosts AS h JOIN runs AS r"
                " ON r.seq = h.run WHERE h.host = ? AND (r.started_at, r.seq) < (?, ?)"
                " ORDER BY r.started_at DESC, r.seq DESC LIMIT ?",
                (host, self._started_at, self._seq, limit),
            )
        ]

    def of(self, host: str) -> Iterator[tuple[int, str, str]]:
        rows, complete = self._cache.get(host, ([], False))
        if not rows and not complete:
            rows = self._fetch(host, self._FIRST)
            complete = len(rows) < self._FIRST
            self._cache[host] = (rows, complete)
        yield from rows
        if not complete:
            rows = self._fetch(host, -1)
            self._cache[host] = (rows, True)
            yield from rows[self._FIRST :]


# Every table and column the code reads or writes, as of SCHEMA_VERSION.
_PROBES = (
    "SELECT seq, id, started_at, finished_at, duration_s, tool_version, inventory, selection,"
    " checks, fleet_score, recorded_at, document, failing FROM runs LIMIT 0",
    "SELECT run, host, status, reason, score, passed, failed, unknown, skipped, waived, results"
    " FROM hosts LIMIT 0",
    "SELECT id, fingerprint, host, check_id, key FROM objects LIMIT 0",
    "SELECT run, object, severity, path, line, since, streak FROM failing LIMIT 0",
    "SELECT host, first_ok, last_ok FROM host_audited LIMIT 0",
)


def _set_up(connection: sqlite3.Connection, path: Path) -> None:
    mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise ReportError(
            f"cannot use write-ahead logging (journal mode stays {mode})",
            file=str(path),
            hint="put the history on a local file system",
        )
    connection.execute("PRAGMA synchronous = NORMAL")  # WAL: durable enough, never corrupt
    _migrate(connection, path)
    for probe in _PROBES:  # a damaged file fails here, not in the middle of a command
        connection.execute(probe).fetchall()


def _retry_while_locked(step: Callable[[], None]) -> None:
    """Run `step`, again while SQLite answers locked/busy, for up to BUSY_TIMEOUT_S.

    The busy timeout covers lock waits, but not every case of several processes opening a
    new file at once: the switch to WAL and WAL recovery can answer "database is locked" at
    once (SQLITE_BUSY without calling the busy handler)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.01
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to SCHEMA_VERSION, in one transaction (concurrent openers wait)."""
    if _version(db, path) == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _version(db, path)
        if version > SCHEMA_VERSION:
            raise ReportError(
                f"the history has schema version {version}; this hardaudit knows up to "
                f"{SCHEMA_VERSION}",
                file=str(path),
                hint="upgrade hardaudit, or pass another file with --history",
            )
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                db.execute(statement)
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _version(db: sqlite3.Connection, path: Path) -> int:
    tables = {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" not in tables:
        if tables:
            raise ReportError(
                f"not a hardaudit history (it holds tables {', '.join(sorted(tables)[:5])})",
                file=str(path),
                hint=_HINT,
            )
        return 0
    row = db.execute("SELECT version FROM schema_version").fetchone()
    if row is None or not isinstance(row[0], int):
        raise ReportError("the schema_version table is damaged", file=str(path), hint=_HINT)
    return int(row[0])


def apply_migrations(db: sqlite3.Connection, upto: int) -> None:
    """Run migrations 1..upto on an empty database (tests build old versions with it)."""
    for statements in MIGRATIONS[:upto]:
        for statement in statements:
            db.execute(statement)
    db.execute("UPDATE schema_version SET version = ?", (upto,))
