"""SSH options the transport needs from the inventory: audit_ssh_legacy_algorithms (per host,
never inherited by a `user@host:port` hop) and ssh_config's IdentitiesOnly (per hop)."""

from __future__ import annotations

from pathlib import Path

from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Host, Inventory


def _load(tmp_path: Path, inventory: str, ssh_config: str = "") -> Inventory:
    (tmp_path / "hosts.yml").write_text(inventory)
    config = tmp_path / "ssh_config"
    config.write_text(ssh_config)
    return load_inventory(tmp_path / "hosts.yml", ssh_config=config)


def _host(inventory: Inventory, name: str) -> Host:
    host = inventory.host(name)
    assert host is not None
    return host


def test_legacy_algorithms_is_off_unless_the_host_sets_it(tmp_path: Path) -> None:
    inventory = _load(
        tmp_path,
        """
all:
  hosts:
    old1: {ansible_host: 192.0.2.1, audit_ssh_legacy_algorithms: "yes"}
    new1: {ansible_host: 192.0.2.2}
    via:
      ansible_host: 192.0.2.3
      audit_jump: [old1, "jump@192.0.2.9"]
      audit_ssh_legacy_algorithms: true
""",
    )
    old1, new1, via = (_host(inventory, n) for n in ("old1", "new1", "via"))
    assert old1.legacy_algorithms
    assert old1.as_hop().legacy_algorithms
    assert not new1.legacy_algorithms
    assert via.legacy_algorithms
    # an inventory bastion keeps its own setting; a text hop never inherits the target's
    assert [h.legacy_algorithms for h in via.jump] == [True, False]


def test_legacy_algorithms_must_be_a_boolean(tmp_path: Path) -> None:
    # an invalid connection variable makes that host `error` (with the field), not the inventory
    inventory = _load(
        tmp_path, "all:\n  hosts:\n    h: {audit_ssh_legacy_algorithms: maybe}\n    ok1: {}\n"
    )
    assert "audit_ssh_legacy_algorithms" in _host(inventory, "h").error
    assert not _host(inventory, "h").legacy_algorithms
    assert _host(inventory, "ok1").error == ""


def test_identities_only_comes_from_ssh_config_per_hop(tmp_path: Path) -> None:
    inventory = _load(
        tmp_path,
        """
all:
  hosts:
    web: {ansible_host: web.internal, audit_jump: "gw.example"}
    db: {ansible_host: db.internal}
""",
        "Host web.internal gw.example\n  IdentitiesOnly yes\n",
    )
    web, db = _host(inventory, "web"), _host(inventory, "db")
    assert web.identities_only
    assert web.as_hop().identities_only
    assert web.jump[0].identities_only
    assert not db.identities_only


def test_identity_agent_is_carried_per_hop(tmp_path: Path) -> None:
    inventory = _load(
        tmp_path,
        """
all:
  hosts:
    b1: {ansible_host: 192.0.2.1, ansible_ssh_common_args: "-o IdentityAgent=/run/b1.sock"}
    t1:
      ansible_host: 192.0.2.2
      audit_jump: [b1, "ops@bastion.corp"]
    t2: {ansible_host: 192.0.2.3, ansible_ssh_common_args: "-o IdentityAgent=SSH_AUTH_SOCK"}
""",
        "Host bastion.corp 192.0.2.3\n  IdentityAgent none\n"
        "Host 192.0.2.2\n  IdentityAgent ~/t1.sock\n",
    )
    t1 = _host(inventory, "t1")
    assert [h.identity_agent for h in t1.jump] == ["/run/b1.sock", "none"]
    assert t1.identity_agent == str(Path("~/t1.sock").expanduser())
    assert _host(inventory, "t2").identity_agent == "SSH_AUTH_SOCK"  # args win over ssh_config


def test_identity_agent_with_percent_tokens_in_ssh_config_is_refused(tmp_path: Path) -> None:
    inventory = _load(tmp_path, "all:\n  hosts:\n    h: {}\n", "Host h\n  IdentityAgent /run/%u\n")
    assert "IdentityAgent" in _host(inventory, "h").error
