#!/usr/bin/env python3
"""Measure hardaudit against the running lab (python3 lab/bench.py; the lab must be up).

Prints, from one invocation:
- wall time of `audit run -i lab/inventory.yml` (median of --runs);
- wall time of a bare OpenSSH connect + `true` to every auditable host, all in parallel
  (the same parallelism the audit uses), and the slowest single host;
- per host, the remote exec time of the full facts script versus the foundation slice
  (the facts of the first 7 checks), median of --runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOUNDATION_FACTS = {"sshd", "ssh_files", "listeners", "firewall", "containers"}


def audit_run(inventory: Path) -> tuple[float, dict[str, object]]:
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "hardaudit", "run", "-i", str(inventory), "--output-dir", out],
            capture_output=True,
            check=False,
            cwd=REPO,
        )
        seconds = time.monotonic() - started
        return seconds, json.loads((Path(out) / "report.json").read_text())


def ssh_true_argv(host: dict[str, object], ssh_config: Path) -> list[str]:
    jumps = [str(j) for j in host.get("jump", [])]  # type: ignore[union-attr]
    address = str(host["address"])
    argv = ["ssh", "-F", str(ssh_config), "-o", "BatchMode=yes"]
    if jumps:
        argv += ["-J", ",".join(j.split("@", 1)[-1] for j in jumps)]
    port = "22"
    if address == "127.0.0.1":
        port = str(host["port"])
    return [*argv, "-p", port, f"auditor@{address}", "true"]


def bare_ssh(hosts: list[dict[str, object]], ssh_config: Path) -> tuple[float, float]:
    def one(host: dict[str, object]) -> float:
        started = time.monotonic()
        subprocess.run(ssh_true_argv(host, ssh_config), capture_output=True, check=True, timeout=60)
        return time.monotonic() - started

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=10) as pool:
        per_host = list(pool.map(one, hosts))
    return time.monotonic() - started, max(per_host)


def exec_times(inventory: Path, names: list[str], runs: int) -> dict[str, tuple[float, float]]:
    sys.path.insert(0, str(REPO / "src"))
    from hardaudit.facts.script import build_script
    from hardaudit.inventory.loader import load_inventory
    from hardaudit.transport.ssh import SshTransport

    inv = load_inventory(inventory, use_default_ssh_config=False)
    transport = SshTransport()
    result: dict[str, tuple[float, float]] = {}
    try:
        for name in names:
            host = inv.host(name)
            assert host is not None
            samples: dict[str, list[float]] = {"full": [], "slice": []}
            for _ in range(runs):
                for label, facts in (("full", None), ("slice", FOUNDATION_FACTS)):
                    script = build_script(become=host.become, facts=facts)
                    started = time.monotonic()
                    transport.execute(host, script.command, script.script.encode(), 60)
                    samples[label].append(time.monotonic() - started)
            result[name] = (statistics.median(samples["slice"]), statistics.median(samples["full"]))
    finally:
        transport.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-i", "--inventory", type=Path, default=REPO / "lab" / "inventory.yml")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ssh_config = REPO / ".lab" / "ssh_config"
    timings = []
    report: dict[str, object] = {}
    for _ in range(args.runs):
        seconds, report = audit_run(args.inventory)
        timings.append(seconds)
    hosts = [h for h in report["hosts"] if h["status"] == "ok"]  # type: ignore[index]
    print(
        f"audit run: {statistics.median(timings):.2f}s median of {args.runs} "
        f"({len(report['hosts'])} hosts, {len(hosts)} audited)"
    )  # type: ignore[arg-type]
    bare = [bare_ssh(hosts, ssh_config) for _ in range(args.runs)]
    print(
        f"bare ssh connect + true, same {len(hosts)} hosts in parallel: "
        f"{statistics.median(b[0] for b in bare):.2f}s (slowest host {statistics.median(b[1] for b in bare):.2f}s)"
    )
    print("remote exec per host (connection included), foundation slice -> full catalog:")
    for name, (slice_s, full_s) in exec_times(
        args.inventory, [str(h["name"]) for h in hosts], args.runs
    ).items():
        print(f"  {name:<14} {slice_s:.2f}s -> {full_s:.2f}s  ({full_s / slice_s:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
