"""~/.ssh/config (or an explicit ssh_config) is honoured, and the inventory wins over it."""

from __future__ import annotations

from os.path import expanduser
from pathlib import Path

import pytest

from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Hop, Inventory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "inventory"
SSH = FIXTURES / "ssh"
BASTION_ALIAS = Hop("bastion-alias", "203.0.113.1", 2201, "sshcfg-jump", ("~/.ssh/bastion_key",))


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(SSH / "inventory.yml", ssh_config=SSH / "config")


def fields(inventory: Inventory, name: str) -> tuple[object, ...]:
    host = inventory.host(name)
    assert host is not None
    return (host.address, host.port, host.user, host.key_files, host.known_hosts_files, host.jump)


def expand(hop: Hop, known: tuple[str, ...] = ()) -> Hop:
    """`hop` with its key files expanded and the known_hosts files it is verified with."""
    return Hop(
        hop.name,
        hop.address,
        hop.port,
        hop.user,
        tuple(str(Path(k).expanduser()) for k in hop.key_files),
        known,
    )


def test_ssh_config_fills_everything(inventory: Inventory) -> None:
    assert fields(inventory, "plain") == (
        "203.0.113.10",
        2210,
        "sshcfg-user",
        ("/keys/web_cfg",),
        ("/kh/web_cfg",),
        (expand(BASTION_ALIAS),),  # a text hop: never the target's files
    )


def test_inventory_variables_win(inventory: Inventory) -> None:
    # HostName still applies: it is how ssh translates the ansible_host alias.
    assert fields(inventory, "overridden") == (
        "203.0.113.10",
        2022,
        "inv-user",
        ("/keys/inv_key",),
        ("/kh/inv",),
        (expand(BASTION_ALIAS),),
    )


def test_inventory_jump_replaces_ssh_config_proxyjump(inventory: Inventory) -> None:
    assert fields(inventory, "inv-jump")[-1] == (
        Hop("ops@jumpbox:2022", "jumpbox", 2022, "ops", (), ()),
    )


def test_text_hop_is_looked_up_in_ssh_config(inventory: Inventory) -> None:
    assert fields(inventory, "cfg-hop-text") == (
        "192.0.2.40",
        22,
        "target-user",
        (),
        (),
        (expand(BASTION_ALIAS),),
    )


def test_ssh_config_proxyjump_hops_are_resolved_recursively(inventory: Inventory) -> None:
    # deep-target → ProxyJump inner → inner's ProxyJump outer: outer comes first. inner
    # has no User: as with OpenSSH it is the local user, not deep-target's ansible_user.
    assert fields(inventory, "deep-target")[-1] == (
        Hop("outer", "203.0.113.31", 22, "outer-user", ()),
        Hop("inner", "203.0.113.30", 22, None, ()),
    )


def test_dash_j_hop_takes_its_user_from_ssh_config_not_from_the_target(
    inventory: Inventory,
) -> None:
    assert fields(inventory, "cli-jump")[-1] == (
        Hop(
            "bastion-alias", "203.0.113.1", 2201, "sshcfg-jump", (expanduser("~/.ssh/bastion_key"),)
        ),
        Hop("10.1.1.1", "10.1.1.1", 22, None, ()),
    )


def test_unmatched_host_is_untouched(inventory: Inventory) -> None:
    assert fields(inventory, "unmatched") == ("192.0.2.99", 22, None, (), (), ())


def test_default_ssh_config_is_read_only_when_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "config").write_text("Host plain\n    User from-home\n    Port 2999\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    inventory_file = tmp_path / "hosts.ini"
    inventory_file.write_text("plain\n")
    (with_default,) = load_inventory(inventory_file).hosts
    (without,) = load_inventory(inventory_file, use_default_ssh_config=False).hosts
    assert (with_default.user, with_default.port) == ("from-home", 2999)
    assert (without.user, without.port) == (None, 22)


@pytest.mark.parametrize(
    ("inventory_name", "message"),
    [
        (
            "loop.yml",
            f"{SSH}/config: ProxyJump: ProxyJump cycle: loop-a -> loop-b -> loop-a"
            " (add 'ProxyJump none' to the Host block of loop-a)",
        ),
        (
            "proxycommand.yml",
            f"{SSH}/config: ProxyCommand: ProxyCommand for host 'via-command' is not supported"
            " (use ProxyJump in ssh_config, or audit_jump in the inventory)",
        ),
    ],
)
def test_ssh_config_errors(inventory_name: str, message: str) -> None:
    # The fault concerns one host's route: that host is an error, the load goes on.
    inventory = load_inventory(SSH / inventory_name, ssh_config=SSH / "config")
    assert next(host.error for host in inventory.hosts if host.error) == message
