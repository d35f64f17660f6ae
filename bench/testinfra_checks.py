"""The 7 foundation checks as testinfra users write them (bench/lab_compare.py runs this
with the ssh backend and pytest-xdist). BENCH_BECOME names the hosts that may `sudo -n`.
The sshd -T output is fetched once per host and worker, as a careful suite would."""

from __future__ import annotations

import os
import re
from typing import Any

BECOME = set(filter(None, os.environ.get("BENCH_BECOME", "").split(",")))
_SSHD: dict[str, str] = {}


def _sudo(host: Any) -> str:
    return "sudo -n " if host.backend.hostname in BECOME else ""


def _sshd(host: Any) -> str:
    name = host.backend.hostname
    if name not in _SSHD:
        _SSHD[name] = host.run(_sudo(host) + "/usr/sbin/sshd -T").stdout
    return _SSHD[name]


def test_permit_root_login(host: Any) -> None:
    assert "permitrootlogin no" in _sshd(host)


def test_password_auth(host: Any) -> None:
    assert "passwordauthentication no" in _sshd(host)


def test_max_auth_tries(host: Any) -> None:
    match = re.search(r"maxauthtries (\d+)", _sshd(host))
    assert match is not None
    assert int(match.group(1)) <= 4


def test_root_ssh_dir(host: Any) -> None:
    out = host.run(_sudo(host) + "stat -c %a /root/.ssh")
    assert out.rc != 0 or out.stdout.strip() == "700"


def test_exposed_ports(host: Any) -> None:
    ports = set()
    for line in host.run("ss -tlnH").stdout.splitlines():
        local = line.split()[3]
        if not re.match(r"^(127\.|\[::1\]|\[?::ffff:127)", local):
            ports.add(local.rsplit(":", 1)[1])
    assert ports <= {"22"}


def test_firewall_enabled(host: Any) -> None:
    assert "hook input" in host.run(_sudo(host) + "nft list ruleset").stdout


def test_no_privileged_container(host: Any) -> None:
    out = host.run(
        _sudo(host) + "sh -c 'command -v docker >/dev/null || exit 0; docker ps -q | "
        "xargs -r docker inspect -f {{.HostConfig.Privileged}}'"
    )
    assert "true" not in out.stdout
