"""One entry point for every report format: its renderer and its file name.

>>> render(report, "sarif", {c.id: c for c in checks})  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from hardaudit.checks.model import Check
from hardaudit.errors import UsageError
from hardaudit.localfiles import prepare_private_dir, write_all, write_private
from hardaudit.report.model import RunReport

FORMATS = ("table", "json", "html", "junit", "sarif", "prometheus", "markdown")
# Mode of the --prometheus-file: node_exporter usually runs as another user and must read it;
# it names hosts, their groups and scores, never evidence.
TEXTFILE_MODE = 0o644

# File name of each format in the output directory.
EXTENSIONS = {
    "table": "report.txt",
    "json": "report.json",
    "html": "report.html",
    "junit": "report.junit.xml",
    "sarif": "report.sarif",
    "prometheus": "report.prom",
    "markdown": "report.md",
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
    if fmt == "prometheus":
        from hardaudit.report.prometheus import render_prometheus

        return render_prometheus(report)
    if fmt == "markdown":
        from hardaudit.report.markdown import render_markdown

        return render_markdown(report)
    raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(FORMATS)}")


def render_chunks(
    report: RunReport, fmt: str, checks: Mapping[str, Check] | None = None
) -> Iterator[bytes]:
    """`render(report, fmt, checks)` as UTF-8 pieces: report.json streams host by host
    (report.json.iter_json; a 5,000-host document is never whole in memory), SARIF result
    by result (sarif.iter_sarif); every other format is rendered at once, one piece."""
    if fmt == "json":
        from hardaudit.report.json import iter_json

        for piece in iter_json(report):
            yield piece.encode("utf-8")
    elif fmt == "sarif":
        from hardaudit.report.sarif import iter_sarif

        for piece in iter_sarif(report, checks):
            yield piece.encode("utf-8")
    else:
        yield render(report, fmt, checks).encode("utf-8")


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
    if fmt not in EXTENSIONS:
        raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(FORMATS)}")
    prepare_private_dir(out_dir, "output reports", "--output-dir")
    return write_private(out_dir, EXTENSIONS[fmt], render_chunks(report, fmt, checks))


def write_atomic(path: Path, data: bytes | Iterable[bytes], mode: int, option: str) -> Path:
    """Write `data` to `path` atomically: a temp file in the same directory (O_EXCL,
    O_NOFOLLOW, a dot name no collector reads), fsynced, chmod `mode` whatever the umask,
    then renamed over `path`, so a reader never sees half a file and a symlink at `path` is
    replaced, never followed. `option` names the flag in the UsageError a failure raises.
    `data` may be an iterable of pieces (render_chunks), written as they come.
    """
    directory = path.parent if str(path.parent) else Path(".")
    if not path.name or path.name in (".", ".."):
        raise UsageError(f"{option} {path}: not a file name", hint="name a file")
    temp = directory / f".{path.name[:100]}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(
            temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        try:
            os.fchmod(fd, mode)
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink()  # a failed render (streamed pieces) leaves no temp file either
        if not isinstance(exc, OSError):
            raise
        raise UsageError(
            f"cannot write {option} {path}: {exc.strerror or exc}",
            hint="give a file in an existing directory you may write to",
        ) from None
    return path


def write_textfile(report: RunReport, path: Path) -> Path:
    """Write the Prometheus exposition of `report` to `path` for node_exporter's textfile
    collector (`write_atomic`, mode TEXTFILE_MODE: the collector usually runs as another
    user; it reads only *.prom, so it skips the temp file)."""
    return write_atomic(
        path, render(report, "prometheus").encode("utf-8"), TEXTFILE_MODE, "--prometheus-file"
    )
