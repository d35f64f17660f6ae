"""The installed wheel carries the built-in checks and templates: no source tree needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
def test_wheel_ships_builtin_checks(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "wheel"),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "wheel").glob("hardaudit-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import hardaudit; print(hardaudit.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(target))
    listing = subprocess.run(
        [sys.executable, "-m", "hardaudit", "checks", "list"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    ids = {c.name.removesuffix(".yml") for c in (ROOT / "checks").rglob("*.yml")}
    for check_id in ids:
        assert check_id in listing.stdout
    # the shipped profiles too: `audit profiles list` from the wheel names every one
    profiles = subprocess.run(
        [sys.executable, "-m", "hardaudit", "profiles", "list"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    for name in (p.stem for p in (ROOT / "profiles").glob("*.yml")):
        assert f"\n{name} " in profiles.stdout
    # the facts script is shell in package data: every part is in the wheel and assembles
    from hardaudit.facts.script import SCRIPT_PARTS

    shipped = {p.name for p in (target / "hardaudit" / "facts" / "sh").glob("*.sh")}
    assert shipped == set(SCRIPT_PARTS)
    script = subprocess.run(
        [
            sys.executable,
            "-c",
            "from hardaudit.facts.script import build_script as b; print(b(become=True).script)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "run meta 16384 meta" in script.stdout
    # the HTML report's script is package data too, read when the renderer is imported
    from hardaudit.report.html import SCRIPT_HASH

    html = subprocess.run(
        [sys.executable, "-c", "from hardaudit.report.html import CSP; print(CSP)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"'sha256-{SCRIPT_HASH}'" in html.stdout
    # the JSON Schemas are package data too: `audit schema` prints them from the wheel
    for document in ("report", "diff"):
        printed = subprocess.run(
            [sys.executable, "-m", "hardaudit", "schema", document],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert f"hardaudit.{document}/1" in printed.stdout
