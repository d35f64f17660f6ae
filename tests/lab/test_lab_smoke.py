"""The lab itself works, checked with the real OpenSSH client (no hardaudit code)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Lab

pytestmark = pytest.mark.lab

BASTION = "127.0.0.1:42201"


def ssh(
    lab: Lab, host: str, *command: str, port: int = 22, jumps: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    argv = lab.ssh_argv(host, *command, port=port, jumps=jumps)
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def ssh_ok(lab: Lab, host: str, *command: str, port: int = 22, jumps: Sequence[str] = ()) -> str:
    result = ssh(lab, host, *command, port=port, jumps=jumps)
    assert result.returncode == 0, result.stderr
    return result.stdout


def docker_exec(lab: Lab, container: str, *command: str) -> str:
    argv = lab.docker_argv("exec", container, *command)
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def test_bastion_accepts_the_lab_key(lab: Lab) -> None:
    assert ssh_ok(lab, "127.0.0.1", "hostname", port=lab.bastion_port).strip() == "bastion"


@pytest.mark.parametrize("host", ["web1", "db1", "bastion2"])
def test_internal_hosts_through_bastion(lab: Lab, host: str) -> None:
    assert ssh_ok(lab, host, "hostname", jumps=[BASTION]).strip() == host


def test_deep1_through_two_bastions(lab: Lab) -> None:
    assert ssh_ok(lab, "deep1", "hostname", jumps=[BASTION, "bastion2"]).strip() == "deep1"


def test_deep1_unreachable_from_first_bastion(lab: Lab) -> None:
    result = ssh(lab, "deep1", "true", jumps=[BASTION])
    assert result.returncode == 255


def test_stale1_reports_host_key_mismatch(lab: Lab) -> None:
    result = ssh(lab, "stale1", "true", jumps=[BASTION])
    assert result.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in result.stderr


def test_closed1_refuses_connections(lab: Lab) -> None:
    result = ssh(lab, "127.0.0.1", "true", port=lab.closed_port)
    assert result.returncode == 255
    assert "Connection refused" in result.stderr


def test_every_host_has_its_own_host_key(lab: Lab) -> None:
    keys = [line.split()[2] for line in lab.known_hosts.read_text().splitlines()]
    assert len(keys) == 7
    assert len(set(keys)) == len(keys)


def test_web1_sudo_follows_the_sudoers_example(lab: Lab) -> None:
    sshd_t = ssh(lab, "web1", "sudo", "-n", "/usr/sbin/sshd", "-T", jumps=[BASTION])
    assert sshd_t.returncode == 0, sshd_t.stderr
    assert "permitrootlogin no" in sshd_t.stdout
    # docs/sudoers.example allows only the listed read-only commands; without it, ALL.
    anything = ssh(lab, "web1", "sudo", "-n", "true", jumps=[BASTION])
    assert (anything.returncode == 0) == (not (lab.repo / "docs" / "sudoers.example").exists())


def test_db1_has_no_sudo(lab: Lab) -> None:
    result = ssh(lab, "db1", "sudo", "-n", "true", jumps=[BASTION])
    assert result.returncode != 0
    assert "password is required" in result.stderr


def test_db1_redis_listens_on_all_addresses(lab: Lab) -> None:
    assert "0.0.0.0:6379 " in ssh_ok(lab, "db1", "ss", "-tln", jumps=[BASTION])


def test_db1_sshd_dropin_wins_over_main_file(lab: Lab) -> None:
    effective = docker_exec(lab, "db1", "sshd", "-T").splitlines()
    assert "permitrootlogin yes" in effective
    assert "passwordauthentication yes" in effective


def test_db1_app_key_is_world_readable(lab: Lab) -> None:
    paths = ["/home/app/.ssh", "/home/app/.ssh/id_ed25519"]
    modes = docker_exec(lab, "db1", "stat", "-c", "%a %U", *paths).splitlines()
    assert modes == ["755 app", "644 app"]


def test_web1_firewall_drops_by_default(lab: Lab) -> None:
    assert "policy drop" in docker_exec(lab, "web1", "nft", "list", "table", "inet", "filter")
    listening = ssh_ok(lab, "web1", "ss", "-Htln", jumps=[BASTION]).splitlines()
    # Docker's embedded DNS listens on 127.0.0.11 in every container; it is not web1's.
    ports = {line.split()[3].rsplit(":", 1)[1] for line in listening if "127.0.0.11" not in line}
    assert ports == {"22"}


def test_dock1_sees_three_workloads_with_their_uids(lab: Lab) -> None:
    listing = ssh_ok(lab, "127.0.0.1", "sudo", "-n", "docker", "ps", port=lab.dock1_port)
    assert sorted(line.split()[-1] for line in listing.splitlines()[1:]) == [
        "ctr-drop", "ctr-root", "ctr-user",
    ]  # fmt: skip
    script = (
        "for c in ctr-root ctr-user ctr-drop; do"
        ' pid=$(sudo -n docker inspect -f "{{.State.Pid}}" $c);'
        ' echo $c $(awk "/^Uid:/ {print \\$2}" /proc/$pid/status); done'
    )
    out = ssh_ok(lab, "127.0.0.1", script, port=lab.dock1_port)
    assert dict(line.split() for line in out.splitlines()) == {
        "ctr-root": "0", "ctr-user": "1000", "ctr-drop": "1000",
    }  # fmt: skip


def test_encrypted_key_needs_its_passphrase(lab: Lab, tmp_path: Path) -> None:
    options = [f"UserKnownHostsFile={lab.known_hosts}", "StrictHostKeyChecking=yes",
               "IdentitiesOnly=yes"]  # fmt: skip
    argv = ["ssh", "-F", "/dev/null", *(f"-o{option}" for option in options),
            "-i", str(lab.encrypted_key), "-p", str(lab.bastion_port), "auditor@127.0.0.1", "true"]  # fmt: skip
    env = {name: value for name, value in os.environ.items() if name != "SSH_AUTH_SOCK"}

    batch = subprocess.run([*argv[:1], "-oBatchMode=yes", *argv[1:]], env=env,
                           capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert batch.returncode == 255
    assert "Permission denied" in batch.stderr

    askpass = tmp_path / "askpass"
    askpass.write_text("#!/bin/sh\necho labpass\n")
    askpass.chmod(0o700)
    env |= {"SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
    given = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60, check=False)  # fmt: skip
    assert given.returncode == 0, given.stderr


def test_front_bridge_cannot_forward_off_the_machine(lab: Lab) -> None:
    rules = subprocess.run(["iptables", "-S", "DOCKER-USER"], capture_output=True, text=True,
                           check=True).stdout  # fmt: skip
    assert "-A DOCKER-USER -i ha-front0 ! -o ha-front0 -j DROP" in rules
