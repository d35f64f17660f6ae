"""Which private keys are offered, and to whom: unprotected key files are refused as OpenSSH
does, and each hop is offered only the keys configured for it (a hostile hop that records
every offered key learns nothing else). Against in-process SSH servers (peer.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from hardaudit.errors import ConnectError
from hardaudit.inventory.model import Host
from hardaudit.transport.ssh import SshTransport

from .peer import Peer, host_key, running
from .sshlab import keygen


def _blob(path: Path) -> bytes:
    return paramiko.PKey.from_path(path).asbytes()


@pytest.fixture
def transport(home: Path) -> Iterator[SshTransport]:
    t = SshTransport(connect_timeout=3, banner_timeout=3, auth_timeout=5)
    yield t
    t.close()


def _known(tmp_path: Path, *peers: Peer) -> Path:
    path = tmp_path / "known_hosts"
    path.write_text("".join(p.known_line() for p in peers))
    return path


def _target(peer: Peer, tmp_path: Path, keys: tuple[Path, ...] = (), **extra: object) -> Host:
    known = _known(tmp_path, peer)
    return Host(
        "t",
        "127.0.0.1",
        peer.port,
        "auditor",
        tuple(str(k) for k in keys),
        known_hosts_files=(str(known),),
        **extra,
    )


# ------------------------------------------------------ 2. unprotected private key files


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o601], ids=oct)
def test_group_or_world_accessible_key_file_is_refused_with_the_fix(
    transport: SshTransport, tmp_path: Path, mode: int
) -> None:
    key = keygen(tmp_path / "deploy_key")
    key.chmod(mode)
    with running(Peer(host_key(tmp_path), {_blob(key)})) as peer:
        with pytest.raises(ConnectError) as info:
            transport.execute(_target(peer, tmp_path, (key,)), "true", b"", 10)
        assert peer.offered() == []  # never offered, although the server would accept it
    message = info.value.message
    assert info.value.status == "auth-failed"
    assert f"key file {key} is an UNPROTECTED PRIVATE KEY FILE" in message
    assert f"mode {mode:04o}" in message
    assert f"chmod 600 {key}" in message


@pytest.mark.parametrize("mode", [0o600, 0o400], ids=oct)
def test_owner_only_key_file_is_used(transport: SshTransport, tmp_path: Path, mode: int) -> None:
    key = keygen(tmp_path / "deploy_key")
    key.chmod(mode)
    with running(Peer(host_key(tmp_path), {_blob(key)})) as peer:
        result = transport.execute(_target(peer, tmp_path, (key,)), "true", b"", 10)
    assert result.stdout == b"ran: true"


def test_unprotected_default_identity_is_refused_and_the_next_one_used(
    transport: SshTransport, tmp_path: Path, home: Path
) -> None:
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir()
    loose = keygen(ssh_dir / "id_ed25519")
    loose.chmod(0o644)
    good = keygen(ssh_dir / "id_ecdsa", "ecdsa")
    with running(Peer(host_key(tmp_path), {_blob(loose), _blob(good)})) as peer:
        result = transport.execute(_target(peer, tmp_path), "true", b"", 10)
        assert peer.offered() == [_blob(good)]
    assert any(s.what.endswith(f"with {good}") for s in result.steps)
