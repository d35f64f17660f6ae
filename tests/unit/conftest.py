"""Every report.json the unit suite renders is checked against the schema the package ships
(`audit schema report`), closed to undocumented fields (rendered whole or streamed): a field added to report/json.py
without its schema entry fails every test that renders a report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hardaudit.report import json as report_json
from hardaudit.report.model import RunReport
from tests.consumers import assert_valid_report_json


@pytest.fixture(autouse=True)
def every_rendered_report_json_matches_its_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    render = report_json.render_json

    def checked(report: RunReport) -> str:
        text = render(report)
        assert_valid_report_json(text)
        return text

    monkeypatch.setattr(report_json, "render_json", checked)
    stream = report_json.iter_json

    def checked_stream(report: RunReport, *, compact: bool = False) -> Iterator[str]:
        pieces = list(stream(report, compact=compact))  # files and stdout are written from it
        if not compact:
            assert_valid_report_json("".join(pieces))
        yield from pieces

    monkeypatch.setattr(report_json, "iter_json", checked_stream)
