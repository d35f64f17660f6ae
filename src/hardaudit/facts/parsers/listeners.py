"""Parse listening sockets from `ss -tulpn` (with or without -H) or /proc/net/{tcp,udp}*."""

from __future__ import annotations

import ipaddress
import re

from hardaudit.facts.model import ListeningSocket
from hardaudit.facts.parsers.numbers import ascii_int, hex_int

_PROCESS = re.compile(r'users:\(\("([^"]*)"')
# One complete `ss -tulpn` socket line: netid, state, queues, local and peer address, and
# nothing after them but one `users:((...))` ending the line.
_SS_LINE = re.compile(
    r"(tcp|udp)\s+(LISTEN|UNCONN)\s+\d+\s+\d+\s+(\S+:\S+)\s+(\S+:\S+)(\s+users:\(\(.*\)\))?\s*"
)


def split_address(local: str) -> tuple[str, int] | None:
    """`0.0.0.0:22`, `*:22`, `[::]:22`, `127.0.0.1%lo:53`, `:::22` -> (address, port)."""
    address, sep, port_text = local.rpartition(":")
    port = ascii_int(port_text, 5)
    if not sep or port is None:
        return None
    if address.startswith("[") and "]" in address:
        address = address[1 : address.index("]")] + address[address.index("]") + 1 :]
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    return address or "*", port


def parse_ss(text: str) -> tuple[ListeningSocket, ...]:
    """Parse `ss -tulpn` output; the header line is dropped whether or not -H was honoured.

    Only complete socket lines count: a process name is printed raw (newlines too), so a
    name can split its own line and forge the start of another; the pieces that are not
    whole socket lines are dropped (see `parse_ss_pair` for the lines a name can forge).
    """
    sockets: list[ListeningSocket] = []
    for line in text.splitlines():
        found = _SS_LINE.fullmatch(line)
        if found is None:
            continue
        split = split_address(found.group(3))
        if split is None:
            continue
        process = _PROCESS.match(found.group(5).strip()) if found.group(5) else None
        sockets.append(
            ListeningSocket(found.group(1), split[0], split[1], process.group(1) if process else "")
        )
    return tuple(sockets)


def parse_ss_pair(text: str) -> tuple[ListeningSocket, ...]:
    """The script's `## ss -tuln` list (`netid state local` lines), named from `## ss -tulpn`.

    The sockets are those of the first list only: nothing in it is set by a user. A socket
    takes a process name when the `ss -tulpn` lines for its (netid, address, port) all give
    the same one; a name that a forged line contradicts is left out.
    """
    first, _, named = text.partition("\n## ss -tulpn\n")
    names: dict[tuple[str, str, int], set[str]] = {}
    for s in parse_ss(named):
        names.setdefault((s.proto, s.address, s.port), set()).add(s.process)
    sockets: list[ListeningSocket] = []
    for line in first.splitlines():
        fields = line.split()
        if len(fields) != 3 or fields[0] not in ("tcp", "udp"):
            continue
        if fields[1] not in ("LISTEN", "UNCONN"):
            continue
        split = split_address(fields[2])
        if split is None:
            continue
        given = names.get((fields[0], split[0], split[1]), set())
        name = next(iter(given)) if len(given) == 1 else ""
        sockets.append(ListeningSocket(fields[0], split[0], split[1], name))
    return tuple(sockets)


def _hex_address(text: str) -> str:
    raw = bytes.fromhex(text)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    # /proc prints IPv6 as four host-endian (little-endian here) 32-bit words.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))


def parse_proc_net(text: str) -> tuple[ListeningSocket, ...]:
    """Parse `## /proc/net/<proto>` blocks: TCP in state 0A (LISTEN), UDP in state 07."""
    sockets: list[ListeningSocket] = []
    proto = ""
    for line in text.splitlines():
        if line.startswith("## /proc/net/"):
            proto = "udp" if "udp" in line else "tcp"
            continue
        fields = line.split()
        if len(fields) < 4 or fields[0] == "sl":
            continue
        wanted = "0A" if proto == "tcp" else "07"
        if fields[3].upper() != wanted:
            continue
        hex_addr, _, hex_port = fields[1].partition(":")
        port = hex_int(hex_port, 4)
        try:
            address = _hex_address(hex_addr)
        except ValueError:
            continue
        if port is not None:
            sockets.append(ListeningSocket(proto, address, port))
    return tuple(sockets)


def parse_listeners(text: str) -> tuple[ListeningSocket, ...]:
    """Dispatch on the dialect the script produced."""
    if text.lstrip("\n").startswith("## /proc/net/"):  # the script's first line, or never
        return parse_proc_net(text)
    if text.lstrip("\n").startswith("## ss -tuln\n"):
        return parse_ss_pair(text)
    return parse_ss(text)
