"""Ansible Vault: hardaudit never decrypts it, and never mistakes cipher text for data."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.errors import InventoryError
from hardaudit.inventory._yaml import VaultEncryptedError
from hardaudit.inventory.loader import load_inventory

E = Path(__file__).resolve().parents[2] / "fixtures" / "inventory" / "errors"
VAULT_FILE = (
    ": file is encrypted with Ansible Vault; hardaudit does not decrypt Ansible Vault"
    " (export it once with your vault password: 'ansible-inventory -i FILE --list"
    " > inventory.json', and pass that)"
)


def error_of(path: Path) -> str:
    with pytest.raises(InventoryError) as caught:
        load_inventory(path, use_default_ssh_config=False)
    return str(caught.value)


@pytest.mark.parametrize(
    ("inventory", "named"),
    [
        ("vault_file.yml", "vault_file.yml:1"),
        # INI used to turn each line of cipher text into a host.
        ("vault_file.ini", "vault_file.ini:1"),
        ("vault_gv/hosts.ini", "vault_gv/group_vars/web.yml:1"),
        ("vault_hv/hosts.yml", "vault_hv/host_vars/web1:1"),
    ],
)
def test_whole_file_vault_is_refused_naming_the_file(inventory: str, named: str) -> None:
    assert error_of(E / inventory) == f"{E}/{named}{VAULT_FILE}"


def test_vault_value_exported_as_json_is_named_as_vault() -> None:
    assert error_of(E / "vault_json.json") == (
        f"{E}/vault_json.json:2:35: _meta.hostvars.web1.ansible_port: ansible_port of host"
        " web1 is vault-encrypted; hardaudit does not decrypt Ansible Vault"
        " (write the value in plain text)"
    )


def test_vault_text_without_its_tag_is_not_a_user_name() -> None:
    assert error_of(E / "vault_untagged.ini") == (
        f"{E}/vault_untagged.ini:2:6: hosts.web1.ansible_user: ansible_user of host web1"
        " is vault-encrypted; hardaudit does not decrypt Ansible Vault"
        " (write the value in plain text)"
    )


def test_vault_value_in_a_variable_hardaudit_never_reads_stays_opaque(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(
        "all:\n  hosts:\n    web1:\n      ansible_become_password: !vault |\n"
        "        $ANSIBLE_VAULT;1.1;AES256\n        6162\n"
    )
    (host,) = load_inventory(path, use_default_ssh_config=False).hosts
    assert repr(host.vars["ansible_become_password"]) == "<vaulted>"


@pytest.mark.parametrize(
    "vaulted",
    [
        "!vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6162\n",
        '"$ANSIBLE_VAULT;1.1;AES256 6162"\n',  # cipher text without its tag
    ],
    ids=["tagged", "untagged"],
)
def test_reference_to_a_vaulted_variable_is_the_vault_error(tmp_path: Path, vaulted: str) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text("all:\n  hosts:\n    web1:\n      ansible_user: '{{ u }}'\n      u: " + vaulted)
    with pytest.raises(VaultEncryptedError) as caught:
        load_inventory(path, use_default_ssh_config=False)
    assert str(caught.value).startswith(
        f"{path}:5:7: hosts.web1.u: ansible_user of host web1 refers to {{{{ u }}}}, which is"
        " vault-encrypted; hardaudit does not decrypt Ansible Vault"
    )
