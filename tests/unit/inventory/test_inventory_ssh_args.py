"""ansible_ssh_args / ansible_ssh_common_args / ansible_ssh_extra_args read as ssh reads its
argv, on the command line Ansible builds: ssh_args, then -o Port/IdentityFile/User from
ansible_port/ansible_private_key_file/ansible_user, then common, then extra args; ssh keeps
the first value of an option. Options that change where or how ssh connects and that
hardaudit does not implement make the host `error`."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Host


def _host(tmp_path: Path, variables: str, ssh_config: str = "") -> Host:
    (tmp_path / "hosts.yml").write_text("all:\n  hosts:\n    h:\n" + variables)
    config = tmp_path / "ssh_config"
    config.write_text(ssh_config)
    host = load_inventory(tmp_path / "hosts.yml", ssh_config=config).host("h")
    assert host is not None
    return host


def test_combined_short_flags_follow_getopt(tmp_path: Path) -> None:
    host = _host(tmp_path, "      ansible_ssh_common_args: -CJ jump@192.0.2.7 -vp2201\n")
    assert host.error == ""
    assert [hop.label for hop in host.jump] == ["jump@192.0.2.7:22"]
    assert host.port == 2201


def test_an_option_argument_that_looks_like_an_option_is_not_one(tmp_path: Path) -> None:
    host = _host(tmp_path, "      ansible_ssh_common_args: -l -Jevil\n")
    assert host.jump == ()
    assert "ssh user '-Jevil'" in host.error


@pytest.mark.parametrize(
    ("variables", "port", "user"),
    [
        ("      ansible_ssh_common_args: -p 2201 -l alice\n", 2201, "alice"),
        ("      ansible_ssh_common_args: -o Port=2201 -o 'User alice'\n", 2201, "alice"),
        (
            "      ansible_ssh_common_args: -oPort=2201 -p 2202 -l alice -o User=bob\n",
            2201,
            "alice",
        ),
        # ansible_port / ansible_user come before ssh_common_args and extra_args: they win
        (
            "      ansible_port: 22\n      ansible_user: ops\n"
            "      ansible_ssh_common_args: -p 2201 -l alice\n"
            "      ansible_ssh_extra_args: -p 2202\n",
            22,
            "ops",
        ),
        # ... but ansible_ssh_args (ansible.cfg's ssh_args) comes first of all
        (
            "      ansible_port: 22\n      ansible_user: ops\n"
            "      ansible_ssh_args: -C -o ControlMaster=auto -o ControlPersist=60s -p 2203 -l eve\n",
            2203,
            "eve",
        ),
        ("      ansible_ssh_extra_args: -p 2204\n", 2204, None),
    ],
)
def test_port_and_user_first_value_wins_on_ansibles_command_line(
    tmp_path: Path, variables: str, port: int, user: str | None
) -> None:
    host = _host(tmp_path, variables)
    assert host.error == ""
    assert (host.port, host.user) == (port, user)


def test_hostname_in_ssh_args_is_where_ssh_connects(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        "      ansible_host: alias\n      ansible_ssh_common_args: -o HostName=192.0.2.9\n",
        "Host alias\n  HostName 192.0.2.1\n  Port 2222\n",
    )
    assert (host.address, host.port) == ("192.0.2.9", 2222)


def test_identity_files_accumulate_and_identities_only_is_honoured(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        "      ansible_private_key_file: keys/deploy\n"
        "      ansible_ssh_common_args: -i keys/a -o IdentityFile=/k/b -o IdentitiesOnly=yes\n",
        "Host *\n  IdentityFile /k/from_config\n",
    )
    keys = tmp_path / "keys"
    assert host.key_files == (str(keys / "deploy"), str(keys / "a"), "/k/b")
    assert host.identities_only


def test_identities_only_in_args_wins_over_ssh_config(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        "      ansible_ssh_common_args: -o IdentitiesOnly=no\n",
        "Host *\n  IdentitiesOnly yes\n",
    )
    assert not host.identities_only


def test_user_known_hosts_file_in_args_unless_audit_known_hosts_file(tmp_path: Path) -> None:
    args = "      ansible_ssh_common_args: -o 'UserKnownHostsFile /k/one /k/two'\n"
    assert _host(tmp_path, args).known_hosts_files == ("/k/one", "/k/two")
    own = _host(tmp_path, args + "      audit_known_hosts_file: /k/mine\n")
    assert own.known_hosts_files == ("/k/mine",)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ("-o ProxyCommand='nc %h %p'", "ProxyCommand is not supported"),
        ("-F /etc/other_config", "-F (another ssh_config file) is not supported"),
        ("-S /tmp/master.sock", "-S (a ControlPath master connection) is not supported"),
        ("-o ControlPath=/tmp/cm", "ControlPath=/tmp/cm is not supported"),
        ("-o StrictHostKeyChecking=no", "StrictHostKeyChecking=no is not supported"),
        ("-o StrictHostKeyChecking=accept-new", "StrictHostKeyChecking=accept-new is not"),
        ("-o HostKeyAlias=other", "HostKeyAlias=other is not supported"),
        ("-o GlobalKnownHostsFile=/dev/null", "GlobalKnownHostsFile=/dev/null is not"),
        ("-W 192.0.2.1:22", "-W (forward stdio to another host) is not supported"),
        ("-b 192.0.2.3", "-b (bind address) is not supported"),
        ("-C evil.example", "ssh argument 'evil.example' of host h is not an option"),
        ("-Z", "unknown ssh option -Z"),
        ("-o ProxyJump 192.0.2.8", "ProxyJump without a value"),
        ("-o IdentityFile=/k/%h", "uses % tokens"),
        ("-o PKCS11Provider=/usr/lib/p11.so", "PKCS11Provider=/usr/lib/p11.so is not supported"),
    ],
)
def test_option_that_changes_the_connection_but_is_not_implemented_is_the_hosts_error(
    tmp_path: Path, args: str, reason: str
) -> None:
    host = _host(tmp_path, f'      ansible_ssh_common_args: "{args}"\n')
    assert "ansible_ssh_common_args" in host.error
    assert reason in host.error


def test_ansible_host_key_checking_off_is_the_hosts_error(tmp_path: Path) -> None:
    host = _host(tmp_path, "      ansible_host_key_checking: false\n")
    assert "host key checking cannot be turned off" in host.error


def test_ansibles_default_ssh_args_are_harmless(tmp_path: Path) -> None:
    host = _host(
        tmp_path, "      ansible_ssh_args: -C -o ControlMaster=auto -o ControlPersist=60s\n"
    )
    assert host.error == ""


def test_the_command_line_ansible_really_builds(tmp_path: Path) -> None:
    # Observed with ansible-core 2.19 (-vvv "SSH: EXEC ssh -C -o ControlMaster=no -p 2203
    # -o Port=9 ... -o 'User="ops"' ... -p 2201 -l alice -o HostName=127.0.0.2 -o User=bob
    # ... 127.0.0.1") and `ssh -G` on that line: hostname 127.0.0.2, port 2203, user ops.
    host = _host(
        tmp_path,
        "      ansible_host: 127.0.0.1\n      ansible_port: 9\n      ansible_user: ops\n"
        '      ansible_ssh_args: "-C -o ControlMaster=no -p 2203"\n'
        '      ansible_ssh_common_args: "-p 2201 -l alice -o HostName=127.0.0.2"\n'
        '      ansible_ssh_extra_args: "-o User=bob"\n',
    )
    assert (host.address, host.port, host.user) == ("127.0.0.2", 2203, "ops")


def test_ssh_arguments_mean_nothing_to_a_local_connection(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        "      ansible_connection: local\n      ansible_host_key_checking: false\n"
        "      ansible_ssh_common_args: -o ProxyCommand=nc\n",
    )
    assert host.error == ""
    assert host.connection == "local"
