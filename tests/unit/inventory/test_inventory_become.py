"""Ansible become variables: hardaudit only ever runs `sudo -n` as root, so any other become
method, user or executable makes that host `error` instead of silently running sudo as root."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.cli import main
from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Host


def _host(tmp_path: Path, variables: str) -> Host:
    (tmp_path / "hosts.yml").write_text("all:\n  hosts:\n    h:\n" + variables)
    host = load_inventory(tmp_path / "hosts.yml", use_default_ssh_config=False).host("h")
    assert host is not None
    return host


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ("      ansible_become_user: nobody\n", "become user 'nobody' of host h is not supported"),
        ("      ansible_sudo_user: '{{ who }}'\n      who: app\n", "become user 'app'"),
        ("      ansible_become_method: doas\n", "become method 'doas' of host h is not supported"),
        ("      ansible_become_method: su\n", "become method 'su'"),
        ("      ansible_become_exe: /opt/bin/sudo\n", "become executable '/opt/bin/sudo'"),
    ],
)
def test_become_other_than_sudo_to_root_is_the_hosts_error(
    tmp_path: Path, variables: str, reason: str
) -> None:
    host = _host(tmp_path, "      ansible_become: true\n" + variables)
    assert reason in host.error
    assert "hosts.yml:5:" in host.error or "hosts.yml:6:" in host.error


@pytest.mark.parametrize(
    "variables",
    [
        "      ansible_become_user: root\n      ansible_become_method: sudo\n",
        "      ansible_become_method: ansible.builtin.sudo\n",
        "",
    ],
)
def test_sudo_to_root_is_fine(tmp_path: Path, variables: str) -> None:
    host = _host(tmp_path, "      ansible_become: true\n" + variables)
    assert host.error == ""
    assert host.become


def test_become_settings_do_not_matter_without_become(tmp_path: Path) -> None:
    host = _host(tmp_path, "      ansible_become_user: nobody\n      ansible_become_method: doas\n")
    assert host.error == ""
    assert not host.become


def test_vaulted_become_user_reference_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    h:\n      ansible_become: true\n"
        "      ansible_become_user: '{{ u }}'\n"
        "      u: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6162\n"
    )
    code = main(["inventory", "list", "-i", str(tmp_path / "hosts.yml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "hosts.yml:6:7" in err
    assert "hardaudit does not decrypt Ansible Vault" in err
