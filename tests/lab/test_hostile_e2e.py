"""End to end: hostile1's file and directory names cannot hide, forge or skip a finding.

hostile1 (lab/hosts/hostile1.sh) carries svc1's mistakes behind names holding a newline, an
escape sequence, a right-to-left override, invalid UTF-8, a leading `-`, `$(reboot)` and a
forged `## none` line. Every check's result on it is pinned (the catalog matrix's column),
and each finding names the hostile files, decoded, under their own names.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .audit_cli import LETTER, AuditRun, run_audit
from .conftest import Lab
from .test_catalog_e2e import EXPECTED, HOSTS

pytestmark = pytest.mark.lab

ESC, RLO, NL = "\x1b", "\u202e", "\n"
BAD = "bad\\xff\\xfe"  # invalid UTF-8, kept visible by the decoder
DIRS = ("a\nb", f"clear{ESC}[2J", f"evil{RLO}txt.sh", BAD, "-rf", "$(reboot)")
ENV_FILES = (*(f"/srv/app/{d}/.env" for d in DIRS), f"/srv/app/.env.{ESC}[2J")
FORGED = f"x{NL}## none{NL}.conf"


@pytest.fixture(scope="module")
def hostile_run(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditRun, Path]:
    out = tmp_path_factory.mktemp("hostile")
    run = run_audit(
        "host",
        "hostile1",
        "-i",
        str(lab.inventory),
        "--format",
        "json",
        "--capture-dir",
        str(out / "capture"),
        out_dir=out / "report",
        cwd=lab.repo,
    )
    return run, out / "capture"


def _evidence(run: AuditRun, check: str) -> str:
    return "\n".join(run.finding("hostile1", check)["evidence"])


def test_every_check_on_hostile1_is_exactly_the_catalog_column(
    hostile_run: tuple[AuditRun, Path],
) -> None:
    run, _ = hostile_run
    assert run.host("hostile1")["status"] == "ok", run.stderr
    column = HOSTS.index("hostile1")
    expected = {check: letters[column] for check, letters in EXPECTED.items()}
    seen = {check: LETTER[status] for check, status in run.statuses("hostile1").items()}
    assert seen == expected


def test_each_hostile_env_file_is_reported_under_its_own_name(
    hostile_run: tuple[AuditRun, Path],
) -> None:
    run, _ = hostile_run
    assert run.finding("hostile1", "file.env-mode")["status"] == "fail"
    evidence = _evidence(run, "file.env-mode")
    for path in ENV_FILES:
        assert f"{path} 0644" in evidence, path


def test_forged_none_marker_files_are_judged_not_skipped(
    hostile_run: tuple[AuditRun, Path],
) -> None:
    run, _ = hostile_run
    assert run.finding("hostile1", "svc.redis-auth")["status"] == "fail"
    assert f"/etc/redis/{FORGED}" in _evidence(run, "svc.redis-auth")
    assert run.finding("hostile1", "web.security-headers")["status"] == "fail"
    assert f"/etc/nginx/sites-enabled/{FORGED}" in _evidence(run, "web.security-headers")


def test_world_writable_and_key_files_under_hostile_names(
    hostile_run: tuple[AuditRun, Path],
) -> None:
    run, _ = hostile_run
    writable = _evidence(run, "file.world-writable")
    assert f"/etc/hardaudit-{RLO}ww.conf" in writable
    assert "/opt/hostile/$(reboot)" in writable
    assert "/home/app/.ssh/id_$(reboot)" in _evidence(run, "file.ssh-privkey")


def test_no_name_reaches_the_wire_raw_and_no_secret_leaves(
    hostile_run: tuple[AuditRun, Path],
) -> None:
    run, capture = hostile_run
    stdout = json.loads((capture / "hostile1.json").read_text())["stdout"]
    assert ESC not in stdout
    assert RLO not in stdout
    assert "hostile-lab-secret" not in stdout + run.stdout + json.dumps(run.report)


@pytest.mark.parametrize("fmt", ["sarif", "junit", "prometheus"])
def test_hostile_run_re_renders_into_files_their_consumers_accept(
    hostile_run: tuple[AuditRun, Path], fmt: str, tmp_path: Path
) -> None:
    """`audit report` on the stored hostile run (no host contacted): the official SARIF
    schema and GitHub's rules, Jenkins' JUnit schema, promtool all accept what came of
    hostile1's names."""
    from tests.consumers import assert_valid_output

    _, capture = hostile_run
    stored = capture.parent / "report" / "report.json"
    suffix = {"sarif": "report.sarif", "junit": "report.junit.xml", "prometheus": "report.prom"}
    target = tmp_path / suffix[fmt]
    run = run_audit(
        "report", str(stored), "--format", fmt, "-o", str(target),
        out_dir=tmp_path / "unused", cwd=Path(__file__).parents[2], output_dir=False,
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert_valid_output(target)
