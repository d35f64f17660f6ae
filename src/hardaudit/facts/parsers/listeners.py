"""Parse listening sockets from `ss -tulpn` (with or without -H) or /proc/net/{tcp,udp}*."""

from __future__ import annotations

import ipaddress
import re

from hardaudit.facts.model import ListeningSocket
from hardaudit.facts.parsers.numbers import ascii_int, hex_int

_PROCESS = re.compile(r'users:\(\("([^"]*)"')


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
    """Parse `ss -tulpn` output; the header line is dropped whether or not -H was honoured."""
    sockets: list[ListeningSocket] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[0] == "Netid":
            continue
        netid, state = fields[0], fields[1]
        if netid not in ("tcp", "udp") or state not in ("LISTEN", "UNCONN"):
            continue
        split = split_address(fields[4])
        if split is None:
            continue
        process = _PROCESS.search(line)
        sockets.append(
            ListeningSocket(netid, split[0], split[1], process.group(1) if process else "")
        )
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
    return parse_ss(text)
