"""Relative key/known_hosts paths resolve against the defining inventory file's directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hardaudit.inventory.loader import load_inventory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "inventory"
KEYS = FIXTURES / "keys"


@pytest.mark.parametrize(
    ("name", "key_files", "known_hosts"),
    [
        ("relative", (f"{KEYS}/keys/id_lab",), (f"{KEYS}/known_hosts",)),
        ("absolute", ("/etc/keys/id",), (f"{KEYS}/known_hosts",)),
        ("home", (os.path.expanduser("~/.ssh/id_home"),), (f"{KEYS}/known_hosts",)),
        ("many", (f"{KEYS}/a.key", "/abs/b.key"), (f"{KEYS}/kh/one", "/abs/two")),
    ],
)
def test_paths(name: str, key_files: tuple[str, ...], known_hosts: tuple[str, ...]) -> None:
    host = load_inventory(KEYS / "inventory.yml", use_default_ssh_config=False).host(name)
    assert host is not None
    assert (host.key_files, host.known_hosts_files) == (key_files, known_hosts)


def test_paths_do_not_depend_on_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative_inventory = Path(os.path.relpath(KEYS / "inventory.yml", tmp_path))
    host = load_inventory(relative_inventory, use_default_ssh_config=False).host("relative")
    assert host is not None
    assert host.key_files == (f"{KEYS}/keys/id_lab",)
