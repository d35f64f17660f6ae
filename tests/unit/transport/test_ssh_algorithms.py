"""Weak SSH algorithms are never negotiated unless a host opts in (audit_ssh_legacy_algorithms),
against a real SSH server in this process (paramiko, server mode; see peer.py)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from hardaudit.errors import ConnectError
from hardaudit.inventory.model import Hop, Host
from hardaudit.transport.ssh import SshTransport, disabled_algorithms

from .peer import Peer, fake_kexinit_server, host_key, running
from .sshlab import Lab, Sshd, keygen

WEAK = {
    "ciphers": re.compile(r"cbc|3des|arcfour|blowfish|cast128"),
    "macs": re.compile(r"md5|sha1|umac-64"),
    "keys": re.compile(r"^ssh-(rsa|dss)(-cert-v01@openssh\.com)?$"),
    "pubkeys": re.compile(r"^ssh-(rsa|dss)(-cert-v01@openssh\.com)?$"),
    "kex": re.compile(r"sha1"),
}


@pytest.fixture
def client_key(tmp_path: Path, home: Path) -> Path:
    return keygen(tmp_path / "client_ed25519")


def _peer(tmp_path: Path, client_key: Path, **options: tuple[str, ...]) -> Peer:
    authorized = {paramiko.PKey.from_path(client_key).asbytes()}
    return Peer(host_key(tmp_path), authorized, **options)


def _host(peer: Peer, key: Path, tmp_path: Path, *, legacy: bool = False) -> Host:
    known = tmp_path / "known_hosts"
    known.write_text(peer.known_line())
    return Host(
        "peer",
        "127.0.0.1",
        peer.port,
        "auditor",
        (str(key),),
        known_hosts_files=(str(known),),
        legacy_algorithms=legacy,
    )


@pytest.fixture
def transport() -> Iterator[SshTransport]:
    t = SshTransport(connect_timeout=3, banner_timeout=3, auth_timeout=3)
    yield t
    t.close()


WEAK_ONLY = {
    "cbc ciphers": ({"ciphers": ("aes128-cbc", "aes256-cbc")}, "no acceptable ciphers"),
    "3des": ({"ciphers": ("3des-cbc",)}, "no acceptable ciphers"),
    "sha1 and md5 macs": (
        {"ciphers": ("aes128-ctr",), "macs": ("hmac-sha1", "hmac-md5")},
        "no acceptable macs",
    ),
    "truncated macs": (
        {"ciphers": ("aes128-ctr",), "macs": ("hmac-sha1-96", "hmac-md5-96")},
        "no acceptable macs",
    ),
}


@pytest.mark.parametrize(("options", "why"), WEAK_ONLY.values(), ids=WEAK_ONLY.keys())
def test_server_offering_only_weak_ciphers_or_macs_is_refused_with_the_opt_in_named(
    transport: SshTransport,
    tmp_path: Path,
    client_key: Path,
    options: dict[str, tuple[str, ...]],
    why: str,
) -> None:
    with running(_peer(tmp_path, client_key, **options)) as peer:
        with pytest.raises(ConnectError) as info:
            transport.execute(_host(peer, client_key, tmp_path), "true", b"", 10)
        assert peer.offered() == []  # refused at negotiation, before any key is offered
    error = info.value
    assert error.status == "error"
    assert f"auditor@127.0.0.1:{peer.port}" in error.message
    assert why in error.message
    assert "never negotiates CBC or 3DES ciphers, MD5 or SHA-1 MACs" in error.message
    assert "audit_ssh_legacy_algorithms: true" in error.message


@pytest.mark.parametrize(("options", "why"), WEAK_ONLY.values(), ids=WEAK_ONLY.keys())
def test_legacy_opt_in_connects_to_a_server_with_only_weak_ciphers_or_macs(
    transport: SshTransport,
    tmp_path: Path,
    client_key: Path,
    options: dict[str, tuple[str, ...]],
    why: str,
) -> None:
    with running(_peer(tmp_path, client_key, **options)) as peer:
        host = _host(peer, client_key, tmp_path, legacy=True)
        result = transport.execute(host, "true", b"", 10)
    assert result.stdout == b"ran: true"
    assert result.exit_code == 0


def test_modern_server_connects_without_the_opt_in(
    transport: SshTransport, tmp_path: Path, client_key: Path
) -> None:
    with running(_peer(tmp_path, client_key)) as peer:
        result = transport.execute(_host(peer, client_key, tmp_path), "id", b"", 10)
    assert result.stdout == b"ran: id"


PRE_SHA2 = {
    "sha1 key exchange": (
        {
            "kex": "diffie-hellman-group14-sha1,diffie-hellman-group1-sha1,"
            "diffie-hellman-group-exchange-sha1",
            "host_keys": "ssh-ed25519",
        },
        "no acceptable kex algorithm",
    ),
    "ssh-rsa and dsa host keys": (
        {"kex": "curve25519-sha256@libssh.org", "host_keys": "ssh-rsa,ssh-dss"},
        "no acceptable host key",
    ),
}


@pytest.mark.parametrize("legacy", [False, True], ids=["default", "legacy opt-in"])
@pytest.mark.parametrize(("names", "why"), PRE_SHA2.values(), ids=PRE_SHA2.keys())
def test_sha1_signatures_dsa_and_sha1_key_exchange_are_refused_even_with_the_opt_in(
    transport: SshTransport,
    tmp_path: Path,
    client_key: Path,
    names: dict[str, str],
    why: str,
    legacy: bool,
) -> None:
    with fake_kexinit_server(ciphers="aes128-ctr", macs="hmac-sha2-256", **names) as port:
        host = Host(
            "old", "127.0.0.1", port, "auditor", (str(client_key),), legacy_algorithms=legacy
        )
        with pytest.raises(ConnectError) as info:
            transport.execute(host, "true", b"", 10)
    assert info.value.status == "error"
    assert why in info.value.message


@pytest.mark.parametrize("legacy", [False, True], ids=["default", "legacy opt-in"])
def test_negotiable_algorithms_hold_nothing_weak(legacy: bool) -> None:
    hop = Hop("h", "127.0.0.1", legacy_algorithms=legacy)
    with socket.socket() as sock:
        t = paramiko.Transport(sock, disabled_algorithms=disabled_algorithms(hop))
        offered = {
            "ciphers": t.preferred_ciphers,
            "macs": t.preferred_macs,
            "keys": t.preferred_keys,
            "pubkeys": t.preferred_pubkeys,
            "kex": t.preferred_kex,
        }
        t.close()
    for family, names in offered.items():
        assert names, family  # something modern is left in every family
        weak = [n for n in names if WEAK[family].search(n)]
        if legacy and family in ("ciphers", "macs"):
            continue
        assert weak == [], family
    if legacy:
        assert "aes256-cbc" in offered["ciphers"]
        assert "hmac-sha1" in offered["macs"]


# ------------------------------------------------- the same against OpenSSH's own sshd


def _sshd_host(server: Sshd, key: Path, tmp_path: Path, *, legacy: bool = False) -> Host:
    known = tmp_path / "sshd_known_hosts"
    known.write_text(server.known_lines())
    return Host(
        server.name,
        "127.0.0.1",
        server.port,
        "root",
        (str(key),),
        known_hosts_files=(str(known),),
        legacy_algorithms=legacy,
    )


def test_openssh_with_only_cbc_ciphers_and_sha1_macs_needs_the_opt_in(
    ssh_lab: Lab, home: Path, tmp_path: Path, transport: SshTransport
) -> None:
    server = ssh_lab.start(
        "cbc-sha1", options=("Ciphers aes128-cbc,aes256-cbc,3des-cbc", "MACs hmac-sha1,hmac-md5")
    )
    try:
        with pytest.raises(ConnectError) as info:
            transport.execute(_sshd_host(server, ssh_lab.client_key, tmp_path), "true", b"", 10)
        host = _sshd_host(server, ssh_lab.client_key, tmp_path, legacy=True)
        result = transport.execute(host, "echo ok", b"", 10)
    finally:
        server.stop()
    assert info.value.status == "error"
    assert "no acceptable ciphers" in info.value.message
    assert "audit_ssh_legacy_algorithms: true" in info.value.message
    assert result.stdout == b"ok\n"


OPENSSH_PRE_SHA2 = {
    "ssh-rsa host key": (("rsa",), ("HostKeyAlgorithms ssh-rsa",), "no acceptable host key"),
    "sha1 key exchange": (
        ("ed25519",),
        ("KexAlgorithms diffie-hellman-group14-sha1,diffie-hellman-group1-sha1",),
        "no acceptable kex algorithm",
    ),
}


@pytest.mark.parametrize(
    ("key_types", "options", "why"), OPENSSH_PRE_SHA2.values(), ids=OPENSSH_PRE_SHA2.keys()
)
def test_openssh_with_only_sha1_host_keys_or_key_exchange_is_refused_even_with_the_opt_in(
    ssh_lab: Lab,
    home: Path,
    tmp_path: Path,
    transport: SshTransport,
    key_types: tuple[str, ...],
    options: tuple[str, ...],
    why: str,
) -> None:
    server = ssh_lab.start(f"old-{key_types[0]}-{len(options[0])}", key_types, options)
    try:
        for legacy in (False, True):
            host = _sshd_host(server, ssh_lab.client_key, tmp_path, legacy=legacy)
            with pytest.raises(ConnectError) as info:
                transport.execute(host, "true", b"", 10)
            assert info.value.status == "error"
            assert why in info.value.message
    finally:
        server.stop()


def test_openssh_accepting_only_sha1_rsa_signatures_gets_none(
    ssh_lab: Lab, home: Path, tmp_path: Path, transport: SshTransport
) -> None:
    rsa_key = keygen(tmp_path / "client_rsa", "rsa")
    authorized = tmp_path / "authorized_keys"
    authorized.write_text(Path(f"{rsa_key}.pub").read_text())
    server = ssh_lab.start(
        "rsa-sha1-only",
        options=("PubkeyAcceptedAlgorithms ssh-rsa", f"AuthorizedKeysFile {authorized}"),
    )
    try:
        with pytest.raises(ConnectError) as info:
            transport.execute(_sshd_host(server, rsa_key, tmp_path), "true", b"", 10)
        log = server.log_text()
    finally:
        server.stop()
    assert info.value.status == "auth-failed"
    # the client signed with SHA-2 only; sshd (SHA-1 only) refused it
    assert "signature algorithm rsa-sha2-512 not in PubkeyAcceptedAlgorithms" in log
    assert "Accepted publickey" not in log
