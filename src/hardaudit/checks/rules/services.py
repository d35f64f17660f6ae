"""Evaluators for services: systemd units (svc.non-root), Redis (svc.redis-auth), nginx headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardaudit.checks.evaluators import (
    failure,
    file_object,
    finding_object,
    need,
    register,
    verdict,
)
from hardaudit.checks.model import Check, FindingObject, Outcome, Status
from hardaudit.facts.model import HostFacts, NginxServer, RedisConfig, ServiceUnit
from hardaudit.facts.parsers.services import seen_headers, unseen_includes

DEFAULT_WEB_HEADERS = (
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Content-Security-Policy",
)


def _names(value: Any) -> list[str]:
    """A list-of-strings inventory variable; a comma-separated string is accepted too."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"expected a list of names, got {value!r}")
    return [str(v).strip() for v in value if str(v).strip()]


def _unit_name(name: str) -> str:
    return name.removesuffix(".service")


# --- svc.non-root -----------------------------------------------------------------------------


def _unit_verdict(unit: ServiceUnit, allowed_root: set[str]) -> tuple[bool, str]:
    """(runs as a non-root user, what was seen)."""
    label = f"{unit.name}.service ({unit.path})"
    if unit.user in ("root", "0"):
        seen = f"User={unit.user}"
    elif unit.user:
        return True, f"{label}: User={unit.user}"
    elif unit.dynamic_user:
        return True, f"{label}: DynamicUser=yes (a transient non-root user)"
    else:
        seen = "no User= (runs as root)"
    if unit.name in allowed_root:
        return True, f"{label}: {seen}; allowed by services_root_allowed"
    return False, f"{label}: {seen}"


@register("service_non_root")
def service_non_root(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Every admin-installed or listed service unit declares a non-root `User=` (or DynamicUser).

    Units are those in /etc/systemd/system and /usr/local/lib/systemd/system (regular files,
    not aliases) plus the distro units named in `services`; drop-ins are applied.
    """
    units = need(facts.units)
    listed = [_unit_name(n) for n in _names(variables.get("services"))]
    allowed_root = {_unit_name(n) for n in _names(variables.get("services_root_allowed"))}
    found = {u.name for u in units}
    missing = [
        f"{n}.service (listed in services) not found on this host" for n in listed if n not in found
    ]
    if not units:
        return Outcome(
            Status.SKIP,
            ("no admin-installed service units", *missing),
            reason="no service unit in /etc/systemd/system or /usr/local/lib/systemd/system"
            " and none listed in `services`",
        )
    good: list[str] = []
    bad: list[str] = []
    objects: list[FindingObject] = []
    for unit in units:
        ok, line = _unit_verdict(unit, allowed_root)
        (good if ok else bad).append(line)
        if not ok:
            objects.append(finding_object(f"unit:{unit.name}.service", unit.path))
    if bad:
        return failure(bad, objects)
    return Outcome(Status.PASS, (*good, *missing))


# --- svc.redis-auth ---------------------------------------------------------------------------


def _loopback(address: str) -> bool:
    addr = address.lstrip("-")  # "-::1": an optional address, same meaning
    return addr.startswith("127.") or addr in ("::1", "localhost")


def _redis_verdict(cfg: RedisConfig) -> tuple[bool, str]:
    binds = " ".join(cfg.binds)
    bind_text = f"bind {binds}" if cfg.binds else "no bind (all addresses)"
    if cfg.port == 0:
        return True, f"{cfg.path}: port 0 (no TCP listener)"
    if cfg.requirepass:
        return True, f"{cfg.path}: requirepass set; {bind_text}"
    if cfg.acl_users:
        return (
            True,
            f"{cfg.path}: ACL protects the default user (off, password or aclfile); {bind_text}",
        )
    loopback_only = bool(cfg.binds) and all(_loopback(b) for b in cfg.binds)
    protected = cfg.protected_mode is not False
    mode_text = {
        True: "protected-mode yes",
        False: "protected-mode no",
        None: "protected-mode yes (default)",
    }[cfg.protected_mode]
    if loopback_only and protected:
        return True, f"{cfg.path}: {bind_text} (loopback only), {mode_text}, no password"
    problems = []
    if not loopback_only:
        problems.append(f"{bind_text} (not loopback only)")
    if not protected:
        problems.append(mode_text)
    problems.append("no requirepass and no ACL protecting the default user")
    return False, f"{cfg.path}: {'; '.join(problems)}"


@register("redis_auth")
def redis_auth(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Every Redis config requires a password (requirepass or ACL), or is loopback-only with
    protected-mode on. Read from the config files: Redis itself is never contacted."""
    configs = need(facts.redis)
    if not configs:
        return Outcome(Status.SKIP, reason="no Redis configuration on this host")
    good: list[str] = []
    bad: list[str] = []
    objects: list[FindingObject] = []
    for cfg in configs:
        ok, line = _redis_verdict(cfg)
        (good if ok else bad).append(line)
        if not ok:
            objects.append(file_object(cfg.path))  # one config file is one instance
    return verdict(bad, good, objects=objects)


# --- web.security-headers ---------------------------------------------------------------------


def _server_label(server: NginxServer) -> str:
    names = " ".join(server.names) if server.names else "(no server_name)"
    listen = "" if server.listens else " (no listen: *:80)"
    return f"{server.file}:{server.line} server {names}{listen}"


def server_key(server: NginxServer) -> str:
    """`server:example.com www.example.com listen:443 ssl`: a server block by its names and
    listens (not its line, which moves when the file above it changes)."""
    names = " ".join(server.names) or "_"
    listens = " ".join(server.listens) or "*:80"
    return f"server:{names} listen:{listens}"


def _judge_server(
    server: NginxServer, required: list[str]
) -> tuple[list[str], list[str], list[str], list[FindingObject]]:
    """(passes, failures, unknowns, failing objects) for one server block and its locations."""
    label = _server_label(server)
    key = server_key(server)
    objects: list[FindingObject] = []
    fails: list[str] = []
    unknowns: list[str] = []
    present = seen_headers(server.headers)
    unread = unseen_includes(server.headers)
    missing = [h for h in required if h.lower() not in present]
    if missing and unread:
        unknowns.append(f"{label}: {', '.join(missing)} not seen; {_includes(unread)} not read")
    elif missing:
        fails.append(f"{label}: missing {', '.join(missing)}")
        objects.append(finding_object(key, server.file, server.line))
    for location in server.locations:
        own = seen_headers(location.headers)
        loc_unread = unseen_includes(location.headers)
        if not own and not loc_unread:
            continue  # no add_header here: the server's headers are inherited
        lacking = [h for h in required if h.lower() not in own]
        if not lacking:
            continue
        names = " ".join(server.names) or "(no server_name)"
        where = f"{server.file}:{location.line} location {location.path} in server {names}"
        replaces = "its add_header replaces the inherited headers"
        if own and not loc_unread:
            fails.append(f"{where}: {replaces}; missing {', '.join(lacking)}")
            location_key = f"{key} location:{location.path}"
            objects.append(finding_object(location_key, server.file, location.line))
        elif own:
            not_seen = f"{', '.join(lacking)} not seen; {_includes(loc_unread)} not read"
            unknowns.append(f"{where}: {replaces}; {not_seen}")
        else:
            hides = "an add_header in it would hide the server's headers"
            unknowns.append(f"{where}: {_includes(loc_unread)} not read; {hides}")
    passes = [] if fails or unknowns else [f"{label}: {', '.join(required)} set"]
    return passes, fails, unknowns, objects


def _includes(paths: tuple[str, ...]) -> str:
    return ", ".join(f"include {p}" for p in paths)


@register("nginx_security_headers")
def nginx_security_headers(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Every nginx http server sends the required headers, and no location drops them.

    add_header is inherited from the enclosing level only when a level defines none itself, so
    one add_header in a location hides every server- and http-level header there.
    """
    servers = need(facts.nginx)
    required = _names(variables.get("web_required_headers", list(DEFAULT_WEB_HEADERS)))
    if not servers:
        return Outcome(Status.SKIP, reason="nginx configuration has no http server block")
    if not required:
        return Outcome(Status.PASS, ("web_required_headers is empty: nothing required",))
    passes: list[str] = []
    fails: list[str] = []
    unknowns: list[str] = []
    objects: list[FindingObject] = []
    for server in servers:
        p, f, u, o = _judge_server(server, required)
        passes += p
        fails += f
        unknowns += u
        objects += o
    if fails:
        reason = f"also not judged: {'; '.join(unknowns)}" if unknowns else ""
        return failure(fails, objects, reason=reason)
    if unknowns:
        return Outcome(Status.UNKNOWN, tuple(passes), reason="; ".join(unknowns))
    return Outcome(Status.PASS, tuple(passes))
