"""End to end against the lab: the exact result of every check on every lab host.

One `audit run` over lab/inventory.yml (real sshd, real containers, real firewalls); the
matrix below is the contract. Letters: P pass, F fail, U unknown, S skip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .audit_cli import AuditRun, status_differences
from .conftest import Lab

pytestmark = pytest.mark.lab

HOSTS = (
    "bastion",
    "bastion2",
    "web1",
    "db1",
    "gold",
    "bbox1",
    "svc1",
    "match1",
    "match1-nosudo",
    "dock2",
    "hostile1",
    "deep1",
    "dock1",
)

# fmt: off
#                          bastion, bastion2, web1, db1, gold, bbox1, svc1, match1,
#                          match1-nosudo, dock2, hostile1, deep1, dock1
EXPECTED = {
    "ctr.capabilities": "SSSSPSSSSFSSP",
    "ctr.daemon-tcp": "SSSSPSSSSFSSP",
    "ctr.host-namespaces": "SSSSPSSSSFSSP",
    "ctr.non-root": "SSSSPSSSSFSSF",
    "ctr.privileged": "SSSSPSSSSFSSP",
    "ctr.runtime-socket": "SSSSPSSSSFSSP",
    "ctr.sensitive-mounts": "SSSSPSSSSFSSP",
    "file.env-mode": "PPPPPPFPPPFPP",
    "file.shadow": "PPPPPPPPPPPPP",
    "file.ssh-dir": "PPPFPPPPUPPPP",
    "file.ssh-privkey": "PPPFPPPPUPFPP",
    "file.ssh-pubkey": "PPPUPPPPUPPPP",
    "file.sshd-config": "PPPPPPPPPPPPP",
    "file.sshd-hostkeys": "PPPPPPPPPPPPP",
    "file.world-writable": "PPPUPPFPUPFPP",
    "fw.container-bypass": "SSSSPSSSSFSSP",
    "fw.default-deny-in": "FFPUPPPFUPPFF",
    "fw.enabled": "FFPUPPPPUPPFF",
    "fw.ipv6-parity": "SSPUPPPFUPPSS",
    "net.db-exposed": "SSSFPSFSSSFSS",
    "net.exposed-ports": "PPPFPPPPPFPPP",
    "ssh.access-list": "FFFFPFFFFFFFF",
    "ssh.empty-passwords": "PPPPPPPPPPPPP",
    "ssh.forwarding": "PPFFPFFPPFFFF",
    "ssh.log-level": "PPPPPPPPPPPPP",
    "ssh.match-override": "SSSSSSSFFSSSS",
    "ssh.max-auth-tries": "FFFFPFFPPFFFF",
    "ssh.password-auth": "PPPFPPPFFPPPP",
    "ssh.permit-root-login": "PPPFPPPFFPPPP",
    "ssh.protocol": "PPPPPPPPPPPPP",
    "ssh.pubkey-auth": "PPPPPPPPPPPPP",
    "ssh.rate-limit": "FFFUPFFPPFFFF",
    "ssh.weak-crypto": "FFFUPFFPUFFFF",
    "ssh.x11-forwarding": "FFFFPFFPPFFFF",
    "svc.non-root": "SSSSPSFSSSFSS",
    "svc.redis-auth": "PPPUPPFPUPFPP",
    "web.security-headers": "SSSSPSFSSSFSS",
}
# fmt: on


def test_exit_code_and_broken_hosts(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    assert run.exit_code == 3, run.stderr
    assert run.host("stale1")["status"] == "hostkey-mismatch"
    assert run.host("closed1")["status"] == "unreachable"
    broken = {"stale1", "closed1"}
    ok = [h["name"] for h in run.report["hosts"] if h["status"] == "ok"]
    assert ok == [h["name"] for h in run.report["hosts"] if h["name"] not in broken]
    assert set(HOSTS) <= set(ok)


def test_every_check_on_every_host(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    differences = status_differences(run, HOSTS, EXPECTED)
    assert not differences, differences


def test_gold_has_no_fail_and_no_unknown(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    gold = run.host("gold")
    assert gold["privilege"] == "sudo"
    assert gold["summary"]["fail"] == 0
    assert gold["summary"]["unknown"] == 0
    assert gold["score"] == 100.0


def test_drop_in_password_auth_found_by_parsing_without_sudo(
    lab_run: tuple[AuditRun, Path],
) -> None:
    run, _ = lab_run
    db1 = run.host("db1")
    assert db1["privilege"] == "user"
    assert any("sudo -n` is not allowed" in note for note in db1["notes"])
    evidence = run.finding("db1", "ssh.password-auth")["evidence"]
    assert any(
        "passwordauthentication yes" in e
        and "/etc/ssh/sshd_config.d/50-cloud-init.conf:1" in e
        and "lower confidence" in e
        for e in evidence
    ), evidence
    assert run.finding("db1", "fw.enabled")["reason"].startswith("nft: exit status 1")


def test_match_blocks_weakening_sshd_fail_with_and_without_sudo(
    lab_run: tuple[AuditRun, Path],
) -> None:
    run, _ = lab_run
    for host in ("match1", "match1-nosudo"):
        text = " ".join(run.finding(host, "ssh.match-override")["evidence"])
        assert "Match Address 198.51.100.0/24" in text, text
        assert "Match User deploy" in text, text
        root = " ".join(run.finding(host, "ssh.permit-root-login")["evidence"])
        assert "permitrootlogin yes in Match Address 198.51.100.0/24" in root, root
    assert "lower confidence" in " ".join(
        run.finding("match1-nosudo", "ssh.match-override")["evidence"]
    )
    assert run.host("match1")["privilege"] == "sudo"
    assert run.host("match1-nosudo")["privilege"] == "user"


def test_container_uid_is_read_from_proc_not_image(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    evidence = " ".join(run.finding("dock1", "ctr.non-root")["evidence"])
    assert "ctr-root" in evidence
    assert "ctr-drop" not in evidence  # no USER in the image, but setpriv drops to uid 1000
    assert "ctr-user" not in evidence


def test_dock2_container_settings_and_firewall_bypass(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    expectations = {
        "fw.container-bypass": "8080",
        "ctr.privileged": "priv",
        "ctr.runtime-socket": "sock",
        "ctr.host-namespaces": "hostnet",
        "ctr.capabilities": "SYS_ADMIN",
        "ctr.sensitive-mounts": "/etc",
        "ctr.daemon-tcp": "2375",
        "ctr.non-root": "rootly",
    }
    for check, needle in expectations.items():
        text = " ".join(run.finding("dock2", check)["evidence"])
        assert needle in text, (check, text)
    assert run.statuses("dock2")["fw.default-deny-in"] == "pass"


def test_service_mistakes_on_svc1_and_no_secret_leaves_the_host(
    lab_run: tuple[AuditRun, Path], lab: Lab
) -> None:
    run, capture = lab_run
    expectations = {
        "file.env-mode": "/srv/app/.env 0644",
        "file.world-writable": "/etc/hardaudit-ww.conf",
        "svc.non-root": "api.service",
        "svc.redis-auth": "/etc/redis/redis.conf",
        "net.db-exposed": "6379",
        "web.security-headers": "location /api",
    }
    for check, needle in expectations.items():
        text = " ".join(run.finding("svc1", check)["evidence"])
        assert needle in text, (check, text)
    everything = run.stdout + run.stderr + json.dumps(run.report)
    everything += "".join(p.read_text() for p in capture.glob("*.json"))
    assert "hunter2" not in everything
    assert "requirepass" in (capture / "gold.json").read_text()
    gold_conf = run_ssh(lab, "gold", "sudo cat /etc/redis/redis.conf")
    password = next(
        line.split()[1] for line in gold_conf.splitlines() if line.startswith("requirepass")
    )
    assert password not in everything


def run_ssh(lab: Lab, host: str, command: str) -> str:
    import subprocess

    argv = lab.ssh_argv(host, command, jumps=(f"127.0.0.1:{lab.bastion_port}",))
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30).stdout


def test_busybox_host_falls_back_to_proc_net(lab_run: tuple[AuditRun, Path]) -> None:
    run, capture = lab_run
    stdout = json.loads((capture / "bbox1.json").read_text())["stdout"]
    assert "## /proc/net/tcp" in stdout
    assert run.statuses("bbox1")["net.exposed-ports"] == "pass"
    assert "tcp 0.0.0.0:22 allowed" in run.finding("bbox1", "net.exposed-ports")["evidence"]


def test_least_privilege_sudoers_is_enough(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    web1 = run.host("web1")
    assert web1["privilege"] == "sudo"  # docs/sudoers.example only, not NOPASSWD: ALL
    assert web1["summary"]["unknown"] == 0


def test_every_audited_host_reports_its_sections_timing(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    for host in run.report["hosts"]:
        if host["status"] != "ok":
            assert host["facts_timing"] == {}
            continue
        timing = host["facts_timing"]
        assert {"meta", "ssh_files", "world_writable"} <= set(timing), host["name"]
        assert all(isinstance(s, float | int) and 0 <= s < 60 for s in timing.values())


def test_run_within_budget(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    assert run.seconds < 30
    assert all(h["duration_s"] < 15 for h in run.report["hosts"])


def objects(run: AuditRun, host: str, check: str) -> list[tuple[str, str, int]]:
    """(key, path, line) of a finding's objects, as report.json names them."""
    return [
        (o["key"], o.get("path", ""), o.get("line", 0))
        for o in run.finding(host, check).get("objects", [])
    ]


def test_failing_findings_name_their_objects(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    # db1, no sudo: the cloud-init drop-in's line wins over the main file's "no"
    assert objects(run, "db1", "ssh.password-auth") == [
        ("", "/etc/ssh/sshd_config.d/50-cloud-init.conf", 1)
    ]
    assert objects(run, "db1", "file.ssh-privkey") == [
        ("/home/app/.ssh/id_ed25519", "/home/app/.ssh/id_ed25519", 0)
    ]
    assert [k for k, _, _ in objects(run, "db1", "net.db-exposed")] == ["tcp/0.0.0.0:6379"]
    # match1 as root (sshd -T -C: no file line) and without sudo (parsed: the block's line)
    for host in ("match1", "match1-nosudo"):
        keys = [k for k, _, _ in objects(run, host, "ssh.match-override")]
        assert keys == ["match:Address 198.51.100.0/24", "match:User deploy"], (host, keys)
    assert objects(run, "match1", "ssh.password-auth") == [("match:User deploy", "", 0)]
    assert objects(run, "match1-nosudo", "ssh.match-override") == [
        ("match:Address 198.51.100.0/24", "/etc/ssh/sshd_config", 126),
        ("match:User deploy", "/etc/ssh/sshd_config", 128),
    ]
    assert objects(run, "match1", "fw.ipv6-parity") == [("ipv6", "", 0)]
    # svc1: one object per unit, config, file, location
    assert [k for k, _, _ in objects(run, "svc1", "svc.non-root")] == ["unit:api.service"]
    assert objects(run, "svc1", "svc.redis-auth") == [
        ("/etc/redis/redis.conf", "/etc/redis/redis.conf", 0)
    ]
    assert [k for k, _, _ in objects(run, "svc1", "file.env-mode")] == ["/srv/app/.env"]
    assert objects(run, "svc1", "web.security-headers") == [
        (
            "server:hidden.example.test listen:8081 location:/api",
            "/etc/nginx/sites-enabled/hidden",
            16,
        ),
        ("server:plain.example.test listen:80", "/etc/nginx/sites-enabled/plain", 2),
    ]
    # containers by name, a published port, the daemon's TCP API and its socket
    assert [k for k, _, _ in objects(run, "dock1", "ctr.non-root")] == ["container:ctr-root"]
    assert [k for k, _, _ in objects(run, "dock2", "ctr.privileged")] == ["container:priv"]
    assert [k for k, _, _ in objects(run, "dock2", "fw.container-bypass")] == [
        "container:web/tcp/0.0.0.0:8080"
    ]
    assert [k for k, _, _ in objects(run, "dock2", "ctr.daemon-tcp")] == [
        "dockerd:tcp://0.0.0.0:2375",
        "tcp/*:2375",
    ]


def test_a_host_with_several_bad_files_has_several_objects(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    env = [k for k, _, _ in objects(run, "hostile1", "file.env-mode")]
    assert len(env) == 7, env
    assert "/srv/app/a\nb/.env" in env  # kept as decoded; the renderers escape it
    assert "/srv/app/.env.\x1b[2J" in env
    privkeys = [k for k, _, _ in objects(run, "hostile1", "file.ssh-privkey")]
    assert privkeys == ["/home/app/.ssh/id_$(reboot)"]
    writable = [k for k, _, _ in objects(run, "hostile1", "file.world-writable")]
    assert writable == ["/etc/hardaudit-\u202eww.conf", "/opt/hostile/$(reboot)"]
    redis = [k for k, _, _ in objects(run, "hostile1", "svc.redis-auth")]
    assert redis == ["/etc/redis/redis.conf", "/etc/redis/x\n## none\n.conf"]
    # one object per weak algorithm, so dropping one MAC is one fixed object
    assert [k for k, _, _ in objects(run, "web1", "ssh.weak-crypto")] == [
        "mac:umac-64-etm@openssh.com",
        "mac:hmac-sha1-etm@openssh.com",
        "mac:umac-64@openssh.com",
        "mac:hmac-sha1",
    ]
