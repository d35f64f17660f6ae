"""YAML, INI and JSON inventories: equivalence, format details, directories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hardaudit.inventory._yaml import parse_yaml
from hardaudit.inventory.hostnames import expand_host_range, split_host_port
from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Hop, Host, Inventory
from hardaudit.inventory.parsers import detect_format, ini_value

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "inventory"


def load(relative: str) -> Inventory:
    return load_inventory(FIXTURES / relative, use_default_ssh_config=False)


def summary(host: Host) -> tuple[Any, ...]:
    return (
        host.name,
        host.address,
        host.port,
        host.user,
        host.become,
        host.jump,
        host.groups,
        dict(host.vars),
    )


BASTION = Hop("bastion", "198.51.100.1", 22, "jump", ())


def test_yaml_inventory_resolves_exactly() -> None:
    inventory = load("equiv/inventory.yml")
    assert [summary(h)[:7] for h in inventory.hosts] == [
        ("lonely", "192.0.2.50", 22, "auditor", False, (), ("ungrouped",)),
        ("web1", "192.0.2.11", 22, "auditor", True, (BASTION,), ("prod", "web")),
        ("web2", "192.0.2.12", 2222, "auditor", True, (BASTION,), ("prod", "web")),
        ("web3", "web3", 22, "auditor", True, (BASTION,), ("prod", "web")),
        ("db1", "db1", 22, "dbadmin", False, (BASTION,), ("db", "prod")),
        ("bastion", "198.51.100.1", 22, "jump", False, (), ("bastions",)),
    ]
    assert dict(inventory.groups) == {
        "all": ("lonely", "web1", "web2", "web3", "db1", "bastion"),
        "ungrouped": ("lonely",),
        "web": ("web1", "web2", "web3"),
        "db": ("db1",),
        "prod": ("web1", "web2", "web3", "db1"),
        "bastions": ("bastion",),
    }
    assert inventory.source == str(FIXTURES / "equiv/inventory.yml")


@pytest.mark.parametrize("other", ["equiv/inventory.ini", "equiv/inventory.json"])
def test_ini_and_json_match_yaml(other: str) -> None:
    yaml_inventory = load("equiv/inventory.yml")
    other_inventory = load(other)
    assert [summary(h) for h in other_inventory.hosts] == [summary(h) for h in yaml_inventory.hosts]
    assert dict(other_inventory.groups) == dict(yaml_inventory.groups)


def test_ini_features() -> None:
    inventory = load("formats/features.ini")
    assert [h.name for h in inventory.hosts] == [
        "ungrouped-first",
        "web01.example.com",
        "web02.example.com",
        "web03.example.com",
        "appa",
        "appb",
        "db1",
        "db3",
        "db5",
        "literals",
        "late1",
    ]
    db3 = inventory.host("db3")
    assert db3 is not None
    assert (db3.port, db3.user, db3.become) == (2200, "admin user", True)
    literals = inventory.host("literals")
    assert literals is not None
    assert {k: literals.vars[k] for k in ("an_int", "a_bool", "a_str", "a_list", "yes_text")} == {
        "an_int": 42,
        "a_bool": True,
        "a_str": "quoted",
        "a_list": [1, 2],
        "yes_text": "yes",
    }
    assert literals.vars["a_float"] == 1.5
    # Ansible keeps text after '#' in :vars lines; quotes there are a Python literal.
    assert literals.vars["spaced"] == "some value with spaces # kept: no comment stripping in :vars"
    assert literals.vars["quoted"] == "in quotes"
    late = inventory.host("late1")
    assert late is not None
    assert late.groups == ("later", "parent")
    assert late.vars["flag"] is False
    assert inventory.groups["ungrouped"] == ("ungrouped-first",)


def test_yaml_details() -> None:
    inventory = load("formats/misc.yml")
    by_name = {h.name: h for h in inventory.hosts}
    assert list(by_name) == [
        "single-host",
        "node1",
        "node2",
        "10.0.0.7",
        "1234",
        "localhost",
        "para",
        "templated",
        "vaulted",
    ]
    assert (by_name["node2"].port, by_name["node2"].address) == (2222, "node2")
    local = by_name["localhost"]
    assert (local.connection, local.address, local.jump) == ("local", "localhost", ())
    para = by_name["para"]
    assert (para.connection, para.address, para.user, para.port, para.become) == (
        "ssh",
        "192.0.2.5",
        "legacy",
        2200,
        True,
    )
    templated = by_name["templated"]
    assert (templated.user, templated.address) == ("root", "templated.example.org")
    vaulted = by_name["vaulted"]
    assert vaulted.user == "plain"
    assert repr(vaulted.vars["ansible_become_password"]) == "<vaulted>"


@pytest.mark.parametrize(
    ("relative", "name", "port", "user"),
    [("formats/noext_yaml", "sniffed", 2201, None), ("formats/noext_json", "j1", 22, "jay")],
)
def test_format_detected_from_content(relative: str, name: str, port: int, user: str) -> None:
    (host,) = load(relative).hosts
    assert (host.name, host.port, host.user) == (name, port, user)


@pytest.mark.parametrize(
    ("filename", "text", "expected"),
    [
        ("hosts.yml", "[web]\n", "yaml"),
        ("hosts.json", "all:\n", "json"),
        ("hosts", "#!/usr/bin/env python\n", "script"),
        ("hosts", '  {"all": {}}', "json"),
        ("hosts", "# comment\n\nall:\n  hosts:\n", "yaml"),
        ("hosts", "---\nall:\n", "yaml"),
        ("hosts", "; c\n[web]\nweb1\n", "ini"),
        ("hosts", "web1:2222 ansible_user=x\n", "ini"),
        ("hosts.ini", "", "ini"),
    ],
)
def test_detect_format(filename: str, text: str, expected: str) -> None:
    assert detect_format(Path(filename), text) == expected


def test_directory_merges_files_and_skips_noise() -> None:
    inventory = load("dirinv")
    assert [(h.name, h.address, h.port, h.user, h.groups) for h in inventory.hosts] == [
        ("web1", "192.0.2.11", 22, "webops", ("web",)),
        ("db1", "192.0.2.21", 22, "dbops", ("db",)),
        ("web2", "web2", 22, "webops", ("web",)),
        ("mon1", "mon1", 2200, None, ("monitoring",)),
        ("nested1", "nested1", 22, None, ("ungrouped",)),
    ]
    web1 = inventory.host("web1")
    assert web1 is not None
    assert web1.vars["from_ini"] == "yes"  # [web:vars] from another file of the directory
    assert inventory.host("hidden1") is None
    assert inventory.host("failedhost") is None


def test_ungrouped_only_for_hosts_in_no_other_group(tmp_path: Path) -> None:
    inventory_file = tmp_path / "hosts.yml"
    inventory_file.write_text(
        "all:\n  hosts:\n    both:\n    alone:\n"
        "  children:\n    ungrouped:\n      hosts:\n        also:\n"
        "    web:\n      hosts:\n        both:\n"
    )
    inventory = load_inventory(inventory_file, use_default_ssh_config=False)
    assert inventory.groups["ungrouped"] == ("alone", "also")
    assert inventory.groups["web"] == ("both",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("web[1:3]", ["web1", "web2", "web3"]),
        ("db[01:03].x", ["db01.x", "db02.x", "db03.x"]),
        ("n[0:6:3]", ["n0", "n3", "n6"]),
        ("h[:1]", ["h0", "h1"]),
        ("s[a:c]", ["sa", "sb", "sc"]),
        ("r[1:2]-[a:b]", ["r1-a", "r1-b", "r2-a", "r2-b"]),
        ("plain", ["plain"]),
    ],
)
def test_expand_host_range(text: str, expected: list[str]) -> None:
    assert expand_host_range(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("w[3:1]", "must have start <= end"),
        ("w[01:100]", "equal-width"),
        ("w[1:2:3:4]", r"must be \[start:end\]"),
        ("w[1:]", "no end value"),
        ("w[1:3", "unclosed"),
        ("w[a:10]", "numeric or single letters"),
        ("w[1:3:0]", "invalid step"),
    ],
)
def test_expand_host_range_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        expand_host_range(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("web1", ("web1", None)),
        ("web1:2222", ("web1", 2222)),
        ("web[1:3]:22", ("web[1:3]", 22)),
        ("web[1:3]", ("web[1:3]", None)),
        ("[2001:db8::1]:2200", ("2001:db8::1", 2200)),
        ("2001:db8::1", ("2001:db8::1", None)),
        ("[192.0.2.7]:2207", ("192.0.2.7", 2207)),  # Ansible brackets any host before a port
        ("[web1]:2207", ("web1", 2207)),
    ],
)
def test_split_host_port(text: str, expected: tuple[str, int | None]) -> None:
    assert split_host_port(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        ("True", True),
        ("true", "true"),
        ("'q'", "q"),
        ("[1, 'a']", [1, "a"]),
        ("10.0.0.1", "10.0.0.1"),
        ("", ""),
        ("~/.ssh/id", "~/.ssh/id"),
    ],
)
def test_ini_value(text: str, expected: object) -> None:
    assert ini_value(text) == expected


def test_unsafe_values_stay_literal_never_templated() -> None:
    by_name = {h.name: h for h in load("formats/unsafe.yml").hosts}
    assert by_name["literal"].user == "{{ admin }}"
    assert by_name["referenced"].user == "{{ nope }}"  # as Ansible: the reference stops there
    assert by_name["nested"].key_files == (str(FIXTURES / "formats" / "keys/{{ admin }}.pem"),)
    assert by_name["templated"].user == "root"


def test_unsafe_values_exported_as_json_stay_literal() -> None:
    (host,) = load("formats/unsafe.json").hosts
    assert host.user == "{{ admin }}"


def test_unsafe_tag_applies_to_every_string_inside_a_list_or_mapping() -> None:
    data = parse_yaml("a: !unsafe ['{{ x }}', {b: '{{ y }}'}]\n", "f")
    assert [type(data["a"][0]).__name__, type(data["a"][1]["b"]).__name__] == [
        "UnsafeText",
        "UnsafeText",
    ]


def test_ini_numeric_host_name_is_a_name_as_in_ansible(tmp_path: Path) -> None:
    path = tmp_path / "hosts.ini"
    path.write_text("[web]\n1234 ansible_port=2200\n")
    (host,) = load_inventory(path, use_default_ssh_config=False).hosts
    assert (host.name, host.address, host.port) == ("1234", "1234", 2200)
