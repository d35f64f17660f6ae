"""End to end: selection, user checks, doctor, partial gathering, local transport."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .audit_cli import run_audit
from .conftest import Lab

pytestmark = pytest.mark.lab


def test_group_selection_audits_only_that_group(lab: Lab, tmp_path: Path) -> None:
    run = run_audit(
        "host", "--group", "prod", "-i", str(lab.inventory), out_dir=tmp_path / "o", cwd=lab.repo
    )
    assert run.exit_code == 1  # db1 fails checks; every selected host was audited
    assert [h["name"] for h in run.report["hosts"]] == ["web1", "db1"]
    assert run.report["run"]["selection"] == "prod"


def test_limit_pattern_with_intersection_and_exclusion(lab: Lab, tmp_path: Path) -> None:
    run = run_audit(
        "host",
        "--limit",
        "internal:&prod:!db1",
        "-i",
        str(lab.inventory),
        out_dir=tmp_path / "o",
        cwd=lab.repo,
    )
    assert [h["name"] for h in run.report["hosts"]] == ["web1"]


def test_example_user_checks_run_against_a_lab_host(lab: Lab, tmp_path: Path) -> None:
    run = run_audit(
        "host",
        "web1",
        "-i",
        str(lab.inventory),
        "--checks-dir",
        str(lab.repo / "docs" / "examples" / "checks"),
        "--checks",
        "acme.*",
        out_dir=tmp_path / "o",
        cwd=lab.repo,
    )
    assert run.statuses("web1") == {"acme.login-umask": "fail", "acme.ssh-banner": "fail"}
    umask = run.finding("web1", "acme.login-umask")
    assert umask["evidence"] == ["no output line matches '^\\\\s*UMASK\\\\s+0?27\\\\s*$'"]
    banner = run.finding("web1", "acme.ssh-banner")
    assert banner["evidence"] == ["banner none (sshd -T); expected /etc/issue.net"]


def test_only_the_facts_of_selected_checks_are_gathered(lab: Lab, tmp_path: Path) -> None:
    run = run_audit(
        "host",
        "web1",
        "-i",
        str(lab.inventory),
        "--checks",
        "ssh.password-auth",
        "--capture-dir",
        str(tmp_path / "cap"),
        out_dir=tmp_path / "o",
        cwd=lab.repo,
    )
    assert run.statuses("web1") == {"ssh.password-auth": "pass"}
    stdout = json.loads((tmp_path / "cap" / "web1.json").read_text())["stdout"]
    assert " BEGIN sshd_t " in stdout
    assert " BEGIN nft " not in stdout
    assert " BEGIN containers " not in stdout


def test_replay_of_a_capture_gives_the_same_findings(lab: Lab, tmp_path: Path) -> None:
    live = run_audit(
        "host",
        "db1",
        "dock1",
        "-i",
        str(lab.inventory),
        "--capture-dir",
        str(tmp_path / "cap"),
        out_dir=tmp_path / "live",
        cwd=lab.repo,
    )
    replay = run_audit(
        "host",
        "db1",
        "dock1",
        "-i",
        str(lab.inventory),
        "--replay-dir",
        str(tmp_path / "cap"),
        out_dir=tmp_path / "replay",
        cwd=lab.repo,
    )
    for host in ("db1", "dock1"):
        assert _judged(replay.host(host)["findings"]) == _judged(live.host(host)["findings"])
    # The live run went to the history (it carries first_seen); the replay of old output did not.
    assert live.report["run"]["id"]
    assert replay.report["run"]["id"] is None


def _judged(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings without what the history adds (first_seen, runs): what the checks decided."""
    out = []
    for finding in findings:
        objects = [
            {k: v for k, v in o.items() if k not in ("first_seen", "runs")}
            for o in finding.get("objects", [])
        ]
        out.append({**finding, "objects": objects})
    return out


def test_doctor_says_what_to_fix(lab: Lab, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hardaudit",
            "doctor",
            "-i",
            str(lab.inventory),
            "--limit",
            "web1:db1:stale1:deep1",
        ],
        capture_output=True,
        text=True,
        cwd=lab.repo,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 3, proc.stderr
    assert "web1 (auditor@127.0.0.1:42201 -> auditor@web1:22): ready" in out
    assert "sudo -n allowed for every command the facts script needs" in out
    assert "db1 (auditor@127.0.0.1:42201 -> auditor@db1:22): ready" in out
    assert "sudo -n refused for" in out
    assert "stale1 (auditor@127.0.0.1:42201 -> auditor@stale1:22): NOT READY" in out
    assert "hostkey=mismatch" in out
    assert "the host key CHANGED" in out
    assert (
        "deep1 (auditor@127.0.0.1:42201 -> auditor@bastion2:22 -> auditor@deep1:22): ready" in out
    )


def test_local_connection_runs_the_same_script_without_ssh(lab: Lab, tmp_path: Path) -> None:
    inv = tmp_path / "local.yml"
    inv.write_text("all:\n  hosts:\n    control:\n      ansible_connection: local\n")
    run = run_audit(
        "run", "-i", str(inv), "--checks", "ssh.*", out_dir=tmp_path / "o", cwd=lab.repo
    )
    host = run.host("control")
    assert host["status"] == "ok", host["reason"]
    assert host["privilege"] == "root"
