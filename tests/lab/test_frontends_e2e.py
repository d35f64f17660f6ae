"""End to end against the real firewall front-ends of issue 10 (inventory group `frontends`):
ufw1 (ufw), fwd1 (firewalld with its dbus daemon), legacy1 (iptables-legacy) and nat1 (a
container engine's NAT rules only). Every check's status on each, from the session's shared
`audit run` over the lab, and the evidence of the hard cases. Letters: P pass, F fail,
U unknown, S skip.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .audit_cli import AuditRun, run_audit, status_differences
from .conftest import Lab

pytestmark = pytest.mark.lab

HOSTS = ("ufw1", "fwd1", "legacy1", "nat1")

# fmt: off
#                           ufw1, fwd1, legacy1, nat1
EXPECTED = {
    "ctr.capabilities": "SSSS",
    "ctr.daemon-tcp": "SSSS",
    "ctr.host-namespaces": "SSSS",
    "ctr.non-root": "SSSS",
    "ctr.privileged": "SSSS",
    "ctr.runtime-socket": "SSSS",
    "ctr.sensitive-mounts": "SSSS",
    "file.env-mode": "PPPP",
    "file.shadow": "PPPP",
    "file.ssh-dir": "PPPP",
    "file.ssh-privkey": "PPPP",
    "file.ssh-pubkey": "PPPP",
    "file.sshd-config": "PPPP",
    "file.sshd-hostkeys": "PPPP",
    "file.world-writable": "PPPP",
    "fw.container-bypass": "SSSS",
    "fw.default-deny-in": "PPPF",
    "fw.enabled": "PPPF",
    "fw.ipv6-parity": "PPPS",
    "net.db-exposed": "SSSS",
    "net.exposed-ports": "PPPF",
    "ssh.access-list": "FFFF",
    "ssh.empty-passwords": "PPPP",
    "ssh.forwarding": "FFFF",
    "ssh.log-level": "PPPP",
    "ssh.match-override": "SSSS",
    "ssh.max-auth-tries": "FFFF",
    "ssh.password-auth": "PPPP",
    "ssh.permit-root-login": "PPPP",
    "ssh.protocol": "PPPP",
    "ssh.pubkey-auth": "PPPP",
    "ssh.rate-limit": "PPPF",
    "ssh.weak-crypto": "FFFF",
    "ssh.x11-forwarding": "FFFF",
    "svc.non-root": "SSSS",
    "svc.redis-auth": "PPPP",
    "web.security-headers": "SSSS",
}
# fmt: on


def text(run: AuditRun, host: str, check: str) -> str:
    return "\n".join(run.finding(host, check)["evidence"])


def exec_on(lab: Lab, host: str, script: str) -> str:
    argv = lab.docker_argv("exec", host, "sh", "-c", script)
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout


def test_every_check_on_every_front_end_host(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    for host in HOSTS:
        assert run.host(host)["status"] == "ok", run.host(host)
        assert run.host(host)["privilege"] == "sudo"
    differences = status_differences(run, HOSTS, EXPECTED)
    assert not differences, differences


def test_ufw1_limit_rule_and_the_ports_ufw_lets_in(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    assert "iptables filter INPUT: policy DROP" in text(run, "ufw1", "fw.default-deny-in")
    limit = text(run, "ufw1", "ssh.rate-limit")
    assert "-m recent --update --seconds 30 --hitcount 6" in limit, limit
    assert "-j ufw-user-limit" in limit
    exposed = text(run, "ufw1", "net.exposed-ports")
    assert "tcp 0.0.0.0:443 (python3) allowed" in exposed, exposed
    assert (
        "tcp 0.0.0.0:8080 (python3) not in allowed_ports [22, 443], but closed by the firewall "
        "(iptables filter INPUT; exposed_ports_trust_firewall: true)"
    ) in exposed


def test_fwd1_judged_from_the_kernel_ruleset_firewalld_builds(
    lab_run: tuple[AuditRun, Path], lab: Lab
) -> None:
    run, _ = lab_run
    deny = text(run, "fwd1", "fw.default-deny-in")
    # policy accept on filter_INPUT, but the zone chain ends in a reject: semantics, not spelling
    assert "nft inet firewalld filter_INPUT: policy accept, unmatched packets: reject" in deny
    limit = text(run, "fwd1", "ssh.rate-limit")
    assert "filter_IN_public_allow: tcp dport 22 limit rate 10/minute accept" in limit, limit
    exposed = text(run, "fwd1", "net.exposed-ports")
    assert "8080 (python3) not in allowed_ports [22, 443], but closed by the firewall" in exposed
    assert "nft inet firewalld filter_INPUT" in exposed
    # ground truth: the daemon runs and its zone is what the auditor judged
    zone = exec_on(lab, "fwd1", "firewall-cmd --state && firewall-cmd --list-all")
    assert "running" in zone
    assert "services: https" in zone
    assert 'rule service name="ssh" accept limit value="10/m"' in zone


def test_legacy1_reads_the_legacy_tables(lab_run: tuple[AuditRun, Path], lab: Lab) -> None:
    run, _ = lab_run
    deny = text(run, "legacy1", "fw.default-deny-in")
    assert "iptables-legacy filter INPUT: policy DROP" in deny, deny
    assert "ip6tables-legacy filter INPUT: policy DROP" in deny
    assert "warning" not in deny
    limit = text(run, "legacy1", "ssh.rate-limit")
    assert "firewall (nftables+iptables-legacy)" in limit
    assert "--hashlimit-above 10/min" in limit
    truth = exec_on(lab, "legacy1", "iptables --version; nft list ruleset")
    assert "(legacy)" in truth
    assert "type filter hook input" not in truth  # no nft filtering: only Docker's NAT


def test_legacy1_with_an_nft_table_beside_it_says_they_disagree(
    lab_run: tuple[AuditRun, Path], lab: Lab, tmp_path: Path
) -> None:
    """A stale nft table (policy accept, one drop) next to the legacy default deny: both are
    applied by the kernel; the audit says the two backends disagree. The shared run is taken
    first, and the table is removed again whatever happens."""
    assert lab_run[0].host("legacy1")["status"] == "ok"
    table = (
        "table inet stale {\n chain input {\n  type filter hook input priority filter; "
        "policy accept;\n  tcp dport 8080 drop\n }\n}\n"
    )
    exec_on(lab, "legacy1", f"printf '%s' '{table}' | nft -f -")
    try:
        run = run_audit(
            "run",
            "-i",
            str(lab.inventory),
            "-l",
            "legacy1",
            "--checks",
            "fw.*",
            "--no-history",
            out_dir=tmp_path / "report",
            cwd=lab.repo,
        )
    finally:
        exec_on(lab, "legacy1", "nft delete table inet stale")
    evidence = text(run, "legacy1", "fw.enabled")
    assert (
        "warning: nft and iptables-legacy rulesets disagree (IPv4: nft filtered without "
        "default deny, iptables-legacy default deny" in evidence
    ), evidence
    assert "nft inet stale input: policy accept" in evidence
    assert run.statuses("legacy1")["fw.default-deny-in"] == "pass"  # legacy's drop still holds


def test_nat1_nat_rules_are_not_a_firewall(lab_run: tuple[AuditRun, Path], lab: Lab) -> None:
    run, _ = lab_run
    evidence = run.finding("nat1", "fw.enabled")["evidence"]
    assert evidence[0] == "no inbound filtering: no input chain drops or rejects anything"
    nat = evidence[-1]
    assert nat.startswith("NAT rules are not a firewall: nft ip nat: "), evidence
    assert "DNAT" in nat
    assert "MASQUERADE" in nat
    truth = exec_on(lab, "nat1", "iptables-save -t nat")
    assert "--dport 8080 -j DNAT" in truth
    assert "-j MASQUERADE" in truth
