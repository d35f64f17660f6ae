"""Parse small system facts: IPv6 state and the process list."""

from __future__ import annotations

from hardaudit.facts.model import Ipv6State, Processes
from hardaudit.facts.parsers.names import decode_argv


def parse_ipv6(text: str) -> Ipv6State:
    r"""`disable_ipv6=0|1|absent` and `addr=<32 hex digits> <interface>` lines.

    The addresses in /proc/net/if_inet6 decide, not `all.disable_ipv6`: that sysctl is only
    copied to the interfaces that exist when it is written (one created later takes
    `default.disable_ipv6` and gets addresses), so IPv6 is on whenever an interface other
    than `lo` holds an IPv6 address, global or link-local, whatever the sysctl says. No
    interface but `lo` with an address (per-interface `disable_ipv6=1`, as container engines
    set it) is off: nothing can reach the host over IPv6. With no `addr=` line at all
    (if_inet6 empty or absent: no IPv6 in the kernel, or disabled everywhere) it is off
    too, whatever the sysctl line says. `global_addresses` leaves out loopback and
    link-local (fe80::/10) addresses.

    >>> parse_ipv6("disable_ipv6=absent").disabled
    True
    >>> parse_ipv6("disable_ipv6=0\naddr=fe800000000000000000000000000001 eth0").disabled
    False
    >>> parse_ipv6("disable_ipv6=1\naddr=20010db8000000000000000000000001 eth1").disabled
    False
    """
    interfaces = 0
    addresses: list[str] = []
    for line in text.splitlines():
        if not line.startswith("addr="):
            continue
        raw, _, iface = line[len("addr=") :].strip().partition(" ")
        if len(raw) != 32 or iface == "lo" or raw == "0" * 31 + "1":
            continue
        interfaces += 1
        if raw[:3].lower() in ("fe8", "fe9", "fea", "feb"):  # fe80::/10, link-local
            continue
        addresses.append(":".join(raw[i : i + 4] for i in range(0, 32, 4)) + f"%{iface}")
    return Ipv6State(disabled=not interfaces, global_addresses=tuple(addresses))


def parse_processes(text: str) -> Processes:
    r"""`proc=<real uid> <name>`, `engine=<name> <octal argv>` and `daemon.json: <line>` lines.

    Only processes with real uid 0 go into `root_names` (a user can name a process anything),
    and only those in the PID namespace the script saw as PID 1's: a container's root has uid
    0 on the host too, so a nested namespace's process comes as `proc=ns:<uid>` and counts as
    a name only;
    `engine=` lines are root's dockerd/containerd, their argv decoded here, so no argument can
    have made a line of its own, and kept as a tuple (`engine_argvs`): an argument holding a
    space (`--label "note=see --tlsverify"`) stays one argument. Older captures' `comm=`/`cmdline=` lines are still read, as
    names of unknown owner and as engine command lines.

    >>> p = parse_processes("proc=1000 fail2ban-server\nproc=0 sshd\nproc=ns:0 sshguard")
    >>> sorted(p.names), sorted(p.root_names)
    (['fail2ban-server', 'sshd', 'sshguard'], ['sshd'])
    """
    names: set[str] = set()
    root: set[str] = set()
    cmdlines: list[str] = []
    argvs: list[tuple[str, ...]] = []
    daemon: list[str] = []
    for line in text.splitlines():
        if line.startswith("proc="):
            uid, _, name = line[len("proc=") :].partition(" ")
            names.add(name)
            if uid == "0":
                root.add(name)
        elif line.startswith("engine="):
            name, _, argv = line[len("engine=") :].partition(" ")
            args = decode_argv(argv.strip())
            cmdlines.append(" ".join([name, *args]).strip())
            argvs.append((name, *args))
        elif line.startswith("comm="):  # no owner in older captures: judged as they were
            names.add(line[len("comm=") :])
            root.add(line[len("comm=") :])
        elif line.startswith("cmdline="):
            cmdlines.append(line[len("cmdline=") :].strip())
            argvs.append(tuple(cmdlines[-1].split()))  # older captures: boundaries lost
        elif line.startswith("daemon.json: "):
            daemon.append(line[len("daemon.json: ") :].strip())
    return Processes(
        frozenset(names), tuple(cmdlines), tuple(daemon), frozenset(root), tuple(argvs)
    )
