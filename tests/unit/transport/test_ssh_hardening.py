"""Review findings on the SSH transport, each against real sshd on 127.0.0.1 (sshlab.py):
per-hop host-key files, the connection cache key, the output cap, a hung ssh-agent,
unusable key files, close() during a handshake, fds >= 1024 and remote control characters."""

from __future__ import annotations

import base64
import os
import resource
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa

from hardaudit.errors import ConnectError
from hardaudit.inventory.model import Hop, Host
from hardaudit.transport import ssh as ssh_module
from hardaudit.transport.ssh import MAX_OUTPUT_BYTES, SshTransport, _clean, probe

from .sshlab import Lab, Sshd, hop, keygen, silent_server, target


@pytest.fixture
def transport_files(known_hosts: Path, home: Path) -> Path:
    """The shared servers' known_hosts file, with a private HOME and no ssh-agent."""
    return known_hosts


def _label(server: Sshd) -> str:
    return f"root@127.0.0.1:{server.port}"


def _with_files(h: Hop, *files: Path) -> Hop:
    return Hop(h.name, h.address, h.port, h.user, h.key_files, tuple(str(f) for f in files))


def _stale_line(server: Sshd, tmp_path: Path) -> str:
    """A known_hosts line for `server`'s name with a key it does not have (a changed key)."""
    old = keygen(tmp_path / f"old_{server.name}_host_key")
    key_type, blob = Path(f"{old}.pub").read_text().split()[:2]
    return f"{server.known_name} {key_type} {blob}\n"


def _fail(transport: SshTransport, host: Host, timeout: float = 10) -> ConnectError:
    with pytest.raises(ConnectError) as info:
        transport.execute(host, "true", b"", timeout)
    return info.value


def _in_thread(call: Callable[[], object], limit: float) -> tuple[object, float]:
    """Run `call` in a thread; fail (instead of hanging the suite) if it takes > `limit`."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"still blocked after {limit}s"
    return outcome[0], time.monotonic() - started


# ------------------------------------------------- 1. each hop has its own known_hosts


def test_changed_bastion_key_in_its_own_file_is_a_mismatch_even_with_accept_new(
    ssh_lab: Lab, servers: dict[str, Sshd], home: Path, tmp_path: Path
) -> None:
    key = ssh_lab.client_key
    bastion_file = tmp_path / "bastion_known_hosts"
    bastion_file.write_text(_stale_line(servers["a"], tmp_path))
    bastion = target(servers["a"], key, known=(bastion_file,))  # an inventory host
    record = tmp_path / "accepted"
    record.write_text(servers["b"].known_lines())
    t = SshTransport(accept_new=True, accept_new_file=record)
    try:
        error = _fail(t, target(servers["b"], key, jump=(bastion.as_hop(),)))
    finally:
        t.close()
    assert error.status == "hostkey-mismatch"
    assert error.hop == _label(servers["a"])
    assert str(bastion_file) in error.message
    assert record.read_text() == servers["b"].known_lines()  # the changed key not recorded


def test_each_hop_is_verified_against_its_own_files(
    ssh_lab: Lab, servers: dict[str, Sshd], home: Path, tmp_path: Path
) -> None:
    key = ssh_lab.client_key
    a_file, b_file = tmp_path / "a_kh", tmp_path / "b_kh"
    a_file.write_text(servers["a"].known_lines())
    b_file.write_text(servers["b"].known_lines())
    t = SshTransport()
    try:
        host = target(servers["b"], key, jump=(_with_files(hop(servers["a"], key), a_file),))
        host = replace(host, known_hosts_files=(str(b_file),))
        assert t.execute(host, "echo ok", b"", 10).stdout == b"ok\n"
        # the target's files are not the bastion's: a bastion without files of its own
        # is checked against the base files only
        both = tmp_path / "both_kh"
        both.write_text(servers["a"].known_lines() + servers["c"].known_lines())
        other = target(servers["c"], key, jump=(hop(servers["a"], key),), known=(both,))
        error = _fail(t, other)
    finally:
        t.close()
    assert (error.status, error.hop) == ("hostkey-unknown", _label(servers["a"]))


def test_a_changed_key_in_any_file_is_a_mismatch_not_unknown(
    ssh_lab: Lab, servers: dict[str, Sshd], home: Path, tmp_path: Path
) -> None:
    key = ssh_lab.client_key
    stale = tmp_path / "stale_kh"
    stale.write_text(_stale_line(servers["a"], tmp_path))
    empty = tmp_path / "empty_kh"
    empty.write_text("")
    t = SshTransport(known_hosts_files=[empty], accept_new=True, accept_new_file=empty)
    try:
        hop_a = _with_files(hop(servers["a"], key), stale)
        error = _fail(t, target(servers["b"], key, jump=(hop_a,)))
    finally:
        t.close()
    assert (error.status, error.hop) == ("hostkey-mismatch", _label(servers["a"]))
    assert empty.read_text() == ""


# ------------------------------------------ 2. cache keys include the verification inputs


def test_shared_bastion_is_not_reused_by_a_host_whose_files_lack_its_key(
    ssh_lab: Lab, servers: dict[str, Sshd], home: Path, tmp_path: Path
) -> None:
    key = ssh_lab.client_key
    targets_file, a_file = tmp_path / "targets_kh", tmp_path / "a_kh"
    targets_file.write_text(servers["b"].known_lines() + servers["c"].known_lines())
    a_file.write_text(servers["a"].known_lines())
    t = SshTransport(known_hosts_files=[targets_file])
    try:
        trusted = _with_files(hop(servers["a"], key), a_file)
        assert t.execute(target(servers["b"], key, jump=(trusted,)), "true", b"", 10).exit_code == 0
        error = _fail(t, target(servers["c"], key, jump=(hop(servers["a"], key),)))
    finally:
        t.close()
    assert (error.status, error.hop) == ("hostkey-unknown", _label(servers["a"]))


def test_cached_hostkey_failure_does_not_leak_to_a_host_with_other_files(
    ssh_lab: Lab, servers: dict[str, Sshd], home: Path, tmp_path: Path
) -> None:
    key = ssh_lab.client_key
    targets_file, a_file = tmp_path / "targets_kh", tmp_path / "a_kh"
    targets_file.write_text(servers["b"].known_lines() + servers["c"].known_lines())
    a_file.write_text(servers["a"].known_lines())
    t = SshTransport(known_hosts_files=[targets_file])
    try:
        error = _fail(t, target(servers["c"], key, jump=(hop(servers["a"], key),)))
        assert error.status == "hostkey-unknown"
        trusted = _with_files(hop(servers["a"], key), a_file)
        result = t.execute(target(servers["b"], key, jump=(trusted,)), "echo ok", b"", 10)
    finally:
        t.close()
    assert result.stdout == b"ok\n"


def test_shared_bastion_is_not_reused_with_other_key_files(
    transport_files: Path, ssh_lab: Lab, servers: dict[str, Sshd], tmp_path: Path
) -> None:
    key = ssh_lab.client_key
    wrong = keygen(tmp_path / "wrong_key")
    t = SshTransport(known_hosts_files=[transport_files])
    try:
        first = target(servers["b"], key, jump=(hop(servers["a"], key),))
        assert t.execute(first, "true", b"", 10).exit_code == 0
        error = _fail(t, target(servers["c"], key, jump=(hop(servers["a"], wrong),)))
    finally:
        t.close()
    assert (error.status, error.hop) == ("auth-failed", _label(servers["a"]))


# ------------------------------------------------------------------- 3. output cap


def test_output_over_the_cap_is_an_error_naming_the_hop(
    transport_files: Path, ssh_lab: Lab, servers: dict[str, Sshd]
) -> None:
    assert MAX_OUTPUT_BYTES == 64 * 1024 * 1024
    t = SshTransport(known_hosts_files=[transport_files])
    host = target(servers["a"], ssh_lab.client_key)
    started = time.monotonic()
    try:
        with pytest.raises(ConnectError) as info:
            t.execute(host, "head -c 70000000 /dev/zero", b"", 60)
        # stdout and stderr count together
        with pytest.raises(ConnectError) as mixed:
            t.execute(host, "head -c 40000000 /dev/zero; head -c 40000000 /dev/zero >&2", b"", 60)
        # exactly the cap is fine
        result = t.execute(host, f"head -c {MAX_OUTPUT_BYTES} /dev/zero", b"", 60)
    finally:
        t.close()
    assert info.value.status == "error"
    assert info.value.hop == _label(servers["a"])
    assert info.value.message == (
        f"a ({_label(servers['a'])}): output exceeds 64 MiB (a hostile or broken host?)"
    )
    assert mixed.value.status == "error"
    assert len(result.stdout) == MAX_OUTPUT_BYTES
    assert time.monotonic() - started < 30


# ---------------------------------------------------------------- 4. hung ssh-agent


@pytest.fixture
def hung_agent(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """SSH_AUTH_SOCK pointing at a unix socket that accepts and never answers."""
    path = tmp_path / "hung-agent.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(64)
    monkeypatch.setenv("SSH_AUTH_SOCK", str(path))
    with silent_server(listener):
        yield path


def test_hung_agent_is_bounded_then_skipped(
    hung_agent: Path, known_hosts: Path, ssh_lab: Lab, servers: dict[str, Sshd], tmp_path: Path
) -> None:
    wrong = keygen(tmp_path / "wrong_key")
    t = SshTransport(known_hosts_files=[known_hosts])
    try:
        outcome, seconds = _in_thread(lambda: _fail(t, target(servers["a"], wrong)), 15)
        assert isinstance(outcome, ConnectError)
        assert outcome.status == "auth-failed"
        assert "did not answer" in outcome.message
        assert str(wrong) in outcome.message
        assert seconds < 10
        # the next host does not wait for the agent again, and its key file still works
        outcome, seconds = _in_thread(
            lambda: t.execute(target(servers["b"], ssh_lab.client_key), "echo ok", b"", 10), 15
        )
    finally:
        t.close()
    assert not isinstance(outcome, BaseException), outcome
    assert seconds < ssh_module.AGENT_TIMEOUT


def test_hung_agent_within_a_short_budget_is_a_timeout(
    hung_agent: Path, known_hosts: Path, ssh_lab: Lab, servers: dict[str, Sshd]
) -> None:
    t = SshTransport(known_hosts_files=[known_hosts])
    try:
        host = target(servers["a"], ssh_lab.client_key)
        outcome, seconds = _in_thread(lambda: _fail(t, host, timeout=1.5), 10)
    finally:
        t.close()
    assert isinstance(outcome, ConnectError)
    assert outcome.status == "timeout"
    assert seconds < 1.5 + 1


# ------------------------------------------------------------ 5. unusable key files


def _dsa_key(path: Path) -> Path:
    key = dsa.generate_private_key(key_size=1024)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return path


def _unknown_type_key(path: Path) -> Path:
    """An OpenSSH private key of a type cryptography does not know (UnsupportedAlgorithm)."""

    def string(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    name = b"ssh-unheard-of@example.com"
    public = string(name) + string(b"k" * 32)
    private = struct.pack(">II", 7, 7) + public + string(b"")
    private += bytes(range(1, 1 + (-len(private)) % 8))
    blob = b"openssh-key-v1\0" + string(b"none") + string(b"none") + string(b"")
    blob += struct.pack(">I", 1) + string(public) + string(private)
    body = base64.encodebytes(blob).decode()
    path.write_text(
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}-----END OPENSSH PRIVATE KEY-----\n"
    )
    path.chmod(0o600)  # else it is refused as unprotected before its type is looked at
    return path


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_unusable_key_files_are_noted_and_the_other_keys_tried(
    transport_files: Path, ssh_lab: Lab, servers: dict[str, Sshd], tmp_path: Path
) -> None:
    dsa_file = _dsa_key(tmp_path / "id_dsa")
    odd_file = _unknown_type_key(tmp_path / "id_odd")
    good = ssh_lab.client_key
    t = SshTransport(known_hosts_files=[transport_files])
    try:
        host = target(servers["a"], good)
        host = replace(host, key_files=(str(dsa_file), str(odd_file), str(good)))
        result = t.execute(host, "echo ok", b"", 10)
        only_bad = replace(host, key_files=(str(dsa_file), str(odd_file)))
        error = _fail(t, only_bad)
    finally:
        t.close()
    assert result.stdout == b"ok\n"
    assert error.status == "auth-failed"
    assert f"key file {dsa_file} cannot be used: unsupported key type (DSA)" in error.message
    assert f"key file {odd_file} cannot be used: Unsupported key type" in error.message


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_probe_with_an_unusable_key_reports_instead_of_raising(
    transport_files: Path, servers: dict[str, Sshd], tmp_path: Path
) -> None:
    dsa_file = _dsa_key(tmp_path / "id_dsa")
    reports = probe(target(servers["a"], dsa_file), known_hosts_files=[transport_files])
    assert [(r.reachable, r.hostkey, r.auth) for r in reports] == [(True, "ok", "failed")]
    assert "unsupported key type (DSA)" in reports[0].detail


def test_probe_turns_any_unexpected_error_into_a_report(
    transport_files: Path,
    ssh_lab: Lab,
    servers: dict[str, Sshd],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object) -> Iterator[object]:
        raise RuntimeError("bug in hardaudit")

    monkeypatch.setattr(ssh_module, "_candidates", broken)  # our code, not the SSH layer
    key = ssh_lab.client_key
    host = target(servers["b"], key, jump=(hop(servers["a"], key),))
    reports = probe(host, known_hosts_files=[transport_files])
    assert [(r.reachable, r.hostkey, r.auth) for r in reports] == [
        (True, "ok", "failed"),
        (False, "n/a", "n/a"),
    ]
    assert "unexpected error: RuntimeError: bug in hardaudit" in reports[0].detail


# ------------------------------------------------- 6. close() interrupts a handshake


def _close_later(transport: SshTransport, delay: float) -> threading.Timer:
    timer = threading.Timer(delay, transport.close)
    timer.daemon = True
    timer.start()
    return timer


def test_close_interrupts_a_handshake_in_progress(tarpit: int, home: Path, tmp_path: Path) -> None:
    t = SshTransport(banner_timeout=20)
    _close_later(t, 0.5)
    started = time.monotonic()
    error = _fail(t, target(tarpit, tmp_path / "k"), timeout=20)
    assert time.monotonic() - started < 2
    assert error.status == "error"
    assert "interrupted" in error.message


def test_close_interrupts_a_handshake_behind_a_bastion(
    transport_files: Path, ssh_lab: Lab, servers: dict[str, Sshd], tarpit: int
) -> None:
    key = ssh_lab.client_key
    t = SshTransport(known_hosts_files=[transport_files], banner_timeout=20)
    _close_later(t, 1.0)
    started = time.monotonic()
    error = _fail(t, target(tarpit, key, jump=(hop(servers["a"], key),)), timeout=20)
    assert time.monotonic() - started < 2.5
    assert error.hop == f"root@127.0.0.1:{tarpit}"
    assert "interrupted" in error.message


def test_close_interrupts_a_running_command(
    transport_files: Path, ssh_lab: Lab, servers: dict[str, Sshd]
) -> None:
    t = SshTransport(known_hosts_files=[transport_files])
    _close_later(t, 1.0)
    started = time.monotonic()
    with pytest.raises(ConnectError) as info:
        t.execute(target(servers["a"], ssh_lab.client_key), "sleep 20", b"", 20)
    assert time.monotonic() - started < 3
    assert "interrupted" in info.value.message


# ------------------------------------------------------- 7. channel fds above 1023


def test_output_is_read_whole_when_fds_are_above_1023(
    transport_files: Path, ssh_lab: Lab, servers: dict[str, Sshd]
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1300:
        if hard != resource.RLIM_INFINITY and hard < 1300:
            pytest.skip(f"cannot open 1300 files (hard limit {hard})")
        resource.setrlimit(resource.RLIMIT_NOFILE, (1300, hard))
    fillers: list[int] = []
    t = SshTransport(known_hosts_files=[transport_files])
    try:
        while not fillers or fillers[-1] < 1030:
            fillers.append(os.open(os.devnull, os.O_RDONLY))
        command = "echo hello; head -c 300000 /dev/zero; head -c 100000 /dev/zero >&2; exit 3"
        result = t.execute(target(servers["a"], ssh_lab.client_key), command, b"", 10)
    finally:
        t.close()
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert result.stdout == b"hello\n" + bytes(300000)
    assert result.stderr == bytes(100000)
    assert result.exit_code == 3


# ------------------------------------------- 8. remote control characters are escaped


def test_clean_escapes_control_characters_but_tab() -> None:
    assert _clean("a\tb\nc\r\x1b[31m\x00\x7f\x85\u202e\u2028ok é") == (
        "a\tb\\x0ac\\x0d\\x1b[31m\\x00\\x7f\\x85\\u202e\\u2028ok é"
    )


@pytest.fixture
def evil_banner() -> Iterator[int]:
    """A TCP server on 127.0.0.1 whose SSH banner carries terminal escape sequences."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.1)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conns.append(conn)
            conn.sendall(b"SSH-3\x1b]0;owned\x07\x1b[2J.0-evil\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        for conn in conns:
            conn.close()
        listener.close()


def test_remote_text_in_errors_has_its_control_characters_escaped(
    evil_banner: int, home: Path, tmp_path: Path
) -> None:
    t = SshTransport(banner_timeout=5)
    try:
        error = _fail(t, target(evil_banner, tmp_path / "k"), timeout=10)
    finally:
        t.close()
    assert error.status == "error"
    assert "\\x1b]0;owned\\x07\\x1b[2J" in error.message
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in error.message)


def test_closing_a_channel_whose_connection_is_gone_never_raises(
    ssh_lab: Lab, servers: dict[str, Sshd]
) -> None:
    # The output cap and the watchdog close the channel; when the connection has died under
    # it, paramiko's close() raises EOFError, which escaped execute() instead of the cap error.
    def dead_channel() -> paramiko.Channel:
        client = paramiko.Transport(("127.0.0.1", servers["a"].port))
        client.connect()
        client.auth_publickey("root", paramiko.Ed25519Key.from_private_key_file(
            str(ssh_lab.client_key)))  # fmt: skip
        channel = client.open_session()
        channel.exec_command("sleep 30")
        client.sock.close()
        return channel

    with pytest.raises(EOFError):
        dead_channel().close()  # what paramiko does: the reason for _close_channel
    ssh_module._close_channel(dead_channel())
