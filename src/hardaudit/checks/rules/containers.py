"""Python evaluators of the ctr.* checks beyond ctr.non-root.

Every one reads `docker inspect` and rootful `podman inspect` of the running containers: no
engine on the host gives SKIP, an engine that could not be asked gives UNKNOWN, no running
container gives PASS.
ctr.daemon-tcp reads how dockerd was started instead (processes, daemon.json, listeners).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hardaudit.checks.evaluators import (
    CONTAINER_FACTS,
    CheckSpec,
    ParamError,
    check_mapping,
    check_strings,
    container_label,
    container_object,
    declared_var,
    failure,
    finding_object,
    need,
    reads,
    register,
    severities,
    socket_key,
    verdict,
)
from hardaudit.checks.model import Check, FindingObject, Outcome, Severity, Status
from hardaudit.facts.model import Absent, Container, HostFacts, Mount, Unknown

# (container) -> (problems, what is fine): one evidence line per container either way.
Judge = Callable[[Container], tuple[list[str], str]]


def judge_containers(facts: HostFacts, judge: Judge) -> Outcome:
    """FAIL with every problem of every container (each failing container one object,
    `container:<name>`), else PASS with one line per container."""
    containers: tuple[Container, ...] = need(facts.containers)
    if not containers:
        return Outcome(Status.PASS, ("no running containers",))
    bad: list[str] = []
    good: list[str] = []
    objects: list[FindingObject] = []
    for c in containers:
        problems, fine = judge(c)
        bad.extend(f"{container_label(c)}: {p}" for p in problems)
        if problems:
            objects.append(container_object(c))
        else:
            good.append(f"{container_label(c)}: {fine}")
    return verdict(bad, good, objects=objects)


def _path(path: str) -> str:
    """`//etc/` -> `/etc` (posixpath keeps a leading `//`)."""
    return posixpath.normpath("/" + path.lstrip("/")) if path else path


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def _holds(source: str, path: str) -> bool:
    """`source` is `path` or one of its parent directories (`/` holds everything)."""
    return source in (path, "/") or path.startswith(source + "/")


# --- ctr.privileged ------------------------------------------------------------------------------


@register("container_privileged", implied_facts=CONTAINER_FACTS)
def container_privileged(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """No running container has HostConfig.Privileged."""

    def judge(c: Container) -> tuple[list[str], str]:
        if c.privileged:
            return ["runs --privileged (every capability, every host device, no seccomp)"], ""
        return [], "not privileged"

    return judge_containers(facts, judge)


# --- ctr.runtime-socket -----------------------------------------------------------------------


def _runtime_socket_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    if not check_mapping(params["sockets"], "params.sockets"):
        raise ParamError("params.sockets", "needs at least one {file name: runtime}")
    if "socket_dirs" in params:
        check_strings(params["socket_dirs"], "params.socket_dirs", what="host directories")


@register(
    "container_runtime_socket",
    required=("sockets",),
    optional=("socket_dirs",),
    check_params=_runtime_socket_params,
    implied_facts=CONTAINER_FACTS,
)
def container_runtime_socket(
    check: Check, facts: HostFacts, variables: Mapping[str, Any]
) -> Outcome:
    """No container mounts a container runtime's API socket, wherever it lives.

    params: sockets {file name: runtime} matched on the base name of a mount's host path or
    container path (any directory: /run/user/1000/docker.sock too); socket_dirs: host
    directories that hold those sockets (/run, /var/run), whose bind mount exposes them as
    well, and so does a bind mount of any parent of one (`/` at /host holds
    /host/run/docker.sock; `/var` holds /var/run). A read-only bind mount of a socket still
    lets the container connect() to it.
    """
    sockets = {str(k): str(v) for k, v in dict(check.params["sockets"]).items()}
    dirs = sorted({_path(d) for d in _strings(check.params.get("socket_dirs", []))})

    def exposed(m: Mount) -> str:
        for path in (m.source, m.destination):
            runtime = sockets.get(posixpath.basename(_path(path)))
            if runtime:
                ro = ", read-only (no protection for a socket)" if not m.rw else ""
                return f"mounts {m.source} at {m.destination}: the {runtime} API socket{ro}"
        if m.kind != "bind":
            return ""
        source = _path(m.source)
        if source in dirs:
            return f"mounts host {m.source} at {m.destination}: it holds the runtime sockets"
        held = [d for d in dirs if _holds(source, d)]
        held = [d for d in held if not any(o != d and _holds(o, d) for o in held)]
        if held:
            ro = ", read-only (no protection for a socket)" if not m.rw else ""
            return (
                f"mounts host {m.source} at {m.destination}: it holds {', '.join(held)}"
                f" and the runtime sockets in them{ro}"
            )
        return ""

    def judge(c: Container) -> tuple[list[str], str]:
        problems = [p for p in (exposed(m) for m in c.mounts) if p]
        return problems, f"no runtime socket among {len(c.mounts)} mount(s)"

    return judge_containers(facts, judge)


# --- ctr.sensitive-mounts ---------------------------------------------------------------------


def _sensitive_mounts_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    check_strings(params["paths"], "params.paths", what="host paths")
    if "subtrees" in params:
        check_strings(params["subtrees"], "params.subtrees", what="host paths")
    declared_var("var", "allowed_mounts")(params, spec)


@register(
    "container_sensitive_mounts",
    required=("paths",),
    optional=("subtrees", "var"),
    check_params=_sensitive_mounts_params,
    implied_facts=CONTAINER_FACTS,
)
def container_sensitive_mounts(
    check: Check, facts: HostFacts, variables: Mapping[str, Any]
) -> Outcome:
    """No container bind-mounts a sensitive host directory read-write (read-only is fine).

    params: paths (host paths matched exactly), subtrees (host paths matched with everything
    under them), var (default "allowed_mounts": host paths the inventory allows read-write).
    A parent directory of a sensitive path holds it: `/var` read-write exposes
    /var/lib/docker. Named volumes live under /var/lib/docker/volumes but are not host
    paths: only bind mounts are judged.
    """
    exact = {_path(p) for p in _strings(check.params["paths"])}
    subtrees = [_path(p) for p in _strings(check.params.get("subtrees", []))]
    var = str(check.params.get("var", "allowed_mounts"))
    allowed = {_path(p) for p in _strings(variables.get(var) or [])}
    every = sorted(exact | set(subtrees))

    def sensitive(source: str) -> str:
        if source in exact:
            return source
        under = next((t for t in subtrees if source == t or source.startswith(t + "/")), "")
        if under:
            return under
        return next((p for p in every if _holds(source, p)), "")

    def judge(c: Container) -> tuple[list[str], str]:
        problems: list[str] = []
        fine: list[str] = []
        for m in c.mounts:
            source = _path(m.source)
            match = sensitive(source) if m.kind == "bind" else ""
            if not match:
                continue
            where = f"host {m.source} at {m.destination}"
            if not m.rw:
                fine.append(f"{where} read-only")
            elif source in allowed:
                fine.append(f"{where} read-write, allowed by {var}")
            else:
                if match == source:
                    under = ""
                elif _holds(source, match):
                    under = f" (holds {', '.join(p for p in every if _holds(source, p))})"
                else:
                    under = f" (under {match})"
                problems.append(f"{where} read-write{under}")
        return problems, "; ".join(fine) or "no sensitive host path mounted"

    return judge_containers(facts, judge)


# --- ctr.host-namespaces ------------------------------------------------------------------------

_NAMESPACES: dict[str, tuple[Callable[[Container], str], str]] = {
    "network": (lambda c: c.network_mode, "--network host"),
    "pid": (lambda c: c.pid_mode, "--pid host"),
    "ipc": (lambda c: c.ipc_mode, "--ipc host"),
}


def _namespaces_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    names = check_strings(params["namespaces"], "params.namespaces", what="namespaces")
    unknown = [n for n in names if n.lower() not in _NAMESPACES]
    if unknown:
        raise ParamError(
            "params.namespaces", f"unknown namespace(s) {unknown}", f"use {sorted(_NAMESPACES)}"
        )


@register(
    "container_host_namespaces",
    required=("namespaces",),
    check_params=_namespaces_params,
    implied_facts=CONTAINER_FACTS,
)
def container_host_namespaces(
    check: Check, facts: HostFacts, variables: Mapping[str, Any]
) -> Outcome:
    """No container shares one of the host's namespaces listed in `namespaces`.

    params: namespaces, a list of network, pid, ipc.
    """
    wanted = [n.lower() for n in _strings(check.params["namespaces"])]
    unknown = [n for n in wanted if n not in _NAMESPACES]
    if unknown:
        raise ValueError(f"unknown namespace(s) {unknown}: use {sorted(_NAMESPACES)}")

    def judge(c: Container) -> tuple[list[str], str]:
        problems = []
        for name in wanted:
            mode, flag = _NAMESPACES[name]
            if mode(c) == "host":
                problems.append(f"shares the host's {name} namespace ({flag})")
        return problems, f"own {', '.join(wanted)} namespaces"

    return judge_containers(facts, judge)


# --- ctr.capabilities --------------------------------------------------------------------------


def _capability(name: str) -> str:
    """`cap_sys_admin`, `CAP_SYS_ADMIN`, `sys_admin` -> `SYS_ADMIN`."""
    upper = name.strip().upper()
    return upper[4:] if upper.startswith("CAP_") else upper


def _capabilities_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    check_strings(params["capabilities"], "params.capabilities", what="capability names")


@register(
    "container_capabilities",
    required=("capabilities",),
    check_params=_capabilities_params,
    implied_facts=CONTAINER_FACTS,
)
def container_capabilities(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """No container adds (`--cap-add`) one of the listed capabilities.

    params: capabilities, names with or without the CAP_ prefix, any case; ALL means
    `--cap-add ALL`.
    """
    dangerous = {_capability(n) for n in _strings(check.params["capabilities"])}

    def judge(c: Container) -> tuple[list[str], str]:
        added = [_capability(n) for n in c.cap_add]
        hits = [n for n in added if n in dangerous]
        if hits:
            return [f"adds {', '.join(hits)} (--cap-add)"], ""
        others = f"adds only {', '.join(added)}" if added else "adds no capability"
        return [], others

    return judge_containers(facts, judge)


# --- ctr.daemon-tcp ---------------------------------------------------------------------------

DAEMON_JSON = "/etc/docker/daemon.json"
_TCP = re.compile(r"tcp://[^\s\"',\]]*")
_TLSVERIFY_JSON = re.compile(r'"tlsverify"\s*:\s*true')
_JSON_KEY = re.compile(r'"([\w.-]+)"\s*:')


def daemon_json_hosts(lines: tuple[str, ...]) -> list[str]:
    """tcp:// URLs of daemon.json's `hosts` (the script greps the lines that name one).

    A line with another key (`"syslog-address": "tcp://..."`) is not a daemon address; a line
    with no key at all is an element of a multi-line `"hosts": [...]` array.
    """
    urls: list[str] = []
    for line in lines:
        keys = _JSON_KEY.findall(line)
        if keys and "hosts" not in keys:
            continue
        urls.extend(_TCP.findall(line))
    return urls


def dockerd_hosts(argv: str | Sequence[str]) -> tuple[list[str], bool | None]:
    """(the -H/--host values, --tlsverify) of a dockerd argv; None: not given.

    The arguments are taken one by one as the process received them: one holding a space
    (`--label "note=see --tlsverify docs"`) is a single argument, never `--tlsverify`. A
    string (an older capture's command line) is split on whitespace.

    >>> dockerd_hosts(("dockerd", "/usr/bin/dockerd", "-H", "fd://", "--host=tcp://0.0.0.0:2375"))
    (['fd://', 'tcp://0.0.0.0:2375'], None)
    """
    words = argv.split() if isinstance(argv, str) else list(argv)
    hosts: list[str] = []
    tlsverify: bool | None = None
    for i, word in enumerate(words):
        if word in ("-H", "--host") and i + 1 < len(words):
            hosts.append(words[i + 1])
        elif word.startswith(("--host=", "-H=")):
            hosts.append(word.split("=", 1)[1])
        elif word.startswith("-H") and not word.startswith("--") and len(word) > 2:
            hosts.append(word[2:])
        elif word == "--tlsverify":
            tlsverify = True
        elif word.startswith("--tlsverify="):
            tlsverify = word.split("=", 1)[1].lower() in ("true", "1")
    return hosts, tlsverify


def _tcp_scope(url: str) -> str:
    """Where a tcp:// daemon address listens: on "all" addresses, "loopback" or one "address"."""
    hostport = url[len("tcp://") :].split("/", 1)[0]
    host = hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 or "]" in hostport else hostport
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::", "*"):
        return "all"
    if host in ("localhost", "::1") or host.startswith("127."):
        return "loopback"
    return "address"


def _daemon_tcp_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    severities("loopback_severity")(params, spec)
    ports = params.get("ports", [2375])
    if not isinstance(ports, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) for p in ports
    ):
        raise ParamError("params.ports", f"must be a list of port numbers, got {ports!r}")


@register(
    "docker_daemon_tcp",
    optional=("ports", "loopback_severity"),
    check_params=_daemon_tcp_params,
    implied_facts=reads("processes", "containers", "listeners"),
)
def docker_daemon_tcp(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """The Docker daemon does not serve its API on TCP without `--tlsverify`.

    Reads dockerd's command line (-H/--host tcp://...), /etc/docker/daemon.json's hosts and
    tlsverify, and the listeners on the plaintext API port(s) in `ports` (default [2375]).
    SKIP when no dockerd runs and docker is not installed. A loopback-only TCP API still
    makes every local user root: it fails at `loopback_severity` (default medium).
    Objects: each plaintext API address (`dockerd:tcp://0.0.0.0:2375`, from the command
    line or daemon.json) and each socket listening on an API port (`tcp/0.0.0.0:2375`).
    """
    processes = facts.processes
    no_dockerd = isinstance(processes, Unknown) or "dockerd" not in processes.names
    if isinstance(facts.containers, Absent) and no_dockerd:
        return Outcome(Status.SKIP, reason=f"{facts.containers.reason}; no dockerd process")
    procs = need(processes)
    api_ports = [int(p) for p in _strings(check.params.get("ports", [2375]))]
    lesser = min(
        check.severity, Severity.parse(str(check.params.get("loopback_severity", "medium")))
    )
    argvs = procs.engine_argvs or tuple(tuple(c.split()) for c in procs.engine_cmdlines)
    engines = [a for a in argvs if a[:1] == ("dockerd",)]
    json_tls = any(_TLSVERIFY_JSON.search(line) for line in procs.daemon_json)
    bad: list[tuple[str, Severity]] = []
    good: list[str] = []
    objects: list[FindingObject] = []
    for argv in engines:
        hosts, tlsverify = dockerd_hosts(argv)
        verified = tlsverify if tlsverify is not None else json_tls
        for host in hosts:
            if not host.startswith("tcp://"):
                continue
            scope = _tcp_scope(host)
            if verified:
                good.append(f"dockerd -H {host} with --tlsverify")
            else:
                sev = lesser if scope == "loopback" else check.severity
                bad.append((f"dockerd -H {host} without --tlsverify ({scope})", sev))
                objects.append(finding_object(f"dockerd:{host}"))
        tcp = [h for h in hosts if h.startswith("tcp://")]
        if hosts and not tcp:
            good.append(f"dockerd hosts: {', '.join(hosts)}")
        elif not hosts:
            good.append("dockerd without -H/--host (daemon.json hosts or the default unix socket)")
    for url in daemon_json_hosts(procs.daemon_json):
        if json_tls:
            good.append(f"daemon.json host {url} with tlsverify")
        else:
            sev = lesser if _tcp_scope(url) == "loopback" else check.severity
            bad.append((f"daemon.json host {url} without tlsverify ({_tcp_scope(url)})", sev))
            objects.append(finding_object(f"dockerd:{url}", DAEMON_JSON))
    listeners = facts.listeners
    if isinstance(listeners, Unknown):
        if engines and not bad:
            return Outcome(
                Status.UNKNOWN,
                tuple(good),
                reason=f"listeners on {api_ports} could not be checked: {listeners.reason}",
            )
    else:
        for s in listeners:
            if s.proto == "tcp" and s.port in api_ports:
                who = f" ({s.process})" if s.process else ""
                sev = lesser if s.loopback else check.severity
                where = "loopback" if s.loopback else "network"
                bad.append(
                    (
                        f"tcp {s.address}:{s.port}{who} listens on Docker's plaintext API port ({where})",
                        sev,
                    )
                )
                objects.append(finding_object(socket_key(s.proto, s.address, s.port)))
        if not any(s.proto == "tcp" and s.port in api_ports for s in listeners):
            good.append(f"nothing listens on tcp port(s) {', '.join(map(str, api_ports))}")
    if not engines:
        good.insert(0, "no dockerd process on this host (its engine, if any, runs elsewhere)")
    if bad:
        return failure([text for text, _ in bad], objects, severity=max(sev for _, sev in bad))
    return Outcome(Status.PASS, tuple(good))
