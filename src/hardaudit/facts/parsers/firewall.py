"""Firewall state from the kernel's ruleset: `nft -j list ruleset` and `iptables-save`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_BLOCKING = ("drop", "reject")


@dataclass(frozen=True)
class FamilyFilter:
    """Inbound filtering seen for one address family by one backend."""

    filters: bool
    default_deny: bool
    evidence: tuple[str, ...]


NO_FILTER = FamilyFilter(False, False, ())


def _merge(a: FamilyFilter, b: FamilyFilter) -> FamilyFilter:
    return FamilyFilter(
        a.filters or b.filters, a.default_deny or b.default_deny, a.evidence + b.evidence
    )


def _verdicts(expr: list[Any]) -> set[str]:
    found: set[str] = set()
    for item in expr:
        if isinstance(item, dict):
            found.update(key for key in item if key in _BLOCKING or key in ("jump", "goto"))
    return found


def parse_nft_json(text: str) -> tuple[FamilyFilter, FamilyFilter]:
    """(ipv4, ipv6) inbound filtering from base chains hooked on `input`.

    `inet` chains cover both families. A chain filters when its policy is drop or a rule
    drops/rejects; it denies by default when its policy is drop or it ends with an
    unconditional drop/reject.
    """
    data = json.loads(text) if text.strip() else {"nftables": []}
    items = data.get("nftables", []) if isinstance(data, dict) else []
    chains: dict[tuple[str, str, str], dict[str, Any]] = {}
    rules: dict[tuple[str, str, str], list[list[Any]]] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        if "chain" in item:
            chain = item["chain"]
            chains[(chain.get("family", ""), chain.get("table", ""), chain.get("name", ""))] = chain
        elif "rule" in item:
            rule = item["rule"]
            key = (rule.get("family", ""), rule.get("table", ""), rule.get("chain", ""))
            rules.setdefault(key, []).append(list(rule.get("expr", [])))
    v4, v6 = NO_FILTER, NO_FILTER
    for key, chain in chains.items():
        if chain.get("hook") != "input" or chain.get("type", "filter") != "filter":
            continue
        family = key[0]
        chain_rules = rules.get(key, [])
        policy_drop = chain.get("policy") == "drop"
        rule_blocks = any(_verdicts(expr) & set(_BLOCKING) for expr in chain_rules)
        last_blocks = (
            bool(chain_rules)
            and len(chain_rules[-1]) == 1
            and bool(_verdicts(chain_rules[-1]) & set(_BLOCKING))
        )
        label = f"nft {family} {key[1]} {key[2]}: policy {chain.get('policy', 'accept')}, {len(chain_rules)} rules"
        found = FamilyFilter(policy_drop or rule_blocks, policy_drop or last_blocks, (label,))
        if family in ("ip", "inet"):
            v4 = _merge(v4, found)
        if family in ("ip6", "inet"):
            v6 = _merge(v6, found)
    return v4, v6


def parse_iptables_save(text: str, family: str = "ipv4") -> FamilyFilter:
    """Inbound filtering in the `filter` table's INPUT chain of `iptables-save` output."""
    table = ""
    policy = ""
    blocks = False
    last_rule = ""
    jumps: set[str] = set()
    chain_blocks: dict[str, bool] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("*"):
            table = line[1:]
            continue
        if table != "filter":
            continue
        if line.startswith(":INPUT "):
            policy = line.split()[1]
        elif line.startswith("-A "):
            parts = line.split()
            chain = parts[1]
            target = parts[parts.index("-j") + 1] if "-j" in parts else ""
            if target in ("DROP", "REJECT"):
                chain_blocks[chain] = True
            if chain == "INPUT":
                last_rule = line
                if target in ("DROP", "REJECT"):
                    blocks = True
                elif target:
                    jumps.add(target)
    blocks = blocks or any(chain_blocks.get(chain, False) for chain in jumps)
    deny = policy in ("DROP", "REJECT") or last_rule in ("-A INPUT -j DROP", "-A INPUT -j REJECT")
    if not policy:
        return NO_FILTER
    evidence = (f"{'ip6tables' if family == 'ipv6' else 'iptables'} filter INPUT: policy {policy}",)
    return FamilyFilter(blocks or deny, deny, evidence)
