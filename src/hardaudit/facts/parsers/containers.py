"""Parse the `containers` and `podman_containers` sections: inspect JSON lines (the script's
template, run by `docker inspect` or rootful `podman inspect`) and `## proc PID ruid euid`."""

from __future__ import annotations

import json
import posixpath
from typing import Any

from hardaudit.facts.model import ComposeService, Container, Mount, PublishedPort
from hardaudit.facts.parsers.numbers import ascii_int


def _number(raw: Any) -> int | None:
    """A JSON integer, or a string of ASCII digits; anything else (`"12x"`, 1.5) is None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    return ascii_int(raw) if isinstance(raw, str) else None


def _ports(raw: Any) -> tuple[PublishedPort, ...]:
    """`NetworkSettings.Ports`: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": null}.

    A port that is only exposed (null bindings) is not published and yields nothing.
    """
    ports: list[PublishedPort] = []
    if not isinstance(raw, dict):
        return ()
    for container_port, bindings in raw.items():
        for binding in bindings if isinstance(bindings, list) else []:
            if not isinstance(binding, dict):
                continue
            host_port = _number(binding.get("HostPort") or 0)
            if host_port is None:
                continue
            ports.append(
                PublishedPort(str(container_port), str(binding.get("HostIp") or ""), host_port)
            )
    return tuple(ports)


def _exposed(ports: Any, exposed: Any) -> tuple[str, ...]:
    """Container ports exposed but not published: `Config.ExposedPorts` ({"6379/tcp": {}},
    an image's EXPOSE or compose's `expose:`) and the ports of `NetworkSettings.Ports` without
    bindings (on an internal network the engine lists none there), less the published ones.
    """
    published = {str(p) for p, b in ports.items() if b} if isinstance(ports, dict) else set()
    found = [str(p) for p, b in ports.items() if not b] if isinstance(ports, dict) else []
    found += [str(p) for p in exposed] if isinstance(exposed, dict) else []
    return tuple(p for p in dict.fromkeys(found) if p not in published)


def _mounts(raw: Any) -> tuple[Mount, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        Mount(
            source=str(m.get("Source", "")),
            destination=str(m.get("Destination", "")),
            rw=bool(m.get("RW", False)),
            kind=str(m.get("Type", "")),
        )
        for m in raw
        if isinstance(m, dict)
    )


def _strings(raw: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in raw) if isinstance(raw, list) else ()


# Compose labels are set by whoever may start containers: kept short, and few files.
LABEL_CAP = 256
COMPOSE_FILES_CAP = 8


def _label(raw: Any) -> str:
    return raw[:LABEL_CAP] if isinstance(raw, str) else ""


def _compose(raw: Any) -> ComposeService | None:
    """The template's `compose` object, from the com.docker.compose.* labels.

    >>> _compose({"project": "shop", "service": "web", "working_dir": "/srv/shop",
    ...           "config_files": "docker-compose.yml,docker-compose.override.yml"}).files
    ('/srv/shop/docker-compose.yml', '/srv/shop/docker-compose.override.yml')
    """
    if not isinstance(raw, dict):
        return None
    project, service = _label(raw.get("project")), _label(raw.get("service"))
    if not project or not service:
        return None
    working_dir = _label(raw.get("working_dir"))
    files = []
    names = (n.strip() for n in _label(raw.get("config_files")).split(",")[:COMPOSE_FILES_CAP])
    for name in names:
        if name:
            relative = not name.startswith("/") and working_dir.startswith("/")
            files.append(posixpath.join(working_dir, name) if relative else name)
    return ComposeService(project, service, working_dir, tuple(files))


def parse_containers(text: str, engine: str = "docker") -> tuple[Container, ...]:
    """Containers with the effective UID of their main process read from /proc.

    Lines: one JSON object per container (the script's inspect template), then
    `## proc <pid> <real uid> <effective uid>` or `## proc <pid> unreadable`. `engine`
    names the engine that listed them. podman's template has no `exposed` (podman keeps
    no `Config.ExposedPorts`); its names carry no leading `/`, its pid and ipc modes say
    `private` where Docker says nothing: neither is `host`, which is all the checks ask.
    """
    euids: dict[int, int | None] = {}
    records: list[dict[str, Any]] = []
    for line in text.splitlines():
        if line.startswith("## proc "):
            parts = line.split()
            pid = ascii_int(parts[2]) if len(parts) >= 3 else None
            if pid is not None:
                euids[pid] = ascii_int(parts[4]) if len(parts) >= 5 else None
        elif line.startswith("{"):
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):  # bad JSON, a 5,000-digit number, deep nesting
                continue
            if isinstance(record, dict):
                records.append(record)
    containers: list[Container] = []
    for rec in records:
        pid = _number(rec.get("pid") or 0) or 0  # not a number: no /proc line can match
        containers.append(
            Container(
                id=str(rec.get("id", ""))[:12],
                name=str(rec.get("name", "")).lstrip("/"),
                image=str(rec.get("image", "")),
                config_user=str(rec.get("user") or ""),
                pid=pid,
                effective_uid=euids.get(pid),
                privileged=bool(rec.get("privileged")),
                network_mode=str(rec.get("network_mode") or ""),
                pid_mode=str(rec.get("pid_mode") or ""),
                ipc_mode=str(rec.get("ipc_mode") or ""),
                cap_add=_strings(rec.get("cap_add")),
                mounts=_mounts(rec.get("mounts")),
                ports=_ports(rec.get("ports")),
                compose=_compose(rec.get("compose")),
                exposed=_exposed(rec.get("ports"), rec.get("exposed")),
                engine=engine,
            )
        )
    return tuple(containers)
