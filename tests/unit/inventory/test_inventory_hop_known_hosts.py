"""Every hop carries the known_hosts files its own host key is verified against."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Hop, Host, Inventory

INVENTORY = """\
all:
  hosts:
    bastion:
      ansible_host: 198.51.100.1
      audit_known_hosts_file: kh/bastion
    bastion2:
      ansible_host: 198.51.100.2
      audit_jump: ["gate@cfg-gate"]
      audit_known_hosts_file: kh/bastion2
    target:
      ansible_host: 10.0.0.5
      audit_jump: [bastion]
      audit_known_hosts_file: [kh/target, /abs/kh]
    via-text:
      ansible_host: 10.0.0.6
      audit_jump: ["ops@cfg-gate:2200", "ops@10.9.9.9"]
      audit_known_hosts_file: kh/via-text
    via-cfg:
      ansible_host: cfg-target
    spelled:
      ansible_host: 10.0.0.7
      audit_jump: ["gate@cfg-gate", bastion2]
      audit_known_hosts_file: kh/spelled
"""

SSH_CONFIG = """\
Host cfg-gate
    HostName 203.0.113.1
    UserKnownHostsFile /kh/gate-a /kh/gate-b

Host cfg-target
    HostName 203.0.113.9
    ProxyJump cfg-gate
    UserKnownHostsFile /kh/cfg-target
"""


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    (tmp_path / "inventory.yml").write_text(INVENTORY)
    (tmp_path / "ssh_config").write_text(SSH_CONFIG)
    return load_inventory(tmp_path / "inventory.yml", ssh_config=tmp_path / "ssh_config")


def _host(inventory: Inventory, name: str) -> Host:
    host = inventory.host(name)
    assert host is not None
    return host


def test_hop_defaults_to_no_known_hosts_files() -> None:
    assert Hop("b", "10.0.0.1").known_hosts_files == ()


def test_as_hop_keeps_the_hosts_known_hosts_files() -> None:
    host = Host("b", "10.0.0.1", 2222, "u", ("/k",), known_hosts_files=("/kh/b",))
    assert host.as_hop() == Hop("b", "10.0.0.1", 2222, "u", ("/k",), ("/kh/b",))


def test_inventory_host_hop_carries_its_own_files_not_the_targets(
    inventory: Inventory, tmp_path: Path
) -> None:
    (hop,) = _host(inventory, "target").jump
    assert hop.known_hosts_files == (str(tmp_path / "kh" / "bastion"),)
    assert _host(inventory, "target").known_hosts_files == (
        str(tmp_path / "kh" / "target"),
        "/abs/kh",
    )


def test_text_hop_is_never_vouched_for_by_the_targets_files(inventory: Inventory) -> None:
    # only the global files (added by the transport) and ssh_config's UserKnownHostsFile
    gate, plain = _host(inventory, "via-text").jump
    assert (gate.address, gate.port) == ("203.0.113.1", 2200)
    assert gate.known_hosts_files == ("/kh/gate-a", "/kh/gate-b")
    assert (plain.address, plain.known_hosts_files) == ("10.9.9.9", ())


def test_dash_j_hop_is_never_vouched_for_by_the_targets_files(tmp_path: Path) -> None:
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    t:\n      ansible_ssh_common_args: -J jumpuser@bastion.corp\n"
        "      audit_known_hosts_file: kh/t\n"
    )
    (tmp_path / "ssh_config").write_text("")
    host = load_inventory(tmp_path / "hosts.yml", ssh_config=tmp_path / "ssh_config").host("t")
    assert host is not None
    (hop,) = host.jump
    assert hop.known_hosts_files == ()
    assert host.known_hosts_files == (str(tmp_path / "kh" / "t"),)


def test_ssh_config_proxyjump_hop_carries_only_its_own_files(inventory: Inventory) -> None:
    host = _host(inventory, "via-cfg")
    assert host.known_hosts_files == ("/kh/cfg-target",)
    (gate,) = host.jump
    assert gate.known_hosts_files == ("/kh/gate-a", "/kh/gate-b")


def test_a_hop_named_twice_is_merged_with_both_sets_of_files(
    inventory: Inventory, tmp_path: Path
) -> None:
    # spelled: gate then bastion2, whose chain also starts with gate: one gate hop, with
    # ssh_config's files for it only (neither spelled's nor bastion2's files vouch for it).
    gate, bastion2 = _host(inventory, "spelled").jump
    assert gate.address == "203.0.113.1"
    assert gate.known_hosts_files == ("/kh/gate-a", "/kh/gate-b")
    assert bastion2.known_hosts_files == (str(tmp_path / "kh" / "bastion2"),)
