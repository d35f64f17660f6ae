"""One entry point for every report format: its renderer and its file name.

>>> render(report, "sarif", {c.id: c for c in checks})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hardaudit.checks.model import Check
from hardaudit.localfiles import prepare_private_dir, write_private
from hardaudit.report.model import RunReport

FORMATS = ("table", "json", "html", "junit", "sarif")

# File name of each format in the output directory.
EXTENSIONS = {
    "table": "report.txt",
    "json": "report.json",
    "html": "report.html",
    "junit": "report.junit.xml",
    "sarif": "report.sarif",
}


def render(report: RunReport, fmt: str, checks: Mapping[str, Check] | None = None) -> str:
    """The report in format `fmt` (one of FORMATS) as text.

    `checks` maps check id to its definition; HTML adds remediation from it and SARIF rule
    descriptions (rationale, remediation, tags). Without it both still render, from the
    findings alone. Raises ValueError for an unknown format.
    """
    # Renderers are imported on use: `audit run --format table` need not load Jinja2.
    if fmt == "table":
        from hardaudit.report.terminal import render_table

        return render_table(report)
    if fmt == "json":
        from hardaudit.report.json import render_json

        return render_json(report)
    if fmt == "html":
        from hardaudit.report.html import render_html

        return render_html(report, checks)
    if fmt == "junit":
        from hardaudit.report.junit import render_junit

        return render_junit(report)
    if fmt == "sarif":
        from hardaudit.report.sarif import render_sarif

        return render_sarif(report, checks)
    raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(FORMATS)}")


def write_report(
    report: RunReport,
    fmt: str,
    out_dir: Path,
    checks: Mapping[str, Check] | None = None,
) -> Path:
    """Render `fmt` into `out_dir` under its EXTENSIONS name (UTF-8, 0600) and return the path.

    The directory must be the user's own and not writable by others (UsageError otherwise);
    the file is replaced atomically, a symlink in its place is replaced, never followed.
    """
    text = render(report, fmt, checks)
    prepare_private_dir(out_dir, "output reports", "--output-dir")
    return write_private(out_dir, EXTENSIONS[fmt], text.encode("utf-8"))
