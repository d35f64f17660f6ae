"""parse_ipv6 and parse_processes on lab captures."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.facts.parsers.system import parse_ipv6, parse_processes

FIXTURES = Path(__file__).parents[2] / "fixtures"


def test_lab_match1_ipv6_on_with_link_local_only() -> None:
    state = parse_ipv6((FIXTURES / "firewall" / "lab-match1.ipv6").read_text())
    assert (state.disabled, state.global_addresses) == (False, ())


def test_lab_dock2_ipv6_disabled() -> None:
    assert parse_ipv6((FIXTURES / "firewall" / "lab-dock2.ipv6").read_text()).disabled


def test_global_and_ula_addresses_are_listed_link_local_and_loopback_are_not() -> None:
    state = parse_ipv6(
        "disable_ipv6=0\n"
        "addr=20010db8000000000000000000000005 eth0\n"
        "addr=fd000000000000000000000000000007 eth1\n"
        "addr=fe800000000000000042acfffe120007 eth0\n"
        "addr=00000000000000000000000000000001 lo\n"
    )
    assert not state.disabled
    assert state.global_addresses == (
        "2001:0db8:0000:0000:0000:0000:0000:0005%eth0",
        "fd00:0000:0000:0000:0000:0000:0000:0007%eth1",
    )


def test_ipv6_with_only_loopback_counts_as_off() -> None:
    # Container engines set disable_ipv6=1 per interface: all=0, but only lo has an address.
    state = parse_ipv6("disable_ipv6=0\naddr=00000000000000000000000000000001 lo\n")
    assert state.disabled


def test_ipv6_kernel_switch_off_everywhere_and_missing_module() -> None:
    # all.disable_ipv6=1 written after the interfaces came up: if_inet6 holds nothing.
    assert parse_ipv6("disable_ipv6=1\n").disabled
    assert parse_ipv6("disable_ipv6=absent").disabled


@pytest.mark.parametrize(
    ("address", "global_addresses"),
    [
        ("20010db8000000000000000000000005", ("2001:0db8:0000:0000:0000:0000:0000:0005%eth1",)),
        ("fe800000000000000042acfffe120007", ()),  # link-local: on, reachable on the segment
    ],
)
def test_addresses_win_over_the_all_sysctl(address: str, global_addresses: tuple[str, ...]) -> None:
    # all.disable_ipv6=1 is copied only to the interfaces that existed then; eth1 came later
    # with default.disable_ipv6=0 and has an address: IPv6 is on.
    state = parse_ipv6(
        f"disable_ipv6=1\naddr=00000000000000000000000000000001 lo\naddr={address} eth1\n"
    )
    assert (state.disabled, state.global_addresses) == (False, global_addresses)


def test_lab_dock2_processes_engine_command_lines_and_daemon_json() -> None:
    procs = parse_processes((FIXTURES / "containers" / "lab-dock2-processes.txt").read_text())
    assert {"dockerd", "containerd", "docker-proxy", "sshd"} <= procs.names
    assert procs.engine_cmdlines[1] == (
        "dockerd dockerd --iptables=true --ip6tables=false --dns 127.0.0.1 "
        "--cgroup-parent=lab-dock2"
    )
    assert procs.daemon_json == (
        '"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"],',
        '"tls": false',
    )
