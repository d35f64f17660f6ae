"""Ansible variable precedence across inventory files, group_vars/ and host_vars/."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Host

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "inventory"


def host(name: str, source: str = "precedence/hosts.yml") -> Host:
    found = load_inventory(FIXTURES / source, use_default_ssh_config=False).host(name)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("only_all", "inv-all"),  # nothing overrides the all group's inventory vars
        ("depth", "inv-child"),  # child (depth 2) beats parent (depth 1) beats all
        ("big_priority", "inv-child"),  # depth beats ansible_group_priority
        ("gv_layer", "gv-all"),  # Ansible: group_vars/all beats inventory-file group vars
        ("gv_child", "gv-child"),  # group_vars/child beats group_vars/parent and /all
        ("split", "main"),  # files of group_vars/child/ merge in sorted order
        ("extra_only", "from-extra"),
        ("host_over_gv", "inv-host"),  # inventory host vars beat any group_vars/
        ("hv", "hv-file"),  # host_vars/ beats inventory host vars
        ("host_wins", "inv-all"),
    ],
)
def test_h1_precedence(key: str, expected: str) -> None:
    assert host("h1").vars[key] == expected


def test_group_vars_file_with_wrong_extension_is_ignored() -> None:
    assert host("h1").vars["split"] != "must-not-be-read (wrong extension)"
    assert "notes" not in host("h1").vars


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("sibling", "inv-beta"),  # same depth and priority: later name wins
        ("prio", "inv-aaa"),  # ansible_group_priority 10 beats name order
        ("noext", "from-zzz"),  # group_vars/zzz without extension
        ("gv_child", "gv-all"),
        ("depth", "inv-all"),
    ],
)
def test_h2_precedence(key: str, expected: str) -> None:
    assert host("h2").vars[key] == expected


def test_directory_inventory_reads_group_vars_inside_it() -> None:
    assert dict(host("h1", "precedence").vars) == dict(host("h1").vars)
    assert host("h1", "precedence").vars["hv"] == "hv-file"


def test_connection_vars_follow_precedence(tmp_path: Path) -> None:
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "hosts.ini").write_text(
        "[web]\nweb1 ansible_port=2201\nweb2\n\n[web:vars]\nansible_user=inv-web\n"
        "ansible_port=2200\n\n[all:vars]\nansible_user=inv-all\n"
    )
    (tmp_path / "group_vars" / "web.yml").write_text("ansible_user: gv-web\n")
    (tmp_path / "host_vars" / "web2.yaml").write_text("ansible_port: 2299\n")
    inventory = load_inventory(tmp_path / "hosts.ini", use_default_ssh_config=False)
    assert [(h.name, h.user, h.port) for h in inventory.hosts] == [
        ("web1", "gv-web", 2201),
        ("web2", "gv-web", 2299),
    ]
