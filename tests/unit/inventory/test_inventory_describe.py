"""describe_host: resolved settings for `audit inventory list`, never secrets."""

from __future__ import annotations

import json
from pathlib import Path

from hardaudit.inventory.loader import describe_host, load_inventory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "inventory"


def test_describe_host_with_chain() -> None:
    inventory = load_inventory(FIXTURES / "jump/inventory.yml", use_default_ssh_config=False)
    host = inventory.host("deep")
    assert host is not None
    assert describe_host(host) == {
        "name": "deep",
        "address": "10.0.1.5",
        "port": 22,
        "user": "ops",
        "connection": "ssh",
        "become": False,
        "key_files": [],
        "known_hosts_files": [],
        "groups": ["ungrouped"],
        "jump": [
            {
                "name": "outer-bastion",
                "address": "198.51.100.1",
                "port": 22,
                "user": "gate",
                "key_files": ["/keys/gate"],
            },
            {
                "name": "inner-bastion",
                "address": "10.0.0.1",
                "port": 2222,
                "user": "ops",
                "key_files": [],
            },
        ],
        "route": "gate@198.51.100.1:22 -> ops@10.0.0.1:2222 -> ops@10.0.1.5:22",
    }


def test_describe_host_shows_key_paths_not_contents_or_vars(tmp_path: Path) -> None:
    (tmp_path / "id_test").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETKEY\n")
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    web1:\n      ansible_ssh_private_key_file: id_test\n"
        "      ansible_become_password: hunter2\n"
    )
    inventory = load_inventory(tmp_path / "hosts.yml", use_default_ssh_config=False)
    described = describe_host(inventory.hosts[0])
    text = json.dumps(described)
    assert described["key_files"] == [str(tmp_path / "id_test")]
    assert "SECRETKEY" not in text
    assert "hunter2" not in text


def test_describe_local_host() -> None:
    inventory = load_inventory(FIXTURES / "formats/misc.yml", use_default_ssh_config=False)
    host = inventory.host("localhost")
    assert host is not None
    described = describe_host(host)
    assert (described["connection"], described["route"], described["jump"]) == (
        "local",
        "local",
        [],
    )


def test_describe_host_with_invalid_settings_shows_the_reason_and_no_route(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hosts.ini"
    path.write_text("[web]\nweb1 ansible_port=none\n")
    (host,) = load_inventory(path, use_default_ssh_config=False).hosts
    assert describe_host(host) == {
        "name": "web1",
        "groups": ["web"],
        "error": f"{path}:2:6: hosts.web1.ansible_port: invalid ansible_port 'none' for host"
        " web1: expected an integer port 1..65535",
    }
