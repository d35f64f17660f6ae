"""Issue 10's release hosts end to end: old1 (Debian 11: OpenSSH 8.4p1, sudo 1.9.5p2) and
new1 (Debian 13: OpenSSH 10.0 with sshd-session, sudo 1.9.16p2), each with the
least-privilege sudoers in the form its sudo reads (lab/hosts/{old1,new1}.sh, labctl's
HOST_SUDOERS). Letters: P pass, F fail, U unknown, S skip; one per host, (old1, new1).

A lab of these hosts only: HARDAUDIT_LAB_HOSTS=old1,new1,web1 (the other hosts are then
unreachable in lab_run, and the modules pinning them fail)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hardaudit.facts.script import sudoers_example

from .audit_cli import AuditRun, run_audit, status_differences
from .conftest import Lab

pytestmark = pytest.mark.lab

HOSTS = ("old1", "new1")

# fmt: off
#                              old1, new1
EXPECTED = {
    "ctr.capabilities":         "SS",
    "ctr.daemon-tcp":           "SS",
    "ctr.host-namespaces":      "SS",
    "ctr.non-root":             "SS",
    "ctr.privileged":           "SS",
    "ctr.runtime-socket":       "SS",
    "ctr.sensitive-mounts":     "SS",
    "file.env-mode":            "PP",
    "file.shadow":              "PP",
    "file.ssh-dir":             "PP",
    "file.ssh-privkey":         "PP",
    "file.ssh-pubkey":          "PP",
    "file.sshd-config":         "PP",
    "file.sshd-hostkeys":       "PP",
    "file.world-writable":      "PP",
    "fw.container-bypass":      "SS",
    "fw.default-deny-in":       "PP",
    "fw.enabled":               "PP",
    "fw.ipv6-parity":           "PP",
    "net.db-exposed":           "SS",
    "net.exposed-ports":        "PP",
    "ssh.access-list":          "FF",
    "ssh.empty-passwords":      "PP",
    "ssh.forwarding":           "FF",
    "ssh.log-level":            "PP",
    "ssh.match-override":       "SF",  # new1: Match User deploy -> PasswordAuthentication yes
    "ssh.max-auth-tries":       "FF",
    "ssh.password-auth":        "PF",  # new1: the same Match context
    "ssh.permit-root-login":    "PP",
    "ssh.protocol":             "PP",
    "ssh.pubkey-auth":          "PP",
    "ssh.rate-limit":           "FF",
    "ssh.weak-crypto":          "FF",  # umac-64 and hmac-sha1 MACs on both (and ssh-rsa on old1)
    "ssh.x11-forwarding":       "FF",
    "svc.non-root":             "SS",
    "svc.redis-auth":           "SS",
    "web.security-headers":     "SS",
}
# fmt: on


def test_every_check_on_old1_and_new1(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    differences = status_differences(run, HOSTS, EXPECTED)
    assert not differences, differences


def test_least_privilege_sudoers_leaves_nothing_unknown(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    for name in ("old1", "web1", "new1"):
        host = run.host(name)
        assert host["status"] == "ok", (name, host["reason"])
        assert host["privilege"] == "sudo", name  # the sudoers file only, not NOPASSWD: ALL
        assert host["summary"]["unknown"] == 0, (name, host["findings"])
        assert host["notes"] == [], (name, host["notes"])
    assert run.host("old1")["os"] == "Debian GNU/Linux 11 (bullseye)"
    assert run.host("new1")["os"] == "Debian GNU/Linux 13 (trixie)"


def test_meta_names_each_release_sudo_and_sshd(lab_run: tuple[AuditRun, Path]) -> None:
    _, capture = lab_run
    old = (capture / "old1.json").read_text()
    new = (capture / "new1.json").read_text()
    assert "sudo_version=Sudo version 1.9.5p2" in old
    assert "sshd_version=OpenSSH_8.4p1" in old
    assert "sudo_version=Sudo version 1.9.16p2" in new
    assert "sshd_version=OpenSSH_10.0" in new


def test_new1_match_context_is_judged_from_openssh_10(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    override = " ".join(run.finding("new1", "ssh.match-override")["evidence"])
    assert "Match User deploy (sshd -T -C user=deploy,host=localhost,addr=127.0.0.1)" in override
    assert "passwordauthentication yes, global no" in override
    password = run.finding("new1", "ssh.password-auth")
    assert [o["key"] for o in password["objects"]] == ["match:User deploy"]
    assert "passwordauthentication no (sshd -T)" in password["evidence"]


def _docker(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        lab.docker_argv(*args), capture_output=True, text=True, check=False, timeout=60
    )


def test_visudo_of_each_release_reads_the_form_made_for_it(lab: Lab, tmp_path: Path) -> None:
    regex = lab.repo / "docs" / "sudoers.example"
    old = lab.repo / "docs" / "sudoers-sudo-1.9.5.example"
    # both forms with the root helper's line (`audit sudoers [--sudo-version 1.9.5] --root-helper`)
    regex_helper = lab.repo / "docs" / "sudoers-root-helper.example"
    old_helper = tmp_path / "old-helper"
    old_helper.write_text(sudoers_example(sudo_version=(1, 9, 5), root_helper=True))
    forms = (("regex", regex), ("old", old), ("regex+helper", regex_helper), ("old+helper", old_helper))
    verdicts = {}
    for host in ("old1", "new1"):
        for name, path in forms:
            assert _docker(lab, "cp", str(path), f"{host}:/tmp/hardaudit-check").returncode == 0
            checked = _docker(lab, "exec", host, "visudo", "-cf", "/tmp/hardaudit-check")
            verdicts[host, name] = checked.returncode == 0
            if host == "old1" and name.startswith("regex"):
                assert "syntax error" in checked.stdout + checked.stderr
        _docker(lab, "exec", host, "rm", "-f", "/tmp/hardaudit-check")
    # sudo 1.9.5 rejects the regexes; the old form works on both (the regex form is tighter)
    assert verdicts == {
        ("old1", "regex"): False,
        ("old1", "old"): True,
        ("old1", "regex+helper"): False,
        ("old1", "old+helper"): True,
        ("new1", "regex"): True,
        ("new1", "old"): True,
        ("new1", "regex+helper"): True,
        ("new1", "old+helper"): True,
    }
    installed = {
        host: _docker(lab, "exec", host, "cat", "/etc/sudoers.d/auditor").stdout
        for host in ("old1", "new1")
    }
    # new1's is the regex form plus the root helper's line (`audit sudoers --root-helper`)
    helper = lab.repo / "docs" / "sudoers-root-helper.example"
    assert installed == {"old1": old.read_text(), "new1": helper.read_text()}
    helper_lines = helper.read_text().splitlines()
    assert all(line in helper_lines for line in regex.read_text().splitlines()[:-2])


def test_doctor_names_the_old_sudo_and_finds_nothing_refused(lab: Lab, tmp_path: Path) -> None:
    run = run_audit(
        "doctor",
        "-i",
        str(lab.inventory),
        "-l",
        "old1,new1",
        out_dir=tmp_path / "out",
        cwd=lab.repo,
        output_dir=False,
    )
    assert run.exit_code == 0, run.stdout + run.stderr
    old, new = run.stdout.split("\nnew1 ", 1)
    assert "sudo: Sudo version 1.9.5p2; sudoers regexes unsupported (before 1.9.10)" in old
    assert "sudo -n allowed for every command the facts script needs" in old
    assert "sudo: Sudo version 1.9.16p2\n" in new
    assert "sudo -n allowed for every command the facts script needs" in new
    assert "root helper: not installed (optional" in old
    assert "root helper: installed and allowed: one sudo call" in new
