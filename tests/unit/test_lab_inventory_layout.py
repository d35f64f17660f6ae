"""A bare `audit` in the repository audits nothing by surprise: examples and lab stand apart.

The default `-i` is `inventory/` in the working directory (a project's own inventory); the
repository ships none there, so a bare command stops with exit 2 instead of merging the lab
inventory with example hosts. Nothing here connects anywhere: `run` gets an empty
--replay-dir, and the inventory cannot be found anyway.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hardaudit.inventory.loader import describe_host, load_inventory
from tests.unit.lab_module import REPO, load_labctl

LAB_INVENTORY = REPO / "lab" / "inventory.yml"
EXAMPLE_HOSTS = ("example.com", "example.net")


def bare_audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hardaudit", *args],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


def test_bare_inventory_list_in_the_repo_lists_no_example_host() -> None:
    done = bare_audit("inventory", "list")
    assert not any(name in done.stdout + done.stderr for name in EXAMPLE_HOSTS)
    assert done.returncode == 2
    assert "contains no inventory files" in done.stderr  # inventory/ holds only its README


def test_bare_run_in_the_repo_audits_no_example_host(tmp_path: Path) -> None:
    replay = tmp_path / "replay"
    replay.mkdir()
    done = bare_audit("run", "--replay-dir", str(replay), "--output-dir", str(tmp_path / "out"))
    assert not any(name in done.stdout + done.stderr for name in EXAMPLE_HOSTS)
    assert done.returncode == 2


def test_the_lab_inventory_holds_only_lab_hosts_behind_the_lab_bastion() -> None:
    inventory = load_inventory(LAB_INVENTORY, use_default_ssh_config=False)
    routes = {host.name: describe_host(host)["route"] for host in inventory.hosts}
    assert not [route for route in routes.values() if any(n in route for n in EXAMPLE_HOSTS)]
    assert routes["web1"] == "auditor@127.0.0.1:42201 -> auditor@web1:22"
    assert Path(inventory.host("web1").key_files[0]) == REPO / ".lab" / "id_ed25519"  # type: ignore[union-attr]


def test_the_lab_tools_use_the_lab_inventory() -> None:
    labctl = load_labctl()
    assert Path(labctl.LabState(repo="", tmpdir="").inventory) == LAB_INVENTORY
    assert "-i lab/inventory.yml" in (REPO / "Makefile").read_text()
