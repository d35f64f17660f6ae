"""bench/run.py runs after the README's set-up (not timed): a tiny simulated fleet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).parents[2] / "bench" / "run.py"


def test_the_fleet_bench_measures_three_hosts_and_writes_its_results(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(RUN), "fleet", "--runs", "1", "--hosts", "3", "--forks", "2",
         "--delay", "0.01", "--output", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    row = json.loads(out.read_text())["fleet"]["3"]
    assert row["statuses"] == {"ok": 3}
    assert row["left_behind"] == 0
    assert row["cpu_ms_per_host"] > 0
    assert row["peak_rss_mb"] > 0
    assert "simulated fleet (audit run), medians of 1" in done.stdout
