"""Ansible host patterns over a fixed inventory."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.errors import InventoryError
from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Inventory
from hardaudit.inventory.patterns import (
    match_pattern,
    order_elements,
    select_group,
    select_hosts,
    split_pattern,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "inventory"


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(FIXTURES / "patterns/inventory.yml", use_default_ssh_config=False)


ALL = ("solo", "web1", "web2", "web3", "web10.example.com", "db1", "db2")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("all", ALL),
        ("*", ALL),
        ("web1", ("web1",)),
        ("web", ("web1", "web2", "web3", "web10.example.com")),
        ("db:web1", ("web1", "db1", "db2")),  # result is in inventory order
        ("db,web1", ("web1", "db1", "db2")),
        ("db, web1", ("web1", "db1", "db2")),
        ("web:&prod", ("web1", "web3")),
        ("web:&prod:!web3", ("web1",)),
        ("!web3:&prod:web", ("web1",)),  # operators apply after unions, whatever the order
        ("web,&prod,!web3", ("web1",)),
        ("web:!staging", ("web1", "web3", "web10.example.com")),
        ("!web", ("solo", "db1", "db2")),  # only exclusions: start from all
        ("&prod", ("web1", "web3", "db1")),
        ("web?", ("web1", "web2", "web3")),  # glob over host names
        ("web*", ("web1", "web2", "web3", "web10.example.com")),  # group web + host globs
        ("*.example.com", ("web10.example.com",)),
        ("d*", ("db1", "db2")),
        ("~web[0-9]+$", ("web1", "web2", "web3")),
        ("~(db|solo)", ("solo", "db1", "db2")),
        ("web[0]", ("web1",)),
        ("web[-1]", ("web10.example.com",)),
        ("web[1:2]", ("web2", "web3")),
        ("web[2:]", ("web3", "web10.example.com")),
        ("prod:staging:!db*", ("web1", "web2", "web3")),
        ("ungrouped", ("solo",)),
    ],
)
def test_select_hosts(inventory: Inventory, pattern: str, expected: tuple[str, ...]) -> None:
    assert tuple(h.name for h in select_hosts(inventory, pattern)) == expected


def test_split_and_order() -> None:
    assert split_pattern("web:&prod:!web3") == ["web", "&prod", "!web3"]
    assert split_pattern("web[1:2]:db") == ["web[1:2]", "db"]
    assert split_pattern("~a:b,c") == ["~a:b", "c"]
    assert order_elements(["!x", "&y", "z", "w"]) == ["z", "w", "&y", "!x"]
    assert order_elements(["!x"]) == ["all", "!x"]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (
            "webb",
            "pattern: host pattern element 'webb': matches no host or group"
            " (did you mean web or web3 or web2? known groups: web, db, prod, staging, empty)",
        ),
        (
            "web:&nope",
            "pattern: host pattern element '&nope' (in 'web:&nope'): matches no host or group"
            " (known groups: web, db, prod, staging, empty)",
        ),
        (
            "web:!ghost",
            "pattern: host pattern element '!ghost' (in 'web:!ghost'): matches no host or group"
            " (known groups: web, db, prod, staging, empty)",
        ),
        (
            "empty",
            "pattern: host pattern 'empty' selects no host (the groups it names have no hosts)",
        ),
        (
            "web:&empty",
            "pattern: host pattern 'web:&empty' selects no host"
            " (its intersections/exclusions remove every host)",
        ),
        (
            "web[9]",
            "pattern: host pattern element 'web[9]': subscript [9] is out of range"
            " ('web' matches 4 hosts, numbered from 0)",
        ),
        (
            "staging:&prod",
            "pattern: host pattern 'staging:&prod' selects no host"
            " (its intersections/exclusions remove every host)",
        ),
        (
            " , ",
            "pattern: empty host pattern ' , ' (known groups: web, db, prod, staging, empty)",
        ),
    ],
)
def test_select_hosts_errors(inventory: Inventory, pattern: str, message: str) -> None:
    with pytest.raises(InventoryError) as caught:
        select_hosts(inventory, pattern)
    assert str(caught.value) == message


def test_bad_regex(inventory: Inventory) -> None:
    with pytest.raises(InventoryError, match=r"invalid pattern '~web\(': missing \)"):
        select_hosts(inventory, "~web(")


def test_select_group(inventory: Inventory) -> None:
    assert [h.name for h in select_group(inventory, "prod")] == ["web1", "web3", "db1"]
    assert select_group(inventory, "empty") == ()
    with pytest.raises(InventoryError) as caught:
        select_group(inventory, "prd")
    assert str(caught.value) == (
        "group: unknown group 'prd' (did you mean prod? known groups: web, db, prod, staging, empty)"
    )


def test_empty_group_excluded_or_intersected_as_in_ansible(inventory: Inventory) -> None:
    web = ("web1", "web2", "web3", "web10.example.com")
    assert tuple(h.name for h in select_hosts(inventory, "web:!empty")) == web
    assert match_pattern(inventory, "web:&empty") == ()
    assert match_pattern(inventory, "empty") == ()


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("parent[0]", "b1"),  # the group's own host, although a1 comes first in the file
        ("parent[1]", "a1"),
        ("parent[-1]", "k2"),
        ("parent[1:2]", "a1 k1"),
        ("parent[2:]", "k1 k2"),
        ("all[0]", "b1"),  # all: ungrouped, then its top-level groups, then theirs
        ("all[-1]", "k2"),
        ("empty[0]", ""),
    ],
)
def test_subscripts_count_in_ansible_group_order(pattern: str, expected: str) -> None:
    inventory = load_inventory(FIXTURES / "patterns/order.ini", use_default_ssh_config=False)
    assert [h.name for h in match_pattern(inventory, pattern)] == expected.split()
