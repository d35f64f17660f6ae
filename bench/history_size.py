"""History database size and record time for a synthetic fleet (issue 9 figures).

    .venv/bin/python bench/history_size.py [--hosts 1000] [--nights 30] [--out bench/results]

Builds one RunReport per night for a fleet of N hosts x the 37 built-in checks with a
realistic mix (most checks pass; container/redis/web checks skip where the service is absent;
~12% of applicable results fail, some about several objects; ~3% unknown; ~1.5% of hosts
unreachable each night; ~2% of results change from one night to the next), records each
night into a fresh history, and writes a JSON + Markdown summary: record time per night,
database size after N nights (WAL checkpointed), what each table takes (dbstat), and the
size of the two ways of keeping the whole report (compressed report.json vs one row per
finding with its evidence).
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, FindingObject, Status
from hardaudit.history.store import HistoryDB
from hardaudit.model import HostStatus
from hardaudit.report.json import report_to_dict
from hardaudit.report.model import HostReport, RunReport

_OBJECTS = {  # checks whose failures name objects, and how to name one
    "file": lambda h, i: FindingObject(
        f"/home/user{i}/.ssh/id_ed25519", f"/home/user{i}/.ssh/id_ed25519"
    ),
    "net": lambda h, i: FindingObject(f"tcp/0.0.0.0:{(6379, 5432, 27017, 9200)[i % 4]}"),
    "ctr": lambda h, i: FindingObject(f"container:app{i}"),
    "ssh.match-override": lambda h, i: FindingObject(
        f"match:User deploy{i}", "/etc/ssh/sshd_config", 40 + i
    ),
}
_OPTIONAL = {"ctr": 0.3, "svc.redis-auth": 0.15, "web": 0.4, "fw.container-bypass": 0.3}


def _applies(check: str, rng: random.Random) -> bool:
    for prefix, share in _OPTIONAL.items():
        if check == prefix or check.startswith(prefix + "."):
            return rng.random() < share
    return True


def _objects(check: str, host: str, count: int) -> tuple[FindingObject, ...]:
    for prefix, make in _OBJECTS.items():
        if check == prefix or check.startswith(prefix + "."):
            return tuple(make(host, i) for i in range(count))
    return ()


class Fleet:
    """The fleet's state; `night()` moves it on by one night and reports it."""

    def __init__(self, hosts: int, seed: int = 9) -> None:
        self.rng = random.Random(seed)
        self.checks = load_checks([])
        self.names = [
            f"{('web', 'db', 'app', 'cache')[i % 4]}{i:04d}.dc{i % 3}.example.net"
            for i in range(hosts)
        ]
        self.state: dict[tuple[str, str], tuple[Status, int]] = {}
        for name in self.names:
            for check in self.checks:
                self.state[(name, check.id)] = self._draw(check.id)

    def _draw(self, check: str) -> tuple[Status, int]:
        rng = self.rng
        if not _applies(check, rng):
            return Status.SKIP, 0
        roll = rng.random()
        if roll < 0.12:
            return Status.FAIL, 1 if rng.random() < 0.7 else rng.randint(2, 4)
        if roll < 0.15:
            return Status.UNKNOWN, 0
        return Status.PASS, 0

    def night(self, started: datetime) -> RunReport:
        rng = self.rng
        for key, (status, _count) in list(self.state.items()):
            if status != Status.SKIP and rng.random() < 0.02:
                self.state[key] = self._draw(key[1])
        hosts = []
        for i, name in enumerate(self.names):
            if rng.random() < 0.015:
                hosts.append(
                    HostReport(
                        name,
                        f"10.{i // 250}.{i % 250}.1",
                        ("prod",),
                        HostStatus.UNREACHABLE,
                        "connect to 10.0.0.1:22: timed out after 10s",
                        10.0,
                    )
                )
                continue
            findings = []
            for check in self.checks:
                status, count = self.state[(name, check.id)]
                objects = _objects(check.id, name, count) if status == Status.FAIL else ()
                evidence: tuple[str, ...] = ()
                reason = ""
                if status == Status.FAIL:
                    evidence = tuple(
                        f"{o.key or check.id}: mode 0644 owner root, expected 0600 (seen by {check.facts[0] if check.facts else 'facts'})"
                        for o in (objects or (FindingObject(""),))
                    )
                elif status == Status.PASS:
                    evidence = (f"{check.id}: as expected",)
                elif status == Status.UNKNOWN:
                    reason = "sshd -T failed: permission denied (run with become)"
                elif status == Status.SKIP:
                    reason = "not applicable: no container engine"
                findings.append(
                    CheckResult(
                        check.id,
                        status,
                        check.severity,
                        check.title,
                        evidence,
                        reason,
                        objects=objects,
                    )
                )
            hosts.append(
                HostReport(
                    name,
                    f"10.{i // 250}.{i % 250}.1",
                    ("prod", name[:3]),
                    HostStatus.OK,
                    "",
                    round(rng.uniform(0.8, 4.0), 3),
                    tuple(findings),
                    privilege="root",
                    os="Debian GNU/Linux 12 (bookworm)",
                )
            )
        return RunReport(
            "0.1.0",
            started.isoformat(timespec="seconds"),
            312.5,
            "/srv/inventory/prod.yml",
            "all",
            tuple(c.id for c in self.checks),
            tuple(hosts),
        )


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _table_sizes(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        return {
            str(n): int(s)
            for n, s in db.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            )
        }
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()


def _normalised_findings_size(reports: list[RunReport], where: Path) -> int:
    """The alternative to the compressed document: one row per finding, evidence included."""
    path = where / "normalised.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE findings (run INTEGER, host TEXT, check_id TEXT, status TEXT,"
        " severity INTEGER, title TEXT, evidence TEXT, reason TEXT, PRIMARY KEY (run, host, check_id)) WITHOUT ROWID"
    )
    for run, report in enumerate(reports):
        db.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run,
                    h.name,
                    f.check,
                    f.status.value,
                    int(f.severity),
                    f.title,
                    json.dumps(f.evidence),
                    f.reason,
                )
                for h in report.hosts
                for f in h.findings
            ],
        )
        db.commit()
    db.execute("VACUUM")
    db.close()
    return path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    fleet = Fleet(args.hosts)
    start = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    record_s, record_cpu_s, annotate_s, reports = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="history-bench-") as tmp:
        path = Path(tmp) / "history.sqlite"
        with HistoryDB.open(path) as history:
            for night in range(args.nights):
                report = fleet.night(start + timedelta(days=night))
                reports.append(report)
                t0, c0 = time.perf_counter(), time.process_time()
                run_id = history.record(report)
                record_s.append(time.perf_counter() - t0)
                record_cpu_s.append(time.process_time() - c0)
                t0 = time.perf_counter()
                annotated = history.annotate(report, run_id)
                annotate_s.append(time.perf_counter() - t0)
                print(
                    f"night {night + 1}: record {record_s[-1]:.2f}s annotate {annotate_s[-1]:.2f}s "
                    f"size {_size(path) / 1e6:.1f} MB",
                    file=sys.stderr,
                )
            longest = max(s.runs for s in annotated.annotations.first_seen.values())
            t0 = time.perf_counter()
            history.load_run("latest")
            load_s = time.perf_counter() - t0
            history._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = _size(path)
        tables = _table_sizes(path)
        db = sqlite3.connect(path)
        documents = int(db.execute("SELECT sum(length(document)) FROM runs").fetchone()[0])
        db.close()
        last = reports[-1]
        compact = json.dumps(report_to_dict(last), separators=(",", ":")).encode()
        t0 = time.perf_counter()
        z = zlib.compress(compact, 6)
        zlib_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        x = lzma.compress(compact, preset=6)
        lzma_s = time.perf_counter() - t0
        normalised = _normalised_findings_size(reports, Path(tmp))
    failing = len(last.failing_objects())
    result = {
        "hosts": args.hosts,
        "checks": len(last.checks),
        "nights": args.nights,
        "failing_objects_per_night": failing,
        "record_s": {
            "mean": round(statistics.mean(record_s), 3),
            "max": round(max(record_s), 3),
            "first": round(record_s[0], 3),
            "last": round(record_s[-1], 3),
        },
        "record_cpu_s": {
            "mean": round(statistics.mean(record_cpu_s), 3),
            "max": round(max(record_cpu_s), 3),
        },
        "annotate_s": {
            "mean": round(statistics.mean(annotate_s), 3),
            "max": round(max(annotate_s), 3),
        },
        "load_run_s": round(load_s, 3),
        "db_bytes": size,
        "db_mb_per_1000_hosts_per_30_nights": round(
            size / 1e6 * 1000 / args.hosts * 30 / args.nights, 1
        ),
        "table_bytes": tables,
        "documents_bytes": documents,
        "report_json_compact_bytes": len(compact),
        "report_json_zlib6_bytes": len(z),
        "zlib6_s": round(zlib_s, 3),
        "report_json_lzma6_bytes": len(x),
        "lzma6_s": round(lzma_s, 3),
        "normalised_findings_db_bytes": normalised,
        "longest_streak_runs": longest,
        "machine": f"{os.cpu_count()} cpu, load {os.getloadavg()[0]:.1f}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "history_size.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
