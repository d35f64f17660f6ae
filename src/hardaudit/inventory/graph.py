"""The group graph: events folded into groups, hosts, depths, and Ansible variable precedence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from hardaudit.inventory._events import (
    AddChild,
    AddGroup,
    AddHost,
    Event,
    SetGroupVar,
    SetHostVar,
    Var,
)

ALL = "all"
UNGROUPED = "ungrouped"


@dataclass(frozen=True)
class GroupNode:
    """One group after all sources are folded in."""

    name: str
    hosts: tuple[str, ...]  # direct members only
    children: tuple[str, ...]
    parents: tuple[str, ...]
    vars: Mapping[str, Var]
    priority: int
    depth: int


@dataclass(frozen=True)
class Graph:
    """Hosts in first-seen order, groups in first-seen order (`all`, `ungrouped` first)."""

    hosts: tuple[str, ...]
    host_vars: Mapping[str, Mapping[str, Var]]
    host_groups: Mapping[str, tuple[str, ...]]  # every group incl. ancestors, precedence order
    groups: Mapping[str, GroupNode]
    members: Mapping[str, tuple[str, ...]]  # group → hosts transitively, inventory order
    ansible_order: Mapping[str, tuple[str, ...]]  # group → hosts as Group.get_hosts() orders


@dataclass
class _Group:
    hosts: dict[str, None] = field(default_factory=dict)  # an ordered set
    children: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    vars: dict[str, Var] = field(default_factory=dict)
    priority: int = 1


def build_graph(events: Iterable[Event]) -> Graph:
    """Fold parser events into the group graph (raises InventoryError on loops, bad priority)."""
    groups: dict[str, _Group] = {ALL: _Group(), UNGROUPED: _Group()}
    host_vars: dict[str, dict[str, Var]] = {}
    direct: dict[str, list[str]] = {}
    for event in events:
        if isinstance(event, AddGroup):
            groups.setdefault(event.name, _Group())
        elif isinstance(event, AddHost):
            host_vars.setdefault(event.name, {})
            direct.setdefault(event.name, [])
            groups.setdefault(event.group, _Group()).hosts[event.name] = None
            if event.group not in direct[event.name]:
                direct[event.name].append(event.group)
        elif isinstance(event, AddChild):
            _add_child(groups, event)
        elif isinstance(event, SetHostVar):
            host_vars.setdefault(event.host, {})[event.key] = event.var
        else:
            group = groups.setdefault(event.group, _Group())
            group.vars[event.key] = event.var
            if event.key == "ansible_group_priority":
                group.priority = _priority(event)
    # Hosts that only got variables (a JSON hostvars entry, say) are not hosts of the inventory.
    hosts = tuple(direct)
    declared_in_all = tuple(groups[ALL].hosts)  # Ansible keeps these as all's own hosts
    _fix_ungrouped(groups, direct)
    for name, group in groups.items():
        if name != ALL and not group.parents:
            group.parents.append(ALL)
            groups[ALL].children.append(name)
    depths: dict[str, int] = {}
    nodes = {
        name: GroupNode(
            name,
            tuple(group.hosts),
            tuple(group.children),
            tuple(group.parents),
            MappingProxyType(dict(group.vars)),
            group.priority,
            _depth(name, groups, depths),
        )
        for name, group in groups.items()
    }
    host_groups = {host: _sorted_groups(_ancestry(direct[host], nodes), nodes) for host in hosts}
    collected: dict[str, list[str]] = {name: [] for name in nodes}
    for host in hosts:  # hosts in inventory order, so every member list is too
        for name in host_groups[host]:
            collected[name].append(host)
    members = {name: tuple(names) for name, names in collected.items()}
    ansible_order = {name: _ansible_hosts_order(name, nodes, declared_in_all) for name in nodes}
    return Graph(
        hosts=hosts,
        host_vars=MappingProxyType(
            {h: MappingProxyType(dict(host_vars.get(h, {}))) for h in hosts}
        ),
        host_groups=MappingProxyType(host_groups),
        groups=MappingProxyType(nodes),
        members=MappingProxyType(members),
        ansible_order=MappingProxyType(ansible_order),
    )


def _ansible_hosts_order(
    name: str, nodes: Mapping[str, GroupNode], declared_in_all: tuple[str, ...]
) -> tuple[str, ...]:
    """Ansible's Group.get_hosts(): the group's own hosts, then those of its children, then
    grandchildren (level by level, each level in declaration order), without repeats.

    For `all`, its own hosts are those declared directly under it, and `ungrouped` is its
    first child (Ansible creates it so). Ansible walks levels below the first through a set,
    so its order there is arbitrary; declaration order is the deterministic reading of it.
    """
    ordered: list[str] = [name]
    level = [name]
    while level:
        following: list[str] = []
        for group in level:
            children = nodes[group].children
            if group == ALL:
                children = (UNGROUPED, *(c for c in children if c != UNGROUPED))
            for child in children:
                if child not in ordered:
                    ordered.append(child)
                    following.append(child)
        level = following
    hosts: dict[str, None] = {}
    for group in ordered:
        hosts.update(dict.fromkeys(declared_in_all if group == ALL else nodes[group].hosts))
    return tuple(hosts)


def _priority(event: SetGroupVar) -> int:
    value = event.var.value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise event.var.origin.error(
        f"ansible_group_priority of group '{event.group}' must be an integer, got {value!r}"
    )


def _add_child(groups: dict[str, _Group], event: AddChild) -> None:
    if event.child == ALL:
        raise event.origin.error(f"'all' cannot be a child of group '{event.parent}'")
    parent = groups.setdefault(event.parent, _Group())
    child = groups.setdefault(event.child, _Group())
    if event.child in parent.children:
        return
    if event.parent == event.child or _reaches(groups, event.child, event.parent):
        raise event.origin.error(
            f"group '{event.child}' cannot be a child of '{event.parent}':"
            f" '{event.parent}' is already inside '{event.child}' (a loop)"
        )
    parent.children.append(event.child)
    child.parents.append(event.parent)


def _reaches(groups: Mapping[str, _Group], start: str, target: str) -> bool:
    stack, seen = [start], set()
    while stack:
        name = stack.pop()
        if name == target:
            return True
        if name not in seen:
            seen.add(name)
            stack.extend(groups[name].children)
    return False


def _fix_ungrouped(groups: dict[str, _Group], direct: dict[str, list[str]]) -> None:
    # Ansible: a host is in `ungrouped` iff it belongs to no group other than all/ungrouped.
    # Its order (what `ungrouped[0]` counts): hosts the files put there, as parsed, then
    # those it adds when reconciling (only in `all`), in host order.
    alone = {host for host, names in direct.items() if set(names) <= {ALL, UNGROUPED}}
    explicit = [host for host in groups[UNGROUPED].hosts if host in alone]
    ungrouped = groups[UNGROUPED].hosts
    ungrouped.clear()
    ungrouped.update(dict.fromkeys(explicit))
    for host, names in direct.items():
        if host in alone:
            ungrouped[host] = None
            names[:] = [UNGROUPED]
        elif UNGROUPED in names:
            names.remove(UNGROUPED)
    for host in ungrouped:
        groups[ALL].hosts.pop(host, None)


def _depth(name: str, groups: Mapping[str, _Group], memo: dict[str, int]) -> int:
    # Depth is the longest path from `all`, as Ansible computes it when children are added.
    if name == ALL:
        return 0
    if name not in memo:
        memo[name] = max(_depth(p, groups, memo) for p in groups[name].parents) + 1
    return memo[name]


def _ancestry(direct: Iterable[str], nodes: Mapping[str, GroupNode]) -> set[str]:
    found: set[str] = {ALL}
    stack = list(direct)
    while stack:
        name = stack.pop()
        if name not in found:
            found.add(name)
            stack.extend(nodes[name].parents)
    return found


def _sorted_groups(names: Iterable[str], nodes: Mapping[str, GroupNode]) -> tuple[str, ...]:
    """Ansible's sort_groups: by depth, then ansible_group_priority, then name."""
    return tuple(sorted(names, key=lambda n: (nodes[n].depth, nodes[n].priority, n)))


def merge_host_vars(
    host: str,
    graph: Graph,
    dir_group_vars: Sequence[Mapping[str, Mapping[str, Var]]],
    dir_host_vars: Mapping[str, Var],
) -> dict[str, Var]:
    """All variables of `host`, later layers overriding earlier ones, as Ansible's default
    VARIABLE_PRECEDENCE orders them:

    1. inventory-file vars of `all`, then of the host's other groups (depth, priority, name);
    2. group_vars/all, then group_vars/<group> in the same group order;
    3. inventory-file host vars, then host_vars/<host>.

    `dir_group_vars` holds one group -> variables mapping per inventory source, in source
    order. As in Ansible, group_vars/all of every source comes first, then for each source
    in turn its group_vars of the other groups: a later source's group_vars/<parent> beats
    an earlier source's group_vars/<child>.

    So a child group beats its parent and group_vars/ beats the inventory file at the same
    level -- and, exactly as in Ansible, group_vars/all.yml beats a child group's vars that
    are written in the inventory file itself.
    """
    groups = graph.host_groups[host]
    layers: list[Mapping[str, Var]] = [graph.groups[g].vars for g in groups]
    layers += [source.get(ALL, {}) for source in dir_group_vars]
    layers += [source.get(g, {}) for source in dir_group_vars for g in groups if g != ALL]
    layers += [graph.host_vars[host], dir_host_vars]
    merged: dict[str, Var] = {}
    for layer in layers:
        merged.update(layer)
    return merged
