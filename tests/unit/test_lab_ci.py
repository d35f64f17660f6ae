""".ci/run: fresh-machine checks first, then `make test`; non-zero on failure, pytest's summary.

Run on a copy of .ci/run and lab/ensure-deps.sh with a fake `make` first on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unit.lab_module import REPO, fake_program

SUMMARY = "==== 1 failed, 41 passed in 3.21s ===="


@pytest.fixture
def ci_copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / ".ci").mkdir(parents=True)
    (project / "lab").mkdir()
    shutil.copy(REPO / ".ci" / "run", project / ".ci" / "run")
    for name in ("ensure-deps.sh", "deps.txt"):
        shutil.copy(REPO / "lab" / name, project / "lab" / name)
    return project


def run_ci(project: Path, tmp_path: Path, make_body: str) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake_program(bin_dir, "make", make_body)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LOG": str(tmp_path / "log")}
    return subprocess.run(["bash", str(project / ".ci" / "run")], capture_output=True,
                          text=True, env=env, check=False, timeout=60)  # fmt: skip


def test_a_failing_test_suite_fails_ci_and_its_summary_is_printed(
    ci_copy: Path, tmp_path: Path
) -> None:
    body = f'[ "$1" = test ] || exit 0\necho "{SUMMARY}"\nexit 2'
    done = run_ci(ci_copy, tmp_path, body)
    assert done.returncode == 2
    assert f"ci: pytest: {SUMMARY}" in done.stdout
    assert "ci: FAILED (exit 2)" in done.stdout
    assert (tmp_path / "log").read_text().splitlines() == ["make fresh-machine-check", "make test"]


def test_the_fresh_machine_check_runs_first_and_stops_ci(ci_copy: Path, tmp_path: Path) -> None:
    done = run_ci(ci_copy, tmp_path, '[ "$1" = fresh-machine-check ] && exit 1\nexit 0')
    assert done.returncode == 1
    assert "failed before the test suite" in done.stdout
    assert (tmp_path / "log").read_text().splitlines() == ["make fresh-machine-check"]


def test_a_green_run_exits_zero_with_the_summary(ci_copy: Path, tmp_path: Path) -> None:
    done = run_ci(
        ci_copy, tmp_path, '[ "$1" = test ] && echo "==== 42 passed in 3.00s ===="\nexit 0'
    )
    assert done.returncode == 0
    assert "ci: pytest: ==== 42 passed in 3.00s ====" in done.stdout
    assert "[deps]" in done.stdout  # the record of what this machine lacked, or "nothing missing"
