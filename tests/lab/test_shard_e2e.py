"""End to end on the lab: three shard runs merge into what one unsharded run reports, and
each shard reaches the hosts behind the bastion through one shared bastion connection."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .audit_cli import AuditRun, run_audit
from .conftest import Lab

pytestmark = pytest.mark.lab


def _results(report: dict[str, Any]) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    return [
        (h["name"], h["status"], tuple((f["check"], f["status"]) for f in h["findings"]))
        for h in report["hosts"]
    ]


def _bastion_dials(run: AuditRun, bastion_port: int) -> int:
    """TCP connections opened to the bastion as a jump host (not to audit it as a target)."""
    pattern = re.compile(rf"\[(?P<host>[^\]]+)\] \S+@127\.0\.0\.1:{bastion_port}: TCP connected \(")
    return sum(1 for m in pattern.finditer(run.stderr) if m.group("host") != "bastion")


def test_three_lab_shards_merge_into_the_unsharded_run(lab: Lab, tmp_path: Path) -> None:
    inventory = str(lab.inventory)
    whole = run_audit(
        "run", "-i", inventory, "--no-history", "--format", "json",
        out_dir=tmp_path / "all", cwd=lab.repo,
    )  # fmt: skip
    assert whole.exit_code == 3, whole.stderr  # stale1 and closed1 cannot be audited
    history = tmp_path / "history.sqlite"
    files = []
    for k in (1, 2, 3):
        shard = run_audit(
            "run", "-i", inventory, "--shard", f"{k}/3", "-v", "--history", str(history),
            "--format", "json", out_dir=tmp_path / f"s{k}", cwd=lab.repo,
        )  # fmt: skip
        assert shard.exit_code in (0, 1, 3), shard.stderr
        behind = [h for h in shard.report["hosts"] if h["jump"]]
        # However many of its hosts are behind the bastion, one connection to it.
        assert _bastion_dials(shard, lab.bastion_port) == (1 if behind else 0), shard.stderr
        files.append(str(tmp_path / f"s{k}" / "report.json"))
    assert not history.exists()  # shards are recorded by the merge, once
    fleet = tmp_path / "fleet"
    merged = run_audit(
        "merge", *files, "-i", inventory, "--history", str(history),
        "-o", str(fleet / "report.json"), "--format", "json",
        out_dir=fleet, cwd=lab.repo, output_dir=False,
    )  # fmt: skip
    assert merged.exit_code == whole.exit_code, merged.stderr
    assert _results(merged.report) == _results(whole.report)
    assert merged.report["run"]["selection"] == "all"
    assert merged.report["run"]["id"]  # recorded in the history
