#!/usr/bin/env python3
"""The facts script's own cost on each target: CPU and `sudo` invocations (issue 11).

Runs the full-catalog facts script, exactly as `audit run` would send it to each host (its
variables applied), as the inventory's login user through the real SSH path (jump hosts,
host keys, `sudo -n` where `ansible_become` says so), `--runs` times per host, and reads on
the target:

- the CPU the script used: the `times` built-in at its end (user + system time of the
  script's shell and of every child it waited for: sudo, find, stat, awk... and whatever
  those ran). The wrapper `sh -c` execs the script's shell, so its `sudo -n -l` is counted
  too. Work done by daemons on the script's behalf (dockerd answering `docker ps`) is not;
- how many `sudo` invocations it made: a shell function shadowing `sudo` (and `timeout`,
  which the script puts in front of sudo) counts each on a file descriptor of its own,
  plus the wrapper's `sudo -n -l` when the login user is not root and become is on.

Both are added around the unchanged script (the counters after its prelude, `times` at
its end), so the same measurement applies to any version of the script.

    python3 bench/target_cost.py --label after            # the lab must be up
    python3 bench/target_cost.py --hosts web1,gold --runs 5
    python3 bench/target_cost.py --paired --label helper   # with and without the root helper

Results: a table on stdout and bench/results/target_cost-<label>.json (raw samples,
medians, the load average before and after: the machine is shared, note it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# --src DIR: measure the script of another tree (e.g. `git archive` of the base commit)
_SRC = sys.argv[sys.argv.index("--src") + 1] if "--src" in sys.argv[:-1] else str(REPO / "src")
sys.path.insert(0, _SRC)

from hardaudit.checks.loader import load_checks  # noqa: E402
from hardaudit.facts.sections import split_sections  # noqa: E402
from hardaudit.inventory.loader import load_inventory  # noqa: E402
from hardaudit.runner import host_script  # noqa: E402
from hardaudit.transport.ssh import SshTransport  # noqa: E402

SUDO_TAG = "@@target-cost-sudo"
TIMES_TAG = "@@target-cost-times"
# After the script's prelude (its `timeout` probe has run): count every sudo on fd 7.
COUNTERS = f"""exec 7>&2
sudo() {{ printf '\\n%s\\n' '{SUDO_TAG}' >&7; command sudo "$@"; }}
timeout() {{ if [ "$2" = sudo ]; then printf '\\n%s\\n' '{SUDO_TAG}' >&7; fi; command timeout "$@"; }}
"""
TRAILER = f"\nprintf '\\n%s\\n' '{TIMES_TAG}' >&7\ntimes >&7\n"
_TIMES = re.compile(r"(\d+)m\s*(\d+(?:\.\d+)?)s")
TARGET_CPU_S = 0.25


SECTION_TAG = "@@target-cost-section"


def instrument(script: str) -> str:
    """The script with the sudo counters before its first section, `times` after each
    section (for the CPU per section) and at its end."""
    lines = script.splitlines(keepends=True)
    # the root helper's call (one sudo for every root-only section) comes before the first run;
    # both are in `sections() {`, whose stderr goes through the capper (not fd 7's copy)
    first = next(
        i
        for i, line in enumerate(lines)
        if line.startswith(("sections() {", "run ", "root_helper "))
    )
    out = [*lines[:first], COUNTERS]
    for line in lines[first:]:
        out.append(line)
        if line.startswith(("run ", "root_helper ")):
            name = "root_helper" if line.startswith("root_helper ") else line.split()[1]
            out.append(f"printf '\\n%s %s\\n' '{SECTION_TAG}' '{name}' >&7; times >&7\n")
    return "".join([*out, TRAILER])


def cpu_by_section(stderr: str) -> dict[str, float]:
    """CPU seconds each section added (children's user + system, from `times` after it)."""
    result: dict[str, float] = {}
    previous = 0.0
    for chunk in stderr.split(SECTION_TAG + " ")[1:]:
        name, _, rest = chunk.partition("\n")
        values = [int(m) * 60 + float(s) for m, s in _TIMES.findall(rest)[:4]]
        if len(values) == 4:
            total = sum(values)
            result[name.strip()] = round(total - previous, 3)
            previous = total
    return result


def target_cpu(stderr: str) -> float | None:
    """user + system seconds of the shell and its children, from `times` after TIMES_TAG."""
    _, found, rest = stderr.rpartition(TIMES_TAG)
    if not found:
        return None
    values = [int(m) * 60 + float(s) for m, s in _TIMES.findall(rest)[:4]]
    return round(sum(values), 3) if len(values) == 4 else None


def sudo_by_section(stderr: str, nonce: str) -> dict[str, int]:
    """How many counted sudo calls fell in each section (its stderr BEGIN marker onwards)."""
    counts: dict[str, int] = {}
    section = "root_helper"  # before any section: the root helper's one sudo
    for line in stderr.splitlines():
        if line.startswith(f"@@{nonce} BEGIN "):
            section = line.split()[2]
        elif SUDO_TAG in line:
            counts[section] = counts.get(section, 0) + 1
    return counts


# --paired: the same script with the root helper turned off (as on a host whose sudoers does
# not name it), run in turn with the normal one, so both are measured under the same load.
NO_HELPER = "HA_RH=0\n"


def measure(
    transport: SshTransport,
    host: Any,
    checks: Any,
    runs: int,
    raw_dir: Path | None,
    *,
    no_helper: bool = False,
) -> dict[str, Any]:
    samples: list[dict[str, Any]] = []
    for _ in range(runs):
        script = host_script(host, checks)
        text = instrument(script.script)
        if no_helper:
            text = text.replace("\nroot_helper ", "\n" + NO_HELPER + "root_helper ", 1)
        started = time.monotonic()
        result = transport.execute(host, script.command, text.encode(), 120.0)
        wall = time.monotonic() - started
        stdout = result.stdout.decode(errors="replace")
        stderr = result.stderr.decode(errors="replace")
        if raw_dir is not None:  # the last run's raw streams, to look at by hand
            raw_dir.mkdir(parents=True, exist_ok=True)
            (raw_dir / f"{host.name}.out").write_text(stdout)
            (raw_dir / f"{host.name}.err").write_text(stderr)
        meta = split_sections(stdout, "", script.nonce).get("meta")
        fields = dict(
            line.split("=", 1) for line in (meta.text if meta else "").splitlines() if "=" in line
        )
        privilege = fields.get("privilege", "?")
        sudo = stderr.count(SUDO_TAG) + (1 if host.become and fields.get("uid") != "0" else 0)
        samples.append(
            {
                "cpu_s": target_cpu(stderr),
                "sudo_calls": sudo,
                "exec_wall_s": round(wall, 3),
                "privilege": privilege,
                "exit_code": result.exit_code,
                "sudo_by_section": sudo_by_section(stderr, script.nonce),
                "cpu_by_section": cpu_by_section(stderr),
            }
        )
    return _row(samples)


def _merged(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One host's row from single-run rows (paired mode)."""
    return _row([sample for row in rows for sample in row["samples"]])


def _row(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """One host's row: its samples and their medians."""
    cpus = [s["cpu_s"] for s in samples if s["cpu_s"] is not None]
    return {
        "privilege": samples[-1]["privilege"],
        "samples": samples,
        "cpu_s_median": round(statistics.median(cpus), 3) if cpus else None,
        "sudo_calls_median": statistics.median(s["sudo_calls"] for s in samples),
        "exec_wall_s_median": round(statistics.median(s["exec_wall_s"] for s in samples), 3),
    }


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("-i", "--inventory", type=Path, default=REPO / "lab" / "inventory.yml")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hosts", default="", help="comma-separated host names (default: all)")
    parser.add_argument("--label", default="run", help="names the results file")
    parser.add_argument("--src", help="import hardaudit (its script) from this src/ directory")
    parser.add_argument(
        "--commit",
        help="the commit whose script is measured (default: this tree's HEAD, with --src: "
        "unknown unless given)",
    )
    parser.add_argument("--raw-dir", type=Path, help="also save each host's raw output here")
    parser.add_argument(
        "--paired",
        action="store_true",
        help="also measure each host with the root helper turned off (HA_RH=0), in turn with "
        "the normal script: both under the same load",
    )
    parser.add_argument("--out-dir", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    inventory = load_inventory(args.inventory, use_default_ssh_config=False)
    broken = {"stale1", "closed1"}  # the lab's unreachable-on-purpose hosts
    names = [n for n in args.hosts.split(",") if n] or [
        h.name for h in inventory.hosts if h.name not in broken and not h.error
    ]
    checks = load_checks()
    load_before = loadavg()
    transport = SshTransport()
    hosts: dict[str, Any] = {}
    try:
        for name in names:
            if inventory.host(name) is None:
                print(f"{name}: not in the inventory", file=sys.stderr)
                return 2
        if not args.paired:
            for name in names:
                hosts[name] = measure(
                    transport, inventory.host(name), checks, args.runs, args.raw_dir
                )
        else:
            # round-robin over the hosts, a pair per host and round: the same load for both,
            # and few connections per host at a time (ufw1 and fwd1 rate-limit ssh: 6 new
            # connections in 30 s from one address are dropped)
            pairs: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {n: [] for n in names}
            for _ in range(args.runs):
                for name in names:
                    host = inventory.host(name)
                    pairs[name].append(
                        (
                            measure(transport, host, checks, 1, args.raw_dir),
                            measure(transport, host, checks, 1, None, no_helper=True),
                        )
                    )
            for name in names:
                hosts[name] = _merged([a for a, _ in pairs[name]])
                hosts[name]["without_helper"] = _merged([b for _, b in pairs[name]])
    finally:
        transport.close()
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    commit = args.commit or ("unknown" if args.src else head + ("+dirty" if dirty else ""))
    document = {
        "label": args.label,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "src": _SRC,
        "runs": args.runs,
        "nproc": os.cpu_count(),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
        "target_cpu_s": TARGET_CPU_S,
        "hosts": hosts,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / f"target_cost-{args.label}.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    extra = f" {'cpu s w/o helper':>17} {'sudo':>5}" if args.paired else ""
    print(f"{'host':<14} {'privilege':<9} {'cpu s':>7} {'sudo':>5} {'exec s':>7}{extra}")
    for name, row in hosts.items():
        cpu = row["cpu_s_median"]
        line = (
            f"{name:<14} {row['privilege']:<9} {cpu if cpu is not None else '?':>7} "
            f"{row['sudo_calls_median']:>5} {row['exec_wall_s_median']:>7}"
        )
        if "without_helper" in row:
            other = row["without_helper"]
            line += f" {other['cpu_s_median']!s:>17} {other['sudo_calls_median']:>5}"
        print(line)
    print(f"medians of {args.runs}; load average {load_before} -> {document['loadavg_after']}")
    print(f"written to {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
