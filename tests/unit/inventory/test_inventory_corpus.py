"""hardaudit reads every corpus inventory as ansible-core does (recorded once, compared offline).

tests/fixtures/inventory/corpus/cases/ holds the inventories (Ansible documentation examples
retyped, and edge cases); expected/<case>.json is what ansible-core 2.19 made of each one,
recorded by corpus/record.py: refused or not, `ansible-inventory --list`, and per host the
address, port, user and connection Ansible would use. Each case is checked twice: the
source itself, and the recorded `--list` JSON read back as an inventory export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hardaudit.errors import InventoryError
from hardaudit.inventory.hostnames import compress_ipv6
from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Inventory
from hardaudit.inventory.patterns import match_pattern

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "inventory" / "corpus"
CASES = sorted(p.name.removesuffix(".json") for p in (CORPUS / "expected").glob("*.json"))

# Where hardaudit differs from Ansible on purpose; each is pinned, not skipped.
DELIBERATE = {
    # Ansible fails only that host when it has no vault password; hardaudit never decrypts
    # Vault and stops the run naming file and line (exit 2).
    "vault_value_user.yml": "refused",
    # Ansible warns and skips `host:` (a typo of `hosts:`), silently losing web1; an auditor
    # must not silently audit fewer hosts, so hardaudit refuses the file.
    "yaml_unexpected_key.yml": "refused",
    # Ansible cannot run anything on web1 without the vault password of its (vaulted)
    # ansible_become_password; hardaudit never uses that variable (sudo -n), so it can.
    "vault_value_unused.yml": "accepted",
}


def _sources(case: str) -> list[Path]:
    path = CORPUS / "cases" / case
    listing = path / "SOURCES"
    if listing.is_file():
        return [path / line.strip() for line in listing.read_text().splitlines() if line.strip()]
    return [path]


def _members(listed: dict[str, Any]) -> dict[str, set[str]]:
    """group -> every host in it or in its descendants, from `ansible-inventory --list`."""

    def walk(group: str, seen: frozenset[str]) -> set[str]:
        body = listed.get(group) or {}
        found = set(body.get("hosts", []))
        for child in body.get("children", []):
            if child not in seen:
                found |= walk(child, seen | {child})
        return found

    return {g: walk(g, frozenset({g})) for g in listed if g != "_meta"}


def differences(inventory: Inventory, expected: dict[str, Any]) -> list[str]:
    """What hardaudit loaded differently from what Ansible recorded (empty: agreement)."""
    out: list[str] = []
    members = _members(expected["list"])
    names = {h.name for h in inventory.hosts}
    if names != members.get("all", set()):
        out.append(f"hosts {sorted(names)} != {sorted(members.get('all', set()))}")
    for group, hosts in members.items():
        mine = set(inventory.groups.get(group, ()))
        if group not in inventory.groups and hosts:
            out.append(f"group {group} missing")
        elif mine != hosts:
            out.append(f"group {group}: {sorted(mine)} != {sorted(hosts)}")
    for group, mine_hosts in inventory.groups.items():
        if group not in members and mine_hosts:
            out.append(f"group {group} has hosts {list(mine_hosts)}; Ansible lists no such group")
    for name, want in expected["hosts"].items():
        host = inventory.host(name)
        if host is None:
            continue  # reported above
        if want.get("failed"):
            if not host.error:
                out.append(f"{name}: Ansible cannot use its settings; hardaudit accepted them")
            continue
        if host.error:
            out.append(f"{name}: hardaudit error {host.error!r}")
            continue
        if host.connection != want["connection"]:
            out.append(f"{name}: connection {host.connection} != {want['connection']}")
        if want["connection"] == "local":
            continue
        got = (host.address, host.port, host.user)
        wanted = (compress_ipv6(str(want["address"])), int(want["port"]), want["user"])
        if got != wanted:
            out.append(f"{name}: (address, port, user) {got} != {wanted}")
    return out


def _expected(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / "expected" / f"{case}.json").read_text())
    return data


def _load(paths: list[Path]) -> Inventory:
    return load_inventory(paths, use_default_ssh_config=False)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    refused = [c for c in CASES if _expected(c)["refused"]]
    assert len(refused) >= 8  # Ansible's refusals are part of what is compared


@pytest.mark.parametrize("case", CASES)
def test_source_reads_as_ansible_reads_it(case: str) -> None:
    expected = _expected(case)
    if expected["refused"] or DELIBERATE.get(case) == "refused":
        with pytest.raises(InventoryError):
            _load(_sources(case))
        return
    assert differences(_load(_sources(case)), expected) == _accepted(case, expected)


def _accepted(case: str, expected: dict[str, Any]) -> list[str]:
    if DELIBERATE.get(case) != "accepted":
        return []
    return [
        f"{name}: Ansible cannot use its settings; hardaudit accepted them"
        for name, want in expected["hosts"].items()
        if want.get("failed")
    ]


@pytest.mark.parametrize("case", [c for c in CASES if not _expected(c)["refused"]])
def test_recorded_list_export_reads_the_same(case: str, tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_expected(case)["list"]))
    if DELIBERATE.get(case) == "refused" and case.startswith("vault"):
        with pytest.raises(InventoryError):
            _load([export])
        return
    assert differences(_load([export]), _expected(case)) == _accepted(case, _expected(case))


PATTERNS = json.loads((CORPUS / "patterns.json").read_text())


@pytest.mark.parametrize(
    ("case", "pattern", "hosts"),
    [(p["case"], p["pattern"], p["hosts"]) for p in PATTERNS],
    ids=[f"{p['case']}:{p['pattern']}" for p in PATTERNS],
)
def test_host_pattern_selects_what_ansible_selects(
    case: str, pattern: str, hosts: list[str]
) -> None:
    # Recorded with `ansible -i CASE PATTERN --list-hosts`; hardaudit lists in inventory
    # order, Ansible in evaluation order: the sets must agree (subscripts included).
    inventory = _load(_sources(case))
    assert sorted(h.name for h in match_pattern(inventory, pattern)) == sorted(hosts)
