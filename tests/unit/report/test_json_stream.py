"""report.json is streamed host by host (iter_json): byte for byte the document the
whole-in-memory renderer wrote (json.dumps(report_to_dict(r), indent=2) + newline), for any
report, and never more than one host's piece at a time. SARIF streams result by result the
same way (iter_sarif)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardaudit.errors import UsageError
from hardaudit.report.json import iter_json, report_to_dict
from hardaudit.report.model import RunAnnotations, RunReport
from hardaudit.report.sarif import iter_sarif, report_to_sarif
from hardaudit.report.writers import render_chunks, write_atomic, write_report

from .fleet import fleet_checks, synthetic_fleet
from .sample import REPORT

GOLDEN = Path(__file__).parents[2] / "golden" / "report.json"


def whole_document(report: RunReport) -> str:
    """report.json as render_json wrote it before it streamed: the whole dict, then dumps."""
    return json.dumps(report_to_dict(report), indent=2) + "\n"


# Any text a target or the inventory may supply: control characters, newlines, quotes,
# backslashes, non-ASCII, lone surrogates.
hostile_text = st.text(st.characters(codec=None), max_size=30)


@st.composite
def reports(draw: st.DrawFn) -> RunReport:
    report = synthetic_fleet(
        draw(st.integers(0, 12)), seed=draw(st.integers(0, 2**32)), hostile=draw(st.booleans())
    )
    notes = report.annotations
    annotations = draw(
        st.sampled_from(
            (
                notes,  # trend, drift, first_seen, never_audited
                RunAnnotations(),  # no history: no trend, no drift
                replace(notes, drift=None),
                replace(notes, trend=()),
            )
        )
    )
    hosts = report.hosts
    if hosts and draw(st.booleans()):
        first = hosts[0]
        hosts = (
            replace(
                first,
                name=draw(hostile_text),
                os=draw(hostile_text),
                duration_s=draw(st.floats(0, 1e6, allow_nan=False)),
                notes=tuple(draw(st.lists(hostile_text, max_size=3))),
            ),
            *hosts[1:],
        )
    return replace(
        report,
        hosts=hosts,
        annotations=annotations,
        inventory=draw(hostile_text),
        selection=draw(hostile_text),
        duration_s=draw(st.floats(0, 1e7, allow_nan=False)),
        waivers=report.waivers if draw(st.booleans()) else (),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_streamed_json_is_byte_identical_to_the_whole_document(report: RunReport) -> None:
    assert "".join(iter_json(report)) == whole_document(report)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_streamed_compact_json_is_the_compact_dump(report: RunReport) -> None:
    expected = json.dumps(report_to_dict(report), separators=(",", ":"))
    assert "".join(iter_json(report, compact=True)) == expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports(), st.booleans())
def test_streamed_sarif_is_byte_identical_to_the_whole_log(
    report: RunReport, with_checks: bool
) -> None:
    checks = fleet_checks() if with_checks else None
    expected = json.dumps(report_to_sarif(report, checks), indent=2) + "\n"
    assert "".join(iter_sarif(report, checks)) == expected


def test_streamed_sarif_of_a_clean_run_has_an_empty_result_list() -> None:
    report = replace(synthetic_fleet(0), hosts=())
    text = "".join(iter_sarif(report))
    assert text == json.dumps(report_to_sarif(report), indent=2) + "\n"
    assert json.loads(text)["runs"][0]["results"] == []


@pytest.mark.parametrize("size", [0, 1, 2, 40])
def test_streamed_json_of_fleets_with_no_one_or_many_hosts(size: int) -> None:
    for hostile in (False, True):
        report = synthetic_fleet(size, hostile=hostile)
        assert "".join(iter_json(report)) == whole_document(report)


def test_streamed_json_matches_the_golden_file() -> None:
    assert "".join(iter_json(REPORT)).encode("utf-8") == GOLDEN.read_bytes()


def test_the_document_is_never_whole_in_one_piece() -> None:
    report = synthetic_fleet(300)
    pieces = list(iter_json(report))
    total = sum(len(p) for p in pieces)
    assert len(pieces) >= len(report.hosts)
    # the biggest piece is one host (or the drift of the whole run), not the fleet
    biggest_host = (
        max(
            len(json.dumps(report_to_dict(replace(report, hosts=(h,)))["hosts"][0], indent=2))
            for h in report.hosts
        )
        * 2
    )
    assert max(len(p) for p in pieces if '"drift"' not in p) < biggest_host < total / 50


def test_write_report_streams_the_same_bytes_into_a_private_file(tmp_path: Path) -> None:
    report = synthetic_fleet(60, hostile=True)
    path = write_report(report, "json", tmp_path / "out")
    assert path.read_bytes() == whole_document(report).encode("utf-8")
    assert path.stat().st_mode & 0o777 == 0o600
    assert b"".join(render_chunks(report, "json")) == path.read_bytes()


def test_a_render_failing_midway_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_bytes(b"old")

    def pieces():  # type: ignore[no-untyped-def]
        yield b"{\n"
        raise RuntimeError("renderer bug")

    with pytest.raises(RuntimeError, match="renderer bug"):
        write_atomic(target, pieces(), 0o600, "--output")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_write_atomic_writes_pieces_larger_than_one_write(tmp_path: Path) -> None:
    target = tmp_path / "big.json"
    pieces = [bytes([65 + i % 26]) * 300_000 for i in range(10)]
    write_atomic(target, iter(pieces), 0o600, "--output")
    assert target.read_bytes() == b"".join(pieces)


def test_write_atomic_still_answers_a_usage_error_for_a_missing_directory(
    tmp_path: Path,
) -> None:
    with pytest.raises(UsageError, match="cannot write --output"):
        write_atomic(tmp_path / "nowhere" / "r.json", iter([b"x"]), 0o600, "--output")
