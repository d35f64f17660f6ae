"""Jump chains from audit_jump and ansible_ssh_common_args, in every accepted form."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.errors import InventoryError
from hardaudit.inventory._events import Origin
from hardaudit.inventory.connection import HopText, parse_hop_text, proxy_jump_from_ssh_args
from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Hop, Inventory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "inventory"
ORIGIN = Origin("inv.yml", 3, 5, "hosts.h.ansible_ssh_common_args", Path("/"))

OUTER = Hop("outer-bastion", "198.51.100.1", 22, "gate", ("/keys/gate",))
INNER = Hop("inner-bastion", "10.0.0.1", 2222, "ops", ())
OUTER_BY_SSH = Hop("outer-bastion", "outer-bastion", 22, None, ())


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(FIXTURES / "jump/inventory.yml", use_default_ssh_config=False)


@pytest.mark.parametrize(
    ("name", "jump"),
    [
        ("outer-bastion", ()),
        ("inner-bastion", (OUTER,)),
        ("deep", (OUTER, INNER)),  # a bastion behind a bastion: its own chain goes first
        ("listed", (OUTER, Hop("admin@10.9.9.9:2200", "10.9.9.9", 2200, "admin"))),
        ("comma", (OUTER, Hop("10.9.9.9", "10.9.9.9", 22, "ops"))),
        ("text-no-user", (Hop("10.9.9.9:2200", "10.9.9.9", 2200, "app"),)),  # target's user
        ("ipv6", (Hop("[2001:db8::1]:2200", "2001:db8::1", 2200, "ops"),)),
        ("uri", (Hop("ssh://u@jump.example.org:2022", "jump.example.org", 2022, "u"),)),
        # -J / ProxyJump mean what OpenSSH makes of them: a name is not an inventory host,
        # and a hop without a user is the local user (or ssh_config's), not ansible_user.
        ("common-J", (OUTER_BY_SSH, Hop("x@10.8.8.8", "10.8.8.8", 22, "x"))),
        ("common-o-eq", (OUTER_BY_SSH,)),
        ("common-o-quoted", (Hop("y@10.6.6.6:23", "10.6.6.6", 23, "y"),)),
        ("common-oJoined", (Hop("10.5.5.5", "10.5.5.5", 22, None),)),
        ("common-Jjoined", (Hop("10.4.4.4", "10.4.4.4", 22, None),)),
        ("audit-wins", (OUTER,)),  # audit_jump beats ProxyJump in ssh args
        ("extra-args", (Hop("10.2.2.2", "10.2.2.2", 22, None),)),
        ("inherits", (OUTER,)),  # from the group's vars
        ("direct-override", ()),  # audit_jump: [] on the host cancels the group's jump
        ("none-override", ()),
        ("spelled-out", (OUTER, INNER)),
    ],
)
def test_jump_chain(inventory: Inventory, name: str, jump: tuple[Hop, ...]) -> None:
    host = inventory.host(name)
    assert host is not None
    assert host.jump == jump


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bastion", HopText(None, "bastion", None)),
        ("u@bastion", HopText("u", "bastion", None)),
        ("u@bastion:2200", HopText("u", "bastion", 2200)),
        ("10.0.0.1:22", HopText(None, "10.0.0.1", 22)),
        ("[fe80::1]", HopText(None, "fe80::1", None)),
        ("u@[fe80::1]:23", HopText("u", "fe80::1", 23)),
        ("fe80::1", HopText(None, "fe80::1", None)),
        ("ssh://u@h.example:2/", HopText("u", "h.example", 2)),
        ("", None),
        ("@host", None),
        ("two words", None),
        ("host:0", None),
        ("host:70000", None),
        ("host:port", None),
        ("host/x", None),
        ("[notipv6]:22", None),
        ("[::1]x", None),
    ],
)
def test_parse_hop_text(text: str, expected: HopText | None) -> None:
    assert parse_hop_text(text) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("-J a,b", "a,b"),
        ("-Ja", "a"),
        ("-o ProxyJump=a", "a"),
        ("-o 'ProxyJump = a'", "a"),
        ("-o 'ProxyJump a'", "a"),
        ("-oProxyJump=a,b", "a,b"),
        ("-o proxyjump=a", "a"),
        ("-o StrictHostKeyChecking=yes -i key -p 22", None),
        ("-CJ jump@b", "jump@b"),  # getopt: combined flags, -J takes the next word
        ("-J first -o ProxyJump=second", "first"),  # first obtained value wins, as in ssh
        ("-o ProxyJump=first -o ProxyJump=second", "first"),
        ("-o ProxyCommand=none", None),
        ("", None),
    ],
)
def test_proxy_jump_from_ssh_args(args: str, expected: str | None) -> None:
    assert proxy_jump_from_ssh_args(args, ORIGIN, "h") == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            "-o ProxyCommand='ssh -W %h:%p b'",
            "inv.yml:3:5: hosts.h.ansible_ssh_common_args: ProxyCommand is not supported"
            " (host h) (use ProxyJump (-J) or audit_jump instead)",
        ),
        ("-J", "inv.yml:3:5: hosts.h.ansible_ssh_common_args: -J without a jump host for host h"),
        (
            "-J a -J b",
            "inv.yml:3:5: hosts.h.ansible_ssh_common_args: only a single -J option is"
            " permitted, as in ssh (host h) (separate the jump hops with commas:"
            " -J first,second)",
        ),
        (
            "-o ProxyJump=a -Jb",  # ssh: -o set the jump host already
            "inv.yml:3:5: hosts.h.ansible_ssh_common_args: only a single -J option is"
            " permitted, as in ssh (host h) (separate the jump hops with commas:"
            " -J first,second)",
        ),
        (
            "-o ProxyJump",
            "inv.yml:3:5: hosts.h.ansible_ssh_common_args: ProxyJump without a value for host h",
        ),
        (
            "-l -Jevil",  # -l takes "-Jevil" as its argument: no jump, a user ssh refuses
            "inv.yml:3:5: hosts.h.ansible_ssh_common_args: ssh user '-Jevil' of host h"
            " contains characters ssh refuses",
        ),
        (
            "-o ProxyJump a",  # -o takes one word, as in ssh: "no argument after keyword"
            "inv.yml:3:5: hosts.h.ansible_ssh_common_args: ProxyJump without a value for host h",
        ),
        (
            "-o 'unbalanced",
            "inv.yml:3:5: hosts.h.ansible_ssh_common_args:"
            " cannot split ssh arguments of host h: No closing quotation",
        ),
    ],
)
def test_proxy_jump_from_ssh_args_errors(args: str, message: str) -> None:
    with pytest.raises(InventoryError) as caught:
        proxy_jump_from_ssh_args(args, ORIGIN, "h")
    assert str(caught.value) == message


def test_second_j_in_extra_args_is_an_error_as_on_one_ssh_command_line(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(
        "all:\n  hosts:\n    h:\n      ansible_ssh_common_args: -J a\n"
        "      ansible_ssh_extra_args: -J b\n"
    )
    (host,) = load_inventory(path, use_default_ssh_config=False).hosts
    assert host.error == (
        f"{path}:5:7: hosts.h.ansible_ssh_extra_args: only a single -J option is permitted,"
        " as in ssh (host h) (separate the jump hops with commas: -J first,second)"
    )
