"""The drift as terminal text and as the hardaudit.diff/1 document."""

from __future__ import annotations

from hardaudit.checks.model import FindingObject, Severity
from hardaudit.report.diff import DIFF_SCHEMA, diff_to_dict, render_drift_text
from hardaudit.report.model import Drift, HostChange, HostDrift, ObjectChange, ObjectDrift

from .sample import REPORT

HOSTILE = "web1\x1b[2J\nFAIL forged"
DRIFT = Drift(
    baseline="latest",
    baseline_started_at="2025-01-01T00:00:00+00:00",
    objects=(
        ObjectDrift(
            HOSTILE, "ssh.password-auth", Severity.HIGH, "t", FindingObject(""), ObjectChange.NEW
        ),
        ObjectDrift(
            "db1",
            "file.ssh-privkey",
            Severity.MEDIUM,
            "t",
            FindingObject("/k\n"),
            ObjectChange.FIXED,
        ),
        ObjectDrift(
            "db1",
            "net.exposed-ports",
            Severity.HIGH,
            "t",
            FindingObject("tcp/x"),
            ObjectChange.STILL,
        ),
    ),
    hosts=(HostDrift("cache1", HostChange.NOT_AUDITED, "ok", "unreachable"),),
    checks_added=("ctr.non-root",),
)


def test_drift_text_lists_changes_and_counts_still_failing() -> None:
    text = render_drift_text(DRIFT)
    lines = text.splitlines()
    assert lines[0] == (
        "Drift since latest (2025-01-01T00:00:00+00:00): 1 new, 1 fixed, 1 still failing, "
        "0 no longer judged"
    )
    assert lines[1].startswith(
        "  NEW        high     web1\\x1b[2J\\nFAIL forged  ssh.password-auth"
    )
    assert lines[2] == "  FIXED      medium   db1  file.ssh-privkey  /k\\n"
    assert "tcp/x" not in text  # still failing: counted, not listed
    assert lines[3] == "  host cache1: newly-not-audited (ok -> unreachable)"
    assert lines[4] == "  checks added: ctr.non-root"
    assert len(lines) == 5


def test_diff_document_carries_both_runs_and_the_drift() -> None:
    doc = diff_to_dict(DRIFT, REPORT, REPORT, "a.json", "latest")
    assert doc["schema"] == DIFF_SCHEMA == "hardaudit.diff/1"
    assert doc["before"] == {
        "ref": "a.json",
        "id": None,
        "started_at": REPORT.started_at,
        "fleet_score": REPORT.fleet_score,
        "hosts": 3,
        "failing_objects": 4,  # net.exposed-ports fails on two listeners
    }
    assert doc["counts"] == {"new": 1, "fixed": 1, "still-failing": 1, "no-longer-judged": 0}
    assert doc["baseline"] == {"ref": "latest", "started_at": "2025-01-01T00:00:00+00:00"}
    assert [o["change"] for o in doc["objects"]] == ["new", "fixed", "still-failing"]
