"""report.json numbers read back: what the schema refuses, load refuses too, so no renderer
meets a NaN, an infinity or a negative duration from a hostile or damaged file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hardaudit.errors import ReportError
from hardaudit.report.load import load_report

GOLDEN = Path(__file__).parents[2] / "golden" / "report.json"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_are_refused(tmp_path: Path, literal: str) -> None:
    data = json.loads(GOLDEN.read_text())
    data["run"]["duration_s"] = "@"
    text = json.dumps(data).replace('"@"', literal)
    with pytest.raises(ReportError):
        load_report(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("run", "duration_s"), -1),
        (("hosts", 0, "duration_s"), -0.5),
        (("hosts", 0, "duration_s"), 1e309),  # json reads this as inf
    ],
)
def test_a_duration_the_schema_refuses_is_refused(
    tmp_path: Path, where: tuple[str | int, ...], value: float
) -> None:
    data = json.loads(GOLDEN.read_text())
    node = data
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = "@"
    text = json.dumps(data).replace('"@"', repr(value) if value != 1e309 else "1e309")
    with pytest.raises(ReportError) as err:
        load_report(_write(tmp_path, text))
    assert "duration_s" in str(err.value)


def test_a_trend_score_outside_0_to_100_is_refused(tmp_path: Path) -> None:
    data = json.loads(GOLDEN.read_text())
    data["trend"] = [{"started_at": "2025-01-01T00:00:00+00:00", "fleet_score": 1e6}]
    with pytest.raises(ReportError) as err:
        load_report(_write(tmp_path, json.dumps(data)))
    assert "trend[0]" in str(err.value)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("hosts", 0, "port"), 70000),
        (("hosts", 0, "port"), -1),
        (("hosts", 0, "findings", 0, "objects", 0, "line"), -3),
        (("waivers", 0, "matched"), -1),
    ],
)
def test_an_integer_out_of_the_schemas_range_is_refused(
    tmp_path: Path, where: tuple[str | int, ...], value: int
) -> None:
    # read back, such a value made the re-rendered report.json and diff fail their own schema
    data = json.loads(GOLDEN.read_text())
    if not data["waivers"]:
        data["waivers"] = [
            {
                "check": "x",
                "hosts": "all",
                "reason": "r",
                "owner": "",
                "ticket": "",
                "expires": None,
                "source": "w.yml:1",
                "state": "active",
                "matched": 0,
            }
        ]
    node = data
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = value
    with pytest.raises(ReportError) as err:
        load_report(_write(tmp_path, json.dumps(data)))
    assert str(where[-1]) in str(err.value)
