#!/usr/bin/env python3
"""hardaudit's benchmark: the lab comparison and the simulated fleet (see bench/README.md).

    python bench/run.py lab   [--runs 3] [--forks 10] [--lab-up]   # needs the bench extra
    python bench/run.py fleet [--runs 3] [--hosts 100,1000,5000] [--forks 50]
    python bench/run.py all   ...                                   # both, one results file

Every figure is a median of --runs (>= 3 by default) and is measured the same way: the tool
runs as a child process (in its own session) and this script reads, for its whole process
tree, the wall time, the CPU time (wait4's rusage: the tree's user + system time, the
children it waited for included), and, sampled every 50 ms from /proc, the peak resident
memory, file descriptors and threads summed over the tree. The load average is recorded
with every figure: the machine may be shared. Results go to bench/results/<UTC date>.json
and a PNG chart next to it; the comparison table is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
PY = sys.executable
AUDIT = [PY, "-m", "hardaudit"]


# ----------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Sample:
    wall_s: float
    cpu_s: float  # user + system of the whole process tree
    peak_rss_mb: float  # summed over the tree, sampled
    peak_fds: int
    peak_threads: int
    exit_code: int
    left_behind: int  # processes of its session still alive after it exited
    loadavg: tuple[float, float, float]


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tasks:
        with contextlib.suppress(OSError):
            kids += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
    return kids


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += _children(current)
    return pids


def _usage(pids: Sequence[int]) -> tuple[int, int, int]:
    """(RSS kB, open fds, threads) summed over `pids`."""
    rss = fds = threads = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads += int(line.split()[1])
            fds += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            continue
    return rss, fds, threads


def _session_members(sid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # fields[3] is the session id
            found.append(int(entry))
    return found


def measure(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
    timeout: float = 1800,
    log: Path | None = None,
) -> Sample:
    """Run argv to completion and measure its process tree (see the module docstring)."""
    out = open(log or os.devnull, "wb")  # noqa: SIM115 - closed below
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    peak = [0, 0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for i, value in enumerate(_usage(_tree(proc.pid))):
                peak[i] = max(peak[i], value)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    timer.cancel()
    stop.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.close()
    time.sleep(0.2)
    left = _session_members(proc.pid)
    for pid in left:  # measured, then cleaned up: the next run must start clean
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return Sample(
        wall_s=round(wall, 3),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        peak_rss_mb=round(peak[0] / 1024, 1),
        peak_fds=peak[1],
        peak_threads=peak[2],
        exit_code=proc.returncode,
        left_behind=len(left),
        loadavg=os.getloadavg(),
    )


def summary(samples: Sequence[Sample], hosts: int) -> dict[str, object]:
    """Medians of the samples, per host where it means something, and the raw samples."""

    def med(name: str) -> float:
        return float(statistics.median(getattr(s, name) for s in samples))

    return {
        "hosts": hosts,
        "runs": len(samples),
        "wall_s": med("wall_s"),
        "cpu_s": med("cpu_s"),
        "cpu_ms_per_host": round(1000 * med("cpu_s") / max(hosts, 1), 2),
        "peak_rss_mb": med("peak_rss_mb"),
        "peak_fds": int(med("peak_fds")),
        "peak_threads": int(med("peak_threads")),
        "left_behind": max(s.left_behind for s in samples),
        "exit_codes": sorted({s.exit_code for s in samples}),
        "loadavg": [s.loadavg for s in samples],
        "samples": [asdict(s) for s in samples],
    }


def clean_env() -> dict[str, str]:
    """The client environment: no ssh-agent (every tool uses the key file it is given)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SSH_AUTH_SOCK", "SSH_AGENT_PID")}
    env["PYTHONPATH"] = str(REPO / "src")
    return env


# ----------------------------------------------------------------------------- fleet


@contextlib.contextmanager
def fleet_server(hosts: int, directory: Path, delay: float, time_limit: float) -> Iterator[int]:
    """The simulated fleet (bench/fleet.py) as a child process; yields its pid."""
    server = subprocess.Popen(
        [
            PY,
            str(BENCH / "fleet.py"),
            "serve",
            "--hosts",
            str(hosts),
            "--dir",
            str(directory),
            "--delay",
            str(delay),
            "--time-limit",
            str(time_limit),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=clean_env(),
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline().decode()
        if not line.startswith("READY"):
            raise SystemExit(f"bench: the simulated fleet did not start: {line!r}")
        yield server.pid
    finally:
        if server.stdin:
            server.stdin.close()  # the server stops when its stdin closes
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_fleet(sizes: Sequence[int], runs: int, forks: int, delay: float) -> dict[str, object]:
    results: dict[str, object] = {}
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="hardaudit-fleet-") as tmp:
            directory = Path(tmp)
            with fleet_server(
                n, directory / "fleet", delay, time_limit=min(3600, 600 + n)
            ) as server:
                samples, server_cpu, statuses = [], [], {}
                for i in range(runs):
                    out = directory / f"out{i}"
                    before = _cpu_of(server)
                    sample = measure(
                        [
                            *AUDIT,
                            "run",
                            "-i",
                            str(directory / "fleet" / "inventory.yml"),
                            "--forks",
                            str(forks),
                            "--format",
                            "json",
                            # recorded as a nightly run would be, in the bench's own database
                            "--history",
                            str(directory / "history.sqlite"),
                            "--output-dir",
                            str(out),
                        ],
                        env=clean_env(),
                        cwd=directory,
                        log=directory / f"log{i}",
                    )
                    server_cpu.append(_cpu_of(server) - before)
                    report = json.loads((out / "report.json").read_text())
                    statuses = _count(h["status"] for h in report["hosts"])
                    samples.append(sample)
                    print(
                        f"  fleet N={n} run {i + 1}: {sample.wall_s:.1f}s wall, "
                        f"{1000 * sample.cpu_s / n:.1f} ms CPU/host, {sample.peak_rss_mb:.0f} MB, "
                        f"{sample.peak_fds} fds, {sample.peak_threads} threads, {statuses}, "
                        f"load {sample.loadavg[0]:.2f}",
                        flush=True,
                    )
            result = summary(samples, n)
            result["forks"] = forks
            result["delay_s"] = delay
            result["statuses"] = statuses
            result["server_cpu_ms_per_host"] = round(1000 * statistics.median(server_cpu) / n, 2)
            results[str(n)] = result
    return results


def _count(items: Iterator[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


# ----------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("lab", "fleet", "all"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hosts", default="100,1000,5000", help="fleet sizes (max 5000)")
    parser.add_argument(
        "--forks", type=int, default=None, help="concurrency (default: lab 10, fleet 50)"
    )
    parser.add_argument(
        "--delay", type=float, default=0.35, help="simulated facts-script time per host (s)"
    )
    parser.add_argument(
        "--lab-up",
        action="store_true",
        help="start the lab first (lab/labctl.py up) and stop it after",
    )
    parser.add_argument("--output", type=Path, default=None, help="results JSON path")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    results: dict[str, object] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_start": os.getloadavg(),
            "python": sys.version.split()[0],
        },
        "runs": args.runs,
    }
    if args.what in ("lab", "all"):
        from lab_compare import bench_lab  # bench/lab_compare.py

        results["lab"] = bench_lab(args.runs, args.forks or 10, lab_up=args.lab_up)
    if args.what in ("fleet", "all"):
        sizes = [int(s) for s in args.hosts.split(",") if s]
        results["fleet"] = bench_fleet(sizes, args.runs, args.forks or 50, args.delay)
    results["machine"]["loadavg_end"] = os.getloadavg()  # type: ignore[index]
    RESULTS.mkdir(exist_ok=True)
    path = args.output or RESULTS / f"{dt.datetime.now(dt.UTC):%Y-%m-%dT%H%MZ}-{args.what}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    from chart import print_table, write_chart  # bench/chart.py

    print_table(results)
    png = write_chart(results, path.with_suffix(".png"))
    print(f"\nresults: {path}" + (f", chart: {png}" if png else ""))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH))
    if shutil.which("ssh") is None:
        print("bench: note: no ssh client on PATH (Ansible and testinfra need one)")
    raise SystemExit(main())
