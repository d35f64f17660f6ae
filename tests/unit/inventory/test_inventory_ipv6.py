"""IPv6 hosts read and selected as Ansible does, and shown in compressed form."""

from __future__ import annotations

from pathlib import Path

from hardaudit.inventory.loader import describe_host, load_inventory
from hardaudit.inventory.patterns import select_hosts, split_pattern

INI = Path(__file__).resolve().parents[2] / "fixtures" / "inventory" / "ipv6" / "hosts.ini"


def test_ini_bracketed_ipv6_host_with_port_is_a_host_not_a_section() -> None:
    inventory = load_inventory(INI, use_default_ssh_config=False)
    got = [(h.name, h.address, h.port, h.user) for h in inventory.hosts]
    assert got == [
        ("2001:db8::2", "2001:db8::2", 2222, None),
        ("2001:db8::3", "2001:db8::3", 22, None),
        ("web1", "fd00::1", 22, None),
        ("2001:db8::4", "2001:db8::4", 2200, "pg"),
    ]
    assert inventory.groups["db"] == ("2001:db8::4",)


def test_expanded_ipv6_address_is_shown_compressed() -> None:
    inventory = load_inventory(INI, use_default_ssh_config=False)
    web1 = inventory.host("web1")
    assert web1 is not None
    assert describe_host(web1)["route"] == "[fd00::1]:22"


def test_bare_ipv6_host_pattern_is_not_split_on_colons() -> None:
    assert split_pattern("2001:db8::3") == ["2001:db8::3"]
    assert split_pattern("!2001:db8::3,web") == ["!2001:db8::3", "web"]
    inventory = load_inventory(INI, use_default_ssh_config=False)
    assert [h.name for h in select_hosts(inventory, "2001:db8::3")] == ["2001:db8::3"]
    assert [h.name for h in select_hosts(inventory, "web,!2001:db8::3")] == [
        "2001:db8::2",
        "web1",
    ]
