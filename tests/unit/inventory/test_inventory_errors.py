"""Every bad input gives one InventoryError that names the file and (where known) the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.errors import InventoryError
from hardaudit.inventory.loader import load_inventory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "inventory"
E = FIXTURES / "errors"


def error_of(path: Path, **kwargs: object) -> InventoryError:
    with pytest.raises(InventoryError) as caught:
        load_inventory(path, use_default_ssh_config=False, **kwargs)  # type: ignore[arg-type]
    return caught.value


def reported(path: Path, **kwargs: object) -> str:
    """The error that stops the load, else the first per-host error (bad host settings)."""
    try:
        inventory = load_inventory(path, use_default_ssh_config=False, **kwargs)  # type: ignore[arg-type]
    except InventoryError as exc:
        return str(exc)
    errors = [host.error for host in inventory.hosts if host.error]
    assert errors, f"{path} loaded without any error"
    return errors[0]


# Files whose only fault is one host's own settings: the other hosts stay usable.
PER_HOST = (
    "bad_port.yml",
    "port_range.ini",
    "gv/hosts.ini",
    "jump_int.yml",
    "jump_unparseable.yml",
    "jump_empty.yml",
    "jump_cycle.yml",
    "hop_local.yml",
    "proxycommand.yml",
    "bad_connection.ini",
    "bad_become.yml",
    "template.yml",
)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "bad_port.yml",
            "bad_port.yml:7:11: hosts.web1.ansible_port: invalid ansible_port 'abc'"
            " for host web1: expected an integer port 1..65535",
        ),
        (
            "port_range.ini",
            "port_range.ini:3:6: hosts.web2.ansible_port: invalid ansible_port 70000"
            " for host web2: expected an integer port 1..65535",
        ),
        (
            "gv/hosts.ini",
            "gv/group_vars/web.yml:3:1: ansible_port: invalid ansible_port True"
            " for host web1: expected an integer port 1..65535",
        ),
        (
            "jump_int.yml",
            "jump_int.yml:4:7: hosts.web1.audit_jump: invalid audit_jump 5 for host web1:"
            " expected a list of hops or a comma-separated string",
        ),
        (
            "jump_unparseable.yml",
            "jump_unparseable.yml:5:7: hosts.web1.audit_jump: audit_jump hop 'bastoin host'"
            " of host web1 is neither an inventory host nor [user@]host[:port]"
            " (did you mean bastion?)",
        ),
        (
            "jump_empty.yml",
            "jump_empty.yml:4:7: hosts.web1.audit_jump: audit_jump of host web1 has an empty"
            " hop in 'bastion,,other' (each hop names an inventory host or [user@]host[:port])",
        ),
        (
            "jump_cycle.yml",
            "jump_cycle.yml:8:7: hosts.c.audit_jump: jump cycle for host c: a -> b -> c -> a"
            " (a bastion cannot (indirectly) jump through itself)",
        ),
        (
            "hop_local.yml",
            "hop_local.yml:6:7: hosts.web1.audit_jump: host web1 jumps through here,"
            " whose connection is 'local', not ssh",
        ),
        (
            "proxycommand.yml",
            "proxycommand.yml:3:5: all.vars.ansible_ssh_common_args: ProxyCommand is not"
            " supported (host web1) (use ProxyJump (-J) or audit_jump instead)",
        ),
        (
            "bad_connection.ini",
            "bad_connection.ini:1:6: hosts.win1.ansible_connection: connection type 'winrm'"
            " of host win1 is not supported (hardaudit connects with ssh or local only)",
        ),
        (
            "bad_become.yml",
            "bad_become.yml:4:7: hosts.web1.ansible_become: invalid ansible_become 'maybe'"
            " for host web1: expected a boolean (true/false, yes/no, 1/0)",
        ),
        (
            "vaulted_user.yml",
            "vaulted_user.yml:4:7: hosts.web1.ansible_user: ansible_user of host web1 is"
            " vault-encrypted; hardaudit does not decrypt Ansible Vault"
            " (write the value in plain text)",
        ),
        (
            "template.yml",
            "template.yml:4:7: hosts.web1.ansible_user: ansible_user of host web1 uses a Jinja"
            " expression hardaudit cannot evaluate (only plain '{{ variable }}' references"
            " are supported; write the value)",
        ),
        (
            "group_scalar.yml",
            "group_scalar.yml:3:5: all.children.web: group 'web' must be a mapping with"
            " hosts/children/vars, got str 'just-a-string' (write 'web:' followed by indented"
            " 'hosts:', 'children:' or 'vars:')",
        ),
        (
            "hosts_list.yml",
            "hosts_list.yml:4:7: all.children.web.hosts: 'hosts' of group 'web' must be a"
            " mapping, got list (list each entry as a key ending in ':' under 'hosts:',"
            " not as '- item')",
        ),
        (
            "unexpected_key.yml",
            "unexpected_key.yml:4:7: all.children.web.host: unexpected key in group 'web'"
            " (only 'hosts', 'children' and 'vars' are valid here; host variables go under"
            " 'hosts: NAME:')",
        ),
        (
            "host_vars_scalar.yml",
            "host_vars_scalar.yml:3:5: hosts.web1: host 'web1' must be followed by a mapping"
            " of variables or nothing, got str '10.0.0.1' (write 'web1:' alone, or with"
            " indented 'ansible_host: ...' lines)",
        ),
        (
            "top_list.yml",
            "top_list.yml:1: top level must be a mapping of group names, got list"
            " (start with 'all:' and put hosts under 'all: hosts:')",
        ),
        (
            "syntax.yml",
            "syntax.yml:6:1: YAML syntax error: found unexpected end of stream"
            " while scanning a quoted scalar started at line 4",
        ),
        ("json_syntax.json", "json_syntax.json:3:19: JSON syntax error: Expecting value"),
        (
            "plugin.yml",
            "plugin.yml:1:1: plugin: inventory plugin configurations are not supported"
            " (run 'ansible-inventory -i FILE --list > inventory.json' and pass that)",
        ),
        (
            "script",
            "script:1: dynamic inventory scripts are not run by hardaudit"
            " (run it once and save its output: script --list > inventory.json)",
        ),
        (
            "range.yml",
            "range.yml:3:5: hosts.web[3:1]: bad host declaration 'web[3:1]':"
            " host range [3:1] must have start <= end",
        ),
        (
            "priority.yml",
            "priority.yml:5:9: web.vars.ansible_group_priority: ansible_group_priority of"
            " group 'web' must be an integer, got 'high'",
        ),
        (
            "bad_section.ini",
            "bad_section.ini:4: invalid section header '[web servers]'"
            " (write [name], [name:vars] or [name:children] without spaces)",
        ),
        (
            "section_semicolon.ini",
            "section_semicolon.ini:1: invalid section header '[web] ; the web tier': Ansible"
            " allows only a '#' comment after it (write the comment with '#', or on a line"
            " of its own)",
        ),
        (
            "unknown_section.ini",
            "unknown_section.ini:3: section [web:hostvars] has unknown type 'hostvars'"
            " (use [group], [group:vars] or [group:children])",
        ),
        (
            "undefined_vars.ini",
            "undefined_vars.ini:4: section [db:vars] is for a group that is never declared"
            " (add a [db] or [db:children] section)",
        ),
        (
            "int_host.yml",
            "int_host.yml:4:5: hosts.1234: host name 1234 is a number, not a string"
            " (quote it, as Ansible requires: '1234':)",
        ),
        (
            "int_group.yml",
            "int_group.yml:3:5: all.children: group name 2024 is a number, not a string"
            " (quote it, as Ansible requires: '2024':)",
        ),
        (
            "undefined_child.ini",
            "undefined_child.ini:6: [parent:children]: group 'never' is never defined"
            " (add a [never] section (it may be empty) or remove it from [parent:children])",
        ),
        (
            # Being named in [parent:children] does not define a group, in Ansible either.
            "vars_and_child_only.ini",
            "vars_and_child_only.ini:1: section [db:vars] is for a group that is never"
            " declared (add a [db] or [db:children] section)",
        ),
        (
            "ini_token.ini",
            "ini_token.ini:2: hosts.web1.stray: expected key=value after host 'web1',"
            " got 'stray' (quote values containing spaces: key='a b')",
        ),
        (
            "child_loop.ini",
            "child_loop.ini:5:1: [b:children]: group 'a' cannot be a child of 'b':"
            " 'b' is already inside 'a' (a loop)",
        ),
        (
            "gvlist/hosts.yml",
            "gvlist/group_vars/all.yml:1: must be a mapping of variable names to values, got list",
        ),
        (
            "emptydir",
            "emptydir: directory contains no inventory files"
            " (add a hosts.yml/hosts.ini, or pass -i with a file)",
        ),
    ],
)
def test_error_message(name: str, message: str) -> None:
    assert reported(E / name) == f"{E}/{message}"


@pytest.mark.parametrize("name", PER_HOST)
def test_invalid_host_settings_make_that_host_an_error_not_the_inventory(name: str) -> None:
    inventory = load_inventory(E / name, use_default_ssh_config=False)
    assert any(host.error for host in inventory.hosts)


@pytest.mark.parametrize("name", ["vaulted_user.yml", "syntax.yml", "child_loop.ini"])
def test_unreadable_or_vaulted_inventory_still_stops_the_load(name: str) -> None:
    error_of(E / name)


def test_error_carries_structured_position() -> None:
    error = error_of(E / "syntax.yml")
    assert (error.file, error.line, error.column) == (str(E / "syntax.yml"), 6, 1)


def test_missing_inventory_hints_at_dash_i(tmp_path: Path) -> None:
    error = error_of(tmp_path / "nope.yml")
    assert str(error) == (
        f"{tmp_path}/nope.yml: inventory not found"
        " (pass -i with the path of an Ansible inventory file or directory)"
    )


def test_missing_explicit_ssh_config() -> None:
    error = error_of(FIXTURES / "equiv/inventory.yml", ssh_config=E / "no_such_config")
    assert (
        str(error) == f"{E}/no_such_config: ssh_config file not found (check the --ssh-config path)"
    )


def test_bad_ssh_config_port() -> None:
    error = reported(FIXTURES / "equiv/inventory.yml", ssh_config=E / "bad_port.ssh_config")
    assert error == (
        f"{E}/bad_port.ssh_config: Port: Port 'twenty-two' for host '192.0.2.50'"
        " is not an integer 1..65535"
    )


def test_invalid_ssh_config(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("Host a\n  =broken\n")
    error = error_of(FIXTURES / "equiv/inventory.yml", ssh_config=config)
    assert str(error) == f"{config}: invalid ssh_config: Unparsable line =broken"


def test_relative_path_is_shown_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    error = reported(Path("errors/bad_port.yml"))
    assert error.startswith("errors/bad_port.yml:7:11: hosts.web1.ansible_port: ")
