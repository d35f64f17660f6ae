"""Host declarations as Ansible writes them: `name[:port]` with optional `[a:b]` ranges."""

from __future__ import annotations

import ipaddress
import re
import string

_BRACKETED_IPV6 = re.compile(r"\[([0-9A-Fa-f:.%]+:[0-9A-Fa-f:.%]*)\](?::(\d+))?")
_RANGE = re.compile(r"\[[^\]]*\]")
# Ansible also accepts `[192.0.2.7]:2207` and `[name]:2207`: brackets, then a port.
_BRACKETED_NAME = re.compile(r"\[([^\[\]:]+)\]:(\d+)")


def compress_ipv6(address: str) -> str:
    """`fd00:0000:0000::0001` -> `fd00::1` (RFC 5952 form); anything else is returned as is.

    A zone (`fe80::1%eth0`) is kept.
    """
    if ":" not in address:
        return address
    try:
        return ipaddress.IPv6Address(address).compressed
    except ValueError:
        return address


def is_ipv6_address(text: str) -> bool:
    """True for an IPv6 literal such as `2001:db8::2` (no brackets, no port)."""
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def split_host_port(text: str) -> tuple[str, int | None]:
    """Split `host:port` (and `[ipv6]:port`); a bare IPv6 address has no port.

    Raises ValueError with a readable reason for an out-of-range port.
    """
    text = text.strip()
    ipv6 = _BRACKETED_IPV6.fullmatch(text)
    if ipv6:
        return ipv6.group(1), _port(ipv6.group(2)) if ipv6.group(2) else None
    bracketed = _BRACKETED_NAME.fullmatch(text)
    if bracketed:
        return bracketed.group(1), _port(bracketed.group(2))
    # Colons inside [a:b] ranges are not separators, so count only those outside them.
    outside = _RANGE.sub("", text)
    if outside.count(":") == 1:
        name, _, port = text.rpartition(":")
        if not port.isdigit():
            raise ValueError(f"port {port!r} in {text!r} is not a number")
        return name, _port(port)
    return text, None


def _port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside 1..65535")
    return port


def expand_host_range(name: str) -> list[str]:
    """Expand Ansible host ranges: `web[1:3]`, `db[01:10:2]`, `node[a:c]`, several per name.

    Raises ValueError on a malformed range. Names without `[` come back unchanged.
    """
    if "[" not in name:
        return [name]
    head, _, rest = name.partition("[")
    body, closed, tail = rest.partition("]")
    if not closed:
        raise ValueError(f"unclosed '[' in host range {name!r}")
    bounds = body.split(":")
    if len(bounds) not in (2, 3):
        raise ValueError(f"host range [{body}] must be [start:end] or [start:end:step]")
    begin, end = bounds[0] or "0", bounds[1]
    step_text = bounds[2] if len(bounds) == 3 else "1"
    if not end:
        raise ValueError(f"host range [{body}] has no end value")
    if not step_text.isdigit() or int(step_text) == 0:
        raise ValueError(f"host range [{body}] has an invalid step {step_text!r}")
    step = int(step_text)
    items: list[str]
    if begin.isdigit() and end.isdigit():
        # A leading zero asks for zero padding, which only makes sense with equal widths.
        width = len(begin) if begin.startswith("0") and len(begin) > 1 else 0
        if width and len(end) != width:
            raise ValueError(f"host range [{body}] must use equal-width start and end")
        if int(begin) > int(end):
            raise ValueError(f"host range [{body}] must have start <= end")
        items = [str(i).zfill(width) for i in range(int(begin), int(end) + 1, step)]
    elif len(begin) == 1 and len(end) == 1 and begin.isalpha() and end.isalpha():
        letters = string.ascii_letters
        if letters.index(begin) > letters.index(end):
            raise ValueError(f"host range [{body}] must have start <= end")
        items = list(letters[letters.index(begin) : letters.index(end) + 1 : step])
    else:
        raise ValueError(f"host range [{body}] must be numeric or single letters")
    out: list[str] = []
    for item in items:
        out.extend(expand_host_range(f"{head}{item}{tail}"))
    return out


def parse_host_declaration(text: str) -> tuple[list[str], int | None]:
    """`web[1:3]:2222` → (["web1", "web2", "web3"], 2222). Raises ValueError."""
    name, port = split_host_port(text)
    if not name:
        raise ValueError("empty host name")
    if _BRACKETED_IPV6.fullmatch(text.strip()) or _BRACKETED_NAME.fullmatch(text.strip()):
        return [name], port
    return expand_host_range(name), port
