"""The root helper on real hosts: web1 and new1 install it with `audit sudoers --root-helper`
(labctl mounts docs/root-facts.example and docs/sudoers-root-helper.example); old1 keeps one
sudo per command. Same findings either way, a handful of sudo calls with it, and a helper of
another version is noticed, said, and worked around.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hardaudit.facts.script import ROOT_HELPER, build_script

from .audit_cli import AuditRun, run_audit
from .conftest import Lab
from .test_lab_smoke import BASTION

pytestmark = pytest.mark.lab

COUNT = "@@sudo-call"
# Every sudo the script starts, counted on stderr (the wrapper's own `sudo -n -l` aside):
# shadowing functions defined right after the script's `root` helper, writing to a copy of
# stderr that the script's own redirections (`2>/dev/null`) do not touch.
COUNTERS = f"""
exec 7>&2
sudo() {{ echo '{COUNT}' >&7; command sudo "$@"; }}
timeout() {{ if [ "$2" = sudo ]; then echo '{COUNT}' >&7; fi; command timeout "$@"; }}
"""


def _sudo_calls(lab: Lab, host: str) -> tuple[int, str]:
    """(sudo calls, meta's root_helper line) of one full-catalog facts script on `host`."""
    built = build_script(become=True)
    anchor = "\nHA_HELPED=\n"
    assert anchor in built.script
    script = built.script.replace(anchor, COUNTERS + anchor, 1)
    argv = lab.ssh_argv(host, built.command, jumps=[BASTION])
    done = subprocess.run(
        argv, input=script, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    state = next(
        (line for line in done.stdout.splitlines() if line.startswith("root_helper=")), ""
    )
    return done.stderr.count(COUNT), state


def test_the_helper_makes_the_audit_two_sudo_calls(lab: Lab) -> None:
    calls = {host: _sudo_calls(lab, host) for host in ("web1", "new1", "old1")}
    # `sudo -V` (unprivileged, in meta) and the helper; old1: one per root command
    assert calls["web1"] == (2, "root_helper=used")
    assert calls["new1"] == (2, "root_helper=used")
    count, state = calls["old1"]
    assert state == "root_helper=not-in-sudoers"
    assert count >= 10


def _findings(report: Path, host: str) -> list[tuple[str, str, list[str], list[str]]]:
    data = json.loads(report.read_text())
    found = next(h for h in data["hosts"] if h["name"] == host)
    return [
        (f["check"], f["status"], f["evidence"], [o["key"] for o in f.get("objects", [])])
        for f in found["findings"]
    ]


def _docker(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        lab.docker_argv(*args), capture_output=True, text=True, check=False, timeout=60
    )


def _audit_web1(lab: Lab, tmp_path: Path, name: str, host: str = "web1") -> AuditRun:
    """`audit run --limit HOST`, its raw facts output in tmp_path/<name>-capture/HOST.json."""
    run = run_audit(
        "run",
        "-i",
        str(lab.inventory),
        "--limit",
        host,
        "--no-history",
        "--capture-dir",
        str(tmp_path / f"{name}-capture"),
        out_dir=tmp_path / name,
        cwd=lab.repo,
    )
    assert run.exit_code == 1, run.stderr  # web1 and hostile1 fail some checks on purpose
    return run


def test_a_helper_of_another_version_is_said_and_worked_around(lab: Lab, tmp_path: Path) -> None:
    def audit(name: str) -> tuple[Path, dict[str, object]]:
        return tmp_path / name / "report.json", _audit_web1(lab, tmp_path, name).host("web1")

    helped_report, helped = audit("helped")
    assert helped["notes"] == []
    capture = json.loads((tmp_path / "helped-capture" / "web1.json").read_text())
    assert "\nroot_helper=used\n" in capture["stdout"]
    edited = _docker(lab, "exec", "web1", "sh", "-c", f"echo '# edited' >> {ROOT_HELPER}")
    assert edited.returncode == 0, edited.stderr
    try:
        stale_report, stale = audit("stale")
    finally:
        restored = _docker(
            lab, "exec", "web1", "install", "-m", "755", "/lab-input/root-facts", ROOT_HELPER
        )
        assert restored.returncode == 0, restored.stderr
    notes = stale["notes"]
    assert isinstance(notes, list)
    assert len(notes) == 1
    assert "is not this hardaudit's (cksum" in notes[0]
    assert "one sudo per command" in notes[0]
    # the same facts, gathered command by command
    assert _findings(stale_report, "web1") == _findings(helped_report, "web1")


def test_a_helper_others_can_replace_is_never_run(lab: Lab, tmp_path: Path) -> None:
    folder = ROOT_HELPER.rsplit("/", 1)[0]
    changed = _docker(lab, "exec", "web1", "chmod", "0777", folder)
    assert changed.returncode == 0, changed.stderr
    try:
        run = _audit_web1(lab, tmp_path, "out")
        doctor = run_audit(
            "doctor", "-i", str(lab.inventory), "-l", "web1", out_dir=tmp_path / "doctor",
            cwd=lab.repo, output_dir=False,
        )  # fmt: skip
    finally:
        restored = _docker(lab, "exec", "web1", "chmod", "0755", folder)
        assert restored.returncode == 0, restored.stderr
    capture = json.loads((tmp_path / "out-capture" / "web1.json").read_text())
    assert "\nroot_helper=unsafe\n" in capture["stdout"]
    [note] = run.host("web1")["notes"]
    assert "writable by others than root: not used" in note
    assert not [f for f in run.host("web1")["findings"] if f["status"] == "unknown"]
    assert "is not root's, is writable by others or is a symbolic link" in doctor.stdout


def test_hostile1_reads_the_same_through_the_helper(lab: Lab, tmp_path: Path) -> None:
    # hostile1 (names with newlines and escapes, forged markers, processes named like
    # sshguard: tests/lab/test_hostile_e2e.py) runs without the helper in the lab; installed
    # for one run, as root runs every section, its findings are the same to the letter
    without = _audit_web1(lab, tmp_path, "without", "hostile1")
    helper = lab.repo / "docs" / "root-facts.example"
    folder = ROOT_HELPER.rsplit("/", 1)[0]
    copied = _docker(lab, "cp", str(helper), "hostile1:/tmp/root-facts")
    assert copied.returncode == 0, copied.stderr
    installed = _docker(
        lab, "exec", "hostile1", "sh", "-c",
        f"install -d -m 755 {folder} && install -m 755 /tmp/root-facts {ROOT_HELPER}"
        " && rm /tmp/root-facts",
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    try:
        helped = _audit_web1(lab, tmp_path, "helped", "hostile1")
    finally:
        removed = _docker(lab, "exec", "hostile1", "rm", "-rf", folder)
        assert removed.returncode == 0, removed.stderr
    capture = json.loads((tmp_path / "helped-capture" / "hostile1.json").read_text())
    assert "\nroot_helper=used\n" in capture["stdout"]
    assert helped.host("hostile1")["notes"] == without.host("hostile1")["notes"]
    assert _findings(tmp_path / "helped" / "report.json", "hostile1") == _findings(
        tmp_path / "without" / "report.json", "hostile1"
    )
