"""Ansible host patterns: `web:&prod:!web3`, `db*`, `~regex`, `group[0:2]`, `a,b`."""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable

from hardaudit.errors import InventoryError
from hardaudit.inventory.hostnames import is_ipv6_address
from hardaudit.inventory.model import Host, Inventory

# One pattern element: anything but separators/whitespace, with [..] kept whole.
_ELEMENT = re.compile(r"(?:[^\s:,\[\]]|\[[^\]]*\])+")
_SUBSCRIPT = re.compile(r"^(.+)\[(?:(-?[0-9]+)|([0-9]*):([0-9]*))\]$")
_GLOB_CHARS = ("*", "?", "[", ".")
_IMPLICIT = ("all", "ungrouped")


def split_pattern(pattern: str) -> list[str]:
    """Split on `,` and `:` (keeping `[x:y]` and `~regex` with commas intact where possible).

    Ansible splits on commas if there are any, else on colons; we accept both in one
    pattern (`web:&prod,db`), which Ansible would treat as a single odd name.
    """
    elements: list[str] = []
    for raw in pattern.split(","):
        piece = raw.strip()
        if piece.startswith(("~", "!~", "&~")):
            elements.append(piece)  # a regex may contain ':' — keep it whole
        elif is_ipv6_address(piece.lstrip("&!")):
            elements.append(piece)  # `2001:db8::2` is one host, as in Ansible
        else:
            elements.extend(_ELEMENT.findall(piece))
    return [e for e in elements if e]


def order_elements(elements: Iterable[str]) -> list[str]:
    """Ansible's order: unions, then `&` intersections, then `!` exclusions.

    With only intersections/exclusions, `all` is the implied starting set.
    """
    plain = [e for e in elements if e[0] not in "&!"]
    intersect = [e for e in elements if e[0] == "&"]
    exclude = [e for e in elements if e[0] == "!"]
    return (plain or ["all"]) + intersect + exclude


def match_pattern(inventory: Inventory, pattern: str) -> tuple[Host, ...]:
    """Hosts matching an Ansible host pattern, in inventory order; may be empty.

    As in Ansible, an element naming a group without hosts matches nothing (so
    `web:!empty` is the web hosts and `web:&empty` is none). Unlike Ansible, which warns
    and ignores it, an element matching no group and no host is an error: it is almost
    always a typo. Raises InventoryError for an empty or invalid pattern.
    """
    elements = split_pattern(pattern)
    if not elements:
        raise InventoryError(
            f"empty host pattern {pattern!r}", field="pattern", hint=_groups_hint(inventory, "")
        )
    selected: set[str] = set()
    for element in order_elements(elements):
        names = _match(inventory, element, pattern)
        if element[0] == "!":
            selected -= names
        elif element[0] == "&":
            selected &= names
        else:
            selected |= names
    return tuple(host for host in inventory.hosts if host.name in selected)


def select_hosts(inventory: Inventory, pattern: str) -> tuple[Host, ...]:
    """Hosts matching an Ansible host pattern, in inventory order; never empty.

    Raises InventoryError if the pattern is empty, if any element matches no host or group
    (naming that element, with a hint listing known groups), or if the result is empty.
    """
    selected = match_pattern(inventory, pattern)
    if not selected:
        elements = split_pattern(pattern)
        reduced = any(e[0] in "&!" for e in elements)
        raise InventoryError(
            f"host pattern {pattern!r} selects no host",
            field="pattern",
            hint="its intersections/exclusions remove every host"
            if reduced
            else "the groups it names have no hosts",
        )
    return selected


def select_group(inventory: Inventory, group: str) -> tuple[Host, ...]:
    """Hosts of `group` (transitively), in inventory order; () for a known empty group.

    Raises InventoryError for an unknown group.
    """
    if group not in inventory.groups:
        raise InventoryError(
            f"unknown group {group!r}", field="group", hint=_groups_hint(inventory, group)
        )
    members = set(inventory.groups[group])
    return tuple(host for host in inventory.hosts if host.name in members)


def _match(inventory: Inventory, element: str, pattern: str) -> set[str]:
    bare = element.lstrip("&!")
    if not bare:
        raise _no_match(inventory, element, pattern, f"operator {element!r} has no operand")
    if inventory.host(bare) is not None:  # a plain host name is never re-interpreted
        return {bare}
    bare, subscript = _split_subscript(bare)
    regex = _compile(bare, element)
    groups = [g for g in inventory.groups if regex.match(g)]
    # Ansible's order, which subscripts count in: each matching group's hosts (its own,
    # then its children's), then matching host names; repeats are kept, as in Ansible.
    found: list[str] = []
    for group in groups:
        found.extend(inventory.group_hosts_in_ansible_order(group))
    # Like Ansible, also try host names when no group matched or the pattern is a glob/regex.
    if not groups or bare.startswith("~") or any(c in bare for c in _GLOB_CHARS):
        found.extend(h.name for h in inventory.hosts if regex.match(h.name))
    if subscript is not None and found:
        count = len(found)
        found = _subscript(found, subscript)
        if not found:
            raise _no_match(
                inventory,
                element,
                pattern,
                f"subscript [{element.rsplit('[', maxsplit=1)[-1]} is out of range",
                hint=f"{bare!r} matches {count} hosts, numbered from 0",
            )
    if not found and not groups:
        raise _no_match(inventory, element, pattern, "matches no host or group")
    return set(found)


def _subscript(order: list[str], subscript: tuple[int, int | None]) -> list[str]:
    start, end = subscript
    if end is None or end == 0:  # Ansible reads `[2:0]` as `[2]` (its end 0 is falsy)
        return [order[start]] if -len(order) <= start < len(order) else []
    return order[start : (end + 1 if end >= 0 else None)]


def _split_subscript(text: str) -> tuple[str, tuple[int, int | None] | None]:
    if text.startswith("~"):
        return text, None
    match = _SUBSCRIPT.match(text)
    if not match:
        return text, None
    base, index, start, end = match.groups()
    if index is not None:
        return base, (int(index), None)
    return base, (int(start or 0), int(end) if end else -1)


def _compile(text: str, element: str) -> re.Pattern[str]:
    try:
        if text.startswith("~"):
            return re.compile(text[1:])
        return re.compile(fnmatch.translate(text))
    except re.error as exc:
        raise InventoryError(f"invalid pattern {element!r}: {exc}", field="pattern") from exc


def _no_match(
    inventory: Inventory, element: str, pattern: str, reason: str, hint: str | None = None
) -> InventoryError:
    where = f"host pattern element {element!r}"
    if element != pattern.strip():
        where += f" (in {pattern!r})"
    return InventoryError(
        f"{where}: {reason}",
        field="pattern",
        hint=hint or _groups_hint(inventory, element.lstrip("&!")),
    )


def _groups_hint(inventory: Inventory, near: str) -> str:
    names = [g for g in inventory.groups if g not in _IMPLICIT]
    candidates = [n for n in [*names, *(h.name for h in inventory.hosts)] if n != near]
    close = difflib.get_close_matches(near, candidates, n=3) if near else []
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    hint = f"known groups: {shown or '(none besides all)'}"
    if close:
        hint = f"did you mean {' or '.join(close)}? " + hint
    return hint
