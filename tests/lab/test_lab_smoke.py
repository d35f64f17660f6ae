"""The lab itself works, checked with the real OpenSSH client (no hardaudit code)."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hardaudit.facts.script import WALK_PRUNED
from tests.unit.lab_module import load_labctl

if TYPE_CHECKING:
    from conftest import Lab

pytestmark = pytest.mark.lab

BASTION = "127.0.0.1:42201"
# Every host the lab starts (lab/labctl.py HOSTS, or the HARDAUDIT_LAB_HOSTS subset).
HOSTS = [host.name for host in load_labctl().selected_hosts()]
DOCK2_CONTAINERS = ["caps", "etcrw", "hostnet", "priv", "rootly", "sock", "web"]


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


@pytest.mark.parametrize("host", ["web1", "db1", "bastion2", "gold", "bbox1", "svc1", "match1",
                                  "dock2"])  # fmt: skip
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
    assert len(keys) == len(HOSTS)
    assert len(set(keys)) == len(keys)


def test_web1_sudo_follows_the_sudoers_example(lab: Lab) -> None:
    sshd_t = ssh(lab, "web1", "sudo", "-n", "/usr/sbin/sshd", "-T", jumps=[BASTION])
    assert sshd_t.returncode == 0, sshd_t.stderr
    assert "permitrootlogin no" in sshd_t.stdout
    # docs/sudoers.example allows only the listed read-only commands; without it, ALL.
    anything = ssh(lab, "web1", "sudo", "-n", "true", jumps=[BASTION])
    assert (anything.returncode == 0) == (not (lab.repo / "docs" / "sudoers.example").exists())


def prune(paths: tuple[str, ...]) -> list[str]:
    """`-path P -o -path Q ...`, the inside of the script's prune expression."""
    words: list[str] = []
    for path in paths:
        words += [*(["-o"] if words else []), "-path", path]
    return words


def test_web1_sudoers_regex_entries_parse_and_match(lab: Lab) -> None:
    if not (lab.repo / "docs" / "sudoers.example").exists():
        pytest.skip("no docs/sudoers.example: web1 has NOPASSWD: ALL")
    assert "parsed OK" in docker_exec(lab, "web1", "visudo", "-cf", "/etc/sudoers.d/auditor")

    def allowed(*command: str) -> bool:
        argv = ["sudo", "-n", "-l", *(shlex.quote(word) for word in command)]
        return ssh(lab, "web1", *argv, jumps=[BASTION]).returncode == 0

    # sudo >= 1.9.10 (bookworm: 1.9.13) reads ^...$ arguments as regular expressions
    assert allowed("/usr/sbin/sshd", "-T", "-C", "user=deploy,host=x,addr=198.51.100.1")
    assert not allowed("/usr/sbin/sshd", "-T", "-C", "user=root", "-f", "/tmp/other")
    walk = ["/etc", "/usr", "-xdev", "(", "-type", "f", "-o", "-type", "d", ")",
            "-perm", "-0002", "!", "-perm", "-1000", "-print0",
            "-o", "(", *prune(WALK_PRUNED), ")", "-prune"]  # fmt: skip
    assert allowed("/usr/bin/find", *walk)
    assert not allowed("/usr/bin/find", *walk, "-delete")
    assert not allowed("/usr/bin/find", *walk[: walk.index("-print0") + 1])  # no prune
    # every ~/.ssh that may exist in one stat, names printed
    assert allowed("/usr/bin/stat", "-c", "%a|%U|%G|%F|%n", "--", "/root/.ssh", "/home/a/.ssh")
    listing = ["/home/app/.ssh", "-mindepth", "1", "-maxdepth", "1", "-print0"]
    assert allowed("/usr/bin/find", *listing)
    assert not allowed("/usr/bin/find", "/x", "-exec", "id", ";", *listing[1:])
    # the private-key test runs as the home's owner: any user but root may be asked for it
    key_grep = ["/usr/bin/grep", "-D", "skip", "-l", "-m1", "-e", "PRIVATE KEY-----", "--", "/x"]
    assert allowed("-u", "nobody", *key_grep)
    assert not allowed("-u", "nobody", "/usr/bin/cat", "/etc/shadow")


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


@pytest.mark.parametrize("host", HOSTS)
def test_root_reads_the_kernel_ruleset_everywhere(lab: Lab, host: str) -> None:
    # Every host runs with NET_ADMIN: without it even root gets "Operation not permitted".
    for argv in (["nft", "-j", "list", "ruleset"], ["iptables-save"], ["ip6tables-save"]):
        result = subprocess.run(lab.docker_argv("exec", host, *argv), capture_output=True,
                                text=True, check=False)  # fmt: skip
        assert result.returncode == 0, (argv, result.stderr)


def test_gold_firewall_drops_and_rate_limits_ssh(lab: Lab) -> None:
    ruleset = ssh_ok(lab, "gold", "sudo", "-n", "nft", "list", "table", "inet", "filter",
                     jumps=[BASTION])  # fmt: skip
    assert ruleset.count("policy drop;") == 2  # input and forward
    assert "tcp dport 22 ct state new limit rate 10/minute" in ruleset


def test_gold_sshd_is_hardened_without_match_blocks(lab: Lab) -> None:
    effective = ssh_ok(lab, "gold", "sudo", "-n", "sshd", "-T", jumps=[BASTION]).splitlines()
    for line in ["permitrootlogin no", "passwordauthentication no", "maxauthtries 3",
                 "maxstartups 3:50:10", "allowusers auditor", "loglevel VERBOSE",
                 "macs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com"]:  # fmt: skip
        assert line in effective
    assert sorted(line for line in effective if line.startswith("hostkey ")) == [
        "hostkey /etc/ssh/ssh_host_ed25519_key", "hostkey /etc/ssh/ssh_host_rsa_key",
    ]  # fmt: skip
    configs = docker_exec(
        lab, "gold", "sh", "-c", "cat /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*"
    )
    assert not [line for line in configs.splitlines() if line.strip().lower().startswith("match")]


def test_gold_files_services_and_container_are_strict(lab: Lab) -> None:
    paths = ["/home/auditor/.ssh", "/home/auditor/.ssh/authorized_keys", "/home/app/.ssh",
             "/home/app/.ssh/id_ed25519", "/srv/app/.env"]  # fmt: skip
    modes = docker_exec(lab, "gold", "stat", "-c", "%a %U", *paths).splitlines()
    assert modes == ["700 auditor", "600 auditor", "700 app", "600 app", "600 app"]
    assert docker_exec(lab, "gold", "cat", "/run/lab-world-writable.txt").strip() == "none"
    assert "User=app" in docker_exec(lab, "gold", "cat", "/etc/systemd/system/app.service")
    assert docker_exec(lab, "gold", "ls", "/etc/nginx/sites-enabled").split() == ["app"]
    assert "127.0.0.1:6379 " in docker_exec(lab, "gold", "ss", "-Htln")
    assert "NOAUTH" in docker_exec(lab, "gold", "redis-cli", "-h", "127.0.0.1", "ping")
    template = (
        "{{.Config.User}} {{.HostConfig.NetworkMode}} {{.HostConfig.CapDrop}} "
        "{{.HostConfig.ReadonlyRootfs}} {{.State.Running}}"
    )
    argv = ["sudo", "-n", "docker", "inspect", "-f", shlex.quote(template), "gold-app"]
    inspect = ssh_ok(lab, "gold", *argv, jumps=[BASTION])
    assert inspect.split() == ["1000:1000", "none", "[ALL]", "true", "true"]


def test_bbox1_tools_are_busybox_and_ss_is_gone(lab: Lab) -> None:
    tools = ["sh", "stat", "find", "grep", "sed", "awk", "head", "ls", "cat", "cut", "sort",
             "tr", "timeout", "id", "uname"]  # fmt: skip
    script = 'for t in "$@"; do readlink -f "$(command -v "$t")"; done'
    resolved = ssh_ok(lab, "bbox1", "sh", "-c", shlex.quote(script), "sh", *tools,
                      jumps=[BASTION])  # fmt: skip
    assert resolved.split() == ["/usr/bin/busybox"] * len(tools)
    assert (
        ssh_ok(lab, "bbox1", "readlink -f /bin/sh", jumps=[BASTION]).strip() == "/usr/bin/busybox"
    )
    assert ssh_ok(lab, "bbox1", "sudo", "-n", "sh", "-c", "'command -v stat'",
                  jumps=[BASTION]).strip() == "/usr/local/bin/stat"  # fmt: skip
    assert ssh(lab, "bbox1", "command -v ss", jumps=[BASTION]).returncode != 0
    assert "policy drop" in docker_exec(lab, "bbox1", "nft", "list", "table", "inet", "filter")


def test_dock2_engine_runs_seven_containers(lab: Lab) -> None:
    names = ssh_ok(lab, "dock2", "sudo", "-n", "docker", "ps", "--format", "'{{.Names}}'",
                   jumps=[BASTION])  # fmt: skip
    assert sorted(names.split()) == DOCK2_CONTAINERS
    assert "tcp://0.0.0.0:2375" in docker_exec(lab, "dock2", "cat", "/etc/docker/daemon.json")
    assert "*:2375 " in docker_exec(lab, "dock2", "ss", "-Htln")


def test_dock2_published_port_bypasses_its_input_policy(lab: Lab) -> None:
    nat = ssh_ok(lab, "dock2", "sudo", "-n", "iptables-save", "-t", "nat", jumps=[BASTION])
    assert "--dport 8080 -j DNAT" in nat
    assert "policy drop" in docker_exec(lab, "dock2", "nft", "list", "chain", "inet", "filter",
                                        "input")  # fmt: skip
    probe = (
        "import socket, sys\n"
        "for port in (8080, 2375):\n"
        "    s = socket.socket(); s.settimeout(2)\n"
        "    try: s.connect(('dock2', port)); print(port, 'open')\n"
        "    except OSError: print(port, 'filtered')\n"
    )
    seen = docker_exec(lab, "bastion", "python3", "-c", probe).split("\n")
    assert seen[:2] == ["8080 open", "2375 filtered"]


def test_dock2_containers_reach_nothing_beyond_ha_int(lab: Lab) -> None:
    # Through dock2's NAT its containers reach ha-int neighbours, but the host routes
    # nothing (ip_forward 0, internal networks): bastion2's ha-deep address stays dark.
    deep = docker_exec(lab, "bastion2", "sh", "-c", "ip -4 -o addr show | awk '{print $4}'")
    int_net = docker_exec(lab, "dock2", "ip", "-4", "-o", "addr", "show", "eth0").split()[3]
    target = next(addr.split("/")[0] for addr in deep.split()
                  if not addr.startswith("127.") and addr.split(".")[:2] != int_net.split(".")[:2])  # fmt: skip
    probe = (
        "import socket\n"
        "s = socket.socket(); s.settimeout(3)\n"
        f"try: s.connect(('{target}', 22)); print('reached')\n"
        "except OSError as e: print('blocked', e)\n"
    )
    # rootly: dock2 lacks CAP_SYS_PTRACE, so `docker exec` works only into root containers
    out = docker_exec(lab, "dock2", "docker", "exec", "rootly", "python3", "-c", probe)
    assert out.startswith("blocked"), out


def test_match1_match_blocks_loosen_sshd(lab: Lab) -> None:
    def effective(spec: str) -> list[str]:
        argv = ["sudo", "-n", "sshd", "-T", "-C", spec]
        return ssh_ok(lab, "match1", *argv, jumps=[BASTION]).splitlines()

    assert "permitrootlogin yes" in effective("user=root,host=x,addr=198.51.100.1")
    assert "permitrootlogin no" in effective("user=root,host=x,addr=203.0.113.1")
    assert "passwordauthentication yes" in effective("user=deploy,host=x,addr=203.0.113.1")
    assert "passwordauthentication no" in effective("user=auditor,host=x,addr=203.0.113.1")


def test_match1_filters_ipv4_only_while_ipv6_is_on(lab: Lab) -> None:
    assert (
        docker_exec(lab, "match1", "cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6").strip() == "0"
    )
    assert "[::]:22 " in ssh_ok(lab, "match1", "ss", "-Htln", jumps=[BASTION])
    tables = docker_exec(lab, "match1", "nft", "list", "tables").split("\n")
    assert "table ip filter" in tables
    assert not [line for line in tables if line.startswith(("table inet", "table ip6"))]


def test_svc1_service_and_file_mistakes(lab: Lab) -> None:
    assert "0.0.0.0:6379 " in ssh_ok(lab, "svc1", "ss", "-Htln", jumps=[BASTION])
    assert docker_exec(lab, "svc1", "redis-cli", "-h", "127.0.0.1", "ping").strip() == "PONG"
    units = docker_exec(lab, "svc1", "sh", "-c", "grep -l '^User=' /etc/systemd/system/*.service")
    assert "/etc/systemd/system/worker.service" in units.split()
    assert "/etc/systemd/system/api.service" not in units.split()
    paths = ["/srv/app/.env", "/srv/worker/.env", "/etc/hardaudit-ww.conf"]
    modes = docker_exec(lab, "svc1", "stat", "-c", "%a", *paths).split()
    assert modes == ["644", "600", "666"]
    assert sorted(docker_exec(lab, "svc1", "ls", "/etc/nginx/sites-enabled").split()) == [
        "hidden", "plain",
    ]  # fmt: skip
