"""Python evaluators of the fw.* and net.* checks beyond fw.enabled and net.exposed-ports.

IPv6 counts as "on" unless the kernel has it off or no interface but `lo` holds an IPv6
address (see `parse_ipv6`). A host whose IPv6 addresses are all link-local is still reachable
over IPv6 from its own network segment: an open IPv6 side then fails at the lesser
`link_local_severity` (default medium) instead of the check's own severity.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from hardaudit.checks.evaluators import (
    CONTAINER_FACTS,
    CheckSpec,
    ParamError,
    all_of,
    check_mapping,
    container_label,
    container_object,
    declared_var,
    failure,
    finding_object,
    nat_is_no_firewall,
    need,
    reads,
    register,
    severities,
    socket_key,
)
from hardaudit.checks.model import Check, FindingObject, Outcome, Severity, Status
from hardaudit.facts.model import (
    Absent,
    Container,
    FirewallState,
    HostFacts,
    Ipv6State,
    ListeningSocket,
    PublishedPort,
    Unknown,
)
from hardaudit.facts.parsers.numbers import ascii_int

_SHOWN_ADDRESSES = 3
_NO_INPUT_CHAIN = "no filter chain on the input hook (nft or iptables-save)"


def port_allowed(proto: str, port: int, allowed: Sequence[Any]) -> bool:
    """`allowed` entries are ports (443) or port/proto ("53/udp"), as in `allowed_ports`."""
    for entry in allowed:
        number, _, wanted_proto = str(entry).partition("/")
        wanted = wanted_proto.strip().lower()
        # not isdigit(): '²' is a digit to it, not to int()
        if ascii_int(number.strip(), 5) == port and wanted in ("", proto):
            return True
    return False


def _severity(check: Check, name: str, default: str) -> Severity:
    return Severity.parse(str(check.params.get(name, default)))


def _ipv6_on(state: Ipv6State) -> str:
    """How IPv6 is on, for evidence: with which global addresses, or link-local only."""
    if not state.global_addresses:
        return "IPv6 is on with link-local addresses only (reachable from the local segment)"
    shown = ", ".join(state.global_addresses[:_SHOWN_ADDRESSES])
    more = len(state.global_addresses) - _SHOWN_ADDRESSES
    return f"IPv6 is on: {shown}" + (f" (+{more} more)" if more > 0 else "")


def _v6_failure(check: Check, state: Ipv6State) -> Severity:
    if state.global_addresses:
        return check.severity
    return min(check.severity, _severity(check, "link_local_severity", "medium"))


# Objects of the fw.* checks: the host as a whole, or one address family.
IPV4 = finding_object("ipv4")
IPV6 = finding_object("ipv6")


def _no_firewall(state: FirewallState) -> Outcome | None:
    if state.backend == "none":
        return failure(("neither nft nor iptables-save is installed", *state.evidence))
    return None


# --- fw.default-deny-in ----------------------------------------------------------------------


@register(
    "firewall_default_deny",
    optional=("link_local_severity",),
    check_params=severities("link_local_severity"),
)
def firewall_default_deny(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Unmatched inbound packets are dropped or rejected, for IPv4 and (when on) IPv6.

    The firewall parsers follow every input base chain through its jumps, so a chain with
    policy accept whose path ends in a catch-all reject (firewalld's zones) counts.
    params: link_local_severity (severity of an open IPv6 side with link-local addresses only).
    """
    state = need(facts.firewall)
    none = _no_firewall(state)
    if none is not None:
        return none
    lines = [f"IPv4: {'default deny' if state.ipv4_default_deny else 'no default deny'}"]
    failures: list[Severity] = [] if state.ipv4_default_deny else [check.severity]
    objects: list[FindingObject] = [] if state.ipv4_default_deny else [IPV4]
    if state.ipv6_default_deny:
        lines.append("IPv6: default deny")
    elif isinstance(facts.ipv6, Unknown):
        if not failures:
            return Outcome(
                Status.UNKNOWN,
                (*lines, "IPv6: no default deny", *state.evidence),
                reason=f"IPv6 has no default deny and whether IPv6 is on could not be read: {facts.ipv6.reason}",
            )
        lines.append(f"IPv6: no default deny (IPv6 state unknown: {facts.ipv6.reason})")
    elif facts.ipv6.disabled:
        lines.append("IPv6: no default deny, but IPv6 is off")
    else:
        lines.append(f"IPv6: no default deny; {_ipv6_on(facts.ipv6)}")
        failures.append(_v6_failure(check, facts.ipv6))
        objects.append(IPV6)
    evidence = (*lines, *(state.evidence or (_NO_INPUT_CHAIN, *nat_is_no_firewall(state))))
    if failures:
        return failure(evidence, objects, severity=max(failures))
    return Outcome(Status.PASS, evidence)


# --- fw.ipv6-parity ------------------------------------------------------------------------------


def _level(filters: bool, default_deny: bool) -> tuple[int, str]:
    if default_deny:
        return 2, "default deny"
    if filters:
        return 1, "filtered without default deny"
    return 0, "not filtered"


@register(
    "firewall_ipv6_parity",
    optional=("link_local_severity",),
    check_params=severities("link_local_severity"),
)
def firewall_ipv6_parity(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """IPv6 is filtered at least as strictly as IPv4, or IPv6 is off.

    Strictness: default deny > some drop/reject rules > nothing. When IPv4 is not filtered
    either there is nothing to be at parity with: SKIP (fw.enabled judges that).
    params: link_local_severity (severity when IPv6 has link-local addresses only).
    """
    state = need(facts.firewall)
    v4, v4_text = _level(state.ipv4_filters, state.ipv4_default_deny)
    v6, v6_text = _level(state.ipv6_filters, state.ipv6_default_deny)
    if v4 == 0:
        return Outcome(
            Status.SKIP, reason="IPv4 is not filtered either: fw.enabled judges the firewall"
        )
    lines = (f"IPv4: {v4_text}", f"IPv6: {v6_text}")
    if v6 >= v4:
        return Outcome(Status.PASS, (*lines, *state.evidence))
    ipv6 = need(facts.ipv6)
    if ipv6.disabled:
        return Outcome(Status.PASS, (*lines, "IPv6 is off", *state.evidence))
    return failure(
        (*lines, _ipv6_on(ipv6), *state.evidence), (IPV6,), severity=_v6_failure(check, ipv6)
    )


# --- fw.container-bypass -------------------------------------------------------------------------

_ALL_ADDRESSES = ("", "0.0.0.0", "::")


def _binding(port: PublishedPort) -> str:
    if port.host_ip == "":
        return f"*:{port.host_port}"
    host = f"[{port.host_ip}]" if ":" in port.host_ip else port.host_ip
    return f"{host}:{port.host_port}"


def _proto(port: PublishedPort) -> str:
    return port.container_port.partition("/")[2] or "tcp"


def published_object(container: Container, port: PublishedPort) -> FindingObject:
    """`container:web/tcp/0.0.0.0:8080`: one published host port of one container."""
    key = socket_key(_proto(port), port.host_ip or "*", port.host_port)
    return container_object(container, f"/{key}")


@register(
    "container_published_ports",
    optional=("var",),
    check_params=declared_var("var", "allowed_ports"),
    implied_facts=CONTAINER_FACTS,
)
def container_published_ports(
    check: Check, facts: HostFacts, variables: Mapping[str, Any]
) -> Outcome:
    """No container port is published on all host addresses unless its host port is allowed.

    Docker publishes ports with DNAT rules ahead of the host's input chains (ufw never sees
    them) and, without docker-proxy, nothing shows in `ss`: `docker inspect` is the source.
    params: var (default "allowed_ports"): entries are ports or port/proto.
    """
    containers: tuple[Container, ...] = need(facts.containers)
    var = str(check.params.get("var", "allowed_ports"))
    allowed = list(variables.get(var) or [])
    bad: list[str] = []
    good: list[str] = []
    objects: list[FindingObject] = []
    for c in containers:
        for port in c.ports:
            line = f"{container_label(c)}: {_binding(port)} -> {port.container_port}"
            if port.host_ip not in _ALL_ADDRESSES:
                good.append(f"{line} (one address only)")
            elif port_allowed(_proto(port), port.host_port, allowed):
                good.append(f"{line} on all addresses, allowed by {var}")
            else:
                bad.append(f"{line} on all addresses, not in {var} {allowed}")
                objects.append(published_object(c, port))
    if bad:
        return failure(bad, objects)
    if not containers:
        return Outcome(Status.PASS, ("no running containers",))
    return Outcome(
        Status.PASS, tuple(good) or (f"no port published by {len(containers)} container(s)",)
    )


# --- net.db-exposed ------------------------------------------------------------------------------

# Addresses only a private network can reach: RFC 1918, CGNAT, link-local, IPv6 ULA.
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
    )
)


def _where(address: str, loopback: bool) -> tuple[bool, str]:
    """(private, description) of a listening address."""
    if loopback:
        return True, "on loopback"
    if address in ("*", "", "0.0.0.0", "::"):
        return False, "on all addresses"
    text = address.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False, f"on {address}"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip.version == net.version and ip in net for net in _PRIVATE):
        return True, f"on private address {address}"
    return False, f"on public address {address}"


def _product_maps(check: Check) -> tuple[dict[int, str], dict[str, str]]:
    ports = {int(str(k)): str(v) for k, v in dict(check.params.get("ports", {})).items()}
    names = {str(k)[:15]: str(v) for k, v in dict(check.params.get("processes", {})).items()}
    return ports, names


def _product_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    for port in check_mapping(params.get("ports", {}), "params.ports"):
        if not str(port).isdigit():
            raise ParamError(f"params.ports.{port}", f"{port!r} is not a port number")
    check_mapping(params.get("processes", {}), "params.processes")


def _published_where(port: PublishedPort) -> tuple[bool, str]:
    """(private, description) of the host address a container port is published on."""
    host = port.host_ip
    if host in _ALL_ADDRESSES:
        return False, "published on all addresses"
    loopback = ListeningSocket("tcp", host, port.host_port).loopback
    private, where = _where(host, loopback)
    return private, f"published {where}"


@register(
    "database_exposure",
    optional=("ports", "processes", "var"),
    check_params=all_of(_product_params, declared_var("var", "allowed_db_ports")),
    implied_facts=reads("listeners", "containers", "processes"),
)
def database_exposure(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Database and cache sockets listen on loopback or a private address only.

    A socket is a database's when its owning process is in `processes` or its port is in
    `ports`; container ports published on a non-private address count too (`docker
    inspect`), since `ss` may not show them, and a container's database port exposed but
    not published is reachable on its container networks only (a pass). params: ports
    {port: product}, processes
    {comm: product}, var (default "allowed_db_ports": ports the inventory allows to be
    exposed). Container facts that could not be read make the result unknown unless a
    socket already fails.
    """
    sockets = need(facts.listeners)
    ports, names = _product_maps(check)
    var = str(check.params.get("var", "allowed_db_ports"))
    allowed = list(variables.get(var) or [])
    bad: list[str] = []
    good: list[str] = []
    objects: list[FindingObject] = []
    for s in sorted(set(sockets), key=lambda s: (s.port, s.proto, s.address)):
        product = (names.get(s.process[:15], "") if s.process else "") or ports.get(s.port, "")
        if not product:
            continue
        private, where = _where(s.address, s.loopback)
        process = f" ({s.process})" if s.process else ""
        line = f"{s.proto} {s.address}:{s.port}{process}: {product} listens {where}"
        if private:
            good.append(line)
        elif port_allowed(s.proto, s.port, allowed):
            good.append(f"{line}, allowed by {var}")
        else:
            bad.append(line)
            objects.append(finding_object(socket_key(s.proto, s.address, s.port)))
    containers = facts.containers
    unread = ""
    if isinstance(containers, Unknown):
        unread = f"container ports could not be read: {containers.reason}"
    elif not isinstance(containers, Absent):
        for c in containers:
            for port in c.ports:
                number = ascii_int(port.container_port.partition("/")[0], 5)  # target text
                product = ports.get(number, "") if number is not None else ""
                product = product or ports.get(port.host_port, "")
                if not product:
                    continue
                private, where = _published_where(port)
                line = (
                    f"container {container_label(c)}: {_binding(port)} -> {port.container_port}: "
                    f"{product} {where}"
                )
                if private:
                    good.append(line)
                elif port_allowed(_proto(port), port.host_port, allowed):
                    good.append(f"{line}, allowed by {var}")
                else:
                    bad.append(line)
                    objects.append(published_object(c, port))
            for exposed in c.exposed:  # on the container's networks only (private addresses)
                exposed_port = ascii_int(exposed.partition("/")[0], 5)
                product = ports.get(exposed_port, "") if exposed_port is not None else ""
                if product:
                    good.append(
                        f"container {container_label(c)}: {exposed}: {product} not published "
                        "(reachable on its container networks only)"
                    )
    if bad:
        return failure(bad, objects, reason=f"also not judged: {unread}" if unread else "")
    if unread:
        return Outcome(Status.UNKNOWN, tuple(good), reason=unread)
    if not good:
        return Outcome(Status.SKIP, reason="no database or cache port listens on this host")
    return Outcome(Status.PASS, tuple(good))
