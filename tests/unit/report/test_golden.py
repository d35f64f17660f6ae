"""Every report format of one fixed run, compared with tests/golden/.

After an intended change: `UPDATE_GOLDEN=1 python -m pytest tests/unit/report/test_golden.py`,
then review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from hardaudit.report.json import render_json
from hardaudit.report.model import RunReport
from hardaudit.report.terminal import render_table
from hardaudit.report.writers import EXTENSIONS, render

from .sample import CHECKS, REPORT

GOLDEN = Path(__file__).parents[2] / "golden"

RENDERERS: dict[str, Callable[[RunReport], str]] = {
    "table": render_table,
    "json": render_json,
    "html": lambda r: render(r, "html", CHECKS),
    "junit": lambda r: render(r, "junit", CHECKS),
    "sarif": lambda r: render(r, "sarif", CHECKS),
    "prometheus": lambda r: render(r, "prometheus", CHECKS),
}


@pytest.mark.parametrize("fmt", RENDERERS)
def test_rendering_matches_golden_file(fmt: str) -> None:
    actual = RENDERERS[fmt](REPORT)
    path = GOLDEN / EXTENSIONS[fmt]
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    if not path.exists():
        pytest.fail(f"{path} is missing; create it with UPDATE_GOLDEN=1")
    expected = path.read_bytes().decode("utf-8")  # byte-exact: no newline translation
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{path.name}",
                tofile=f"rendered {fmt}",
            )
        )
        pytest.fail(
            f"{fmt} output differs from {path} (UPDATE_GOLDEN=1 rewrites it if intended):\n{diff}",
            pytrace=False,
        )


def test_registry_renderers_agree_with_direct_ones() -> None:
    assert render(REPORT, "table") == render_table(REPORT)
    assert render(REPORT, "json") == render_json(REPORT)
