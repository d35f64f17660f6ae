#!/usr/bin/env python3
"""Programs the facts script starts, counted on this machine (issue 11: target CPU).

Each program start costs a target ~1-3 ms of CPU, and the target CPU measured in the lab
(`bench/target_cost.py`) moves more with the machine's load than with a few starts. This
count does not: it runs the full-catalog wrapper command and script here, as the current
user without become (no sudo), under `strace -f -z -e trace=execve`, and counts the
successful execve calls by program name. Needs strace (Debian package strace; not in
lab/deps.txt: no test or lab step runs this).

    python3 bench/script_execs.py                       # this tree's script
    python3 bench/script_execs.py --src /tmp/main/src   # another tree's (`git archive`)

What it counts depends on this machine (which tools exist, how many sshd_config files):
compare two scripts on the same machine, not across machines.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def count(src: str) -> collections.Counter[str]:
    sys.path.insert(0, src)
    from hardaudit.facts.script import build_script

    script = build_script(become=False)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "execs"
        subprocess.run(
            [
                "strace",
                "-f",
                "-qq",
                "-z",
                "-e",
                "trace=execve",
                "-o",
                str(log),
                "/bin/sh",
                "-c",
                script.command,
            ],
            input=script.script.encode(),
            capture_output=True,
            timeout=600,
            check=False,
        )
        lines = [line for line in log.read_text().splitlines() if 'execve("' in line]
    return collections.Counter(
        line.split('execve("', 1)[1].split('"', 1)[0].rsplit("/", 1)[-1] for line in lines
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", default=str(REPO / "src"), help="hardaudit's src/ directory")
    args = parser.parse_args()
    programs = count(args.src)
    print(f"{sum(programs.values())} program starts ({args.src})")
    for name, n in programs.most_common():
        print(f"  {n:4}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
