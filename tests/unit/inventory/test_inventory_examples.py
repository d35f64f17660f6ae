"""The example inventories shipped for users load, and the YAML and INI ones agree."""

from __future__ import annotations

import os
from pathlib import Path

from hardaudit.inventory.loader import describe_host, load_inventory
from hardaudit.inventory.patterns import select_hosts

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "docs" / "examples" / "inventory"
EXAMPLE_DIR = REPO / "docs" / "examples" / "inventory-dir"


def test_example_yml_and_ini_agree() -> None:
    yml = load_inventory(EXAMPLES / "example.yml", use_default_ssh_config=False)
    ini = load_inventory(EXAMPLES / "example.ini", use_default_ssh_config=False)
    assert [describe_host(h) for h in ini.hosts] == [describe_host(h) for h in yml.hosts]
    assert dict(ini.groups) == dict(yml.groups)
    assert [h.name for h in select_hosts(yml, "web:&prod:!web3.example.com")] == [
        "web1.example.com",
        "web2.example.com",
    ]
    web1 = yml.host("web1.example.com")
    assert web1 is not None
    assert describe_host(web1)["route"] == (
        "jump@bastion.example.com:22 -> auditor@web1.example.com:22"
    )
    assert web1.key_files == (os.path.expanduser("~/.ssh/id_audit"),)


def test_example_directory() -> None:
    inventory = load_inventory(EXAMPLE_DIR, use_default_ssh_config=False)
    assert [describe_host(h)["route"] for h in inventory.hosts] == [
        "jump@gate.example.net:2222",
        "jump@gate.example.net:2222 -> auditor@app1.example.net:22",
        "jump@gate.example.net:2222 -> auditor@app2.example.net:22",
        "jump@gate.example.net:2222 -> pgaudit@10.20.0.5:22",
    ]
    pg1 = inventory.host("pg1.example.net")
    assert pg1 is not None
    assert pg1.become is True
    assert pg1.known_hosts_files == (str(EXAMPLE_DIR / "known_hosts"),)
