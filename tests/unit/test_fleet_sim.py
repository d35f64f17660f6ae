"""The simulated fleet (bench/fleet.py) against `audit run`: every host audited, nothing
left behind in the auditing process (threads, file descriptors, child processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardaudit.cli import main

FLEET = Path(__file__).parents[2] / "bench" / "fleet.py"


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "fleet"
    server = subprocess.Popen(
        [
            sys.executable,
            str(FLEET),
            "serve",
            "--hosts",
            "5",
            "--dir",
            str(directory),
            "--delay",
            "0.05",
            "--time-limit",
            "120",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith("READY 5 ")
        yield directory
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def _children() -> list[str]:
    """Child process ids of this process (the runner's judge workers must be gone)."""
    return sorted(
        pid
        for task in Path("/proc/self/task").iterdir()
        for pid in (task / "children").read_text().split()
    )


def test_a_simulated_fleet_is_audited_and_the_run_leaves_nothing_behind(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)  # the inventory's key file only
    threads, fds, children = threading.active_count(), _fds(), _children()
    out = tmp_path / "out"
    code = main(
        [
            "run",
            "-i",
            str(fleet / "inventory.yml"),
            "--forks",
            "3",
            "--format",
            "json",
            "--output-dir",
            str(out),
        ]
    )
    report = json.loads((out / "report.json").read_text())
    assert {h["name"]: h["status"] for h in report["hosts"]} == {f"sim{i}": "ok" for i in range(5)}
    assert code == 0  # the replayed capture is the lab's `gold`, which passes every check
    deadline = time.monotonic() + 10  # paramiko's reader threads end as their sockets close
    while time.monotonic() < deadline and threading.active_count() > threads:
        time.sleep(0.05)
    assert threading.active_count() == threads, threading.enumerate()
    assert _fds() <= fds
    assert _children() == children
