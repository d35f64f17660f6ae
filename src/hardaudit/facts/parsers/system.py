"""Parse small system facts: IPv6 state and the process list."""

from __future__ import annotations

from hardaudit.facts.model import Ipv6State, Processes


def parse_ipv6(text: str) -> Ipv6State:
    r"""`disable_ipv6=0|1|absent` and `addr=<32 hex digits> <interface>` lines.

    IPv6 counts as off when the kernel has it disabled (or has no IPv6 at all), and also when
    no interface but `lo` holds an IPv6 address, not even a link-local one (per-interface
    `disable_ipv6=1`, as container engines set it): nothing can then reach the host over
    IPv6. `global_addresses` leaves out loopback and link-local (fe80::/10) addresses.

    >>> parse_ipv6("disable_ipv6=absent").disabled
    True
    >>> parse_ipv6("disable_ipv6=0\naddr=fe800000000000000000000000000001 eth0").disabled
    False
    """
    disabled = False
    interfaces = 0
    addresses: list[str] = []
    for line in text.splitlines():
        if line.startswith("disable_ipv6="):
            disabled = line.split("=", 1)[1].strip() in ("1", "absent")
        elif line.startswith("addr="):
            raw, _, iface = line[len("addr=") :].strip().partition(" ")
            if len(raw) != 32 or iface == "lo" or raw == "0" * 31 + "1":
                continue
            interfaces += 1
            if raw[:3].lower() in ("fe8", "fe9", "fea", "feb"):  # fe80::/10, link-local
                continue
            addresses.append(":".join(raw[i : i + 4] for i in range(0, 32, 4)) + f"%{iface}")
    return Ipv6State(disabled=disabled or not interfaces, global_addresses=tuple(addresses))


def parse_processes(text: str) -> Processes:
    """`comm=<name>`, `cmdline=<engine command line>` and `daemon.json: <line>` lines."""
    names: set[str] = set()
    cmdlines: list[str] = []
    daemon: list[str] = []
    for line in text.splitlines():
        if line.startswith("comm="):
            names.add(line[len("comm=") :])
        elif line.startswith("cmdline="):
            cmdlines.append(line[len("cmdline=") :].strip())
        elif line.startswith("daemon.json: "):
            daemon.append(line[len("daemon.json: ") :].strip())
    return Processes(frozenset(names), tuple(cmdlines), tuple(daemon))
