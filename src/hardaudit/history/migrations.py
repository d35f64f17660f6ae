"""The history database schema, as versioned migrations.

`MIGRATIONS[n]` takes a database from version n to version n + 1 (version 0 is an empty
file). A migration is never edited once released: a change is a new entry. Each is a
tuple of single statements, run in one transaction with the `schema_version` update.

v1  runs (+ the whole report.json, compressed), hosts per run, failing objects by fingerprint
    with their failing streak.
v2  `host_audited`: when each host was first and last audited ok, kept across `prune`, so a
    host audited long ago is not shown as never audited once those runs are pruned; and
    `runs.failing` so `audit history` lists counts without reading every failing row.
"""

from __future__ import annotations

V1: tuple[str, ...] = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "INSERT INTO schema_version (version) VALUES (0)",
    # seq: compact internal key (foreign keys); id: what users type (latest, a prefix).
    """CREATE TABLE runs (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        duration_s REAL NOT NULL,
        tool_version TEXT NOT NULL,
        inventory TEXT NOT NULL,
        selection TEXT NOT NULL,
        checks TEXT NOT NULL,
        fleet_score REAL,
        recorded_at TEXT NOT NULL,
        document BLOB NOT NULL
    )""",
    "CREATE INDEX runs_by_start ON runs (started_at, seq)",
    # results: one letter per entry of runs.checks (P F U S W, '-' not run on this host;
    # 'f', written since v2 without a schema change: a partial FAIL, CheckResult.partial).
    """CREATE TABLE hosts (
        run INTEGER NOT NULL REFERENCES runs (seq) ON DELETE CASCADE,
        host TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        score REAL,
        passed INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        unknown INTEGER NOT NULL,
        skipped INTEGER NOT NULL,
        waived INTEGER NOT NULL,
        results TEXT NOT NULL,
        PRIMARY KEY (run, host)
    ) WITHOUT ROWID""",
    "CREATE INDEX hosts_by_name ON hosts (host, run)",
    # One row per object ever seen failing: its fingerprint is stored once, not per run.
    """CREATE TABLE objects (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        host TEXT NOT NULL,
        check_id TEXT NOT NULL,
        key TEXT NOT NULL
    )""",
    # since/streak: start (unix seconds of runs.started_at) and length of the failing streak.
    """CREATE TABLE failing (
        run INTEGER NOT NULL REFERENCES runs (seq) ON DELETE CASCADE,
        object INTEGER NOT NULL REFERENCES objects (id),
        severity INTEGER NOT NULL,
        path TEXT NOT NULL,
        line INTEGER NOT NULL,
        since INTEGER NOT NULL,
        streak INTEGER NOT NULL,
        PRIMARY KEY (run, object)
    ) WITHOUT ROWID""",
    "CREATE INDEX failing_by_object ON failing (object, run)",
)

V2: tuple[str, ...] = (
    """CREATE TABLE host_audited (
        host TEXT PRIMARY KEY,
        first_ok TEXT NOT NULL,
        last_ok TEXT NOT NULL
    ) WITHOUT ROWID""",
    """INSERT INTO host_audited (host, first_ok, last_ok)
        SELECT h.host, min(r.started_at), max(r.started_at)
        FROM hosts AS h JOIN runs AS r ON r.seq = h.run
        WHERE h.status = 'ok' GROUP BY h.host""",
    "ALTER TABLE runs ADD COLUMN failing INTEGER",
    "UPDATE runs SET failing = (SELECT count(*) FROM failing WHERE failing.run = runs.seq)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (V1, V2)
SCHEMA_VERSION = len(MIGRATIONS)
