"""Entry point: load an Ansible inventory file or directory into a resolved Inventory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

from hardaudit.errors import InventoryError
from hardaudit.inventory._events import AddGroup, Event, Var
from hardaudit.inventory.graph import build_graph, merge_host_vars
from hardaudit.inventory.model import Hop, Host, Inventory
from hardaudit.inventory.parsers import parse_inventory_file
from hardaudit.inventory.resolve import resolve_hosts
from hardaudit.inventory.sshconfig import load_ssh_config
from hardaudit.inventory.varsdirs import entity_vars

# Directory entries Ansible never treats as inventory sources.
_SKIP_NAMES = frozenset({"group_vars", "host_vars", "vars_plugins"})
# Ansible's default INVENTORY_IGNORE_EXTS: REJECT_EXTS plus .orig/.cfg/.retry (an
# ansible.cfg beside the hosts file is common). `.ini` files are read, as in Ansible.
_SKIP_SUFFIXES = (
    ".md", ".retry", ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".txt", ".rst", ".orig",
    ".cfg",
)  # fmt: skip


def load_inventory(
    path: Path | Sequence[Path],
    *,
    ssh_config: Path | None = None,
    use_default_ssh_config: bool = True,
) -> Inventory:
    """Load an Ansible inventory (YAML, INI or `ansible-inventory --list` JSON).

    `path` may be a file or a directory, or several of them (`-i a -i b`): as in Ansible,
    sources are read in order into one inventory, so a later source adds hosts, groups and
    variables to those of earlier ones, and its group_vars/host_vars override theirs.
    A directory is read like Ansible does: every file in it (sorted, recursively), skipping
    group_vars/, host_vars/, hidden files and .md/.retry/.pyc-style files. group_vars/ and
    host_vars/ are read from beside the file (or from inside the directory). Variables
    follow Ansible's precedence; connection variables become Host fields; `ssh_config` (or
    ~/.ssh/config unless `use_default_ssh_config` is False) supplies what the inventory
    leaves unset.

    Relative key and known_hosts paths are resolved against the directory of the inventory
    file that defines them (for group_vars/host_vars files: the inventory base directory).
    This is a deliberate difference from Ansible (which leaves them to the working
    directory) so that an inventory and its keys can be moved or used from anywhere.

    Raises InventoryError with file, line, column and field for any bad input.
    """
    sources = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    if not sources:
        raise InventoryError("no inventory given", hint="pass -i with an inventory path")
    events: list[Event] = []
    known: set[str] = set()
    bases: list[Path] = []
    for source in sources:
        for file in _source_files(source):
            parsed = parse_inventory_file(file, str(file), frozenset(known))
            known.update(e.name for e in parsed if isinstance(e, AddGroup))
            events.extend(parsed)
        base = source if source.is_dir() else source.parent
        if base not in bases:
            bases.append(base)
    graph = build_graph(events)
    group_vars = [{g: entity_vars(b, b, "group_vars", g) for g in graph.groups} for b in bases]
    merged = {
        host: merge_host_vars(host, graph, group_vars, _dir_vars(bases, "host_vars", host))
        for host in graph.hosts
    }
    ssh = load_ssh_config(ssh_config, use_default_ssh_config)
    hosts = resolve_hosts(graph, merged, ssh)
    return Inventory(
        source=", ".join(str(source) for source in sources),
        hosts=hosts,
        groups=MappingProxyType(dict(graph.members)),
        ansible_order=graph.ansible_order,
    )


def _source_files(path: Path) -> list[Path]:
    if not path.exists():
        raise InventoryError(
            "inventory not found",
            file=str(path),
            hint="pass -i with the path of an Ansible inventory file or directory",
        )
    files = _inventory_files(path) if path.is_dir() else [path]
    if not files:
        raise InventoryError(
            "directory contains no inventory files",
            file=str(path),
            hint="add a hosts.yml/hosts.ini, or pass -i with a file",
        )
    return files


def _dir_vars(bases: Sequence[Path], kind: str, name: str) -> dict[str, Var]:
    # Each source's host_vars/<name>, later sources overriding earlier ones.
    merged: dict[str, Var] = {}
    for base in bases:
        merged.update(entity_vars(base, base, kind, name))
    return merged


def _inventory_files(directory: Path) -> list[Path]:
    found: list[Path] = []
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name.startswith(".") or name in _SKIP_NAMES or name.endswith(_SKIP_SUFFIXES):
            continue
        if entry.is_dir():
            found.extend(_inventory_files(entry))
        elif entry.is_file():
            found.append(entry)
    return found


def describe_host(host: Host) -> dict[str, object]:
    """Resolved connection settings and jump chain of `host`, JSON-ready, for display.

    Key files are listed by path only; variables are not included (they may hold secrets).
    A host whose settings are invalid is shown with its `error` and no route.
    """
    if host.error:
        return {"name": host.name, "groups": list(host.groups), "error": host.error}
    return {
        "name": host.name,
        "address": host.address,
        "port": host.port,
        "user": host.user,
        "connection": host.connection,
        "become": host.become,
        "key_files": list(host.key_files),
        "known_hosts_files": list(host.known_hosts_files),
        "groups": list(host.groups),
        "jump": [_describe_hop(hop) for hop in host.jump],
        "route": (
            "local"
            if host.connection == "local"
            else " -> ".join([*(hop.label for hop in host.jump), host.as_hop().label])
        ),
    }


def _describe_hop(hop: Hop) -> dict[str, object]:
    return {
        "name": hop.name,
        "address": hop.address,
        "port": hop.port,
        "user": hop.user,
        "key_files": list(hop.key_files),
    }
