"""Several inventory sources (`-i a -i b`) merge in order, as in Ansible."""

from __future__ import annotations

from pathlib import Path

from hardaudit.inventory.loader import load_inventory

M = Path(__file__).resolve().parents[2] / "fixtures" / "inventory" / "multi"


def test_sources_merge_hosts_groups_and_variables_in_order() -> None:
    # Recorded with ansible-inventory -i a/hosts.ini -i b/hosts.yml --list.
    inventory = load_inventory([M / "a/hosts.ini", M / "b/hosts.yml"], use_default_ssh_config=False)
    got = {h.name: (h.user, h.port, h.groups) for h in inventory.hosts}
    assert got == {
        # b's group_vars/parent.yml beats a's group_vars/web.yml: Ansible reads group_vars
        # source by source; group_vars/all (from-b-all) comes before any other group's.
        "web1": ("from-a-web", 2299, ("parent", "web")),
        "db1": ("from-b", 2000, ("db",)),
        "web2": ("from-a-web", 2299, ("parent", "web")),
    }
    assert inventory.groups["parent"] == ("web1", "web2")
    assert inventory.source == f"{M / 'a/hosts.ini'}, {M / 'b/hosts.yml'}"


def test_a_group_defined_by_an_earlier_source_may_be_named_by_a_later_ini(
    tmp_path: Path,
) -> None:
    (tmp_path / "one.ini").write_text("[web]\nweb1\n")
    (tmp_path / "two.ini").write_text("[web:vars]\nansible_user=deploy\n[top:children]\nweb\n")
    inventory = load_inventory(
        [tmp_path / "one.ini", tmp_path / "two.ini"], use_default_ssh_config=False
    )
    (host,) = inventory.hosts
    assert (host.user, host.groups) == ("deploy", ("top", "web"))
