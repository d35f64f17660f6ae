"""fw.default-deny-in, fw.ipv6-parity and fw.container-bypass: pass, fail, unknown, skip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, Severity, Status
from hardaudit.facts.build import _firewall
from hardaudit.facts.model import (
    Absent,
    Container,
    FirewallState,
    Ipv6State,
    PublishedPort,
    Section,
    Unknown,
)
from hardaudit.facts.parsers.system import parse_ipv6

from .factories import facts

CHECKS = {c.id: c for c in load_checks()}
FIXTURES = Path(__file__).parents[2] / "fixtures" / "firewall"
V6_GLOBAL = Ipv6State(False, ("2001:0db8:0000:0000:0000:0000:0000:0005%eth0",))
V6_LINK_LOCAL = Ipv6State(False, ())
V6_OFF = Ipv6State(True, ())


def run(check_id: str, host_vars: dict[str, Any] | None = None, **overrides: Any) -> CheckResult:
    overrides.setdefault("ipv6", V6_GLOBAL)
    (result,) = evaluate([CHECKS[check_id]], facts(**overrides), host_vars or {})
    return result


def state_from(nft: str | None = None, iptables: str | None = None, ip6: str = "") -> Any:
    """FirewallState built from fixture files as build_host_facts does ("": empty output,
    None: the tool is not installed)."""

    def sec(name: str, fixture: str | None) -> Section:
        if fixture is None:
            return Section(name, "", 127, stderr=f"{name} not installed")
        return Section(name, (FIXTURES / fixture).read_text() if fixture else "", 0)

    return _firewall(
        {
            "nft": sec("nft", nft),
            "iptables": sec("iptables", iptables),
            "ip6tables": sec("ip6tables", ip6),
        }
    )


def fw(v4f: bool, v6f: bool, v4d: bool, v6d: bool, *evidence: str) -> FirewallState:
    return FirewallState("nftables", v4f, v6f, v4d, v6d, evidence)


# fw.default-deny-in ------------------------------------------------------------------------------


def test_default_deny_lab_gold_passes() -> None:
    result = run("fw.default-deny-in", firewall=state_from("lab-gold.json", ""))
    assert result.status == Status.PASS
    assert result.evidence == (
        "IPv4: default deny",
        "IPv6: default deny",
        "nft inet filter input: policy drop",
    )


def test_default_deny_firewalld_zone_reject_passes() -> None:
    result = run("fw.default-deny-in", firewall=state_from("firewalld-public.json", ""))
    assert result.status == Status.PASS
    assert result.evidence[2] == (
        "nft inet firewalld filter_INPUT: policy accept, unmatched packets: reject in "
        "filter_IN_public by `reject with icmpx admin-prohibited` "
        "(filter_INPUT -> filter_INPUT_ZONES -> filter_IN_public)"
    )


def test_default_deny_firewalld_trusted_zone_fails() -> None:
    result = run("fw.default-deny-in", firewall=state_from("firewalld-trusted.json", ""))
    assert (result.status, result.severity) == (Status.FAIL, Severity.HIGH)
    assert result.evidence[:2] == (
        "IPv4: no default deny",
        "IPv6: no default deny; IPv6 is on: 2001:0db8:0000:0000:0000:0000:0000:0005%eth0",
    )


def test_default_deny_ufw_passes_from_iptables_save_alone() -> None:
    state = state_from(None, "ufw-allow.iptables", "ufw-allow.ip6tables")
    result = run("fw.default-deny-in", firewall=state)
    assert result.status == Status.PASS
    assert result.evidence == (
        "IPv4: default deny",
        "IPv6: default deny",
        "iptables filter INPUT: policy DROP",
        "ip6tables filter INPUT: policy DROP",
    )


def test_default_deny_docker_host_without_a_firewall_fails_naming_the_chain() -> None:
    result = run("fw.default-deny-in", firewall=state_from(None, "lab-dock2.iptables"), ipv6=V6_OFF)
    assert result.status == Status.FAIL
    assert result.evidence == (
        "IPv4: no default deny",
        "IPv6: no default deny, but IPv6 is off",
        "iptables filter INPUT: policy ACCEPT, no catch-all drop or reject",
    )


def test_default_deny_lab_match1_ipv4_only_fails_for_link_local_ipv6_at_medium() -> None:
    ipv6 = parse_ipv6((FIXTURES / "lab-match1.ipv6").read_text())
    state = state_from("lab-match1.json", "lab-match1.iptables")
    result = run("fw.default-deny-in", firewall=state, ipv6=ipv6)
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == (
        "IPv4: default deny",
        "IPv6: no default deny; IPv6 is on with link-local addresses only "
        "(reachable from the local segment)",
        "nft ip filter input: policy drop",
    )


def test_default_deny_ipv6_off_is_not_judged() -> None:
    result = run("fw.default-deny-in", firewall=fw(True, False, True, False), ipv6=V6_OFF)
    assert result.status == Status.PASS
    assert result.evidence[1] == "IPv6: no default deny, but IPv6 is off"


def test_default_deny_no_chain_at_all_says_so() -> None:
    result = run("fw.default-deny-in", firewall=fw(False, False, False, False), ipv6=V6_OFF)
    assert result.status == Status.FAIL
    assert result.evidence[-1] == "no filter chain on the input hook (nft or iptables-save)"


def test_default_deny_no_firewall_tools_fails() -> None:
    state = FirewallState("none", False, False, False, False, ("no nft or iptables-save",))
    result = run("fw.default-deny-in", firewall=state)
    assert result.status == Status.FAIL
    assert result.evidence == (
        "neither nft nor iptables-save is installed",
        "no nft or iptables-save",
    )


def test_default_deny_unknown_without_root() -> None:
    result = run(
        "fw.default-deny-in", firewall=Unknown("nft: exit status 1: Operation not permitted")
    )
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "nft: exit status 1: Operation not permitted",
    )


def test_default_deny_unknown_when_ipv6_open_and_its_state_unreadable() -> None:
    result = run(
        "fw.default-deny-in", firewall=fw(True, False, True, False), ipv6=Unknown("no /proc")
    )
    assert result.status == Status.UNKNOWN
    assert result.reason == (
        "IPv6 has no default deny and whether IPv6 is on could not be read: no /proc"
    )


def test_default_deny_ipv4_open_fails_even_when_ipv6_state_unreadable() -> None:
    result = run("fw.default-deny-in", firewall=fw(True, True, False, True), ipv6=Unknown("x"))
    assert result.status == Status.FAIL
    assert result.evidence[:2] == ("IPv4: no default deny", "IPv6: default deny")


# fw.ipv6-parity ----------------------------------------------------------------------------------


def test_parity_lab_gold_passes() -> None:
    result = run("fw.ipv6-parity", firewall=state_from("lab-gold.json", ""))
    assert result.status == Status.PASS
    assert result.evidence == (
        "IPv4: default deny",
        "IPv6: default deny",
        "nft inet filter input: policy drop",
    )


def test_parity_lab_match1_ipv4_filtered_ipv6_open_fails() -> None:
    ipv6 = parse_ipv6((FIXTURES / "lab-match1.ipv6").read_text())
    state = state_from("lab-match1.json", "lab-match1.iptables")
    result = run("fw.ipv6-parity", firewall=state, ipv6=ipv6)
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == (
        "IPv4: default deny",
        "IPv6: not filtered",
        "IPv6 is on with link-local addresses only (reachable from the local segment)",
        "nft ip filter input: policy drop",
    )


def test_parity_global_ipv6_open_fails_high() -> None:
    state = state_from("lab-match1.json", "lab-match1.iptables")
    result = run("fw.ipv6-parity", firewall=state, ipv6=V6_GLOBAL)
    assert (result.status, result.severity) == (Status.FAIL, Severity.HIGH)
    assert result.evidence[2] == "IPv6 is on: 2001:0db8:0000:0000:0000:0000:0000:0005%eth0"


def test_parity_inet_table_with_nfproto_ipv6_accept_fails() -> None:
    result = run("fw.ipv6-parity", firewall=state_from("v6-hole.json", ""))
    assert result.status == Status.FAIL
    assert result.evidence[:2] == ("IPv4: default deny", "IPv6: filtered without default deny")


def test_parity_ipv6_off_passes() -> None:
    result = run("fw.ipv6-parity", firewall=fw(True, False, True, False), ipv6=V6_OFF)
    assert result.status == Status.PASS
    assert result.evidence == ("IPv4: default deny", "IPv6: not filtered", "IPv6 is off")


def test_parity_ipv6_stricter_than_ipv4_passes_without_ipv6_state() -> None:
    result = run("fw.ipv6-parity", firewall=fw(True, True, False, True), ipv6=Unknown("x"))
    assert result.status == Status.PASS


def test_parity_unknown_when_ipv6_state_is_needed_and_unreadable() -> None:
    result = run("fw.ipv6-parity", firewall=fw(True, False, True, False), ipv6=Unknown("no /proc"))
    assert (result.status, result.reason) == (Status.UNKNOWN, "no /proc")


def test_parity_unknown_without_root() -> None:
    result = run("fw.ipv6-parity", firewall=Unknown("iptables-save: permission denied"))
    assert result.status == Status.UNKNOWN


def test_parity_skips_when_ipv4_is_not_filtered_either() -> None:
    result = run("fw.ipv6-parity", firewall=fw(False, False, False, False))
    assert (result.status, result.reason) == (
        Status.SKIP,
        "IPv4 is not filtered either: fw.enabled judges the firewall",
    )


# fw.container-bypass -------------------------------------------------------------------------


def ctr(name: str, *ports: PublishedPort, image: str = "img") -> Container:
    return Container(name[:1], name, image, "", 10, 1000, ports=ports)


def test_bypass_port_on_all_addresses_fails_with_binding_and_container_port() -> None:
    web = ctr(
        "web",
        PublishedPort("80/tcp", "0.0.0.0", 8080),
        PublishedPort("80/tcp", "::", 8080),
        image="nginx",
    )
    result = run("fw.container-bypass", containers=(web,))
    assert result.status == Status.FAIL
    assert result.evidence == (
        "web (nginx): 0.0.0.0:8080 -> 80/tcp on all addresses, not in allowed_ports [22]",
        "web (nginx): [::]:8080 -> 80/tcp on all addresses, not in allowed_ports [22]",
    )


def test_bypass_empty_host_ip_means_all_addresses() -> None:
    result = run("fw.container-bypass", containers=(ctr("m", PublishedPort("9121/tcp", "", 9121)),))
    assert result.status == Status.FAIL
    assert result.evidence == (
        "m (img): *:9121 -> 9121/tcp on all addresses, not in allowed_ports [22]",
    )


def test_bypass_allowed_port_and_single_address_pass() -> None:
    containers = (
        ctr("web", PublishedPort("443/tcp", "0.0.0.0", 443)),
        ctr("db", PublishedPort("5432/tcp", "127.0.0.1", 5432)),
        ctr("dns", PublishedPort("53/udp", "0.0.0.0", 53)),
    )
    result = run("fw.container-bypass", {"allowed_ports": [443, "53/udp"]}, containers=containers)
    assert result.status == Status.PASS
    assert result.evidence == (
        "web (img): 0.0.0.0:443 -> 443/tcp on all addresses, allowed by allowed_ports",
        "db (img): 127.0.0.1:5432 -> 5432/tcp (one address only)",
        "dns (img): 0.0.0.0:53 -> 53/udp on all addresses, allowed by allowed_ports",
    )


def test_bypass_protocol_of_the_allow_list_entry_matters() -> None:
    dns = ctr("dns", PublishedPort("53/udp", "0.0.0.0", 53))
    result = run("fw.container-bypass", {"allowed_ports": ["53/tcp"]}, containers=(dns,))
    assert result.status == Status.FAIL


def test_bypass_no_published_port_passes() -> None:
    result = run("fw.container-bypass", containers=(ctr("a"), ctr("b")))
    assert (result.status, result.evidence) == (
        Status.PASS,
        ("no port published by 2 container(s)",),
    )
    assert run("fw.container-bypass", containers=()).evidence == ("no running containers",)


def test_bypass_skips_without_engine_and_is_unknown_when_docker_fails() -> None:
    skipped = run(
        "fw.container-bypass", containers=Absent("no container engine (docker) on this host")
    )
    assert (skipped.status, skipped.reason) == (
        Status.SKIP,
        "no container engine (docker) on this host",
    )
    unknown = run("fw.container-bypass", containers=Unknown("docker ps/inspect: permission denied"))
    assert unknown.status == Status.UNKNOWN


def test_bypass_a_non_ascii_digit_in_allowed_ports_allows_nothing() -> None:
    two = ctr("two", PublishedPort("2/tcp", "0.0.0.0", 2))
    result = run("fw.container-bypass", {"allowed_ports": ["²", "9" * 5000]}, containers=(two,))
    assert result.status == Status.FAIL, result.reason
