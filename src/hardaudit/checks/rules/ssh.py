"""Python evaluators of the ssh.* checks that a `sshd_option` table cannot express.

Each one skips when sshd is not installed and is UNKNOWN (with the reason) when a fact it
needs could not be read, unless another fact already decides the result.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from hardaudit.checks.evaluators import (
    CheckSpec,
    ParamError,
    at_origin,
    check_declared,
    check_mapping,
    check_strings,
    failure,
    flag,
    judge_sshd,
    match_object_key,
    need,
    reads,
    register,
    sshd_context_origin,
    sshd_contexts,
    sshd_origin,
    verdict,
)
from hardaudit.checks.model import Check, FindingObject, Outcome, Severity, Status
from hardaudit.facts.model import Absent, HostFacts, SshdConfig, SshdContext, Unknown
from hardaudit.facts.parsers.sshd import canonical_keyword

# --- ssh.protocol ------------------------------------------------------------------------------

# OpenSSH 7.4 removed the server side of SSH protocol 1; 5.4 made protocol 2 the only default.
_PROTOCOL_2_ONLY = (7, 4)
_PROTOCOL_2_DEFAULT = (5, 4)


def openssh_version(text: str) -> tuple[int, int] | None:
    """(major, minor) of an `OpenSSH_9.2p1` banner, None when there is none.

    >>> openssh_version("OpenSSH_10.0p2")
    (10, 0)
    """
    found = re.search(r"OpenSSH_(\d+)\.(\d+)", text)
    return (int(found.group(1)), int(found.group(2))) if found else None


@register("ssh_protocol")
def ssh_protocol(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Only SSH protocol 2: proven by the OpenSSH version (>= 7.4) or by `protocol 2`."""
    if isinstance(facts.sshd, Absent):
        return Outcome(Status.SKIP, reason=facts.sshd.reason)
    banner = facts.meta.sshd_version
    version = openssh_version(banner)
    if version is not None and version >= _PROTOCOL_2_ONLY:
        return Outcome(Status.PASS, (f"{banner}: OpenSSH 7.4 and later speak protocol 2 only",))
    cfg = facts.sshd
    value = cfg.get("protocol") if isinstance(cfg, SshdConfig) else None
    if isinstance(cfg, SshdConfig) and value is not None:
        line = f"protocol {value} ({sshd_origin(cfg, 'protocol')})"
        if [v.strip() for v in value.split(",")] == ["2"]:
            return Outcome(Status.PASS, (line,))
        return failure((f"{line}; expected 2",), (at_origin("", cfg.origins.get("protocol", "")),))
    if isinstance(cfg, SshdConfig) and version is not None:
        if version >= _PROTOCOL_2_DEFAULT:
            return Outcome(
                Status.PASS,
                (f"no protocol setting; {banner} defaults to protocol 2 (OpenSSH 5.4 and later)",),
            )
        return failure((f"no protocol setting; {banner} defaults to protocol 2,1; expected 2",))
    why = "no OpenSSH version in the facts (sshd -V printed none)"
    if version is not None:
        why = f"{banner} is older than OpenSSH 7.4"
    if isinstance(cfg, Unknown):
        return Outcome(Status.UNKNOWN, reason=f"{why}, and the sshd configuration: {cfg.reason}")
    return Outcome(Status.UNKNOWN, reason=f"{why}, and no protocol line in the sshd configuration")


# --- ssh.max-auth-tries ------------------------------------------------------------------------


def _sshd_max_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    if not isinstance(params["keyword"], str) or not params["keyword"].strip():
        raise ParamError("params.keyword", "must be an sshd keyword", "e.g. keyword: maxauthtries")
    if isinstance(params["max"], bool) or not isinstance(params["max"], int):
        raise ParamError("params.max", f"must be an integer, got {params['max']!r}")


@register(
    "sshd_max",
    required=("keyword", "max"),
    check_params=_sshd_max_params,
    implied_facts=reads("sshd", "sshd_contexts"),
)
def sshd_max(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """A numeric sshd keyword is at most `max`, globally and in every Match context.

    params: keyword (e.g. maxauthtries), max (integer).
    """
    limit = int(check.params["max"])

    def rule(_cfg: SshdConfig, _keyword: str, value: str) -> tuple[Severity | None, str]:
        if not value.strip().isdigit():
            return check.severity, f"; not a number, expected at most {limit}"
        if int(value) > limit:
            return check.severity, f"; expected at most {limit}"
        return None, ""

    return judge_sshd(facts, [str(check.params["keyword"])], rule)


# --- ssh.forwarding, ssh.x11-forwarding --------------------------------------------------------

_PARTIAL = {"local": "local (-L) forwarding only", "remote": "remote (-R) forwarding only"}


def _sshd_forwarding_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    check_strings(params["options"], "params.options", what="sshd keywords")
    if "var" in params:
        check_declared(params["var"], spec, "params.var")


@register(
    "sshd_forwarding",
    required=("options",),
    optional=("var",),
    check_params=_sshd_forwarding_params,
    implied_facts=reads("sshd", "sshd_contexts"),
)
def sshd_forwarding(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Each forwarding keyword in `options` is `no` (or `disableforwarding yes` overrides it),
    globally and in every Match context, unless the inventory variable `var` is true.

    params: options (list of keywords), var (inventory variable that allows forwarding, e.g.
    ssh_allow_forwarding on a jump host).
    """
    var = check.params.get("var")

    def rule(cfg: SshdConfig, _keyword: str, value: str) -> tuple[Severity | None, str]:
        normalized = value.lower()
        if normalized == "no":
            return None, ""
        if (cfg.get("disableforwarding") or "").lower() == "yes":
            return None, "; overridden by disableforwarding yes"
        if var and flag(variables, var):
            return None, f"; allowed for jump host ({var}: true)"
        if normalized in _PARTIAL:
            return check.severity, f"; partial: {_PARTIAL[normalized]}; expected no"
        return check.severity, "; expected no"

    return judge_sshd(facts, [str(k) for k in check.params["options"]], rule)


# --- ssh.rate-limit ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MaxStartups:
    """sshd's `MaxStartups start:rate:full`: refuse new unauthenticated connections with
    probability `rate`% from `start` of them, rising linearly to 100% at `full`."""

    start: int
    rate: int
    full: int

    @classmethod
    def parse(cls, text: str) -> MaxStartups | None:
        """`10:30:100`, or `N` (sshd reads it as start = full = N: refuse all from N on).

        Plain ASCII digits only, at most 10 of them (sshd reads an int): `²`, `٣` or a
        5,000-digit number is not a MaxStartups value.
        """
        parts = text.strip().split(":")
        if not all(p.isascii() and p.isdigit() and len(p) <= 10 for p in parts):
            return None
        if len(parts) == 1:
            return cls(int(parts[0]), 100, int(parts[0]))
        if len(parts) == 3:
            return cls(int(parts[0]), int(parts[1]), int(parts[2]))
        return None

    def refusal(self, unauthenticated: int) -> Fraction:
        """Percent chance that sshd refuses a new connection with this many unauthenticated."""
        if unauthenticated < self.start:
            return Fraction(0)
        if unauthenticated >= self.full:
            return Fraction(100)
        span = self.full - self.start
        return self.rate + Fraction((100 - self.rate) * (unauthenticated - self.start), span)

    def _breaks(self) -> set[int]:
        # Between two consecutive of these counts, refusal() is affine in the count.
        return {0, self.start - 1, self.start, self.full - 1, self.full}

    def tighter_than(self, other: MaxStartups) -> bool:
        """Refuses at least as often as `other` at every count, and more often at some.

        Both refusal curves are affine between their break points (start and full, and the
        counts just below them), so so is their difference: comparing them at the break
        points of both decides every count, however large `full` is (sshd accepts
        2147483647).
        """
        counts = sorted(n for n in self._breaks() | other._breaks() if n >= 0)
        mine = [self.refusal(n) for n in counts]
        theirs = [other.refusal(n) for n in counts]
        return all(a >= b for a, b in zip(mine, theirs, strict=True)) and mine != theirs


def _rate_limit_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    if "default" in params and MaxStartups.parse(str(params["default"])) is None:
        raise ParamError(
            "params.default", f"{params['default']!r} is not start:rate:full", 'e.g. "10:30:100"'
        )
    if "daemons" in params:
        check_strings(params["daemons"], "params.daemons", what="process names")


@register(
    "ssh_rate_limit",
    optional=("default", "daemons"),
    check_params=_rate_limit_params,
    implied_facts=reads("sshd", "firewall", "processes"),
)
def ssh_rate_limit(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """New SSH connections are rate-limited: sshd's maxstartups is tighter than the default,
    or the firewall limits new connections to tcp/22, or a ban daemon runs.

    params: default (maxstartups to beat, "10:30:100"); daemons (process names, default
    fail2ban-server, sshguard, sshg-blocker), counted only when root runs them. UNKNOWN only when nothing proves a limit and a
    fact that might have could not be read.
    """
    if isinstance(facts.sshd, Absent):
        return Outcome(Status.SKIP, reason=facts.sshd.reason)
    default_text = str(check.params.get("default", "10:30:100"))
    default = MaxStartups.parse(default_text)
    if default is None:
        raise ValueError(f"default {default_text!r} is not start:rate:full")
    daemons: Sequence[str] = check.params.get(
        "daemons", ["fail2ban-server", "sshguard", "sshg-blocker"]
    )
    proofs: list[str] = []
    misses: list[str] = []
    unread: list[str] = []

    cfg = facts.sshd
    if isinstance(cfg, Unknown):
        unread.append(f"maxstartups: {cfg.reason}")
    else:
        value = cfg.get("maxstartups") or default_text
        line = f"maxstartups {value} ({sshd_origin(cfg, 'maxstartups')})"
        parsed = MaxStartups.parse(value)
        if parsed is not None and parsed.tighter_than(default):
            proofs.append(f"{line}: tighter than the default {default_text}")
        else:
            misses.append(f"{line}: not tighter than the default {default_text}")

    firewall = facts.firewall
    if isinstance(firewall, Unknown):
        unread.append(f"firewall: {firewall.reason}")
    elif firewall.ssh_rate_limited:
        proofs.append(f"firewall ({firewall.backend}) limits new connections to tcp/22")
        proofs.extend(firewall.rate_limit_evidence)
    else:
        misses.append(f"firewall ({firewall.backend}): no rule limits new connections to tcp/22")

    processes = facts.processes
    if isinstance(processes, Unknown):
        unread.append(f"processes: {processes.reason}")
    else:
        # only root's in the host's PID namespace: any user can name a process
        # fail2ban-server, and a rootful container's root has uid 0 on the host too
        running = [d for d in daemons if d in processes.root_names]
        if running:
            proofs.extend(f"{name} is running as root" for name in running)
        else:
            others = [d for d in daemons if d in processes.names]
            note = f" ({', '.join(others)} runs, but not as root)" if others else ""
            misses.append(f"none of {', '.join(daemons)} is running as root{note}")

    if proofs:
        return Outcome(Status.PASS, tuple(proofs))
    if unread:
        return Outcome(
            Status.UNKNOWN,
            tuple(misses),
            reason="nothing read proves a rate limit; could not read " + "; ".join(unread),
        )
    return failure(misses)  # the host as a whole: any one of the limits would do


# --- ssh.weak-crypto ---------------------------------------------------------------------------

# A DSA host key file (`ssh_host_dsa_key`), not an ECDSA one.
_DSA_KEY = re.compile(r"(?<!ec)dsa_", re.IGNORECASE)
# OpenSSH 7.7 dropped ssh_host_dsa_key from the host keys loaded when none is configured.
_NO_DEFAULT_DSA_KEY = (7, 7)
# Object key prefix per sshd keyword: one object per weak algorithm (`cipher:3des-cbc`). The
# parsers read OpenSSH 8.4's *acceptedkeytypes names as the 8.5 *acceptedalgorithms ones.
_ALGORITHM_KINDS = {
    "ciphers": "cipher",
    "macs": "mac",
    "kexalgorithms": "kex",
    "hostkeyalgorithms": "hostkey-algorithm",
    "pubkeyacceptedalgorithms": "pubkey-algorithm",
    "casignaturealgorithms": "ca-algorithm",
    "hostbasedacceptedalgorithms": "hostbased-algorithm",
    "gssapikexalgorithms": "gss-kex",
}
# Lists sshd only uses when a method that is off by default is on: a weak name in them is
# not offered to anyone until then (the check says so rather than failing).
_USED_WHEN = {
    "hostbasedacceptedalgorithms": "hostbasedauthentication",
    "gssapikexalgorithms": "gssapikeyexchange",
}
# Lists that not every sshd has (older releases, or no distribution GSSAPI key exchange
# patch): absent from `sshd -T`, there is nothing to judge. Every sshd -T prints the others.
_NOT_EVERYWHERE = {
    "pubkeyacceptedalgorithms",
    "casignaturealgorithms",
    "hostbasedacceptedalgorithms",
    "gssapikexalgorithms",
}


def algorithm_key(keyword: str, name: str) -> str:
    """`cipher:3des-cbc`: one weak algorithm, whichever file or context enables it.

    >>> algorithm_key("macs", "hmac-sha1")
    'mac:hmac-sha1'
    >>> algorithm_key("PubkeyAcceptedKeyTypes", "ssh-rsa")
    'pubkey-algorithm:ssh-rsa'
    """
    keyword = canonical_keyword(keyword)
    return f"{_ALGORITHM_KINDS.get(keyword, keyword)}:{name}"


def _weak_crypto_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    for keyword, patterns in check_mapping(params["weak"], "params.weak").items():
        check_mapping(patterns, f"params.weak.{keyword}")


def _list_used(cfg: SshdConfig, keyword: str) -> bool:
    """False when `keyword` is a list of a method that this configuration leaves off."""
    method = _USED_WHEN.get(keyword)
    return method is None or (cfg.get(method) or "no").lower() == "yes"


def _list_names(value: str) -> tuple[list[str], bool]:
    """(the algorithm names a list adds, whether it changes sshd's compiled-in default).

    In sshd_config, +list appends to, -list removes from, ^list prepends to the default.
    """
    names = [n.strip() for n in value.split(",") if n.strip()]
    if names and names[0][:1] in "+-^":
        return ([] if names[0][0] == "-" else [names[0][1:], *names[1:]]), True
    return names, False


@register(
    "ssh_weak_crypto",
    required=("weak",),
    check_params=_weak_crypto_params,
    implied_facts=reads("sshd", "sshd_contexts"),
)
def ssh_weak_crypto(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """No algorithm of any list sshd judges algorithms by (ciphers, MACs, key exchanges, host
    key, public key, CA signature, host-based and GSSAPI key exchange algorithms) matches a
    weak pattern, globally or in a Match context, and no host key is a DSA key. Evidence
    names each offending algorithm; the object is the algorithm, wherever it is enabled.

    params: weak {keyword: {fnmatch pattern: why it is weak}}, e.g.
    {macs: {"hmac-sha1*": "SHA-1 MAC"}}. Host-based and GSSAPI key exchange lists count
    only where HostbasedAuthentication / GSSAPIKeyExchange is yes.
    """
    cfg = need(facts.sshd)
    weak = {canonical_keyword(k): v for k, v in check.params["weak"].items()}
    bad: list[str] = []
    good: list[str] = []
    undecided: list[str] = []
    objects: list[FindingObject] = []
    seen: set[str] = set()

    def offend(keyword: str, names: list[str], where: str, origin: str, context: str) -> int:
        count = 0
        for name in names:
            pattern, why = _first_match(name, weak[keyword])
            key = algorithm_key(keyword, name)
            if not pattern or key in seen:
                continue
            seen.add(key)
            bad.append(f"{keyword} {name}{context} ({where}): {why}")
            objects.append(at_origin(key, origin))
            count += 1
        return count

    judged: dict[str, str] = {}  # keyword -> the global value judged
    for keyword in weak:
        value = cfg.get(keyword)
        where = sshd_origin(cfg, keyword)
        if value is None and cfg.effective and keyword in _NOT_EVERYWHERE:
            good.append(f"{keyword}: this sshd has no such setting (not in sshd -T)")
            continue
        if not _list_used(cfg, keyword):
            method = _USED_WHEN[keyword]
            state = cfg.get(method)
            how = f"{method} {state} ({sshd_origin(cfg, method)})" if state else f"{method} off"
            good.append(f"{keyword}: not used, {how}")
            continue
        if value is None or cfg.origins.get(keyword) == "default":
            undecided.append(f"{keyword} is not set: sshd's compiled-in default applies")
            continue
        names, relative = _list_names(value)
        if relative:
            undecided.append(f"{keyword} {value} ({where}) changes sshd's compiled-in default")
        judged[keyword] = value
        if not offend(keyword, names, where, cfg.origins.get(keyword, ""), "") and names:
            good.append(f"{keyword} ({where}): no weak algorithm among {len(names)}")
    unjudged = _weak_crypto_contexts(facts, cfg, weak, judged, offend)
    keys = cfg.values.get("hostkey", ())
    if keys:
        dsa = [k for k in keys if _DSA_KEY.search(k.rsplit("/", 1)[-1])]
        where = sshd_origin(cfg, "hostkey")
        bad.extend(f"hostkey {k} ({where}): DSA host key" for k in dsa)
        origin = cfg.origins.get("hostkey", "")
        objects.extend(at_origin(f"hostkey:{k}", origin) for k in dsa)
        if not dsa:
            good.append(f"hostkey ({where}): no DSA key among {len(keys)}")
    else:
        version = openssh_version(facts.meta.sshd_version)
        if version is not None and version >= _NO_DEFAULT_DSA_KEY:
            good.append(f"hostkey not set: {facts.meta.sshd_version} loads no DSA key by default")
        else:
            undecided.append("hostkey is not set and the OpenSSH version is unknown or < 7.7")
    if bad:
        reason = f"also not judged: {'; '.join(unjudged)}" if unjudged else ""
        return failure(bad, objects, reason=reason)
    if undecided:
        return Outcome(
            Status.UNKNOWN,
            tuple(good),
            reason="; ".join(undecided) + " (only sshd -T, as root, shows the result)",
        )
    if unjudged:
        return Outcome(
            Status.UNKNOWN,
            tuple(good),
            reason=f"the global settings pass; not judged: {'; '.join(unjudged)}",
        )
    return Outcome(Status.PASS, tuple(good))


def _weak_crypto_contexts(
    facts: HostFacts,
    cfg: SshdConfig,
    weak: Mapping[str, Mapping[str, str]],
    judged: Mapping[str, str],
    offend: Callable[[str, list[str], str, str, str], int],
) -> list[str]:
    """Judge the lists a Match block can change (public key, CA signature and host-based
    algorithms; the others are global-only and come out equal); the contexts not judged."""
    found = sshd_contexts(facts)
    if isinstance(found, Unknown):
        return [f"the Match contexts ({found.reason})"]
    unjudged = []
    for context in found if isinstance(found, tuple) else ():
        if context.config is None:
            unjudged.append(f"{context.match} (sshd -T -C {context.spec} failed)")
            continue
        for keyword in weak:
            value = context.config.get(keyword)
            if not _list_used(context.config, keyword):
                continue
            if value == cfg.get(keyword) and (keyword in judged or _list_used(cfg, keyword)):
                continue  # the global value, judged (or left undecided) above
            if value is None:  # only parsed files leave a list unset
                unjudged.append(f"{keyword} in {context.match} (sshd's compiled-in default)")
                continue
            names, _ = _list_names(value)
            where = sshd_context_origin(context, keyword)
            origin = context.config.origins.get(keyword, "")
            offend(keyword, names, where, origin, f" in {context.match}")
    return unjudged


def _first_match(name: str, patterns: Mapping[str, str]) -> tuple[str, str]:
    """(pattern, why) of the first weak pattern `name` matches, ("", "") when none does."""
    for pattern, why in patterns.items():
        if fnmatch.fnmatchcase(name.lower(), str(pattern).lower()):
            return str(pattern), str(why)
    return "", ""


# --- ssh.access-list ---------------------------------------------------------------------------


@register("ssh_access_list")
def ssh_access_list(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """AllowUsers or AllowGroups names who may log in (sshd -T prints nothing when unset)."""
    cfg = need(facts.sshd)
    listed = [
        f"{keyword} {' '.join(values)} ({sshd_origin(cfg, keyword)})"
        for keyword in ("allowusers", "allowgroups")
        if (values := [v for v in cfg.values.get(keyword, ()) if v.strip()])
    ]
    if listed:
        return Outcome(Status.PASS, tuple(listed))
    where = "sshd -T" if cfg.effective else "parsed from files, no sshd -T: lower confidence"
    evidence = [
        f"neither allowusers nor allowgroups is set ({where}): every account may log in",
        *(
            f"{keyword} {' '.join(values)} is a deny-list, not an allow-list"
            for keyword in ("denyusers", "denygroups")
            if (values := [v for v in cfg.values.get(keyword, ()) if v.strip()])
        ),
    ]
    return failure(evidence)  # the host as a whole: who may log in


# --- ssh.match-override ------------------------------------------------------------------------

_SAME_AS = {"without-password": "prohibit-password"}


def _strength(order: Sequence[str], value: str) -> int:
    """Position of `value` in `order` (strongest first); an unlisted value counts as weakest."""
    normalized = _SAME_AS.get(value.lower(), value.lower())
    listed = [str(v).lower() for v in order]
    return listed.index(normalized) if normalized in listed else len(listed)


def _context_label(context: SshdContext) -> str:
    if context.config is not None and not context.config.effective:
        return (
            f"{context.match} ({context.spec}, parsed from files, no sshd -T -C: lower confidence)"
        )
    return f"{context.match} (sshd -T -C {context.spec})"


def _match_override_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    for keyword, ranks in check_mapping(params["order"], "params.order").items():
        check_strings(ranks, f"params.order.{keyword}")


@register(
    "ssh_match_override",
    required=("order",),
    check_params=_match_override_params,
    implied_facts=reads("sshd", "sshd_contexts"),
)
def ssh_match_override(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """No Match context makes a keyword of `order` weaker than its global value.

    params: order {keyword: [values, strongest first]}; an unlisted value is the weakest.
    """
    cfg = need(facts.sshd)
    contexts = need(sshd_contexts(facts))
    if not contexts:
        return Outcome(Status.SKIP, reason="no Match lines in the sshd configuration")
    order: Mapping[str, Sequence[str]] = check.params["order"]
    bad: list[str] = []
    good: list[str] = []
    unread: list[str] = []
    objects: list[FindingObject] = []
    for context in contexts:
        if context.config is None:
            unread.append(f"{context.match}: sshd -T -C {context.spec} failed")
            continue
        weakened = []
        origin = ""
        for keyword, ranks in order.items():
            mine, theirs = context.config.get(keyword), cfg.get(keyword)
            if mine is None or theirs is None:
                continue
            if _strength(ranks, mine) > _strength(ranks, theirs):
                line = context.config.origins.get(keyword, context.spec)
                where = "" if context.config.effective else f" at {line}"
                weakened.append(f"{keyword} {mine}{where}, global {theirs}")
                origin = origin or line
        if weakened:
            bad.append(f"{_context_label(context)}: {'; '.join(weakened)}")
            objects.append(at_origin(match_object_key(context.match), origin))
        else:
            good.append(f"{_context_label(context)}: weakens none of {', '.join(order)}")
    return verdict(bad, good, unread, objects)
