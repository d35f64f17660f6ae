"""SshTransport against real OpenSSH servers on 127.0.0.1 (see sshlab.py)."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hardaudit.errors import ConnectError
from hardaudit.inventory.model import Host
from hardaudit.transport.ssh import SshTransport, probe

from .sshlab import Lab, Sshd, hop, keygen, ssh_keygen_fingerprint, target, wait_for


@pytest.fixture
def transport(known_hosts: Path, home: Path) -> Iterator[SshTransport]:
    t = SshTransport(known_hosts_files=[known_hosts], connect_timeout=3, banner_timeout=3)
    yield t
    t.close()


def _fail(transport: SshTransport, host: Host, timeout: float = 10) -> ConnectError:
    with pytest.raises(ConnectError) as info:
        transport.execute(host, "true", b"", timeout)
    return info.value


# ---------------------------------------------------------------------------- exec


def test_direct_exec_returns_output_exit_code_and_steps(
    transport: SshTransport, servers: dict[str, Sshd], ssh_lab: Lab
) -> None:
    host = target(servers["a"], ssh_lab.client_key)
    result = transport.execute(host, "read x; echo out-$x; echo err >&2; exit 7", b"in\n", 10)
    assert result.stdout == b"out-in\n"
    assert result.stderr == b"err\n"
    assert result.exit_code == 7
    whats = [s.what for s in result.steps]
    assert whats[0] == "TCP connected"
    assert whats[1].startswith(f"host key ssh-ed25519 {servers['a'].fingerprint()} verified")
    assert whats[2] == f"authenticated as root with {ssh_lab.client_key}"
    assert whats[3].startswith("exec finished (exit 7")
    assert {s.hop for s in result.steps} == {f"root@127.0.0.1:{servers['a'].port}"}


def test_large_stdin_stdout_and_stderr_do_not_deadlock(
    transport: SshTransport, servers: dict[str, Sshd], ssh_lab: Lab
) -> None:
    data = os.urandom(2_000_000)
    command = "cat; (yes out | head -c 5000000) & (yes err | head -c 5000000 >&2); wait"
    started = time.monotonic()
    result = transport.execute(target(servers["a"], ssh_lab.client_key), command, data, 20)
    assert result.stdout[: len(data)] == data
    assert len(result.stdout) == len(data) + 5_000_000
    assert len(result.stderr) == 5_000_000
    assert result.exit_code == 0
    assert time.monotonic() - started < 10


def test_log_callback_gets_every_step_and_no_secrets(
    known_hosts: Path, home: Path, servers: dict[str, Sshd], ssh_lab: Lab
) -> None:
    lines: list[str] = []
    t = SshTransport(known_hosts_files=[known_hosts], log=lines.append)
    try:
        result = t.execute(target(servers["a"], ssh_lab.client_key), "echo SECRET", b"", 10)
    finally:
        t.close()
    assert len(lines) == len(result.steps) == 4
    assert all(line.startswith("[a] root@127.0.0.1:") for line in lines)
    text = "\n".join(lines)
    assert "SECRET" not in text
    private = ssh_lab.client_key.read_text().splitlines()[1]
    assert private[:20] not in text


def test_two_hop_chain(transport: SshTransport, servers: dict[str, Sshd], ssh_lab: Lab) -> None:
    key = ssh_lab.client_key
    host = target(servers["b"], key, jump=(hop(servers["a"], key),))
    result = transport.execute(host, "echo $SSH_CONNECTION", b"", 10)
    assert result.exit_code == 0
    assert result.stdout.split()[0] == b"127.0.0.1"
    assert result.stdout.split()[3] == str(servers["b"].port).encode()
    a, b = (f"root@127.0.0.1:{servers[n].port}" for n in "ab")
    assert [s.hop for s in result.steps if "host key" in s.what] == [a, b]
    assert f"TCP connected via {a}" in [s.what for s in result.steps if s.hop == b]


def test_three_hop_chain(transport: SshTransport, servers: dict[str, Sshd], ssh_lab: Lab) -> None:
    key = ssh_lab.client_key
    jump = tuple(hop(servers[n], key) for n in "abc")
    result = transport.execute(target(servers["d"], key, jump=jump), "echo deep", b"", 10)
    assert result.stdout == b"deep\n"
    verified = [s.hop for s in result.steps if "host key" in s.what]
    assert verified == [f"root@127.0.0.1:{servers[n].port}" for n in "abcd"]
    # 'd' has ECDSA first in known_hosts: we asked for that algorithm, so it verified
    assert any("ecdsa-sha2-nistp256" in s.what for s in result.steps)


def test_hosts_behind_one_bastion_share_one_connection(
    ssh_lab: Lab, servers: dict[str, Sshd], tmp_path: Path, home: Path
) -> None:
    key = ssh_lab.client_key
    bastion = ssh_lab.start("shared-bastion")
    known = tmp_path / "kh"
    known.write_text(bastion.known_lines() + "".join(s.known_lines() for s in servers.values()))
    t = SshTransport(known_hosts_files=[known])
    try:
        hosts = [target(servers[n], key, jump=(hop(bastion, key),)) for n in "abcd"]
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda h: t.execute(h, "echo ok", b"", 15), hosts))
        results.append(t.execute(hosts[0], "echo ok", b"", 15))  # later, still shared
    finally:
        t.close()
    assert all(r.stdout == b"ok\n" for r in results)
    label = f"root@127.0.0.1:{bastion.port}"
    connects = sum(s.what == "TCP connected" for r in results for s in r.steps if s.hop == label)
    reuses = sum(
        s.what == "reusing shared connection" for r in results for s in r.steps if s.hop == label
    )
    assert (connects, reuses) == (1, 4)
    assert wait_for(lambda: bastion.count("Accepted publickey") >= 1)
    time.sleep(0.2)
    assert bastion.count("Accepted publickey") == 1
    assert bastion.count("Connection from 127.0.0.1") == 1


def test_close_closes_shared_connections(
    transport: SshTransport, servers: dict[str, Sshd], ssh_lab: Lab
) -> None:
    key = ssh_lab.client_key
    transport.execute(target(servers["b"], key, jump=(hop(servers["a"], key),)), "true", b"", 10)
    shared = list(transport._shared.values())
    assert len(shared) == 1
    assert shared[0].is_active()
    transport.close()
    assert not shared[0].is_active()
    assert _fail(transport, target(servers["a"], key)).status == "error"


# ----------------------------------------------------------------------- host keys


def test_unknown_host_key_is_refused_before_authentication(
    ssh_lab: Lab, home: Path, tmp_path: Path
) -> None:
    server = ssh_lab.start("unknown-key")
    t = SshTransport()
    try:
        error = _fail(t, target(server, ssh_lab.client_key))
    finally:
        t.close()
    assert error.status == "hostkey-unknown"
    assert error.hop == f"root@127.0.0.1:{server.port}"
    assert f"ssh-ed25519 {server.fingerprint()}" in error.message
    assert server.fingerprint() == ssh_keygen_fingerprint(Path(f"{server.host_keys[0]}.pub"))
    assert f"[127.0.0.1]:{server.port}" in error.message
    time.sleep(0.3)
    log = server.log_text()
    assert "Connection from 127.0.0.1" in log
    assert "publickey" not in log
    assert "Accepted" not in log


def test_unknown_key_on_a_jump_host_names_that_hop(
    ssh_lab: Lab, servers: dict[str, Sshd], known_hosts: Path, home: Path
) -> None:
    key = ssh_lab.client_key
    stranger = ssh_lab.start("stranger-bastion")
    t = SshTransport(known_hosts_files=[known_hosts])
    try:
        error = _fail(t, target(servers["a"], key, jump=(hop(stranger, key),)))
    finally:
        t.close()
    assert error.status == "hostkey-unknown"
    assert error.hop == f"root@127.0.0.1:{stranger.port}"
    assert error.message.startswith("jump host stranger-bastion (root@127.0.0.1:")


def test_changed_key_is_a_mismatch_with_both_fingerprints(
    ssh_lab: Lab, servers: dict[str, Sshd], home: Path, tmp_path: Path
) -> None:
    old = keygen(tmp_path / "old_host_key")
    old_pub = Path(f"{old}.pub").read_text().split()
    known = tmp_path / "kh"
    known.write_text(f"{servers['a'].known_name} {old_pub[0]} {old_pub[1]}\n")
    t = SshTransport(known_hosts_files=[known])
    try:
        error = _fail(t, target(servers["a"], ssh_lab.client_key))
    finally:
        t.close()
    assert error.status == "hostkey-mismatch"
    assert servers["a"].fingerprint() in error.message
    assert ssh_keygen_fingerprint(Path(f"{old}.pub")) in error.message


def test_known_key_of_another_type_only_is_a_mismatch(
    ssh_lab: Lab, servers: dict[str, Sshd], home: Path, tmp_path: Path
) -> None:
    other = keygen(tmp_path / "rsa_host_key", "rsa")
    pub = Path(f"{other}.pub").read_text().split()
    known = tmp_path / "kh"
    known.write_text(f"{servers['a'].known_name} {pub[0]} {pub[1]}\n")
    t = SshTransport(known_hosts_files=[known])
    try:
        assert _fail(t, target(servers["a"], ssh_lab.client_key)).status == "hostkey-mismatch"
    finally:
        t.close()


def test_hashed_known_hosts_and_markers(
    ssh_lab: Lab, servers: dict[str, Sshd], home: Path, tmp_path: Path
) -> None:
    key_line = servers["a"].known_lines().split(maxsplit=1)[1].strip()
    known = tmp_path / "kh"
    known.write_text(servers["a"].known_lines())
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)
    known.write_text(f"@cert-authority * {key_line}\nnot a valid line\n{known.read_text()}")
    assert f"[127.0.0.1]:{servers['a'].port}" not in known.read_text()
    host = target(servers["a"], ssh_lab.client_key, known=(known,))  # per-host known_hosts file
    t = SshTransport()
    try:
        assert t.execute(host, "echo ok", b"", 10).stdout == b"ok\n"
    finally:
        t.close()
    # the same key marked @revoked is refused
    known.write_text(known.read_text() + f"@revoked {servers['a'].known_name} {key_line}\n")
    t = SshTransport()
    try:
        error = _fail(t, host)
    finally:
        t.close()
    assert error.status == "hostkey-mismatch"
    assert "@revoked" in error.message


def test_default_known_hosts_is_read(ssh_lab: Lab, servers: dict[str, Sshd], home: Path) -> None:
    (home / ".ssh").mkdir()
    (home / ".ssh" / "known_hosts").write_text(servers["a"].known_lines())
    t = SshTransport()
    try:
        assert t.execute(target(servers["a"], ssh_lab.client_key), "true", b"", 10).exit_code == 0
    finally:
        t.close()


def test_accept_new_records_then_later_runs_verify(
    ssh_lab: Lab, home: Path, tmp_path: Path
) -> None:
    server = ssh_lab.start("accept-new")
    record = tmp_path / "sub" / "accepted_hosts"
    t = SshTransport(accept_new=True, accept_new_file=record)
    try:
        result = t.execute(target(server, ssh_lab.client_key), "echo ok", b"", 10)
    finally:
        t.close()
    assert result.stdout == b"ok\n"
    assert any("recorded" in s.what for s in result.steps)
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert record.read_text() == server.known_lines()
    # a strict run that reads that file now passes, and nothing is appended twice
    t = SshTransport(known_hosts_files=[record])
    try:
        assert t.execute(target(server, ssh_lab.client_key), "true", b"", 10).exit_code == 0
    finally:
        t.close()
    t = SshTransport(accept_new=True, accept_new_file=record)
    try:
        t.execute(target(server, ssh_lab.client_key), "true", b"", 10)
    finally:
        t.close()
    assert record.read_text() == server.known_lines()


def test_accept_new_defaults_to_home_known_hosts(
    ssh_lab: Lab, servers: dict[str, Sshd], home: Path
) -> None:
    t = SshTransport(accept_new=True)
    try:
        t.execute(target(servers["b"], ssh_lab.client_key), "true", b"", 10)
    finally:
        t.close()
    path = home / ".ssh" / "known_hosts"
    assert path.read_text() == servers["b"].known_lines()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_accept_new_never_replaces_a_changed_key(
    ssh_lab: Lab, servers: dict[str, Sshd], home: Path, tmp_path: Path
) -> None:
    old = keygen(tmp_path / "old")
    pub = Path(f"{old}.pub").read_text().split()
    record = tmp_path / "kh"
    content = f"{servers['a'].known_name} {pub[0]} {pub[1]}\n"
    record.write_text(content)
    t = SshTransport(accept_new=True, accept_new_file=record)
    try:
        assert _fail(t, target(servers["a"], ssh_lab.client_key)).status == "hostkey-mismatch"
    finally:
        t.close()
    assert record.read_text() == content


# --------------------------------------------------------------------------- auth


def test_wrong_key_is_auth_failed_naming_user_hop_and_key(
    transport: SshTransport, servers: dict[str, Sshd], tmp_path: Path
) -> None:
    wrong = keygen(tmp_path / "wrong_key")
    error = _fail(transport, target(servers["a"], wrong))
    assert error.status == "auth-failed"
    assert f"root@127.0.0.1:{servers['a'].port}" in error.message
    assert str(wrong) in error.message


def test_encrypted_key_without_agent_is_auth_failed(
    transport: SshTransport, servers: dict[str, Sshd], tmp_path: Path
) -> None:
    locked = keygen(tmp_path / "locked_key", passphrase="correct horse")
    error = _fail(transport, target(servers["a"], locked))
    assert error.status == "auth-failed"
    assert f"key file {locked} is encrypted and no ssh-agent holds it" in error.message
    assert "ssh-add" in error.message


def test_missing_key_file_is_auth_failed(
    transport: SshTransport, servers: dict[str, Sshd], tmp_path: Path
) -> None:
    error = _fail(transport, target(servers["a"], tmp_path / "no_such_key"))
    assert error.status == "auth-failed"
    assert f"key file {tmp_path / 'no_such_key'} does not exist" in error.message


def test_default_identity_files_are_used(
    known_hosts: Path, home: Path, servers: dict[str, Sshd], ssh_lab: Lab
) -> None:
    (home / ".ssh").mkdir()
    shutil.copy(ssh_lab.client_key, home / ".ssh" / "id_ecdsa")  # any name of the three
    host = target(servers["a"], ssh_lab.client_key)
    host = Host(host.name, host.address, host.port, host.user)  # no key_files
    t = SshTransport(known_hosts_files=[known_hosts])
    try:
        result = t.execute(host, "true", b"", 10)
    finally:
        t.close()
    assert any(s.what.endswith(str(home / ".ssh" / "id_ecdsa")) for s in result.steps)


@pytest.mark.skipif(not shutil.which("ssh-agent"), reason="ssh-agent not installed")
def test_encrypted_key_held_by_agent_authenticates(
    known_hosts: Path,
    home: Path,
    servers: dict[str, Sshd],
    ssh_lab: Lab,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    locked = keygen(tmp_path / "agent_key", passphrase="correct horse")
    auth = ssh_lab.authorized_keys
    original = auth.read_text()
    auth.write_text(original + Path(f"{locked}.pub").read_text())
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        assert wait_for(sock.exists)
        askpass = tmp_path / "askpass"
        askpass.write_text("#!/bin/sh\necho 'correct horse'\n")
        askpass.chmod(0o700)
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock), "SSH_ASKPASS": str(askpass)}
        env["SSH_ASKPASS_REQUIRE"] = "force"
        subprocess.run(
            ["ssh-add", str(locked)],
            env=env,
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        t = SshTransport(known_hosts_files=[known_hosts])
        try:
            result = t.execute(target(servers["c"], locked), "echo ok", b"", 10)
        finally:
            t.close()
    finally:
        agent.kill()
        agent.wait()
        auth.write_text(original)
    fp = ssh_keygen_fingerprint(Path(f"{locked}.pub"))
    assert result.stdout == b"ok\n"
    assert f"authenticated as root with agent:{fp}" in [s.what for s in result.steps]


# ---------------------------------------------------------------- network failures


def test_closed_port_is_unreachable(
    transport: SshTransport, closed_port: int, tmp_path: Path
) -> None:
    error = _fail(transport, target(closed_port, tmp_path / "k", name="gone"))
    assert error.status == "unreachable"
    assert error.hop == f"root@127.0.0.1:{closed_port}"
    assert "connection refused" in error.message
    assert "gone" in error.message


def test_closed_port_behind_bastion_is_unreachable(
    transport: SshTransport, servers: dict[str, Sshd], ssh_lab: Lab, closed_port: int
) -> None:
    key = ssh_lab.client_key
    error = _fail(transport, target(closed_port, key, jump=(hop(servers["a"], key),)))
    assert error.status == "unreachable"
    assert error.hop == f"root@127.0.0.1:{closed_port}"
    assert "could not connect" in error.message


def test_name_resolution_failure_is_unreachable(
    transport: SshTransport, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_dns(*_args: object, **_kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # nothing leaves the machine
    host = target(22, tmp_path / "k", name="ghost")
    host = Host("ghost", "ghost.invalid", 22, "root", host.key_files)
    error = _fail(transport, host)
    assert error.status == "unreachable"
    assert "cannot resolve 'ghost.invalid'" in error.message


def test_failed_bastion_fails_every_host_behind_it_at_once(
    transport: SshTransport, servers: dict[str, Sshd], ssh_lab: Lab, closed_port: int
) -> None:
    key = ssh_lab.client_key
    dead = hop(closed_port, key, name="dead-bastion")
    errors = [_fail(transport, target(servers[n], key, jump=(dead,))) for n in "ab"]
    assert [e.status for e in errors] == ["unreachable", "unreachable"]
    assert {e.hop for e in errors} == {f"root@127.0.0.1:{closed_port}"}
    assert errors[0].message.startswith("jump host dead-bastion")


def test_tarpit_ends_as_timeout_within_the_host_budget(
    tarpit: int, home: Path, tmp_path: Path
) -> None:
    t = SshTransport(banner_timeout=30)
    started = time.monotonic()
    try:
        error = _fail(t, target(tarpit, tmp_path / "k"), timeout=2)
    finally:
        t.close()
    assert error.status == "timeout"
    assert time.monotonic() - started < 2 + 2
    assert "budget of 2s" in error.message


def test_tarpit_hits_the_banner_timeout(tarpit: int, home: Path, tmp_path: Path) -> None:
    t = SshTransport(banner_timeout=1)
    started = time.monotonic()
    try:
        error = _fail(t, target(tarpit, tmp_path / "k"), timeout=30)
    finally:
        t.close()
    assert error.status == "timeout"
    assert "SSH banner" in error.message
    assert time.monotonic() - started < 1 + 2


def test_tarpit_behind_a_bastion_is_a_timeout_on_that_hop(
    transport: SshTransport, servers: dict[str, Sshd], ssh_lab: Lab, tarpit: int
) -> None:
    key = ssh_lab.client_key
    started = time.monotonic()
    error = _fail(transport, target(tarpit, key, jump=(hop(servers["a"], key),)), timeout=2)
    assert error.status == "timeout"
    assert error.hop == f"root@127.0.0.1:{tarpit}"
    assert time.monotonic() - started < 2 + 2


def test_long_command_is_cut_at_the_budget(
    transport: SshTransport, servers: dict[str, Sshd], ssh_lab: Lab
) -> None:
    started = time.monotonic()
    with pytest.raises(ConnectError) as info:
        transport.execute(target(servers["a"], ssh_lab.client_key), "sleep 20", b"", 1.5)
    assert info.value.status == "timeout"
    assert "while the command ran" in info.value.message
    assert time.monotonic() - started < 1.5 + 2


# -------------------------------------------------------------------------- probe


def test_probe_reports_every_hop_without_raising(
    ssh_lab: Lab, servers: dict[str, Sshd], known_hosts: Path, home: Path, closed_port: int
) -> None:
    key = ssh_lab.client_key
    stranger = ssh_lab.start("probe-stranger")
    host = target(servers["b"], key, jump=(hop(servers["a"], key), hop(stranger, key)))
    reports = probe(host, known_hosts_files=[known_hosts])
    assert [(r.reachable, r.hostkey, r.auth) for r in reports] == [
        (True, "ok", "ok"),
        (True, "unknown", "n/a"),
        (False, "n/a", "n/a"),
    ]
    assert reports[0].key == str(key)
    assert reports[0].fingerprint == f"ssh-ed25519 {servers['a'].fingerprint()}"
    assert reports[1].fingerprint == f"ssh-ed25519 {stranger.fingerprint()}"
    assert reports[2].detail.startswith("not tried")

    wrong = keygen(ssh_lab.root / "probe_wrong")
    reports = probe(target(servers["a"], wrong), known_hosts_files=[known_hosts])
    assert [(r.reachable, r.hostkey, r.auth) for r in reports] == [(True, "ok", "failed")]
    reports = probe(target(closed_port, key), known_hosts_files=[known_hosts])
    assert [(r.reachable, r.hostkey, r.auth) for r in reports] == [(False, "n/a", "n/a")]
    assert not (home / ".ssh" / "known_hosts").exists()  # probe never records keys


def test_accept_new_refuses_a_symlinked_known_hosts_with_a_clear_error(
    ssh_lab: Lab, servers: dict[str, Sshd], home: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("")
    record = tmp_path / "accepted_hosts"
    record.symlink_to(victim)
    t = SshTransport(accept_new=True, accept_new_file=record)
    try:
        with pytest.raises(ConnectError, match="symbolic link") as err:
            t.execute(target(servers["b"], ssh_lab.client_key), "true", b"", 10)
    finally:
        t.close()
    assert err.value.status == "error"
    assert victim.read_text() == ""
