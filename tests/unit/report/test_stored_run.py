"""`audit report` re-renders a stored run: every format equals the one written at run time,
and `audit schema` prints the shipped JSON Schemas."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from hardaudit.cli import main
from hardaudit.report.json import report_to_dict
from hardaudit.report.load import report_from_dict
from hardaudit.report.schemas import load_schema
from hardaudit.report.writers import EXTENSIONS, FORMATS, render
from tests.consumers import assert_valid_output

from .sample import CHECKS, REPORT

GOLDEN = Path(__file__).parents[2] / "golden"
REPLAY = Path(__file__).parents[2] / "fixtures" / "replay"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_from_the_stored_sample_equals_its_golden_file(fmt: str) -> None:
    stored = report_from_dict(json.loads(render(REPORT, "json")))
    expected = (GOLDEN / EXTENSIONS[fmt]).read_bytes().decode("utf-8")
    assert render(stored, fmt, CHECKS) == expected


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A replayed `audit run` per format: the directory each one wrote."""
    dirs = {}
    for fmt in FORMATS:
        out = tmp_path_factory.mktemp(fmt)
        code = main(
            [
                "run",
                "-i",
                str(REPLAY / "inventory.yml"),
                "--replay-dir",
                str(REPLAY / "captures"),
                "--output-dir",
                str(out),
                "--format",
                fmt,
                "--history",
                str(out.parent / f"{fmt}-history.sqlite"),
            ]
        )
        assert code in (1, 3)
        dirs[fmt] = out
    return dirs


@pytest.mark.parametrize("fmt", FORMATS)
def test_audit_report_re_renders_what_audit_run_wrote(
    fmt: str, audited: dict[str, Path], tmp_path: Path
) -> None:
    out = audited[fmt]
    written = out / EXTENSIONS[fmt]
    assert_valid_output(written)
    again = tmp_path / f"again-{EXTENSIONS[fmt]}"
    code = main(["report", str(out / "report.json"), "--format", fmt, "-o", str(again)])
    assert code == 0
    assert again.read_text() == written.read_text()
    expected_mode = 0o644 if fmt == "prometheus" else 0o600
    assert stat.S_IMODE(again.stat().st_mode) == expected_mode


@pytest.mark.parametrize("fmt", FORMATS)
def test_audit_report_re_renders_a_history_run_as_audit_run_wrote_it(
    fmt: str, audited: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = audited[fmt]
    run_id = json.loads((out / "report.json").read_text())["run"]["id"]
    assert run_id
    history = str(out.parent / f"{fmt}-history.sqlite")
    for ref in (run_id, "latest"):
        assert main(["report", ref, "--history", history, "--format", fmt]) == 0
        assert capsys.readouterr().out == (out / EXTENSIONS[fmt]).read_text(), ref


def test_audit_report_prints_to_stdout(
    audited: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(audited["sarif"] / "report.json"), "--format", "sarif"]) == 0
    assert capsys.readouterr().out == (audited["sarif"] / "report.sarif").read_text()


def test_audit_report_on_a_broken_file_names_it_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "report.json"
    bad.write_text(json.dumps({**report_to_dict(REPORT), "hosts": [{"name": 3}]}))
    assert main(["report", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "Traceback" not in err


def test_audit_report_on_a_missing_run_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "missing.json"), "--history", str(tmp_path / "h")]) == 2
    assert "missing.json" in capsys.readouterr().err


@pytest.mark.parametrize("document", ["report", "diff"])
def test_audit_schema_prints_the_shipped_schema(
    document: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", document]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == load_schema(document)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_fresh_run_renders_as_its_stored_copy_whatever_its_timings(fmt: str) -> None:
    from datetime import UTC, datetime

    from hardaudit.runner import make_report

    from .sample import WEB1

    hosts = (replace(WEB1, duration_s=0.7451), replace(WEB1, name="web2", duration_s=12.34567))
    fresh = make_report(
        hosts,
        [],
        inventory="inv.yml",
        selection="all",
        started_at=datetime(2026, 12, 7, 4, 0, tzinfo=UTC),
        duration_s=13.0915,
    )
    stored = report_from_dict(json.loads(render(fresh, "json")))
    assert render(stored, fmt, CHECKS) == render(fresh, fmt, CHECKS)


def test_json_on_stdout_is_byte_for_byte_the_report_json_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit run --format json` copies the file it streamed to stdout; `audit report
    --format json` streams it to stdout: both print exactly the document."""
    out = tmp_path / "run"
    capsys.readouterr()
    code = main(
        [
            "run",
            "-i",
            str(REPLAY / "inventory.yml"),
            "--replay-dir",
            str(REPLAY / "captures"),
            "--output-dir",
            str(out),
            "--format",
            "json",
            "--no-history",
        ]
    )
    assert code in (1, 3)
    written = (out / "report.json").read_text(encoding="utf-8")
    assert capsys.readouterr().out == written
    assert main(["report", str(out / "report.json"), "--format", "json"]) == 0
    assert capsys.readouterr().out == written
