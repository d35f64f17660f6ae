"""Firewall state from the kernel's ruleset: `nft -j list ruleset` and `iptables-save`.

Both formats become the same small graph: chains of rules, each rule reduced to whether it is
conditional, its verdict, the chain it jumps to and the address families it can match. One
analysis then answers, for every base chain on the `input` hook and each family, what happens
to an inbound packet that no explicit rule matched ("unmatched packets"): that is what
"default deny" means, whether it comes from the chain policy (`policy drop`, `:INPUT DROP`)
or from a catch-all rule at the end of the path (firewalld: `filter_INPUT` has policy accept
and its zone chain ends in `reject`).
"""

from __future__ import annotations

import itertools
import json
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from hardaudit.facts.parsers.numbers import ascii_int

_T = TypeVar("_T")
IPV4, IPV6 = "ipv4", "ipv6"
BOTH = frozenset((IPV4, IPV6))
_NFT_FAMILIES = {"ip": frozenset((IPV4,)), "ip6": frozenset((IPV6,)), "inet": BOTH}
_DENY = ("drop", "reject")
SSH_PORT = 22
# Expressions that rate- or connection-limit what a rule matches.
_NFT_LIMITS = ("limit", "meter", "ct count", "quota")
_XT_LIMITS = ("limit", "hashlimit", "recent", "connlimit")
# Which packets a limit matches: OVER the limit (`limit rate over`, `--hashlimit-above`,
# `recent --update`: the excess, to drop), UNDER it (`limit rate`, `-m limit`: the allowed
# share, to accept), or ANY (an xt match whose options nft -j does not show).
OVER, UNDER, ANY = "over", "under", "any"
_MAX_PATHS = 4096  # chain visits while looking for rate limits (rulesets are small)
# nft statements that never stop a rule from matching; any other expression is a condition.
_NFT_STATEMENTS = ("counter", "log", "mangle", "notrack", "ct helper", "ct timeout", "continue")
# iptables targets that end the chain; any other non-chain target (LOG, NFLOG...) does not.
_IPT_VERDICTS = {"ACCEPT": "accept", "DROP": "drop", "REJECT": "reject", "RETURN": "return"}
_INCOMPATIBLE = "# Table `filter' contains incompatible base-chains"
_MAX_DEPTH = 64  # jumps followed from a base chain (the kernel itself allows 16 in nft)
_SHOWN_PATH = 6


@dataclass(frozen=True)
class FamilyFilter:
    """Inbound filtering seen for one address family by one backend."""

    filters: bool
    default_deny: bool
    evidence: tuple[str, ...]
    rate_limit: tuple[str, ...] = ()  # rules that rate-limit tcp/22 on an input path
    # Ports to which every new connection from the network is dropped or rejected on some
    # input base chain: (protocol, first port, last port, that chain's label).
    blocked: tuple[tuple[str, int, int, str], ...] = ()
    nat: tuple[str, ...] = ()  # "iptables nat: 9 rules (DNAT, MASQUERADE, SNAT)": no filtering
    input_chains: bool = False  # some input base chain exists (even one that accepts all)
    # Ports a DNAT or REDIRECT rule may translate (the ports it matches and those it sends
    # to): such a connection is forwarded past the input chains (a container's published
    # port) or seen there under another port, so no input chain proves these closed.
    published: tuple[tuple[str, int, int], ...] = ()


NO_FILTER = FamilyFilter(False, False, ())


def merge(a: FamilyFilter, b: FamilyFilter) -> FamilyFilter:
    """Two views of one family: it filters (denies by default) if either does.

    The kernel passes an inbound packet through every base chain on the input hook (of
    every table, nft's and iptables-legacy's alike): it is dropped if any one of them drops
    it, so a port blocked in either view is blocked.
    """
    return FamilyFilter(
        a.filters or b.filters,
        a.default_deny or b.default_deny,
        _unique(a.evidence + b.evidence),
        _unique(a.rate_limit + b.rate_limit),
        _unique(a.blocked + b.blocked),
        _unique(a.nat + b.nat),
        a.input_chains or b.input_chains,
        _unique(a.published + b.published),
    )


def add_iptables(seen: FamilyFilter, ipt: FamilyFilter) -> FamilyFilter:
    """Add the iptables-save view of a family to what nft showed.

    iptables-nft prints stand-in chains (`:INPUT ACCEPT`, no rules) for tables it cannot
    read or that hold nothing of its own: an iptables view that filters nothing adds no
    evidence next to nft's (but still its rate limits, if any).
    """
    if seen.evidence and not ipt.filters:
        ipt = replace(ipt, evidence=())
    return merge(seen, ipt)


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class Rule:
    """One rule, reduced to what the analysis needs."""

    verdict: str  # accept | drop | reject | return | jump | goto | "" (none: counter, log)
    target: str = ""  # the chain of a jump/goto
    conditional: bool = True
    families: frozenset[str] = BOTH
    ssh: bool = False  # matches tcp destination port 22
    limit: str = ""  # a rate or connection limit matching OVER / UNDER it (or ANY); "" none
    text: str = ""
    ssh_only: bool = False  # matches every new tcp/22 connection (no other condition)
    # Which new connections from the network (not from lo, not DNATed) the rule can match,
    # for the per-port analysis: protocols (None: any), destination ports (None: any),
    # `never_new` (it matches no such packet: `-i lo`, `ct state established,related`), and
    # `maybe` (other conditions: addresses, interfaces, opaque xt matches, limits).
    protos: frozenset[str] | None = None
    dports: tuple[tuple[int, int], ...] | None = None
    never_new: bool = False
    maybe: bool = False


@dataclass(frozen=True)
class Chain:
    name: str
    label: str  # "nft inet filter input", "iptables filter INPUT"
    rules: tuple[Rule, ...] = ()
    hook: str = ""  # "input" for a base chain on the input hook
    policy: str = ""  # as written: "drop", "DROP"
    families: frozenset[str] = BOTH


@dataclass
class _Table:
    chains: dict[str, Chain] = field(default_factory=dict)


# --- the analysis ----------------------------------------------------------------------------

# outcome ("accept", "drop", "reject", "fall") -> (the chain path to it, the deciding rule)
Fate = dict[str, tuple[tuple[str, ...], str]]


def _unmatched(
    chains: Mapping[str, Chain],
    name: str,
    family: str,
    seen: frozenset[str] = frozenset(),
    memo: dict[str, Fate] | None = None,
) -> Fate:
    """What may happen to a packet that matches no explicit rule, from chain `name` on.

    Conditional accept/drop rules are the explicit rules themselves: such a packet skips them.
    A conditional `return` (or a conditional goto into a chain that falls off its end) may be
    taken, so falling back to the caller stays possible. "fall" means the packet reaches the
    end of the chain (then the caller continues, or a base chain applies its policy).
    Results are memoised per chain (rulesets have no loops; `seen` guards malformed ones).
    """
    memo = {} if memo is None else memo
    chain = chains.get(name)
    if chain is None or name in seen or len(seen) > _MAX_DEPTH:
        return {"fall": ((name,), "")}
    if name in memo:
        return memo[name]
    seen = seen | {name}
    found: Fate = {}

    def into(target: str) -> Fate:
        sub = _unmatched(chains, target, family, seen, memo)
        return {outcome: ((name, *path), text) for outcome, (path, text) in sub.items()}

    for rule in chain.rules:
        if family not in rule.families:
            continue
        if rule.conditional:
            if rule.verdict == "return" or (rule.verdict == "goto" and "fall" in into(rule.target)):
                found.setdefault("fall", ((name,), rule.text))
            continue
        if rule.verdict in ("accept", *_DENY):
            found.setdefault(rule.verdict, ((name,), rule.text))
            break
        if rule.verdict == "return":
            found.setdefault("fall", ((name,), rule.text))
            break
        if rule.verdict == "goto":
            for outcome, decided in into(rule.target).items():
                found.setdefault(outcome, decided)
            break
        if rule.verdict == "jump":
            sub = into(rule.target)
            for outcome, decided in sub.items():
                if outcome != "fall":
                    found.setdefault(outcome, decided)
            if "fall" not in sub:
                break
    else:
        found.setdefault("fall", ((name,), ""))
    memo[name] = found
    return found


def _reachable(chains: Mapping[str, Chain], start: str, family: str) -> list[Chain]:
    """The chains a packet of `family` can visit from `start` through jumps and gotos."""
    order: list[Chain] = []
    todo = [start]
    seen: set[str] = set()
    while todo:
        name = todo.pop(0)
        chain = chains.get(name)
        if chain is None or name in seen:
            continue
        seen.add(name)
        order.append(chain)
        todo.extend(
            r.target for r in chain.rules if r.verdict in ("jump", "goto") and family in r.families
        )
    return order


# A place to go on from: (chain, rule index, whether that chain was entered for tcp/22).
_Resume = tuple[str, int, bool]
_WalkKey = tuple[str, bool, tuple[_Resume, ...]]
_CANNOT_TELL = frozenset(("accept",))  # never counts as a limit
# Work for the rate-limit analysis of one base chain and family: rules looked at, and calls
# nested. Real rulesets need a few thousand steps; 20,000 limited rules or goto loops would
# otherwise cost minutes or the interpreter's stack. Past either, "cannot tell".
_MAX_STEPS = 1_000_000
_MAX_VISITED_RULES = 200_000  # rules looked at while visiting chains for limited rules
_MAX_NESTING = 200


class _OutOfBudgetError(Exception):
    pass


@dataclass
class _Walk:
    """One base chain's view for the rate-limit analysis.

    What happens from each rule of a chain on is computed once per (chain, entered for
    tcp/22, return stack), for every rule at once, from the last rule back: a chain of
    20,000 limited rules is one pass, not one pass per rule.
    """

    chains: Mapping[str, Chain]
    family: str
    policy_deny: bool
    steps: int = _MAX_STEPS
    _tables: dict[_WalkKey, list[frozenset[str]]] = field(default_factory=dict)
    _done: dict[_WalkKey, int] = field(default_factory=dict)  # table entries valid from here
    _busy: set[_WalkKey] = field(default_factory=set)
    _nesting: int = 0
    unsure: bool = False  # a loop or the nesting cap was met: no limit is proven any more

    def fate(self, name: str, start: int, ssh: bool, stack: tuple[_Resume, ...]) -> frozenset[str]:
        """What may happen ("accept", "deny") to a new tcp/22 packet over a rate limit,
        from rule `start` of chain `name` on, resuming at `stack` when a chain ends or
        returns, and meeting the base chain's policy at the very end.

        Rules with a limit are skipped (whether they match is the question); a rule matching
        tcp/22, or any rule of a chain entered through such a match (`ssh`), may match the
        packet; other conditional rules are taken to match other traffic.
        """
        chain = self.chains.get(name)
        if chain is None or len(stack) > _MAX_DEPTH or self._nesting > _MAX_NESTING:
            self.unsure = True
            return _CANNOT_TELL
        key = (name, ssh, stack)
        start = min(start, len(chain.rules))
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = [_CANNOT_TELL] * (len(chain.rules) + 1)
            self._done[key] = len(chain.rules) + 1
        if start >= self._done[key]:
            return table[start]
        if key in self._busy:  # back at an earlier rule with the same stack: a goto loop
            self.unsure = True
            return _CANNOT_TELL
        self._busy.add(key)
        self._nesting += 1
        try:
            self._extend(key, table, start)
        finally:
            self._busy.discard(key)
            self._nesting -= 1
        return table[start]

    def _extend(self, key: _WalkKey, table: list[frozenset[str]], start: int) -> None:
        """Compute the table down to rule `start`, from the last rule back."""
        name, ssh, stack = key
        end = len(table) - 1
        self.steps -= self._done[key] - start
        if self.steps < 0:
            raise _OutOfBudgetError
        if self._done[key] > end:
            table[end] = self.resume(stack)
            self._done[key] = end
        for index in range(self._done[key] - 1, start - 1, -1):
            table[index] = self._from_rule(name, index, ssh, stack, table[index + 1])
            self._done[key] = index

    def _from_rule(
        self,
        name: str,
        index: int,
        ssh: bool,
        stack: tuple[_Resume, ...],
        after: frozenset[str],
    ) -> frozenset[str]:
        """What may happen from rule `index` on, given what may happen after it (`after`)."""
        rule = self.chains[name].rules[index]
        if self.family not in rule.families or rule.limit:
            return after
        if rule.conditional and not (ssh or rule.ssh):
            return after
        inner = ssh or rule.ssh
        if rule.verdict == "accept":
            here = frozenset(("accept",))
        elif rule.verdict in _DENY:
            here = frozenset(("deny",))
        elif rule.verdict in ("jump", "goto") and rule.target in self.chains:
            back = ((name, index + 1, ssh),) if rule.verdict == "jump" else ()
            here = self.fate(rule.target, 0, inner, stack + back)
        elif rule.verdict == "return":
            here = self.resume(stack)
        else:
            return after  # no verdict (log, counter): the packet goes on
        if not rule.conditional or rule.ssh_only:
            return here
        return here | after

    def resume(self, stack: tuple[_Resume, ...]) -> frozenset[str]:
        if not stack:
            return frozenset(("deny",) if self.policy_deny else ("accept",))
        (name, index, ssh), rest = stack[-1], stack[:-1]
        return self.fate(name, index, ssh, rest)

    def limits(self, name: str, index: int, ssh: bool, stack: tuple[_Resume, ...]) -> bool:
        """Whether the limited rule `index` of chain `name` drops the traffic over its limit."""
        try:
            limited = self._limits(name, index, ssh, stack)
        except _OutOfBudgetError:
            return False  # cannot tell: never counts as a limit
        return limited and not self.unsure

    def _limits(self, name: str, index: int, ssh: bool, stack: tuple[_Resume, ...]) -> bool:
        rule = self.chains[name].rules[index]
        if rule.verdict == "accept":
            matched = frozenset(("accept",))
        elif rule.verdict in _DENY:
            matched = frozenset(("deny",))
        elif rule.verdict in ("jump", "goto") and rule.target in self.chains:
            back = ((name, index + 1, ssh),) if rule.verdict == "jump" else ()
            matched = self.fate(rule.target, 0, True, stack + back)
        else:
            return False  # no verdict: LOG, NFLOG, `recent --set`
        if rule.limit in (OVER, ANY) and matched == {"deny"}:
            return True
        if rule.limit in (UNDER, ANY) and "accept" in matched:
            return self.fate(name, index + 1, ssh, stack) == {"deny"}
        return False


def _rate_limits(chains: Mapping[str, Chain], base: Chain, family: str) -> tuple[str, ...]:
    """The rules on an input path that rate-limit new tcp/22 connections, as evidence.

    A limited rule counts when the traffic over the limit is dropped: its verdict (or the
    chain it jumps to) denies what matches OVER a limit (`limit rate over ... drop`,
    `--hashlimit-above`, `recent --update ... -j DROP`, ufw's `-j ufw-user-limit`), or it
    accepts what matches UNDER one and the rest of tcp/22 then meets a deny (a later rule
    or the policy), not an unlimited accept. A rule without a verdict (LOG, NFLOG, `recent
    --set`) limits nothing. Rules of a chain entered through a tcp/22 match count as tcp/22
    rules; the evidence is that outermost tcp/22 rule. The walk stops after _MAX_PATHS
    chain visits or _MAX_VISITED_RULES rules looked at (what it has not seen proves no limit).
    """
    walk = _Walk(chains, family, base.policy.lower() in _DENY)
    found: list[str] = []
    visits = [_MAX_PATHS, _MAX_VISITED_RULES]

    def visit(name: str, entry: str, stack: tuple[_Resume, ...], seen: frozenset[str]) -> None:
        chain = chains.get(name)
        visits[0] -= 1
        if chain is None or name in seen or len(seen) > _MAX_DEPTH or visits[0] < 0:
            return
        visits[1] -= len(chain.rules)
        if visits[1] < 0:
            return
        for index, rule in enumerate(chain.rules):
            if family not in rule.families:
                continue
            here = entry or (f"{chain.label}: {rule.text}" if rule.ssh else "")
            if here and rule.limit and walk.limits(name, index, bool(entry), stack):
                found.append(here)
            if rule.verdict in ("jump", "goto"):
                back = ((name, index + 1, bool(entry)),) if rule.verdict == "jump" else ()
                visit(rule.target, here, stack + back, seen | {name})

    visit(base.name, "", (), frozenset())
    return _unique(found)


# --- which ports an input chain closes --------------------------------------------------------

PORT_PROTOS = ("tcp", "udp")
_MAX_PORT_WORK = 400_000  # port classes x rules looked at, per base chain and family
_NAT_TARGETS = ("DNAT", "SNAT", "MASQUERADE", "REDIRECT", "NETMAP")
_NFT_NAT = {"dnat": "DNAT", "snat": "SNAT", "masquerade": "MASQUERADE", "redirect": "REDIRECT"}
_PUBLISHING = ("DNAT", "REDIRECT")  # NAT that changes where a new inbound connection goes
_ALL_PORTS = ((1, 65535),)


def published_ranges(
    protos: frozenset[str] | None,
    dports: Iterable[tuple[int, int]] | None,
    to_ports: Iterable[tuple[int, int]] | None = (),
) -> tuple[tuple[str, int, int], ...]:
    """(protocol, first, last) a DNAT/REDIRECT rule may translate: the destination ports it
    matches (any, when it names none) and the ports it sends to (`to_ports`; None when
    they cannot be read: then any)."""
    names = [p for p in PORT_PROTOS if protos is None or p in protos]
    ranges = list(_ALL_PORTS if dports is None else dports)
    ranges += list(_ALL_PORTS if to_ports is None else to_ports)
    return _unique((p, low, high) for p in names for low, high in ranges)


def _match(rule: Rule, proto: str, port: int) -> str:
    """ "no", "yes" or "maybe": can `rule` match a new `proto`/`port` connection that comes
    from the network (not from lo, not DNATed), from any source address?"""
    if rule.never_new:
        return "no"
    if rule.protos is not None and proto not in rule.protos:
        return "no"
    if rule.dports is not None and not any(low <= port <= high for low, high in rule.dports):
        return "no"
    return "maybe" if rule.maybe or rule.limit else "yes"


_Packet = tuple[str, str, int]  # family, protocol, port


def _packet_fate(
    chains: Mapping[str, Chain],
    name: str,
    packet: _Packet,
    seen: frozenset[str],
    memo: dict[str, frozenset[str]],
) -> frozenset[str]:
    """What may happen ("accept", "deny", "fall": the chain's end or a return) to one new
    connection from the network, from chain `name` on. A rule that may match both matches
    and does not; a chain that cannot be followed may accept."""
    chain = chains.get(name)
    if chain is None or name in seen or len(seen) > _MAX_DEPTH:
        return frozenset(("accept",))
    if name in memo:
        return memo[name]
    family, proto, port = packet
    found: set[str] = set()
    for rule in chain.rules:
        if family not in rule.families:
            continue
        matched = _match(rule, proto, port)
        if matched == "no":
            continue
        if rule.verdict == "accept":
            here = frozenset(("accept",))
        elif rule.verdict in _DENY:
            here = frozenset(("deny",))
        elif rule.verdict == "return":
            here = frozenset(("fall",))
        elif rule.verdict in ("jump", "goto"):
            here = _packet_fate(chains, rule.target, packet, seen | {name}, memo)
            if rule.verdict == "jump":
                found |= here - {"fall"}
                if matched == "yes" and "fall" not in here:
                    break
                continue
        else:
            continue  # no verdict (log, counter, `recent --set`): the packet goes on
        found |= here
        if matched == "yes":
            break
    else:
        found.add("fall")
    result = frozenset(found)
    memo[name] = result
    return result


def _blocked_ports(
    chains: Mapping[str, Chain], base: Chain, family: str
) -> tuple[tuple[str, int, int, str], ...]:
    """The tcp and udp port ranges to which every new connection from the network is dropped
    or rejected on this base chain (its policy included), as (protocol, first, last, label).

    Ports that no rule tells apart behave alike, so each range between the ports the rules
    name is judged once. Past _MAX_PORT_WORK, no port is proven closed.
    """
    visited = _reachable(chains, base.name, family)
    rules = [r for c in visited for r in c.rules if family in r.families]
    edges = {1, 65536}
    for rule in rules:
        for low, high in rule.dports or ():
            edges.update((max(1, min(low, 65536)), max(1, min(high + 1, 65536))))
    starts = sorted(edges)
    if (len(starts) - 1) * len(PORT_PROTOS) * max(1, len(rules)) > _MAX_PORT_WORK:
        return ()
    policy_deny = base.policy.lower() in _DENY
    found: list[tuple[str, int, int, str]] = []
    for proto in PORT_PROTOS:
        for low, end in itertools.pairwise(starts):
            fate = _packet_fate(chains, base.name, (family, proto, low), frozenset(), {})
            if "fall" in fate:
                fate = (fate - {"fall"}) | {"deny" if policy_deny else "accept"}
            if fate != {"deny"}:
                continue
            if found and found[-1][0] == proto and found[-1][2] == low - 1:
                found[-1] = (proto, found[-1][1], end - 1, base.label)
            else:
                found.append((proto, low, end - 1, base.label))
    return tuple(found)


def _describe(chain: Chain, fate: Fate, deny: bool) -> str:
    policy = f"policy {chain.policy or 'accept'}"
    if deny and "fall" in fate:
        return policy
    for outcome in ("drop", "reject") if deny else ("accept",):
        if outcome in fate:
            path, text = fate[outcome]
            shown = path if len(path) <= _SHOWN_PATH else (*path[:2], "...", *path[-2:])
            via = f" ({' -> '.join(shown)})" if len(path) > 1 else ""
            return f"{policy}, unmatched packets: {outcome} in {path[-1]} by `{text}`{via}"
    return f"{policy}, no catch-all drop or reject"


def _judge(chains: Mapping[str, Chain], base: Chain, family: str) -> tuple[FamilyFilter, str]:
    fate = _unmatched(chains, base.name, family)
    policy_drop = base.policy.lower() in _DENY
    deny = "accept" not in fate and ("fall" not in fate or policy_drop)
    visited = _reachable(chains, base.name, family)
    blocks = any(r.verdict in _DENY and family in r.families for c in visited for r in c.rules)
    limits = _rate_limits(chains, base, family)
    summary = _describe(base, fate, deny)
    closed = _blocked_ports(chains, base, family)
    found = FamilyFilter(deny or blocks or policy_drop, deny, (), limits, closed, (), True)
    return found, summary


def _analyse(tables: Iterable[_Table]) -> tuple[FamilyFilter, FamilyFilter]:
    """(ipv4, ipv6) from every base chain hooked on input, across tables."""
    result = {IPV4: NO_FILTER, IPV6: NO_FILTER}
    for table in tables:
        for base in table.chains.values():
            if base.hook != "input":
                continue
            judged = {f: _judge(table.chains, base, f) for f in sorted(base.families)}
            same = len({summary for _, summary in judged.values()}) == 1
            for family, (found, summary) in judged.items():
                tag = "" if same else f" ({'IPv4' if family == IPV4 else 'IPv6'})"
                line = f"{base.label}{tag}: {summary}"
                result[family] = merge(result[family], replace(found, evidence=(line,)))
    return result[IPV4], result[IPV6]


# --- nft -j list ruleset -----------------------------------------------------------------------


def _has_port(value: Any, sets: Mapping[str, list[Any]], port: int = SSH_PORT) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == port
    if isinstance(value, str):
        if value.startswith("@"):
            return any(_has_port(v, {}, port) for v in sets.get(value[1:], []))
        return value in (str(port), "ssh")
    if isinstance(value, list):
        return any(_has_port(v, sets, port) for v in value)
    if isinstance(value, dict):
        if "set" in value:
            return _has_port(value["set"], sets, port)
        if "range" in value and isinstance(value["range"], list) and len(value["range"]) == 2:
            low, high = value["range"]
            return isinstance(low, int) and isinstance(high, int) and low <= port <= high
        if "elem" in value and isinstance(value["elem"], dict):
            return _has_port(value["elem"].get("val"), sets, port)
    return False


def _nft_value(value: Any) -> str:
    if isinstance(value, dict):
        if "set" in value:
            return _nft_value(value["set"])
        if "range" in value and isinstance(value["range"], list):
            return "-".join(_nft_value(v) for v in value["range"])
        if "prefix" in value and isinstance(value["prefix"], dict):
            return f"{value['prefix'].get('addr')}/{value['prefix'].get('len')}"
        if "payload" in value and isinstance(value["payload"], dict):
            return f"{value['payload'].get('protocol', '')} {value['payload'].get('field', '')}"
        for key in ("meta", "ct"):
            if key in value and isinstance(value[key], dict):
                return f"{key} {value[key].get('key', '')}"
        return " ".join(str(k) for k in value)
    if isinstance(value, list):
        return "{ " + ", ".join(_nft_value(v) for v in value) + " }"
    return str(value)


def _nft_text(expr: Mapping[str, Any]) -> str:
    """One expression in nft's own words, close enough for evidence."""
    key, body = next(iter(expr.items()))
    if key == "match" and isinstance(body, dict):
        op = body.get("op", "==")
        op_text = "" if op in ("==", "in") else f"{op} "
        return f"{_nft_value(body.get('left'))} {op_text}{_nft_value(body.get('right'))}"
    if key == "limit" and isinstance(body, dict):
        over = "over " if body.get("inv") else ""
        return f"limit rate {over}{body.get('rate')}/{body.get('per', 'second')}"
    if key == "ct count" and isinstance(body, dict):
        return f"ct count {'over ' if body.get('inv') else ''}{body.get('val')}"
    if key == "quota" and isinstance(body, dict):
        over = "over " if body.get("inv") else ""
        return f"quota {over}{body.get('val')} {body.get('val_unit', 'bytes')}"
    if key == "meter" and isinstance(body, dict):
        return f"meter {body.get('name', '')} {{ {_nft_value(body.get('key'))} {_stmt_text(body.get('stmt'))} }}"
    if key == "set" and isinstance(body, dict):
        return f"{body.get('op', 'add')} {body.get('set', '')} {{ {_nft_value(body.get('elem'))} {_stmt_text(body.get('stmt'))} }}"
    if key == "xt" and isinstance(body, dict):
        return f"xt {body.get('type', '')} {body.get('name', '')}"
    if key in ("jump", "goto") and isinstance(body, dict):
        return f"{key} {body.get('target', '')}"
    if key == "reject" and isinstance(body, dict) and body.get("expr"):
        return f"reject with {body.get('type', '')} {body['expr']}"
    return key


def _stmt_text(stmt: Any) -> str:
    items = stmt if isinstance(stmt, list) else [stmt]
    return " ".join(_nft_text(s) for s in items if isinstance(s, dict) and s)


def _nft_limits(expr: Mapping[str, Any]) -> str:
    """OVER, UNDER or ANY when the expression limits what the rule matches, else ""."""
    key, body = next(iter(expr.items()))
    if key in ("limit", "ct count", "quota"):
        return OVER if isinstance(body, dict) and body.get("inv") else UNDER
    if key == "xt" and isinstance(body, dict):
        if body.get("type") != "match" or body.get("name") not in _XT_LIMITS:
            return ""
        return UNDER if body.get("name") == "limit" else ANY  # options not shown by nft -j
    if key in ("set", "meter") and isinstance(body, dict):
        stmts = body.get("stmt")
        items = stmts if isinstance(stmts, list) else [stmts]
        kinds = [_nft_limits(s) for s in items if isinstance(s, dict) and s]
        return next((k for k in kinds if k), UNDER if key == "meter" else "")
    return ""


def _combine(a: str, b: str) -> str:
    """Two limits of one rule: it matches over a limit if either part does."""
    if OVER in (a, b):
        return OVER
    if ANY in (a, b):
        return ANY
    return a or b


def _family_match(body: Mapping[str, Any]) -> frozenset[str] | None:
    """Families a `meta nfproto`/`meta protocol` match admits, None for any other match."""
    left = body.get("left")
    if not (isinstance(left, dict) and isinstance(left.get("meta"), dict)):
        return None
    if left["meta"].get("key") not in ("nfproto", "protocol"):
        return None
    right = body.get("right")
    values = right.get("set", []) if isinstance(right, dict) else right
    names = {str(v) for v in (values if isinstance(values, list) else [values])}
    named = {IPV4 for n in names if n in ("ipv4", "ip")} | {
        IPV6 for n in names if n in ("ipv6", "ip6")
    }
    return frozenset(BOTH - named if body.get("op") == "!=" else named)


def _l3_families(body: Mapping[str, Any]) -> frozenset[str]:
    """An `ip ...`/`icmp ...` match only sees IPv4 packets, `ip6 ...`/`icmpv6 ...` only IPv6."""
    found = BOTH
    for side in (body.get("left"), body.get("right")):
        if isinstance(side, dict) and isinstance(side.get("payload"), dict):
            protocol = side["payload"].get("protocol")
            if protocol in ("ip", "icmp"):
                found = found & {IPV4}
            elif protocol in ("ip6", "icmpv6"):
                found = found & {IPV6}
    return found


def _port_ranges(value: Any, sets: Mapping[str, list[Any]]) -> list[tuple[int, int]] | None:
    """The ports an nft value names (22, "ssh", a set, a range, a named set), or None when
    it cannot be read: then the rule may match any port."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return [(value, value)]
    if isinstance(value, str):
        if value.startswith("@"):
            return _port_ranges(sets[value[1:]], {}) if value[1:] in sets else None
        named = {"ssh": 22, "http": 80, "https": 443, "domain": 53}
        number = ascii_int(value, 5)
        port = number if number is not None else named.get(value)
        return None if port is None else [(port, port)]
    if isinstance(value, list):
        found: list[tuple[int, int]] = []
        for item in value:
            ranges = _port_ranges(item, sets)
            if ranges is None:
                return None
            found.extend(ranges)
        return found
    if isinstance(value, dict):
        if "set" in value:
            return _port_ranges(value["set"], sets)
        if "range" in value and isinstance(value["range"], list) and len(value["range"]) == 2:
            low, high = value["range"]
            if isinstance(low, int) and isinstance(high, int) and not isinstance(low, bool):
                return [(low, high)]
            return None
        if "elem" in value and isinstance(value["elem"], dict):
            return _port_ranges(value["elem"].get("val"), sets)
    return None


_L4 = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}
_OTHER_L4 = ("icmp", "icmpv6", "sctp", "dccp", "udplite", "igmp")


def _names(value: Any) -> set[str]:
    values = value.get("set", []) if isinstance(value, dict) else value
    return {str(v) for v in (values if isinstance(values, list) else [values])}


@dataclass
class _PacketMatch:
    """What one nft rule's matches say about a new connection from the network."""

    protos: frozenset[str] | None = None
    dports: tuple[tuple[int, int], ...] | None = None
    never_new: bool = False
    maybe: bool = False

    def restrict(self, protos: Iterable[str]) -> None:
        wanted = frozenset(protos)
        self.protos = wanted if self.protos is None else self.protos & wanted

    def ports(self, ranges: Iterable[tuple[int, int]]) -> None:
        found = list(ranges)
        if self.dports is not None:
            found = [(max(a, c), min(b, d)) for a, b in self.dports for c, d in found]
            found = [(a, b) for a, b in found if a <= b]
        self.dports = tuple(found)

    def add(self, body: Mapping[str, Any], sets: Mapping[str, list[Any]]) -> None:
        """One `match` expression (family matches are handled by the caller)."""
        op = body.get("op", "==")
        left, right = body.get("left"), body.get("right")
        positive = op in ("==", "in")
        payload = left.get("payload") if isinstance(left, dict) else None
        meta = left.get("meta") if isinstance(left, dict) else None
        ct = left.get("ct") if isinstance(left, dict) else None
        if isinstance(payload, dict) and payload.get("protocol") in ("tcp", "udp", "th"):
            protocol = str(payload["protocol"])
            if protocol != "th":
                self.restrict((protocol,))
            ports = _port_ranges(right, sets) if payload.get("field") == "dport" else None
            if positive and ports is not None:
                self.ports(ports)
            else:
                self.maybe = True
        elif isinstance(payload, dict) and payload.get("protocol") in _OTHER_L4:
            self.restrict((str(payload["protocol"]),))  # `icmpv6 type ...`: never tcp or udp
            self.maybe = True
        elif isinstance(meta, dict) and meta.get("key") == "l4proto" and positive:
            self.restrict(_L4.get(n, n) for n in _names(right))
        elif isinstance(meta, dict) and meta.get("key") in ("iifname", "iif"):
            names = _names(right)
            if positive and names == {"lo"}:
                self.never_new = True
            elif not (op == "!=" and names == {"lo"}):
                self.maybe = True
        elif isinstance(ct, dict) and ct.get("key") == "state" and positive:
            if "new" not in _names(right):
                self.never_new = True  # established, related, invalid: never a new connection
        elif isinstance(ct, dict) and ct.get("key") == "status" and positive:
            if "dnat" in _names(right):
                self.never_new = True  # DNATed: not a connection to a listener of this host
            else:
                self.maybe = True
        else:
            self.maybe = True


def _admits_new_tcp(body: Mapping[str, Any]) -> bool:
    """A match every new tcp connection passes: `ct state new` (or a set with new), or
    `meta l4proto tcp`."""
    if body.get("op", "==") not in ("==", "in"):
        return False
    left, right = body.get("left"), body.get("right")
    values = right.get("set", []) if isinstance(right, dict) else right
    names = {str(v) for v in (values if isinstance(values, list) else [values])}
    if isinstance(left, dict) and isinstance(left.get("ct"), dict):
        return left["ct"].get("key") == "state" and "new" in names
    if isinstance(left, dict) and isinstance(left.get("meta"), dict):
        return left["meta"].get("key") == "l4proto" and names <= {"tcp", "6"}
    return False


def _xt_target(key: str, body: Any) -> bool:
    return key == "xt" and isinstance(body, dict) and body.get("type") == "target"


def _passes_by(key: str, body: Any) -> bool:
    """An nft expression that is no condition on which packets a rule matches: a verdict,
    a statement (counter, log), an xt target, a plain `add @set`."""
    if key in ("accept", "drop", "reject", "return", "queue", "jump", "goto", *_NFT_STATEMENTS):
        return True
    return _xt_target(key, body) or (
        key == "set" and isinstance(body, dict) and not body.get("stmt")
    )


def _nft_rules(
    exprs: list[Any], families: frozenset[str], sets: Mapping[str, list[Any]]
) -> list[Rule]:
    """One rule, or one per entry of a verdict map (`ct state vmap { invalid : drop }`)."""
    verdicts: list[tuple[str, str]] = []
    conditional = False
    unknown = False
    ssh = False
    narrowed = False  # a condition beyond tcp/22 (and ct state new)
    limit = ""
    texts: list[str] = []
    packet = _PacketMatch()
    for expr in exprs:
        if not isinstance(expr, dict) or not expr:
            continue
        key, body = next(iter(expr.items()))
        if key != "counter":
            texts.append(_nft_text(expr))
        if key == "match" and isinstance(body, dict):
            if _family_match(body) is None:
                packet.add(body, sets)
        elif not _passes_by(key, body):
            packet.maybe = True
        if key in ("accept", "drop", "reject", "return"):
            verdicts.append((key, ""))
        elif key == "queue":
            verdicts.append(("accept", ""))  # userspace decides: not a drop we can vouch for
        elif key in ("jump", "goto") and isinstance(body, dict):
            verdicts.append((key, str(body.get("target", ""))))
        elif key == "vmap" and isinstance(body, dict):
            conditional = narrowed = True
            data = body.get("data")
            entries = data.get("set", []) if isinstance(data, dict) else []
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict):
                    verdict, target = next(iter(entry[1].items()), ("", None))
                    name = target.get("target", "") if isinstance(target, dict) else ""
                    verdicts.append((str(verdict), str(name)))
        elif key == "xt" and isinstance(body, dict) and body.get("type") == "target":
            name = str(body.get("name", ""))
            if name in _IPT_VERDICTS:
                verdicts.append((_IPT_VERDICTS[name], ""))
        elif key == "match" and isinstance(body, dict):
            admitted = _family_match(body)
            if admitted is not None:
                families = families & admitted
                continue
            families = families & _l3_families(body)
            conditional = True
            left = body.get("left")
            payload = left.get("payload") if isinstance(left, dict) else None
            if (
                isinstance(payload, dict)
                and payload.get("protocol") in ("tcp", "th")
                and payload.get("field") == "dport"
                and body.get("op", "==") in ("==", "in")
                and _has_port(body.get("right"), sets)
            ):
                ssh = True
            elif not _admits_new_tcp(body):
                narrowed = True
        elif key in _NFT_STATEMENTS:
            continue
        elif key == "set" and isinstance(body, dict) and not body.get("stmt"):
            continue  # a plain `add @set { ip saddr }` records, it does not match
        elif key in (*_NFT_LIMITS, "xt", "set"):
            conditional = narrowed = True  # limits, xt matches, `add @set { ... limit ... }`
        else:
            unknown = narrowed = True
        limit = _combine(limit, _nft_limits(expr))
    if not families:
        return []
    text = " ".join(texts)
    rules = []
    for verdict, target in verdicts or [("", "")]:
        # An expression we do not know: assume it may match everything when that lets a
        # packet through (accept), and that it may match nothing when it would block one.
        cond = conditional or (unknown and verdict != "accept")
        rules.append(
            Rule(
                verdict,
                target,
                cond,
                families,
                ssh,
                limit,
                text,
                ssh and not narrowed,
                packet.protos,
                packet.dports,
                packet.never_new,
                packet.maybe or len(verdicts) > 1,
            )
        )
    return rules


def _nft_nat(exprs: list[Any]) -> str:
    """The NAT statement of one nft rule (DNAT, MASQUERADE...; iptables-nft's as xt targets)."""
    for expr in exprs:
        if isinstance(expr, dict) and expr:
            key, body = next(iter(expr.items()))
            if key in _NFT_NAT:
                return _NFT_NAT[key]
            if _xt_target(key, body) and str(body.get("name", "")) in _NAT_TARGETS:
                return str(body["name"])
    return ""


def _nft_published(
    exprs: list[Any], sets: Mapping[str, list[Any]]
) -> tuple[tuple[str, int, int], ...]:
    """The ports one nft DNAT/REDIRECT rule may translate. iptables-nft's DNAT is an opaque
    xt target whose port nft cannot show: its target port is read from iptables-save's view
    of the same rule (build reads both)."""
    packet = _PacketMatch()
    to_ports: list[tuple[int, int]] | None = []
    for expr in exprs:
        if not isinstance(expr, dict) or not expr:
            continue
        key, body = next(iter(expr.items()))
        if key == "match" and isinstance(body, dict) and _family_match(body) is None:
            packet.add(body, sets)
        elif key in ("dnat", "redirect") and isinstance(body, dict) and "port" in body:
            ranges = _port_ranges(body["port"], sets)
            to_ports = None if ranges is None or to_ports is None else to_ports + ranges
    return published_ranges(packet.protos, packet.dports, to_ports)


def nat_summary(label: str, kinds: list[str]) -> str:
    """`iptables nat: 9 rules (DNAT, MASQUERADE, SNAT)`."""
    plural = "s" if len(kinds) != 1 else ""
    return f"{label}: {len(kinds)} rule{plural} ({', '.join(sorted(set(kinds)))})"


def parse_nft_json(text: str) -> tuple[FamilyFilter, FamilyFilter]:
    """(ipv4, ipv6) inbound filtering from the base chains hooked on `input`.

    `inet` tables cover both families, `ip` and `ip6` one each (iptables-nft's tables appear
    here too, as `ip filter INPUT` with `xt` expressions). Raises ValueError on bad JSON.
    """
    try:
        data = json.loads(text) if text.strip() else {"nftables": []}
    except RecursionError as exc:  # nesting deeper than the interpreter's stack
        raise ValueError("JSON nested too deep") from exc
    items = data.get("nftables", []) if isinstance(data, dict) else []
    items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    tables: dict[tuple[str, str], _Table] = {}
    sets: dict[tuple[str, str], dict[str, list[Any]]] = {}
    raw_rules: dict[tuple[str, str, str], list[list[Any]]] = {}
    chain_info: dict[tuple[str, str, str], dict[str, Any]] = {}
    for item in items:
        for kind in ("chain", "set", "rule"):
            body = item.get(kind)
            if not isinstance(body, dict):
                continue
            family, table = str(body.get("family", "")), str(body.get("table", ""))
            if family not in _NFT_FAMILIES:
                continue
            if kind == "chain":
                chain_info[(family, table, str(body.get("name", "")))] = body
            elif kind == "set":
                elems = body.get("elem", [])
                sets.setdefault((family, table), {})[str(body.get("name", ""))] = (
                    elems if isinstance(elems, list) else []
                )
            else:
                exprs = body.get("expr", [])
                key = (family, table, str(body.get("chain", "")))
                raw_rules.setdefault(key, []).append(exprs if isinstance(exprs, list) else [])
    for (family, table, name), info in chain_info.items():
        families = _NFT_FAMILIES[family]
        table_sets = sets.get((family, table), {})
        rules = tuple(
            rule
            for exprs in raw_rules.get((family, table, name), [])
            for rule in _nft_rules(exprs, families, table_sets)
        )
        is_input_filter = info.get("hook") == "input" and info.get("type", "filter") == "filter"
        tables.setdefault((family, table), _Table()).chains[name] = Chain(
            name=name,
            label=f"nft {family} {table} {name}",
            rules=rules,
            hook="input" if is_input_filter else "",
            policy=str(info.get("policy", "accept")),
            families=families,
        )
    v4, v6 = _analyse(tables.values())
    nat: dict[tuple[str, str], list[str]] = {}
    for (family, table, _name), rule_exprs in raw_rules.items():
        for exprs in rule_exprs:
            kind = _nft_nat(exprs)
            if kind:
                nat.setdefault((family, table), []).append(kind)
            if kind in _PUBLISHING:
                ports = _nft_published(exprs, sets.get((family, table), {}))
                if IPV4 in _NFT_FAMILIES[family]:
                    v4 = replace(v4, published=_unique(v4.published + ports))
                if IPV6 in _NFT_FAMILIES[family]:
                    v6 = replace(v6, published=_unique(v6.published + ports))
    for (family, table), kinds in nat.items():
        line = (nat_summary(f"nft {family} {table}", kinds),)
        if IPV4 in _NFT_FAMILIES[family]:
            v4 = replace(v4, nat=v4.nat + line)
        if IPV6 in _NFT_FAMILIES[family]:
            v6 = replace(v6, nat=v6.nat + line)
    return v4, v6


# --- iptables-save ------------------------------------------------------------------------------


def _ipt_tokens(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def _negated(tokens: list[str], index: int) -> bool:
    return index > 0 and tokens[index - 1] == "!"


def _port_spec_has(spec: str, port: int = SSH_PORT) -> bool:
    for part in spec.split(","):
        low, _, high = part.partition(":")
        first, last = ascii_int(low, 5), ascii_int(high or low, 5)
        if first is not None and last is not None:
            if first <= port <= last:
                return True
        elif low == "ssh":
            return True
    return False


_TCP22_MODULES = {"tcp", "multiport", "conntrack", "state"}


def _only_new_tcp22(conditions: list[str]) -> bool:
    """The rule's matches are tcp/22 (and NEW state) only: it matches every new connection."""
    i = 0
    while i < len(conditions):
        token = conditions[i]
        value = conditions[i + 1] if i + 1 < len(conditions) else ""
        if token == "!":
            return False
        allowed = (
            (token in ("-p", "--protocol") and value in ("tcp", "6"))
            or (token in ("-m", "--match") and value in _TCP22_MODULES)
            # a port option: the caller has checked that it names 22
            or token in ("--dport", "--destination-port", "--dports", "--destination-ports")
            or (token in ("--ctstate", "--state") and "NEW" in value.upper().split(","))
        )
        if not allowed:
            return False
        i += 2
    return True


def _ipt_limit(matches: list[str]) -> str:
    """OVER, UNDER (or "") for the limit matches of one iptables rule.

    `-m limit` and `--hashlimit-upto`/`--connlimit-upto` match the allowed share (UNDER);
    `--hashlimit-above`, `--connlimit-above` and `-m recent --update/--rcheck` match the
    excess (OVER); `-m recent --set` alone only records the source.
    """
    found = ""
    module = ""
    for i, token in enumerate(matches):
        if token in ("-m", "--match") and i + 1 < len(matches):
            module = matches[i + 1]
            if module == "limit":
                found = _combine(found, UNDER)
            elif module == "hashlimit":
                found = _combine(found, UNDER)  # --hashlimit(-upto) unless -above follows
            continue
        negated = _negated(matches, i)
        if module == "hashlimit" and token == "--hashlimit-above":
            found = _combine(found, UNDER if negated else OVER)
        elif module == "connlimit" and token in ("--connlimit-above", "--connlimit-upto"):
            above = (token == "--connlimit-above") != negated
            found = _combine(found, OVER if above else UNDER)
        elif module == "recent" and token in ("--update", "--rcheck"):
            found = _combine(found, UNDER if negated else OVER)
    return found


def _ipt_ports(spec: str) -> list[tuple[int, int]] | None:
    """`22`, `1000:2000`, `:1024`, `22,80,443` (multiport) as ranges; None if unreadable."""
    found = []
    for part in spec.split(","):
        low, sep, high = part.partition(":")
        first = ascii_int(low, 5) if low else 0
        last = ascii_int(high, 5) if high else (65535 if sep else first)
        if first is None or last is None:
            return None
        found.append((first, last))
    return found


_IPT_PORT_OPTIONS = ("--dport", "--destination-port", "--dports", "--destination-ports")


def _ipt_packet(conditions: list[str]) -> _PacketMatch:
    """What an iptables rule's matches say about a new connection from the network."""
    packet = _PacketMatch()
    i = 0
    while i < len(conditions):
        token = conditions[i]
        value = conditions[i + 1] if i + 1 < len(conditions) else ""
        if token == "!":
            after = conditions[i + 2] if i + 2 < len(conditions) else ""
            if not (value in ("-i", "--in-interface") and after == "lo"):
                packet.maybe = True  # `! -i lo` admits the network; any other negation: maybe
            i += 3
            continue
        i += 2
        if token in ("-p", "--protocol"):
            packet.restrict((_L4.get(value.lower(), value.lower()),))
        elif token in ("-m", "--match"):
            pass  # a module matches nothing by itself; its options do
        elif token in _IPT_PORT_OPTIONS:
            ranges = _ipt_ports(value)
            if ranges is None:
                packet.maybe = True
            else:
                packet.ports(ranges)
        elif token in ("-i", "--in-interface"):
            if value == "lo":
                packet.never_new = True
            else:
                packet.maybe = True
        elif token in ("--ctstate", "--state"):
            if "NEW" not in value.upper().split(","):
                packet.never_new = True
        elif token == "--ctstatus" and "DNAT" in value.upper().split(","):
            packet.never_new = True
        else:
            packet.maybe = True
            i -= 1  # an option of unknown arity: the next token is looked at on its own
    return packet


def _ipt_rule(tokens: list[str], chains: set[str], family: str) -> Rule:
    """`-A CHAIN [matches] -j TARGET [target options]` (or `-g CHAIN`) as a Rule."""
    jump = next((i for i, t in enumerate(tokens) if t in ("-j", "--jump", "-g", "--goto")), None)
    matches = tokens[2:jump] if jump is not None else tokens[2:]
    target = tokens[jump + 1] if jump is not None and jump + 1 < len(tokens) else ""
    # A comment is no condition: `-m comment --comment "text"`.
    conditions = list(matches)
    while "--comment" in conditions:
        at = conditions.index("--comment")
        del conditions[at : at + 2]
        if at >= 2 and conditions[at - 2 : at] == ["-m", "comment"]:
            del conditions[at - 2 : at]
    if target in _IPT_VERDICTS:
        verdict = _IPT_VERDICTS[target]
    elif target in chains:
        verdict = "goto" if tokens[jump or 0] in ("-g", "--goto") else "jump"
    else:
        verdict = ""  # LOG, NFLOG, MARK...: the packet goes on
    proto = any(
        t in ("-p", "--protocol")
        and i + 1 < len(matches)
        and matches[i + 1] in ("tcp", "6")
        and not _negated(matches, i)
        for i, t in enumerate(matches)
    )
    ssh = proto and any(
        t in ("--dport", "--destination-port", "--dports", "--destination-ports")
        and i + 1 < len(matches)
        and not _negated(matches, i)
        and _port_spec_has(matches[i + 1])
        for i, t in enumerate(matches)
    )
    limit = _ipt_limit(matches)
    packet = _ipt_packet(conditions)
    return Rule(
        verdict=verdict,
        target=target if verdict in ("jump", "goto") else "",
        conditional=bool(conditions),
        families=frozenset((family,)),
        ssh=ssh,
        limit=limit,
        text=" ".join(tokens[2:]),
        ssh_only=ssh and _only_new_tcp22(conditions),
        protos=packet.protos,
        dports=packet.dports,
        never_new=packet.never_new,
        maybe=packet.maybe,
    )


def _ipt_to_ports(options: list[str]) -> list[tuple[int, int]] | None:
    """The ports of a DNAT `--to-destination` (`10.0.0.2:8080`, `[fd00::2]:80-90`, none for
    `10.0.0.2`) or a REDIRECT `--to-ports` (`8080`, `8000-8010`); None when unreadable."""
    found: list[tuple[int, int]] = []
    for i, option in enumerate(options[:-1]):
        value = options[i + 1]
        if option == "--to-destination":
            if value.startswith("["):
                _, _, spec = value.partition("]")
                spec = spec.removeprefix(":")
            elif value.count(":") == 1:
                spec = value.partition(":")[2]
            else:
                spec = ""  # no port (or a bare IPv6 address): the port is kept
        elif option == "--to-ports":
            spec = value
        else:
            continue
        if spec:
            ranges = _ipt_ports(spec.replace("-", ":"))
            if ranges is None:
                return None
            found.extend(ranges)
    return found


def _ipt_published(matches: list[str], options: list[str]) -> tuple[tuple[str, int, int], ...]:
    """The ports one DNAT/REDIRECT rule of iptables-save may translate."""
    packet = _ipt_packet(matches)
    return published_ranges(packet.protos, packet.dports, _ipt_to_ports(options))


def is_legacy_save(text: str) -> bool:
    """Whether iptables-save output comes from the legacy (x_tables) backend: its header
    names no backend, where the nf_tables one says `(nf_tables)`."""
    header = next((line for line in text.splitlines() if line.startswith("# Generated by ")), "")
    return bool(header) and "(nf_tables)" not in header


def parse_iptables_save(text: str, family: str = IPV4, tool: str = "") -> FamilyFilter:
    """Inbound filtering from the `filter` table of `iptables-save` (`ip6tables-save`) output.

    The INPUT chain and every chain it can reach are followed (ufw's `ufw-before-input` ...
    `ufw-user-input`, Docker's chains), so a catch-all DROP in a user chain counts. Rules of
    the `nat` table are counted (`nat`): they translate addresses and filter nothing.
    `tool` names the view in evidence (default iptables or ip6tables).
    """
    tool = tool or ("ip6tables" if family == IPV6 else "iptables")
    table = ""
    policies: dict[str, str] = {}
    lines: list[list[str]] = []
    nat: list[str] = []
    published: list[tuple[str, int, int]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(_INCOMPATIBLE):
            # iptables-nft cannot show a native nft `filter` table (lower-case `input` chain)
            # and prints stand-in INPUT/FORWARD/OUTPUT chains with policy ACCEPT instead:
            # that table is judged from `nft -j list ruleset`, never from this view.
            return NO_FILTER
        if line.startswith("*"):
            table = line[1:]
        elif table == "nat" and line.startswith("-A "):
            tokens = _ipt_tokens(line)
            jump = next((i for i, t in enumerate(tokens) if t in ("-j", "--jump")), None)
            if jump is not None and jump + 1 < len(tokens) and tokens[jump + 1] in _NAT_TARGETS:
                nat.append(tokens[jump + 1])
                if tokens[jump + 1] in _PUBLISHING:
                    published.extend(_ipt_published(tokens[2:jump], tokens[jump + 2 :]))
        elif table != "filter":
            continue
        elif line.startswith(":"):
            name, _, rest = line[1:].partition(" ")
            policies[name] = rest.split()[0] if rest.split() else "-"
        elif line.startswith("-A "):
            tokens = _ipt_tokens(line)
            if len(tokens) >= 2:
                lines.append(tokens)
    nat_lines = (nat_summary(f"{tool} nat", nat),) if nat else ()
    translated = _unique(published)
    if "INPUT" not in policies:
        return replace(NO_FILTER, nat=nat_lines, published=translated)
    names = set(policies)
    rules: dict[str, list[Rule]] = {name: [] for name in names}
    for tokens in lines:
        rules.setdefault(tokens[1], []).append(_ipt_rule(tokens, names, family))
    families = frozenset((family,))
    chains = {
        name: Chain(
            name=name,
            label=f"{tool} filter {name}",
            rules=tuple(chain_rules),
            hook="input" if name == "INPUT" else "",
            policy=policies.get(name, "-") if name == "INPUT" else "",
            families=families,
        )
        for name, chain_rules in rules.items()
    }
    v4, v6 = _analyse([_Table(chains)])
    return replace(v6 if family == IPV6 else v4, nat=nat_lines, published=translated)
