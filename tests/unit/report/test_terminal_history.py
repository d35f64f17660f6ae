"""The terminal report shows what the history adds: failing since, never audited, trend."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from hardaudit.checks.model import CheckResult, FindingObject, Severity, Status
from hardaudit.model import HostStatus
from hardaudit.report.model import (
    HostReport,
    ObjectHistory,
    RunAnnotations,
    RunReport,
    fingerprint,
)
from hardaudit.report.terminal import render_table

KEYS = ("/home/a/.ssh/id_rsa", "/home/b/.ssh/id_rsa")
FAILING = CheckResult(
    "file.ssh-privkey",
    Status.FAIL,
    Severity.HIGH,
    "keys are private",
    ("mode 0644",),
    objects=tuple(FindingObject(k, k) for k in KEYS),
)
REPORT = RunReport(
    "0.1.0",
    "2026-12-07T02:00:00+00:00",
    3.0,
    "inv.yml",
    "all",
    ("file.ssh-privkey",),
    (
        HostReport("web1", "a", (), HostStatus.OK, "", 1.0, (FAILING,)),
        HostReport("db1\x1b[2J", "b", (), HostStatus.TIMEOUT, "timed out", 1.0),
    ),
)


def _annotated(**notes: object) -> RunReport:
    return replace(REPORT, annotations=replace(RunAnnotations(run_id="r1"), **notes))  # type: ignore[arg-type]


def test_a_failing_finding_says_since_when_its_oldest_object_fails() -> None:
    seen = {
        fingerprint("web1", "file.ssh-privkey", KEYS[0]): ObjectHistory(
            "2026-12-01T02:00:00+00:00", 7
        ),
        fingerprint("web1", "file.ssh-privkey", KEYS[1]): ObjectHistory(
            "2026-11-02T02:00:00+00:00", 35
        ),
    }
    text = render_table(_annotated(first_seen=MappingProxyType(seen)))
    assert "file.ssh-privkey: keys are private (failing since 2026-11-02 (35 runs))" in text
    one = {
        fingerprint("web1", "file.ssh-privkey", KEYS[0]): ObjectHistory(
            "2026-12-07T02:00:00+00:00", 1
        )
    }
    assert "(failing since 2026-12-07 (1 run))" in render_table(
        _annotated(first_seen=MappingProxyType(one))
    )


def test_never_audited_hosts_and_the_fleet_trend_are_shown_escaped() -> None:
    text = render_table(
        _annotated(
            never_audited=frozenset({"db1\x1b[2J"}),
            trend=(("2026-12-05", 70.0), ("2026-12-06", None), ("2026-12-07", 75.5)),
        )
    )
    assert "db1\\x1b[2J: timeout: timed out (never audited)" in text
    assert "fleet score, last 2 runs (oldest first): 70.0 75.5" in text
    assert "\x1b" not in text


def test_without_a_history_nothing_is_added() -> None:
    text = render_table(REPORT)
    assert "failing since" not in text
    assert "never audited" not in text
    assert "fleet score" not in text
