"""net.exposed-ports against what the host firewall lets in, and fw.enabled on a NAT-only
ruleset, from the firewall sections captured on the lab hosts ufw1, fwd1 and nat1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, Status
from hardaudit.facts.build import _firewall
from hardaudit.facts.model import FirewallState, Ipv6State, ListeningSocket, Section, Unknown
from hardaudit.facts.parsers.listeners import parse_listeners

from .factories import facts

CHECKS = {c.id: c for c in load_checks()}
FIREWALL = Path(__file__).parents[2] / "fixtures" / "firewall"
WEB = {"allowed_ports": [22, 443], "exposed_ports_trust_firewall": True}
IPV6_OFF = Ipv6State(disabled=True)
IPV6_ON = Ipv6State(disabled=False, global_addresses=("2001:db8::7",))


def firewall_of(host: str) -> FirewallState:
    sections = {}
    for key, ext in (("nft", "json"), ("iptables", "iptables"), ("ip6tables", "ip6tables")):
        path = FIREWALL / f"lab-{host}.{ext}"
        sections[key] = Section(key, path.read_text() if path.exists() else "", 0)
    state = _firewall(sections)
    assert isinstance(state, FirewallState)
    return state


def run(check_id: str, host_vars: dict[str, Any] | None = None, **overrides: Any) -> CheckResult:
    (result,) = evaluate([CHECKS[check_id]], facts(**overrides), host_vars or {})
    return result


def test_net_exposed_ports_declares_the_firewall_facts() -> None:
    assert {"listeners", "firewall", "ipv6"} <= set(CHECKS["net.exposed-ports"].facts)


def test_ufw1_backend_on_8080_is_closed_by_ufw_and_passes() -> None:
    listeners = parse_listeners((FIREWALL / "lab-ufw1.ss").read_text())
    result = run(
        "net.exposed-ports", WEB, listeners=listeners, firewall=firewall_of("ufw1"), ipv6=IPV6_OFF
    )
    assert result.status == Status.PASS, result.evidence
    assert (
        "tcp 0.0.0.0:8080 (python3) not in allowed_ports [22, 443], but closed by the firewall "
        "(iptables filter INPUT; exposed_ports_trust_firewall: true)"
    ) in result.evidence
    assert "tcp 0.0.0.0:443 (python3) allowed" in result.evidence


def test_by_default_a_listener_the_firewall_closes_still_fails_naming_the_chain() -> None:
    """The catalog's rule: listening beyond loopback fails; the closing chain is evidence."""
    listeners = parse_listeners((FIREWALL / "lab-ufw1.ss").read_text())
    result = run(
        "net.exposed-ports",
        {"allowed_ports": [22, 443]},
        listeners=listeners,
        firewall=firewall_of("ufw1"),
        ipv6=IPV6_OFF,
    )
    assert result.status == Status.FAIL, result.evidence
    assert result.evidence == (
        "tcp 0.0.0.0:8080 (python3) not in allowed_ports [22, 443]; closed by the firewall "
        "(iptables filter INPUT), still listening beyond loopback",
    )
    assert [o.key for o in result.objects] == ["tcp/0.0.0.0:8080"]


def test_fwd1_backend_on_8080_is_closed_by_the_zone() -> None:
    listeners = parse_listeners((FIREWALL / "lab-fwd1.ss").read_text())
    result = run(
        "net.exposed-ports", WEB, listeners=listeners, firewall=firewall_of("fwd1"), ipv6=IPV6_OFF
    )
    assert result.status == Status.PASS, result.evidence
    assert any("8080" in e and "nft inet firewalld filter_INPUT" in e for e in result.evidence)


def test_a_port_the_firewall_lets_in_still_fails() -> None:
    """ufw allows 443: without 443 in allowed_ports the listener is exposed."""
    listeners = parse_listeners((FIREWALL / "lab-ufw1.ss").read_text())
    result = run(
        "net.exposed-ports",
        {"allowed_ports": [22], "exposed_ports_trust_firewall": True},
        listeners=listeners,
        firewall=firewall_of("ufw1"),
        ipv6=IPV6_OFF,
    )
    assert result.status == Status.FAIL
    assert result.evidence == ("tcp 0.0.0.0:443 (python3) not in allowed_ports [22]",)


def test_a_dual_stack_socket_needs_both_families_closed_while_ipv6_is_on() -> None:
    wildcard = (ListeningSocket("tcp", "::", 8080, "app"),)
    closed_v4_only = FirewallState(
        "nftables",
        True,
        False,
        True,
        False,
        ipv4_blocked=(("tcp", 1, 65535, "nft ip filter input"),),
    )
    on = run("net.exposed-ports", WEB, listeners=wildcard, firewall=closed_v4_only, ipv6=IPV6_ON)
    assert on.status == Status.FAIL
    off = run("net.exposed-ports", WEB, listeners=wildcard, firewall=closed_v4_only, ipv6=IPV6_OFF)
    assert off.status == Status.PASS
    v6_socket = (ListeningSocket("tcp", "2001:db8::7", 8080, "app"),)
    only_v6 = run(
        "net.exposed-ports", WEB, listeners=v6_socket, firewall=closed_v4_only, ipv6=IPV6_ON
    )
    assert only_v6.status == Status.FAIL


def test_an_unreadable_firewall_closes_nothing() -> None:
    listeners = (ListeningSocket("tcp", "0.0.0.0", 8080, "app"),)
    result = run(
        "net.exposed-ports", WEB, listeners=listeners, firewall=Unknown("nft: exit status 1")
    )
    assert result.status == Status.FAIL
    assert result.evidence[-1] == "(the firewall could not be read: nft: exit status 1)"


def test_nat1_fails_fw_enabled_saying_nat_rules_are_not_a_firewall() -> None:
    result = run("fw.enabled", firewall=firewall_of("nat1"))
    assert result.status == Status.FAIL
    assert result.evidence[0] == "no inbound filtering: no input chain drops or rejects anything"
    assert result.evidence[-1].startswith(
        "NAT rules are not a firewall: nft ip nat: 6 rules (DNAT, MASQUERADE, SNAT); "
        "iptables nat: 6 rules (DNAT, MASQUERADE, SNAT): they rewrite addresses"
    )
    deny = run("fw.default-deny-in", firewall=firewall_of("nat1"), ipv6=IPV6_OFF)
    assert deny.status == Status.FAIL
    assert any(e.startswith("NAT rules are not a firewall") for e in deny.evidence)


def test_a_filtering_host_with_nat_rules_is_not_told_nat_is_no_firewall() -> None:
    result = run("fw.enabled", firewall=firewall_of("ufw1"))
    assert result.status == Status.PASS
    assert not any("NAT" in e for e in result.evidence)


def test_a_port_docker_publishes_past_the_input_chains_is_not_closed_by_them() -> None:
    """dock2 (captured): inet filter input drops all but 22, yet Docker DNATs tcp/8080 to a
    container in PREROUTING, so those connections are forwarded and never meet the input
    chain. The docker-proxy socket on 8080 is exposed; dockerd's 2375 is closed."""
    listeners = (
        ListeningSocket("tcp", "0.0.0.0", 8080, "docker-proxy"),
        ListeningSocket("tcp", "*", 2375, "dockerd"),
    )
    result = run(
        "net.exposed-ports",
        {"exposed_ports_trust_firewall": True},
        listeners=listeners,
        firewall=firewall_of("dock2"),
        ipv6=IPV6_OFF,
    )
    assert result.status == Status.FAIL
    assert result.evidence == (
        "tcp 0.0.0.0:8080 (docker-proxy) not in allowed_ports [22] (a DNAT/REDIRECT rule "
        "translates this port: input chains cannot close it)",
    )
    assert [o.key for o in result.objects] == ["tcp/0.0.0.0:8080"]
