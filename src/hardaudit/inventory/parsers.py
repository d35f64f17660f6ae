"""Ansible inventory formats (YAML, INI, `ansible-inventory --list` JSON) → declaration events."""

from __future__ import annotations

import ast
import os
import re
import shlex
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hardaudit.errors import InventoryError
from hardaudit.inventory._events import (
    AddChild,
    AddGroup,
    AddHost,
    Event,
    Origin,
    SetGroupVar,
    SetHostVar,
    Var,
)
from hardaudit.inventory._yaml import MarkedDict, parse_json, parse_yaml, read_text
from hardaudit.inventory.hostnames import parse_host_declaration

_YAML_SUFFIXES = frozenset({".yml", ".yaml"})
_JSON_SUFFIXES = frozenset({".json"})
# A first line like `all:` or `webservers:  # comment` can only be YAML, never INI.
_YAML_FIRST_LINE = re.compile(r"^(---.*|[A-Za-z0-9_.-]+:\s*(#.*)?)$")
_GROUP_SECTIONS = ("hosts", "children", "vars")


def detect_format(path: Path, text: str) -> str:
    """Return "yaml", "json", "ini" or "script" for an inventory file.

    Extension decides for .yml/.yaml/.json; otherwise the content does: `#!` is a script,
    a leading `{` is JSON, a first line that is a bare `key:` or `---` is YAML, else INI.
    """
    suffix = path.suffix.lower()
    if suffix in _YAML_SUFFIXES:
        return "yaml"
    if suffix in _JSON_SUFFIXES:
        return "json"
    if text.startswith("#!"):
        return "script"
    if text.lstrip().startswith("{"):
        return "json"
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        return "yaml" if _YAML_FIRST_LINE.match(line) else "ini"
    return "ini"


def parse_inventory_file(path: Path, shown: str, known_groups: frozenset[str]) -> tuple[Event, ...]:
    """Parse one inventory file into events. `known_groups` are groups from earlier files."""
    text = read_text(path, shown)
    base_dir = Path(os.path.abspath(path.parent))
    kind = detect_format(path, text)
    if kind == "script":
        raise InventoryError(
            "dynamic inventory scripts are not run by hardaudit",
            file=shown,
            line=1,
            hint=f"run it once and save its output: {path.name} --list > inventory.json",
        )
    if kind == "json":
        data = parse_json(text, shown)
        if _yaml_plugin_layout(data):  # Ansible's yaml plugin reads such .json files
            return parse_yaml_inventory(data, shown, base_dir)
        return parse_json_inventory(data, shown, base_dir)
    if kind == "yaml":
        return parse_yaml_inventory(parse_yaml(text, shown), shown, base_dir)
    return parse_ini_inventory(text, shown, base_dir, known_groups)


# --------------------------------------------------------------------------- YAML


def _mark(mapping: Any, key: Any) -> tuple[int | None, int | None]:
    if isinstance(mapping, MarkedDict):
        return mapping.mark_of(key)
    return None, None


def _name(key: Any, what: str, origin: Origin) -> str:
    # YAML turns `1234:` into an int; ansible-core refuses such host and group names
    # ("must be a string"), and so do we. (INI has no types: `1234` is a name there.)
    if isinstance(key, str) and key.strip():
        return str(key.strip())
    if isinstance(key, int | float) and what in ("host", "group"):
        kind = "a boolean" if isinstance(key, bool) else "a number"
        raise origin.error(
            f"{what} name {key!r} is {kind}, not a string",
            hint=f"quote it, as Ansible requires: '{key}':",
        )
    raise origin.error(f"{what} name must be a non-empty string, got {key!r}")


class _YamlInventory:
    """Walks a YAML inventory; collects events in document order."""

    def __init__(self, file: str, base_dir: Path) -> None:
        self.file = file
        self.base_dir = base_dir
        self.events: list[Event] = []

    def origin(self, mapping: Any, key: Any, field: str) -> Origin:
        line, column = _mark(mapping, key)
        return Origin(self.file, line, column, field, self.base_dir)

    def top(self, data: Any) -> None:
        if data is None:
            return
        if not isinstance(data, dict):
            raise InventoryError(
                f"top level must be a mapping of group names, got {type(data).__name__}",
                file=self.file,
                line=1,
                hint="start with 'all:' and put hosts under 'all: hosts:'",
            )
        if isinstance(data.get("plugin"), str):
            raise self.origin(data, "plugin", "plugin").error(
                "inventory plugin configurations are not supported",
                hint="run 'ansible-inventory -i FILE --list > inventory.json' and pass that",
            )
        for key, value in data.items():
            name = _name(key, "group", self.origin(data, key, str(key)))
            self.group(name, value, holder=data, key=key, path=name, parent=None)

    def group(
        self, name: str, data: Any, *, holder: Any, key: Any, path: str, parent: str | None
    ) -> None:
        here = self.origin(holder, key, path)
        self.events.append(AddGroup(name, here))
        if parent is not None:
            self.events.append(AddChild(parent, name, here))
        if data is None:
            return
        if not isinstance(data, dict):
            raise here.error(
                f"group '{name}' must be a mapping with hosts/children/vars,"
                f" got {type(data).__name__} {data!r}",
                hint=f"write '{name}:' followed by indented 'hosts:', 'children:' or 'vars:'",
            )
        for section, raw in data.items():
            where = self.origin(data, section, f"{path}.{section}")
            if section not in _GROUP_SECTIONS:
                raise where.error(
                    f"unexpected key in group '{name}'",
                    hint="only 'hosts', 'children' and 'vars' are valid here; host variables"
                    " go under 'hosts: NAME:'",
                )
            if raw is None:
                continue
            # Ansible accepts `hosts: web1` as a one-entry mapping.
            value = {raw: None} if isinstance(raw, str) else raw
            if not isinstance(value, dict):
                raise where.error(
                    f"'{section}' of group '{name}' must be a mapping, got {type(value).__name__}",
                    hint=f"list each entry as a key ending in ':' under '{section}:', not as '- item'",
                )
            if section == "hosts":
                self.hosts(name, value)
            elif section == "children":
                for child_key, child in value.items():
                    child_name = _name(
                        child_key, "group", self.origin(value, child_key, f"{path}.children")
                    )
                    self.group(
                        child_name,
                        child,
                        holder=value,
                        key=child_key,
                        path=f"{path}.children.{child_name}",
                        parent=name,
                    )
            else:
                for var_key, var_value in value.items():
                    var_origin = self.origin(value, var_key, f"{name}.vars.{var_key}")
                    var_name = _name(var_key, "variable", var_origin)
                    self.events.append(SetGroupVar(name, var_name, Var(var_value, var_origin)))

    def hosts(self, group: str, hosts: dict[Any, Any]) -> None:
        for key, host_vars in hosts.items():
            decl_origin = self.origin(hosts, key, f"hosts.{key}")
            decl = _name(key, "host", decl_origin)
            hostnames, port = _expand(decl, decl_origin)
            if host_vars is not None and not isinstance(host_vars, dict):
                raise decl_origin.error(
                    f"host '{decl}' must be followed by a mapping of variables or nothing,"
                    f" got {type(host_vars).__name__} {host_vars!r}",
                    hint=f"write '{decl}:' alone, or with indented 'ansible_host: ...' lines",
                )
            for host in hostnames:
                self.events.append(AddHost(host, group, decl_origin))
                if port is not None:
                    self.events.append(SetHostVar(host, "ansible_port", Var(port, decl_origin)))
                for var_key, value in (host_vars or {}).items():
                    origin = self.origin(host_vars, var_key, f"hosts.{host}.{var_key}")
                    self.events.append(
                        SetHostVar(host, _name(var_key, "variable", origin), Var(value, origin))
                    )


def _expand(decl: str, origin: Origin) -> tuple[list[str], int | None]:
    try:
        return parse_host_declaration(decl)
    except ValueError as exc:
        raise origin.error(f"bad host declaration '{decl}': {exc}") from exc


def parse_yaml_inventory(data: Any, file: str, base_dir: Path) -> tuple[Event, ...]:
    """Events for an Ansible YAML inventory (`all: {hosts, children, vars}`)."""
    walker = _YamlInventory(file, base_dir)
    walker.top(data)
    return tuple(walker.events)


# --------------------------------------------------------------------------- JSON


def _yaml_plugin_layout(data: Any) -> bool:
    """True for JSON written like a YAML inventory (`"hosts": {"web1": {...}}`), which
    Ansible's yaml plugin reads; `ansible-inventory --list` output lists hosts instead."""
    if not isinstance(data, dict):
        return False
    return any(
        isinstance(group, dict)
        and (isinstance(group.get("hosts"), dict) or isinstance(group.get("children"), dict))
        for name, group in data.items()
        if name != "_meta"
    )


def parse_json_inventory(data: Any, file: str, base_dir: Path) -> tuple[Event, ...]:
    """Events for `ansible-inventory --list` / inventory-script JSON.

    Groups are processed in file order; `_meta.hostvars` applies to hosts listed in some
    group (like Ansible, hostvars for a host in no group are ignored).
    """
    if not isinstance(data, dict):
        raise InventoryError("JSON inventory must be an object of groups", file=file, line=1)

    def origin(mapping: Any, key: Any, field: str) -> Origin:
        line, column = _mark(mapping, key)
        return Origin(file, line, column, field, base_dir)

    events: list[Event] = []
    seen_hosts: dict[str, None] = {}  # an ordered set
    for key, raw in data.items():
        if key == "_meta":
            continue
        group = _name(key, "group", origin(data, key, str(key)))
        here = origin(data, key, group)
        events.append(AddGroup(group, here))
        if raw is None:
            continue
        # Inventory-script shorthand: "group": ["h1", "h2"].
        body = {"hosts": raw} if isinstance(raw, list) else raw
        if not isinstance(body, dict):
            raise here.error(f"group '{group}' must be an object or a list of hosts")
        for section, value in body.items():
            where = origin(body, section, f"{group}.{section}")
            if section not in _GROUP_SECTIONS:
                raise where.error(
                    f"unexpected key in group '{group}'",
                    hint="only 'hosts', 'children' and 'vars' are valid",
                )
            if value is None:
                continue
            if section == "vars":
                if not isinstance(value, dict):
                    raise where.error(f"'vars' of group '{group}' must be an object")
                for var_key, var_value in value.items():
                    var_origin = origin(value, var_key, f"{group}.vars.{var_key}")
                    name = _name(var_key, "variable", var_origin)
                    events.append(SetGroupVar(group, name, Var(var_value, var_origin)))
                continue
            if not isinstance(value, list):
                raise where.error(f"'{section}' of group '{group}' must be a list of names")
            for item in value:
                name = _name(item, "host" if section == "hosts" else "group", where)
                if section == "hosts":
                    events.append(AddHost(name, group, where))
                    seen_hosts[name] = None
                else:
                    events.append(AddGroup(name, where))
                    events.append(AddChild(group, name, where))
    events.extend(_json_hostvars(data, file, base_dir, seen_hosts))
    return tuple(events)


def _json_hostvars(
    data: dict[Any, Any], file: str, base_dir: Path, hosts: Iterable[str]
) -> list[Event]:
    meta = data.get("_meta")
    if meta is None:
        return []
    meta_origin = Origin(file, *_mark(data, "_meta"), "_meta", base_dir)
    if not isinstance(meta, dict):
        raise meta_origin.error("'_meta' must be an object with 'hostvars'")
    hostvars = meta.get("hostvars") or {}
    if not isinstance(hostvars, dict):
        raise Origin(file, *_mark(meta, "hostvars"), "_meta.hostvars", base_dir).error(
            "'_meta.hostvars' must be an object of host name → variables"
        )
    events: list[Event] = []
    for host in hosts:
        values = hostvars.get(host)
        if values is None:
            continue
        here = Origin(file, *_mark(hostvars, host), f"_meta.hostvars.{host}", base_dir)
        if not isinstance(values, dict):
            raise here.error(f"variables of host '{host}' must be an object")
        for var_key, value in values.items():
            var_origin = Origin(
                file, *_mark(values, var_key), f"_meta.hostvars.{host}.{var_key}", base_dir
            )
            name = _name(var_key, "variable", var_origin)
            events.append(SetHostVar(host, name, Var(value, var_origin)))
    return events


# --------------------------------------------------------------------------- INI

# As Ansible's: after a header or a group name only a `#` comment may follow (`;` only
# starts a comment at the beginning of a line).
_SECTION = re.compile(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$")
_GROUP_NAME = re.compile(r"^([^:\]\s]+)\s*(?:#.*)?$")
_SECTION_SEMICOLON = re.compile(r"^\[[^\]\s]+\]\s*;")


def ini_value(text: str) -> Any:
    """Ansible's INI value parsing: a Python literal if it is one (5, True, 'x', [1]), else text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def parse_ini_inventory(
    text: str, file: str, base_dir: Path, known_groups: frozenset[str] = frozenset()
) -> tuple[Event, ...]:
    """Events for an Ansible INI inventory.

    As in Ansible, a group is defined by a `[g]` or `[g:children]` header here or by an
    earlier source (`known_groups`); a `[g:vars]` section, or a `[parent:children]` line,
    naming a group that is never defined refuses the file. Inline `#` comments end host
    lines but not `:vars` lines (Ansible keeps them as part of the value).
    """
    events: list[Event] = []
    group, state = "ungrouped", "hosts"
    seen = set(known_groups) | {"all", "ungrouped"}
    # Ansible's pending declarations: name -> (section kind, first line, parent groups).
    pending: dict[str, tuple[str, int, list[str]]] = {}

    def at(lineno: int, field: str = "", column: int | None = None) -> Origin:
        return Origin(file, lineno, column, field, base_dir)

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        section = _SECTION.match(line)
        if section:
            group, kind = section.group(1), section.group(2) or "hosts"
            if kind not in _GROUP_SECTIONS:
                raise at(lineno).error(
                    f"section [{group}:{kind}] has unknown type '{kind}'",
                    hint="use [group], [group:vars] or [group:children]",
                )
            state = kind
            if group not in seen:
                if kind == "vars" and group not in pending:
                    pending[group] = ("vars", lineno, [])
                seen.add(group)
            if kind != "vars":
                pending.pop(group, None)
            events.append(AddGroup(group, at(lineno, f"[{line.strip('[]')}]")))
            continue
        if _SECTION_SEMICOLON.match(line):
            raise at(lineno).error(
                f"invalid section header {line!r}: Ansible allows only a '#' comment after it",
                hint="write the comment with '#', or on a line of its own",
            )
        if line.startswith("[") and line.endswith("]"):
            # Ansible's rule: `[2001:db8::2]:2222` (no closing `]` at the end) is a host.
            raise at(lineno).error(
                f"invalid section header {line!r}",
                hint="write [name], [name:vars] or [name:children] without spaces",
            )
        column = len(raw) - len(raw.lstrip()) + 1
        if state == "hosts":
            events.extend(_ini_host_line(raw, lineno, group, file, base_dir))
        elif state == "children":
            match = _GROUP_NAME.match(line)
            if not match:
                raise at(lineno).error(f"expected a group name, got {line!r}")
            child = match.group(1)
            if child not in seen:
                pending.setdefault(child, ("children", lineno, []))[2].append(group)
            where = at(lineno, f"[{group}:children]", column)
            events.extend((AddGroup(child, where), AddChild(group, child, where)))
        else:
            key, eq, value = line.partition("=")
            key = key.strip()
            if not eq or not key:
                raise at(lineno).error(
                    f"expected key=value in [{group}:vars], got {line!r}",
                )
            origin = at(lineno, f"{group}.vars.{key}", column)
            events.append(SetGroupVar(group, key, Var(ini_value(value.strip()), origin)))
    for name, (kind, lineno, parents) in pending.items():  # Ansible reports the first
        if kind == "vars":
            raise at(lineno).error(
                f"section [{name}:vars] is for a group that is never declared",
                hint=f"add a [{name}] or [{name}:children] section",
            )
        raise at(lineno, f"[{parents[-1]}:children]").error(
            f"group '{name}' is never defined",
            hint=f"add a [{name}] section (it may be empty) or remove it from"
            f" [{parents[-1]}:children]",
        )
    return tuple(events)


def _ini_host_line(raw: str, lineno: int, group: str, file: str, base_dir: Path) -> list[Event]:
    try:
        tokens = shlex.split(raw, comments=True)
    except ValueError as exc:
        raise InventoryError(f"cannot split host line: {exc}", file=file, line=lineno) from exc
    if not tokens:
        return []
    decl = tokens[0]
    decl_origin = Origin(file, lineno, raw.find(decl) + 1, f"hosts.{decl}", base_dir)
    if "=" in decl:
        raise decl_origin.error(
            f"host name {decl!r} contains '='",
            hint=f"variables follow the host name on its line, or go in a [{group}:vars] section",
        )
    names, port = _expand(decl, decl_origin)
    assignments: list[tuple[str, Any, Origin]] = []
    for token in tokens[1:]:
        key, eq, value = token.partition("=")
        position = raw.find(f"{key}=")
        origin = Origin(
            file, lineno, position + 1 if position >= 0 else None, f"hosts.{decl}.{key}", base_dir
        )
        if not eq or not key:
            raise origin.error(
                f"expected key=value after host '{decl}', got {token!r}",
                hint="quote values containing spaces: key='a b'",
            )
        assignments.append((key, ini_value(value), origin))
    events: list[Event] = []
    for host in names:
        events.append(AddHost(host, group, decl_origin))
        if port is not None:
            events.append(SetHostVar(host, "ansible_port", Var(port, decl_origin)))
        for key, value, origin in assignments:
            field = f"hosts.{host}.{key}"
            events.append(SetHostVar(host, key, Var(value, _with_field(origin, field))))
    return events


def _with_field(origin: Origin, field: str) -> Origin:
    return Origin(origin.file, origin.line, origin.column, field, origin.base_dir)
