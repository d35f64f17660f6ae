"""`audit script [HOST]` prints exactly what the transport is sent for that host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hardaudit.checks.loader import load_checks, select_checks
from hardaudit.cli import NONCE_PLACEHOLDER, main
from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Host
from hardaudit.runner import RunOptions, audit_host
from hardaudit.transport.base import ExecResult

INVENTORY = """all:
  hosts:
    web9:
      ansible_host: 127.0.0.1
      ansible_become: true
      app_dirs: [/srv/app, "/opt/it's here"]
      services: [nginx.service, redis-server]
    db9:
      ansible_host: 127.0.0.1
"""


class RecordingTransport:
    """Records the one exec; returns no output (the host then ends as an error)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def execute(self, host: Host, command: str, stdin: bytes, timeout: float) -> ExecResult:
        self.sent.append((command, stdin))
        return ExecResult(b"", b"", 0)


def _printed(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    """(command line, script) as `audit script` prints them."""
    assert main(["script", *argv]) == 0
    out = capsys.readouterr().out
    header, note, command, marker, script = out.split("\n", 4)
    assert header.startswith("# hardaudit facts script for ")
    assert note.startswith("# 1. the one command exec'd on the target")
    assert marker == "# 2. the script sent on its stdin:"
    return command, script


def _sent(inventory: Path, name: str, checks: list[str]) -> tuple[str, str]:
    (host,) = [h for h in load_inventory(inventory).hosts if h.name == name]
    chosen = select_checks(load_checks(), checks, [], [])
    transport = RecordingTransport()
    audit_host(host, chosen, transport, RunOptions())
    ((command, stdin),) = transport.sent
    script = stdin.decode()
    nonce = re.search(r"^N='@@([0-9a-f]+)'$", script, re.MULTILINE)
    assert nonce is not None
    return (
        command.replace(nonce.group(1), NONCE_PLACEHOLDER),
        script.replace(nonce.group(1), NONCE_PLACEHOLDER),
    )


@pytest.mark.parametrize(("name", "checks"), [("web9", []), ("db9", ["ssh.*", "file.env-mode"])])
def test_script_command_prints_what_the_transport_sends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, checks: list[str]
) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(INVENTORY)
    argv = ["-i", str(inventory), name, *(a for c in checks for a in ("--checks", c))]
    printed = _printed(capsys, *argv)
    sent = _sent(inventory, name, checks)
    assert printed[0] == sent[0]
    assert printed[1] == sent[1]
    assert NONCE_PLACEHOLDER in printed[1]
    assert re.search(r"@@[0-9a-f]{24}", printed[0] + printed[1]) is None  # no real nonce shown


def test_script_command_applies_the_hosts_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(INVENTORY)
    command, script = _printed(capsys, "-i", str(inventory), "web9")
    assert "HA_BECOME=1" in command
    assert "env_files /srv/app '/opt/it'\"'\"'s here'\n" in script
    assert "root_helper /srv/app '/opt/it'\"'\"'s here'\n" in script
    assert "for _s in nginx redis-server; do" in script
    command, _ = _printed(capsys, "-i", str(inventory), "db9")
    assert "HA_BECOME=0" in command


def test_script_command_without_host_uses_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    command, script = _printed(capsys)
    assert "HA_BECOME=1" in command
    assert "env_files /srv /opt /var/www /home\n" in script


def test_script_command_refuses_a_pattern_naming_several_hosts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(INVENTORY)
    assert main(["script", "-i", str(inventory), "*9"]) == 2
    assert "names 2 hosts" in capsys.readouterr().err
