"""The format registry: every format renders and has its file name."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.report.writers import EXTENSIONS, FORMATS, render, write_report

from .sample import CHECKS, REPORT


def test_every_format_has_a_file_name() -> None:
    assert FORMATS == ("table", "json", "html", "junit", "sarif", "prometheus", "markdown")
    assert tuple(EXTENSIONS) == FORMATS
    assert EXTENSIONS == {
        "table": "report.txt",
        "json": "report.json",
        "html": "report.html",
        "junit": "report.junit.xml",
        "sarif": "report.sarif",
        "prometheus": "report.prom",
        "markdown": "report.md",
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_with_and_without_definitions(fmt: str) -> None:
    for checks in (CHECKS, None):
        text = render(REPORT, fmt, checks)
        assert text.endswith("\n")
        assert "web1" in text


def test_unknown_format_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown report format 'yaml'"):
        render(REPORT, "yaml")


def test_write_report_writes_the_named_file(tmp_path: Path) -> None:
    path = write_report(REPORT, "junit", tmp_path / "out", CHECKS)
    assert path == tmp_path / "out" / "report.junit.xml"
    assert path.read_text(encoding="utf-8") == render(REPORT, "junit", CHECKS)
