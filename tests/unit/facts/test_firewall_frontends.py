"""Real firewall front-ends, judged from rulesets captured on the lab hosts ufw1 (ufw on
iptables-nft), fwd1 (firewalld), legacy1 (iptables-legacy) and nat1 (a container engine's NAT
rules only): which ports their input chains close, NAT rules that filter nothing, the legacy
backend read beside nft, and a warning when the two backends disagree."""

from __future__ import annotations

import json

from hardaudit.facts.build import _firewall
from hardaudit.facts.model import FirewallState, Section, Unknown
from hardaudit.facts.parsers.firewall import (
    IPV4,
    IPV6,
    is_legacy_save,
    parse_iptables_save,
    parse_nft_json,
)
from tests.unit.facts.test_firewall import FIXTURES, fixture, section


def host(name: str, *, legacy: bool = True) -> dict[str, Section]:
    """The firewall sections of one captured lab host (legacy ones empty when absent)."""
    files = {
        "nft": "json",
        "iptables": "iptables",
        "ip6tables": "ip6tables",
        "iptables_legacy": "legacy",
        "ip6tables_legacy": "legacy6",
    }
    found = {}
    for key, ext in files.items():
        path = FIXTURES / f"lab-{name}.{ext}"
        if key.endswith("_legacy") and not legacy:
            continue
        found[key] = section(key, path.read_text() if path.exists() else "")
    return found


def state(sections: dict[str, Section]) -> FirewallState:
    result = _firewall(sections)
    assert isinstance(result, FirewallState), result
    return result


# --- ufw1: ufw default deny incoming, allow 443/tcp, limit 22/tcp (iptables-nft) -------------


def test_ufw1_closes_every_port_but_the_allowed_443_and_the_limited_22() -> None:
    v4 = parse_iptables_save(fixture("lab-ufw1.iptables"), IPV4)
    assert (v4.filters, v4.default_deny) == (True, True)
    tcp = [(low, high) for proto, low, high, _ in v4.blocked if proto == "tcp"]
    assert tcp == [(1, 21), (23, 442), (444, 65535)]
    assert {label for *_, label in v4.blocked} == {"iptables filter INPUT"}
    v6 = parse_iptables_save(fixture("lab-ufw1.ip6tables"), IPV6)
    assert ("tcp", 444, 65535, "ip6tables filter INPUT") in v6.blocked


def test_ufw1_through_nft_proves_no_port_closed_with_opaque_xt_conntrack() -> None:
    """iptables-nft's `-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT` is an opaque
    `xt match conntrack` in `nft -j`: it may accept anything, so the nft view alone closes
    nothing; iptables-save of the same tables does, and the host is judged on both."""
    v4, _ = parse_nft_json(fixture("lab-ufw1.json"))
    assert v4.default_deny
    assert v4.blocked == ()
    found = state(host("ufw1"))
    assert found.blocked_by("tcp", 8080, IPV4) == "iptables filter INPUT"
    assert found.blocked_by("tcp", 8080, IPV6) == "ip6tables filter INPUT"
    assert found.blocked_by("tcp", 443, IPV4) == ""
    assert found.blocked_by("tcp", 22, IPV4) == ""  # limited, not closed
    assert found.ssh_rate_limited
    assert found.backend == "nftables+iptables"
    assert not any("legacy" in line for line in found.evidence)


# --- fwd1: firewalld's public zone with https and a rate-limited ssh rich rule ---------------


def test_fwd1_zone_reject_closes_8080_and_the_rich_rule_limits_ssh() -> None:
    v4, v6 = parse_nft_json(fixture("lab-fwd1.json"))
    for view in (v4, v6):
        assert view.default_deny
        assert ("tcp", 444, 65535, "nft inet firewalld filter_INPUT") in view.blocked
        assert not any(low <= 443 <= high for p, low, high, _ in view.blocked if p == "tcp")
    assert v4.rate_limit == (
        "nft inet firewalld filter_IN_public_allow: tcp dport 22 limit rate 10/minute accept",
    )
    assert "reject in filter_IN_public" in v4.evidence[0]


# --- nat1: only a container engine's DNAT/MASQUERADE rules --------------------------------


def test_nat1_nat_rules_are_counted_and_filter_nothing() -> None:
    found = state(host("nat1"))
    assert (found.ipv4_filters, found.ipv6_filters) == (False, False)
    assert found.nat == (
        "nft ip nat: 6 rules (DNAT, MASQUERADE, SNAT)",
        "iptables nat: 6 rules (DNAT, MASQUERADE, SNAT)",
    )
    assert found.ipv4_blocked == ()


# --- legacy1: iptables-legacy through the alternatives ------------------------------------


def test_iptables_save_header_tells_the_backend() -> None:
    assert is_legacy_save(fixture("lab-legacy1.iptables"))
    assert not is_legacy_save(fixture("lab-ufw1.iptables"))
    assert not is_legacy_save("")  # no header: nothing to tell


def test_legacy1_is_judged_from_the_legacy_tables_and_named_so() -> None:
    found = state(host("legacy1"))
    assert found.backend == "nftables+iptables-legacy"
    assert (found.ipv4_default_deny, found.ipv6_default_deny) == (True, True)
    assert found.evidence == (
        "iptables-legacy filter INPUT: policy DROP",
        "ip6tables-legacy filter INPUT: policy DROP",
    )
    assert found.ssh_rate_limited
    assert found.rate_limit_evidence[0].startswith("iptables-legacy filter INPUT: -p tcp")
    assert found.blocked_by("tcp", 8080, IPV4) == "iptables-legacy filter INPUT"
    assert found.nat == ("nft ip nat: 4 rules (DNAT, SNAT)",)  # Docker's embedded DNS


def test_legacy_rules_are_read_even_when_iptables_save_shows_nft() -> None:
    """A host whose alternatives point at nft still runs the legacy tables: the
    iptables-legacy-save sections show them."""
    sections = host("legacy1")
    sections["iptables"] = section("iptables", fixture("lab-ufw1.iptables").split("*filter")[0])
    sections["ip6tables"] = section("ip6tables", "")
    found = state(sections)
    assert found.ipv4_default_deny
    assert "iptables-legacy filter INPUT: policy DROP" in found.evidence
    assert "iptables-legacy" in found.backend


def test_legacy_rules_that_cannot_be_read_make_the_firewall_unknown() -> None:
    sections = host("ufw1")
    sections["iptables_legacy"] = section(
        "iptables_legacy", rc=1, stderr="sudo: a password is required"
    )
    found = _firewall(sections)
    assert isinstance(found, Unknown)
    assert "iptables-legacy-save" in found.reason
    sections["iptables_legacy"] = section("iptables_legacy", rc=127, stderr="not installed")
    assert isinstance(_firewall(sections), FirewallState)


def test_nft_and_legacy_that_disagree_say_so_and_are_judged_together() -> None:
    """Captured on legacy1 with an extra `inet filter` table: policy accept, 8080 dropped."""
    found = state(host("legacy1-disagree-a"))
    warning = [line for line in found.evidence if line.startswith("warning:")]
    assert warning == [
        "warning: nft and iptables-legacy rulesets disagree (IPv4: nft filtered without "
        "default deny, iptables-legacy default deny; IPv6: nft filtered without default "
        "deny, iptables-legacy default deny); the kernel applies both, a packet must pass "
        "each: judged on both together, but `nft list ruleset` or `iptables -L` alone shows "
        "only half"
    ]
    assert (found.ipv4_default_deny, found.ipv6_default_deny) == (True, True)


def test_legacy_flushed_to_accept_while_nft_drops_is_a_disagreement() -> None:
    """Captured on legacy1: legacy INPUT flushed to ACCEPT, an nft table with policy drop."""
    found = state(host("legacy1-disagree-b"))
    assert found.ipv4_default_deny  # nft's drop policy
    assert any(
        line.startswith("warning:")
        and "IPv4: nft default deny, iptables-legacy not filtered" in line
        for line in found.evidence
    ), found.evidence


def test_hosts_with_one_backend_get_no_disagreement_line() -> None:
    for name in ("ufw1", "fwd1", "legacy1", "nat1"):
        assert not any(
            "iptables-legacy both" in e or "warning" in e for e in state(host(name)).evidence
        )


def test_dnat_and_redirect_rules_publish_their_ports_past_the_input_chains() -> None:
    """dock2 (captured): Docker's DNAT of tcp/8080 and the embedded DNS's DNAT of 53 to a
    random port are published for IPv4, in the nft view and the iptables-save view."""
    v4, _ = parse_nft_json(fixture("lab-dock2.json"))
    assert ("tcp", 8080, 8080) in v4.published
    assert ("udp", 53, 53) in v4.published
    ipt = parse_iptables_save(fixture("lab-dock2.iptables"))
    assert ("tcp", 8080, 8080) in ipt.published
    assert ("tcp", 46037, 46037) in ipt.published  # --to-destination 127.0.0.11:46037
    state = _firewall(
        {
            "nft": Section("nft", fixture("lab-dock2.json"), 0),
            "iptables": Section("iptables", fixture("lab-dock2.iptables"), 0),
        }
    )
    assert isinstance(state, FirewallState)
    assert state.blocked_by("tcp", 8080, "ipv4") == ""
    assert state.blocked_by("tcp", 2375, "ipv4") == "nft inet filter input"


def test_nat_target_ports_are_read_or_taken_as_any() -> None:
    save = "\n".join(
        (
            "*nat",
            ":PREROUTING ACCEPT [0:0]",
            "-A PREROUTING -p udp -m udp --dport 5000:5010 -j DNAT --to-destination [fd00::2]:6000-6001",
            "-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080",
            "-A PREROUTING -p tcp -m tcp --dport 81 -j DNAT --to-destination 10.0.0.2",
            "-A PREROUTING -p tcp -m tcp --dport 82 -j DNAT --to-destination 10.0.0.2:x",
            "-A PREROUTING -j DNAT --to-destination 10.0.0.3:90",
            "COMMIT",
        )
    )
    published = parse_iptables_save(save).published
    assert ("udp", 5000, 5010) in published
    assert ("udp", 6000, 6001) in published
    assert ("tcp", 80, 80) in published
    assert ("tcp", 8080, 8080) in published
    assert ("tcp", 81, 81) in published
    assert ("tcp", 1, 65535) in published  # unreadable target port, or no port matched
    assert ("udp", 1, 65535) in published  # the last rule matches every protocol and port
    native = {
        "nftables": [
            {
                "chain": {
                    "family": "ip",
                    "table": "nat",
                    "name": "pre",
                    "hook": "prerouting",
                    "type": "nat",
                }
            },
            {
                "rule": {
                    "family": "ip",
                    "table": "nat",
                    "chain": "pre",
                    "expr": [
                        {
                            "match": {
                                "op": "==",
                                "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                                "right": 8443,
                            }
                        },
                        {"dnat": {"addr": "10.0.0.2", "port": 443}},
                    ],
                }
            },
        ]
    }
    v4, v6 = parse_nft_json(json.dumps(native))
    assert v4.published == (("tcp", 8443, 8443), ("tcp", 443, 443))
    assert v6.published == ()
