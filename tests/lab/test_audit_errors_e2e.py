"""End to end, real sshd: per-host failures are statuses with reasons, and never stop the run."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .audit_cli import run_audit
from .conftest import Lab

pytestmark = pytest.mark.lab


@pytest.fixture
def tarpit() -> Iterator[int]:
    """A loopback socket that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def _inventory(tmp_path: Path, lab: Lab, hosts: str, extra_vars: str = "") -> Path:
    path = tmp_path / "inv.yml"
    path.write_text(
        "all:\n  vars:\n    ansible_user: auditor\n"
        f"    ansible_ssh_private_key_file: {lab.key}\n"
        f"    audit_known_hosts_file: {lab.known_hosts}\n"
        "    ansible_become: true\n"
        f"{extra_vars}"
        f"  hosts:\n{hosts}"
    )
    return path


def test_hung_host_times_out_within_budget_while_others_finish(
    lab: Lab, tmp_path: Path, tarpit: int
) -> None:
    inv = _inventory(
        tmp_path,
        lab,
        f"    hung:\n      ansible_host: 127.0.0.1\n      ansible_port: {tarpit}\n"
        f"    bastion:\n      ansible_host: 127.0.0.1\n      ansible_port: {lab.bastion_port}\n"
        "    web1:\n      audit_jump: [bastion]\n",
    )
    run = run_audit(
        "run",
        "-i",
        str(inv),
        "--host-timeout",
        "4",
        "--connect-timeout",
        "3",
        out_dir=tmp_path / "out",
        cwd=lab.repo,
    )
    assert run.exit_code == 3
    assert run.host("hung")["status"] == "timeout"
    assert "hung (auditor@127.0.0.1:" in run.host("hung")["reason"]
    assert run.host("hung")["duration_s"] < 4 + 2
    assert run.host("web1")["status"] == "ok"
    assert run.seconds < 4 + 10


def test_encrypted_key_without_agent_is_a_clear_auth_failure(lab: Lab, tmp_path: Path) -> None:
    inv = _inventory(
        tmp_path,
        lab,
        f"    bastion:\n      ansible_host: 127.0.0.1\n      ansible_port: {lab.bastion_port}\n"
        f"      ansible_ssh_private_key_file: {lab.encrypted_key}\n",
    )
    run = run_audit("run", "-i", str(inv), out_dir=tmp_path / "out", cwd=lab.repo, timeout=60)
    assert run.exit_code == 3
    host = run.host("bastion")
    assert host["status"] == "auth-failed"
    assert "is encrypted and no ssh-agent holds it" in host["reason"]
    assert "labpass" not in run.stdout + run.stderr


def test_unknown_host_key_is_refused_then_accept_new_records_it(lab: Lab, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    inv = tmp_path / "inv.yml"
    inv.write_text(
        "all:\n  vars:\n    ansible_user: auditor\n"
        f"    ansible_ssh_private_key_file: {lab.key}\n    audit_known_hosts_file: {known}\n"
        f"  hosts:\n    bastion:\n      ansible_host: 127.0.0.1\n      ansible_port: {lab.bastion_port}\n"
    )
    first = run_audit("run", "-i", str(inv), out_dir=tmp_path / "o1", cwd=lab.repo)
    assert first.host("bastion")["status"] == "hostkey-unknown"
    assert "SHA256:" in first.host("bastion")["reason"]
    assert known.read_text() == ""
    second = run_audit(
        "run",
        "-i",
        str(inv),
        "--accept-new",
        "--known-hosts",
        str(known),
        out_dir=tmp_path / "o2",
        cwd=lab.repo,
    )
    assert second.host("bastion")["status"] == "ok"
    assert f"[127.0.0.1]:{lab.bastion_port} ssh-ed25519 " in known.read_text()


def test_stale_and_closed_hosts_do_not_stop_the_run(lab: Lab, tmp_path: Path) -> None:
    run = run_audit(
        "run",
        "-i",
        str(lab.inventory),
        "--limit",
        "broken:web1",
        out_dir=tmp_path / "out",
        cwd=lab.repo,
    )
    assert run.exit_code == 3
    stale, closed = run.host("stale1"), run.host("closed1")
    assert stale["status"] == "hostkey-mismatch"
    assert "presented ssh-ed25519 SHA256:" in stale["reason"]
    assert "stale1" in stale["reason"]
    assert closed["status"] == "unreachable"
    assert closed["reason"] == f"closed1 (auditor@127.0.0.1:{lab.closed_port}): connection refused"
    assert run.host("web1")["status"] == "ok"
    assert "stale1: hostkey-mismatch" in run.stdout


def test_bad_host_variable_is_that_hosts_error_with_file_and_line(lab: Lab, tmp_path: Path) -> None:
    # one host's invalid connection variable: that host is `error` (never contacted), the
    # rest of the inventory is audited, exit 3 (issue 7: one bad entry never stops the run)
    broken = tmp_path / "broken.yml"
    broken.write_text("all:\n  hosts:\n    web1:\n      ansible_port: abc\n")
    run = run_audit(
        "run", "-i", str(lab.inventory), "-i", str(broken), "--limit", "web1:gold",
        out_dir=tmp_path / "out", cwd=lab.repo,
    )  # fmt: skip
    assert run.exit_code == 3, run.stderr
    web1 = run.host("web1")
    assert web1["status"] == "error"
    assert f"{broken}:4:" in web1["reason"]
    assert "ansible_port" in web1["reason"]
    assert run.host("gold")["status"] == "ok"
    assert "Traceback" not in run.stderr


def test_unparseable_inventory_is_exit_2_with_file_and_line(lab: Lab, tmp_path: Path) -> None:
    inv = tmp_path / "bad.yml"
    inv.write_text("all:\n  hosts:\n    web1: [\n")
    run = run_audit("run", "-i", str(inv), out_dir=tmp_path / "out", cwd=lab.repo)
    assert run.exit_code == 2
    assert str(inv) in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out" / "report.json").exists()


def test_pattern_matching_nothing_is_exit_2(lab: Lab, tmp_path: Path) -> None:
    run = run_audit(
        "host",
        "--limit",
        "nosuchgroup",
        "-i",
        str(lab.inventory),
        out_dir=tmp_path / "out",
        cwd=lab.repo,
    )
    assert run.exit_code == 2
    assert "nosuchgroup" in run.stderr


def test_run_is_fast(lab: Lab, tmp_path: Path) -> None:
    started = time.monotonic()
    run = run_audit("run", "-i", str(lab.inventory), out_dir=tmp_path / "out", cwd=lab.repo)
    assert run.report["hosts"], run.stderr
    assert time.monotonic() - started < 30
