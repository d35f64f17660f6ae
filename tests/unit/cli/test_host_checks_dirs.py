"""A host's `audit_checks_dirs` applies to that host only: its checks and their `command:`
reach no other host, whatever the selection, and a bad value is that host's error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hardaudit.cli import main
from hardaudit.inventory.model import Host
from hardaudit.transport.base import ExecResult
from hardaudit.transport.replay import ReplayTransport

REPLAY = Path(__file__).parents[2] / "fixtures" / "replay"

CHECK = """\
id: acme.motd
severity: low
title: the motd says ok
rationale: r
remediation: m
facts: [command]
command: "echo acme-marker-{n}"
evaluator: command_output
params:
  stdout_matches: '^ok$'
"""


class Recording:
    """Replays the gold capture for every host and records each host's script."""

    def __init__(self) -> None:
        self.replay = ReplayTransport(REPLAY / "captures")
        self.scripts: dict[str, str] = {}

    def execute(self, host: Host, command: str, stdin: bytes, timeout: float) -> ExecResult:
        self.scripts[host.name] = stdin.decode()
        return self.replay.execute(Host(name="gold", address="x"), command, stdin, timeout)

    def close(self) -> None:
        pass


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> Recording:
    transport = Recording()
    monkeypatch.setattr("hardaudit.cli._transports", lambda args: (transport, transport))
    return transport


def _inventory(tmp_path: Path, acme_value: str, other_vars: str = "") -> Path:
    (tmp_path / "inv").mkdir()
    acme = tmp_path / "inv" / "acme-checks"
    acme.mkdir()
    (acme / "acme.motd.yml").write_text(CHECK.format(n=1))
    inventory = tmp_path / "inv" / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n"
        f"    acme1:\n      ansible_host: 127.0.0.1\n      audit_checks_dirs: {acme_value}\n"
        f"    plain1:\n      ansible_host: 127.0.0.2\n{other_vars}"
    )
    return inventory


def _run(tmp_path: Path, inventory: Path, *extra: str) -> dict[str, dict[str, object]]:
    out = tmp_path / "out"
    argv = ["run", "-i", str(inventory), "--output-dir", str(out), "--format", "json", *extra]
    assert main(argv) in (0, 1, 3)
    report = json.loads((out / "report.json").read_text())
    (out / "report.json").unlink()
    out.rmdir()
    return {h["name"]: h for h in report["hosts"]}


def _checks_of(host: dict[str, object]) -> set[str]:
    return {str(f["check"]) for f in host["findings"]}  # type: ignore[attr-defined]


def test_an_inventory_checks_dir_applies_only_to_the_hosts_that_set_it(
    tmp_path: Path, recording: Recording
) -> None:
    inventory = _inventory(tmp_path, "[acme-checks]")  # relative to the inventory's dir
    hosts = _run(tmp_path, inventory)
    assert "acme-marker-1" in recording.scripts["acme1"]
    assert "acme-marker-1" not in recording.scripts["plain1"]
    assert "acme.motd" in _checks_of(hosts["acme1"])
    assert "acme.motd" not in _checks_of(hosts["plain1"])
    assert "ssh.permit-root-login" in _checks_of(hosts["plain1"])


def test_what_a_host_gets_does_not_depend_on_the_selection(
    tmp_path: Path, recording: Recording
) -> None:
    inventory = _inventory(tmp_path, "[acme-checks]")
    _run(tmp_path, inventory, "--limit", "plain1")
    _run(tmp_path, inventory, "--limit", "acme1:plain1")
    assert "acme-marker" not in recording.scripts["plain1"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("5", "must be a directory or a list of directories"),
        ("[5]", "must be a directory or a list of directories"),
        ('""', "must be a directory or a list of directories"),
        ("'~nosuchuser/x'", "is not a directory"),
        ("[nowhere]", "is not a directory"),
    ],
)
def test_a_bad_checks_dir_is_that_hosts_error_and_the_run_goes_on(
    tmp_path: Path, recording: Recording, value: str, reason: str
) -> None:
    inventory = _inventory(tmp_path, value)
    hosts = _run(tmp_path, inventory)
    assert hosts["acme1"]["status"] == "error"
    assert reason in str(hosts["acme1"]["reason"])
    assert "acme1" not in recording.scripts
    assert hosts["plain1"]["status"] == "ok"


def test_an_invalid_check_file_is_that_hosts_error(tmp_path: Path, recording: Recording) -> None:
    inventory = _inventory(tmp_path, "[acme-checks]")
    (tmp_path / "inv" / "acme-checks" / "acme.motd.yml").write_text("id: [\n")
    hosts = _run(tmp_path, inventory)
    assert hosts["acme1"]["status"] == "error"
    assert "acme.motd.yml" in str(hosts["acme1"]["reason"])
    assert hosts["plain1"]["status"] == "ok"


def test_one_id_meaning_two_checks_in_one_run_is_an_error_for_the_second_host(
    tmp_path: Path, recording: Recording
) -> None:
    other = tmp_path / "other-checks"
    other.mkdir()
    (other / "acme.motd.yml").write_text(CHECK.format(n=2))
    inventory = _inventory(tmp_path, "[acme-checks]", f"      audit_checks_dirs: [{other}]\n")
    hosts = _run(tmp_path, inventory)
    assert hosts["acme1"]["status"] == "ok"
    assert hosts["plain1"]["status"] == "error"
    assert "is not the one other hosts of this run use" in str(hosts["plain1"]["reason"])
    assert "acme-marker-2" not in "".join(recording.scripts.values())
