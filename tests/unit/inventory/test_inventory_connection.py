"""Connection variables → validated settings (pure function over merged variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hardaudit.errors import InventoryError
from hardaudit.inventory._events import Origin, Var
from hardaudit.inventory.connection import Settings, boolean, settings_from_vars

BASE = Path("/inv")


def settings(**values: Any) -> Settings:
    origin = Origin("inv.yml", 1, 1, "f", BASE)
    return settings_from_vars("h", {k: Var(v, origin) for k, v in values.items()})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        ("yes", True),
        ("On", True),
        ("t", True),
        ("1", True),
        (1, True),
        (False, False),
        ("no", False),
        ("OFF", False),
        ("false", False),
        (0, False),
        ("maybe", None),
        (2, None),
        (None, None),
    ],
)
def test_boolean(value: object, expected: bool | None) -> None:
    assert boolean(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ssh", "ssh"),
        ("paramiko", "ssh"),
        ("smart", "ssh"),
        ("ansible.builtin.ssh", "ssh"),
        ("local", "local"),
        ("LOCAL", "local"),
        ("ansible.builtin.local", "local"),
    ],
)
def test_connection_types(value: str, expected: str) -> None:
    assert settings(ansible_connection=value).connection == expected


@pytest.mark.parametrize("value", ["winrm", "docker", "ansible.netcommon.network_cli"])
def test_unsupported_connection(value: str) -> None:
    with pytest.raises(InventoryError, match=f"connection type '{value}' of host h"):
        settings(ansible_connection=value)


def test_defaults() -> None:
    assert settings() == Settings(
        name="h",
        address=None,
        port=None,
        user=None,
        key_files=None,
        known_hosts_files=None,
        become=False,
        connection="ssh",
        jump=None,
    )


def test_port_accepts_digit_strings_and_rejects_bools() -> None:
    assert settings(ansible_port="2222").port == 2222
    assert settings(ansible_port=" 22 ").port == 22
    for bad in (True, 0, 65536, "22a", 22.0, [22]):
        with pytest.raises(InventoryError, match="invalid ansible_port"):
            settings(ansible_port=bad)


def test_ssh_aliases_win_like_the_ansible_ssh_plugin() -> None:
    chosen = settings(
        ansible_host="a",
        ansible_ssh_host="b",
        ansible_user="u1",
        ansible_ssh_user="u2",
        ansible_port=1,
        ansible_ssh_port=2,
        ansible_private_key_file="k1",
        ansible_ssh_private_key_file="k2",
    )
    assert (chosen.address, chosen.user, chosen.port, chosen.key_files) == (
        "b",
        "u2",
        2,
        ("/inv/k2",),
    )


def test_null_means_unset() -> None:
    assert settings(ansible_port=None, ansible_user=None, audit_jump=None).port is None
    assert settings(ansible_user=None).user is None
    assert settings(audit_jump=None).jump is None


def test_numeric_user_is_text() -> None:
    assert settings(ansible_user=1000).user == "1000"


def test_template_references() -> None:
    chosen = settings(
        base="example.org",
        ansible_host="{{ inventory_hostname }}.{{base}}",
        ansible_user="{{ inventory_hostname_short }}",
    )
    assert (chosen.address, chosen.user) == ("h.example.org", "h")
    with pytest.raises(InventoryError, match=r"refers to \{\{ missing \}\}"):
        settings(ansible_user="{{ missing }}")
    with pytest.raises(InventoryError, match="variable references loop"):
        settings(a="{{ b }}", b="{{ a }}", ansible_user="{{ a }}")


def test_known_hosts_and_keys_type_errors() -> None:
    with pytest.raises(InventoryError, match="invalid audit_known_hosts_file 5"):
        settings(audit_known_hosts_file=5)
    with pytest.raises(InventoryError, match=r"invalid ansible_ssh_private_key_file \['ok', 3\]"):
        settings(ansible_ssh_private_key_file=["ok", 3])


def test_audit_jump_forms() -> None:
    assert [r.text for r in settings(audit_jump="a, b").jump or ()] == ["a", "b"]
    assert [r.text for r in settings(audit_jump=["a", "u@b:2,c"]).jump or ()] == ["a", "u@b:2", "c"]
    assert settings(audit_jump="").jump == ()
    assert settings(audit_jump="None").jump == ()
    with pytest.raises(InventoryError, match="hops as strings"):
        settings(audit_jump=["a", 5])
    with pytest.raises(InventoryError, match="has an empty hop"):
        settings(audit_jump=["a", " "])
