"""The Makefile installs into the project venv .venv/ and only when pyproject.toml changed.

`make -n` in a copy of the Makefile: what each target would run, without running it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.unit.lab_module import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def dry_run(project: Path, *targets: str, python: str | None = None) -> list[str]:
    argv = ["make", "-n", "--no-print-directory", *targets]
    if python is not None:
        argv.append(f"PYTHON={python}")
    # not the settings of a `make test PYTHON=...` this suite may run under: make exports
    # command-line variables to its recipes, and passes them on in MAKEFLAGS
    outer = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHON"}
    env = {k: v for k, v in os.environ.items() if k not in outer}
    done = subprocess.run(argv, cwd=project, capture_output=True, text=True, check=True, env=env)
    return done.stdout.splitlines()


def installed_venv(project: Path) -> None:
    """A venv whose editable install is newer than pyproject.toml."""
    python = project / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    now = time.time()
    os.utime(project / "pyproject.toml", (now - 100, now - 100))
    (project / ".venv" / ".installed").touch()
    os.utime(project / ".venv" / ".installed", (now - 50, now - 50))


def test_a_fresh_checkout_makes_a_venv_and_installs_into_it(project: Path) -> None:
    lines = dry_run(project, "test")
    assert "python3 -m venv .venv" in lines
    assert ".venv/bin/python -m pip install -q -e '.[dev]'" in lines
    assert not [line for line in lines if "pip install" in line and ".venv/bin/" not in line]


def test_every_target_runs_the_venv_python_and_audit(project: Path) -> None:
    lines = dry_run(project, "test", "demo", "lab-up", "unit", "lint")
    outside = re.compile(r"(?<![\w./:-])(python3?|audit|pip|pytest|ruff|mypy) ")
    for line in lines:
        if "-m venv .venv" in line or line.startswith("bash lab/ensure-deps.sh --python "):
            continue
        command = line.replace("make lab-down", "").replace(" -m ", " -m:")  # `python -m pip`
        assert not outside.search(command), line
    assert any(".venv/bin/audit run -i lab/inventory.yml" in line for line in lines)
    assert any(line.strip().startswith(".venv/bin/python -m pytest -q -ra") for line in lines)


def test_debians_python_only_creates_the_venv(project: Path) -> None:
    lines = dry_run(project, "demo", python="/usr/bin/python3")
    assert "/usr/bin/python3 -m venv .venv" in lines
    assert any(line.endswith("--python /usr/bin/python3") for line in lines)  # python3-venv
    others = [line for line in lines if "/usr/bin/python3" in line and "venv" not in line]
    assert others == ["bash lab/ensure-deps.sh --python /usr/bin/python3"]


def test_make_test_does_not_reinstall_when_nothing_changed(project: Path) -> None:
    installed_venv(project)
    lines = dry_run(project, "test")
    assert not [line for line in lines if "pip install" in line]
    assert not [line for line in lines if "-m venv" in line]


def test_make_test_reinstalls_after_pyproject_changed(project: Path) -> None:
    installed_venv(project)
    (project / "pyproject.toml").touch()
    lines = dry_run(project, "test")
    assert ".venv/bin/python -m pip install -q -e '.[dev]'" in lines


def test_lab_down_works_without_a_venv(project: Path) -> None:
    assert dry_run(project, "lab-down") == ["python3 lab/labctl.py down"]
    installed_venv(project)
    assert dry_run(project, "lab-down") == [".venv/bin/python lab/labctl.py down"]
