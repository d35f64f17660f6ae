"""The terminal table shows names as written: tabulate must not read them as numbers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hardaudit.report.terminal import render_table

from .sample import REPORT

NAMES = ["1e3", "1_000", "\u0663", "0x10", "007", "1.50", "inf", "nan", "-0"]


@pytest.mark.parametrize("name", NAMES)
def test_a_numeric_looking_host_name_is_shown_as_written(name: str) -> None:
    # Every host numeric-looking, so that tabulate would treat the column as numbers.
    hosts = tuple(replace(h, name=f"{name}{'0' * i}") for i, h in enumerate(REPORT.hosts))
    text = render_table(replace(REPORT, hosts=hosts))
    rows = [line.split()[0] for line in text.splitlines()[2 : 2 + len(hosts)]]
    assert rows == [h.name for h in hosts]


def test_a_run_without_hosts_renders_its_empty_table() -> None:
    # `audit report FILE` of a report.json with "hosts": [] died in tabulate (IndexError)
    text = render_table(replace(REPORT, hosts=()))
    assert text.splitlines()[0].split() == [
        "host",
        "status",
        "pass",
        "fail",
        "unknown",
        "score",
        "worst",
    ]
