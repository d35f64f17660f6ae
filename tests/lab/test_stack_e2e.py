"""End to end on stack1: an application deployed with docker-compose (issue 10).

stack1 runs its own engine; docker-compose (Debian's v1) deploys the project "shop" from
/srv/shop/docker-compose.yml (lab/stack1/): web publishing 443, api as uid 1000, a worker that
starts as root and drops to uid 1000 with setpriv, db and redis on an internal network, redis
with a password, and a development mail catcher published on every address (8025): the one
slip. Its firewall allows ssh and 443 in; Docker's DNAT reaches 8025 around it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .audit_cli import AuditRun, status_differences
from .conftest import Lab

pytestmark = pytest.mark.lab

HOSTS = ("stack1",)
COMPOSE_FILE = "/srv/shop/docker-compose.yml"
SERVICES = ("web", "api", "worker", "db", "redis", "mailcatcher")

# fmt: off
EXPECTED = {
    "ctr.capabilities": "P",
    "ctr.daemon-tcp": "P",
    "ctr.host-namespaces": "P",
    "ctr.non-root": "P",  # the worker starts as root and drops: uid 1000 in /proc
    "ctr.privileged": "P",
    "ctr.runtime-socket": "P",
    "ctr.sensitive-mounts": "P",
    "file.env-mode": "P",  # /srv/shop/.env 600
    "file.shadow": "P",
    "file.ssh-dir": "P",
    "file.ssh-privkey": "P",
    "file.ssh-pubkey": "P",
    "file.sshd-config": "P",
    "file.sshd-hostkeys": "P",
    "file.world-writable": "P",
    "fw.container-bypass": "F",  # only the mail catcher's 8025
    "fw.default-deny-in": "P",
    "fw.enabled": "P",
    "fw.ipv6-parity": "P",
    "net.db-exposed": "P",  # db and redis exposed to their compose network only
    "net.exposed-ports": "F",  # only docker-proxy on 8025 (443 is allowed)
    "ssh.access-list": "F",
    "ssh.empty-passwords": "P",
    "ssh.forwarding": "F",
    "ssh.log-level": "P",
    "ssh.match-override": "S",
    "ssh.max-auth-tries": "F",
    "ssh.password-auth": "P",
    "ssh.permit-root-login": "P",
    "ssh.protocol": "P",
    "ssh.pubkey-auth": "P",
    "ssh.rate-limit": "F",
    "ssh.weak-crypto": "F",
    "ssh.x11-forwarding": "F",
    "svc.non-root": "S",
    "svc.redis-auth": "P",  # the host's own /etc/redis/redis.conf (loopback); see README
    "web.security-headers": "S",
}
# fmt: on


def objects(run: AuditRun, check: str) -> list[tuple[str, str]]:
    return [(o["key"], o.get("path", "")) for o in run.finding("stack1", check).get("objects", [])]


def evidence(run: AuditRun, check: str) -> str:
    return "\n".join(run.finding("stack1", check)["evidence"])


def inside(lab: Lab, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run argv as root inside stack1 (ground truth, not through the auditor)."""
    return subprocess.run(
        lab.docker_argv("exec", "stack1", *argv),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_every_check_on_stack1(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    assert run.host("stack1")["status"] == "ok"
    differences = status_differences(run, HOSTS, EXPECTED)
    assert not differences, differences


def test_only_the_dev_mail_catcher_port_is_flagged_with_its_compose_service(
    lab_run: tuple[AuditRun, Path],
) -> None:
    run, _ = lab_run
    mailcatcher = "shop_mailcatcher_1 (hardaudit-lab-base:"
    origin = f"compose project shop, service mailcatcher ({COMPOSE_FILE})"
    bypass = evidence(run, "fw.container-bypass")
    assert mailcatcher in bypass, bypass
    assert f"{origin}: 0.0.0.0:8025 -> 8025/tcp on all addresses, not in allowed_ports" in bypass
    assert all(
        k.startswith("container:shop_mailcatcher_1/tcp/") and k.endswith(":8025")
        for k, _ in objects(run, "fw.container-bypass")
    ), objects(run, "fw.container-bypass")
    assert ("container:shop_mailcatcher_1/tcp/0.0.0.0:8025", COMPOSE_FILE) in objects(
        run, "fw.container-bypass"
    )
    # the front-end's 443 is published on every address too, and allowed: no object
    assert not [k for k, _ in objects(run, "fw.container-bypass") if "shop_web_1" in k]
    exposed = [k for k, _ in objects(run, "net.exposed-ports")]
    assert exposed, run.finding("stack1", "net.exposed-ports")
    assert all(k.endswith(":8025") for k in exposed), exposed
    assert "tcp/0.0.0.0:8025" in exposed


def test_the_worker_that_drops_root_passes_and_every_service_is_named(
    lab_run: tuple[AuditRun, Path],
) -> None:
    run, _ = lab_run
    text = evidence(run, "ctr.non-root")
    for service in SERVICES:
        assert f"shop_{service}_1 (" in text, (service, text)
        assert f"compose project shop, service {service} ({COMPOSE_FILE})" in text, text
    worker = next(line for line in text.splitlines() if line.startswith("shop_worker_1 "))
    assert "process runs as uid 1000; no USER in config" in worker, worker


def test_the_podman_container_is_read_and_judged_with_its_engine(
    lab_run: tuple[AuditRun, Path], lab: Lab
) -> None:
    """Rootful podman beside docker: its container is listed by the audit (through sudo, as
    podman's own store is root's) and judged with docker's, named with its engine."""
    listed = inside(lab, "podman", "ps", "--format", "{{.Names}} {{.Image}}")
    assert listed.stdout.split() == ["podapp", "localhost/lab-sleep:1"], listed
    run, _ = lab_run
    assert run.host("stack1").get("notes", []) == []
    line = next(
        line for line in evidence(run, "ctr.non-root").splitlines() if line.startswith("podapp ")
    )
    assert line.startswith("podapp (localhost/lab-sleep:1), engine podman pid "), line
    assert line.endswith(": process runs as uid 1000; Config.User '1000:1000'"), line
    for check in ("ctr.privileged", "ctr.capabilities", "ctr.host-namespaces"):
        assert "podapp (localhost/lab-sleep:1), engine podman: " in evidence(run, check), check


def test_database_and_redis_are_not_exposed(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    text = evidence(run, "net.db-exposed")
    assert "service db (/srv/shop/docker-compose.yml): 5432/tcp: PostgreSQL not published" in text
    assert "service redis (/srv/shop/docker-compose.yml): 6379/tcp: Redis not published" in text
    assert ":5432" not in " ".join(evidence(run, "net.exposed-ports"))


def test_the_lab_stack_is_what_the_tests_claim(lab: Lab) -> None:
    """Ground truth inside stack1: the compose project runs, Redis refuses clients without
    the password, and 8025 (not in the host firewall) is reachable through Docker's DNAT
    while db and redis are not reachable from outside. (`docker exec` into stack1's own
    containers fails there, setns refused: Redis is asked from stack1 over its network.)"""
    names = inside(lab, "docker", "ps", "--format", "{{.Names}}").stdout.split()
    assert sorted(names) == sorted(f"shop_{s}_1" for s in SERVICES)
    address = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    redis = inside(lab, "docker", "inspect", "-f", address, "shop_redis_1").stdout.strip()
    ping = inside(lab, "redis-cli", "-h", redis, "ping")
    assert "NOAUTH" in ping.stdout + ping.stderr, ping
    password = "REDISCLI_AUTH=$(sed -n 's/^REDIS_PASSWORD=//p' /srv/shop/.env)"
    authed = inside(lab, "sh", "-c", f'export {password}; redis-cli -h "$1" ping', "sh", redis)
    assert authed.stdout.strip() == "PONG", authed
    ruleset = inside(lab, "nft", "list", "chain", "inet", "filter", "input").stdout
    assert "policy drop" in ruleset, ruleset
    assert "8025" not in ruleset, ruleset
    probe = (
        "for p in 443 8025 5432 6379; do "
        'if timeout 3 bash -c "echo >/dev/tcp/stack1/$p" 2>/dev/null; '
        'then echo "$p open"; else echo "$p closed"; fi; done'
    )
    seen = subprocess.run(
        lab.docker_argv("exec", "bastion", "bash", "-c", probe),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    ).stdout.splitlines()
    assert seen == ["443 open", "8025 open", "5432 closed", "6379 closed"], seen


def test_the_redis_password_never_leaves_the_host(lab_run: tuple[AuditRun, Path], lab: Lab) -> None:
    run, capture = lab_run
    env = inside(lab, "cat", "/srv/shop/.env").stdout
    password = next(
        line.split("=", 1)[1] for line in env.splitlines() if line.startswith("REDIS_PASSWORD=")
    )
    assert len(password) == 32
    everything = run.stdout + run.stderr + json.dumps(run.report)
    everything += (capture / "stack1.json").read_text()
    assert password not in everything
