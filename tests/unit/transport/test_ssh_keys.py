"""Which private keys are offered, and to whom: unprotected key files are refused as OpenSSH
does, and each hop is offered only the keys configured for it (a hostile hop that records
every offered key learns nothing else). Against in-process SSH servers (peer.py)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from hardaudit.errors import ConnectError
from hardaudit.inventory.loader import load_inventory
from hardaudit.inventory.model import Hop, Host
from hardaudit.transport.hostkeys import fingerprint
from hardaudit.transport.ssh import SshTransport

from .peer import Peer, host_key, running
from .sshlab import keygen, wait_for


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


# --------------------------------------------------- 3. each hop gets only its own keys


class Agent:
    """A real ssh-agent on a private socket (SSH_AUTH_SOCK points at it)."""

    def __init__(self, sock: Path) -> None:
        self.sock = sock
        self.proc = subprocess.Popen(
            ["ssh-agent", "-D", "-a", str(sock)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(sock.exists)

    def add(self, key: Path, passphrase: str = "") -> bytes:
        env = {**os.environ, "SSH_AUTH_SOCK": str(self.sock)}
        if passphrase:
            askpass = key.parent / f"{key.name}.askpass"
            askpass.write_text(f"#!/bin/sh\necho '{passphrase}'\n")
            askpass.chmod(0o700)
            env |= {"SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force"}
        subprocess.run(
            ["ssh-add", str(key)],
            env=env,
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        return _pub_blob(key)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _pub_blob(key: Path) -> bytes:
    return base64.b64decode(Path(f"{key}.pub").read_text().split()[1])


@pytest.fixture
def agent(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Agent]:
    if not shutil.which("ssh-agent"):
        pytest.skip("ssh-agent not installed")
    running_agent = Agent(tmp_path / "agent.sock")
    monkeypatch.setenv("SSH_AUTH_SOCK", str(running_agent.sock))
    try:
        yield running_agent
    finally:
        running_agent.stop()


def _agent_keys(tmp_path: Path, agent: Agent, *names: str) -> list[Path]:
    keys = [keygen(tmp_path / name) for name in names]
    for key in keys:
        agent.add(key)
    return keys


def test_hostile_hop_sees_only_the_key_configured_for_it_not_the_agents_others(
    transport: SshTransport, tmp_path: Path, agent: Agent
) -> None:
    mine, _other1, _other2 = _agent_keys(tmp_path, agent, "mine", "other1", "other2")
    with running(Peer(host_key(tmp_path), set())) as hostile:  # accepts nothing, records all
        with pytest.raises(ConnectError) as info:
            transport.execute(_target(hostile, tmp_path, (mine,)), "true", b"", 10)
        assert hostile.offered() == [_pub_blob(mine)]  # once: the agent's copy of it
    assert info.value.status == "auth-failed"


def test_each_hop_of_a_chain_is_offered_only_its_own_key(
    transport: SshTransport, tmp_path: Path, agent: Agent
) -> None:
    bastion_key, target_key, _spare = _agent_keys(tmp_path, agent, "bastion", "target", "spare")
    with (
        running(Peer(host_key(tmp_path, "t"), set())) as target,
        running(Peer(host_key(tmp_path, "b"), {_pub_blob(bastion_key)}, forward=True)) as bastion,
    ):
        known = _known(tmp_path, bastion, target)
        jump = Hop("bastion", "127.0.0.1", bastion.port, "jump", (str(bastion_key),), (str(known),))
        host = Host(
            "t",
            "127.0.0.1",
            target.port,
            "auditor",
            (str(target_key),),
            jump=(jump,),
            known_hosts_files=(str(known),),
        )
        with pytest.raises(ConnectError) as info:
            transport.execute(host, "true", b"", 10)
        assert bastion.offered() == [_pub_blob(bastion_key)]
        assert target.offered() == [_pub_blob(target_key)]
    assert info.value.status == "auth-failed"
    assert f"tried agent:{fingerprint(_pub_blob(target_key))}" in info.value.message


def test_identities_only_without_key_files_offers_the_default_identities_only(
    transport: SshTransport, tmp_path: Path, home: Path, agent: Agent
) -> None:
    (home / ".ssh").mkdir()
    default = keygen(home / ".ssh" / "id_ed25519")
    agent.add(default)
    _agent_keys(tmp_path, agent, "spare")
    with running(Peer(host_key(tmp_path), set())) as hostile:
        host = _target(hostile, tmp_path, identities_only=True)
        with pytest.raises(ConnectError):
            transport.execute(host, "true", b"", 10)
        assert hostile.offered() == [_pub_blob(default)]


def test_identities_only_with_only_unrelated_agent_keys_says_so(
    transport: SshTransport, tmp_path: Path, agent: Agent
) -> None:
    _agent_keys(tmp_path, agent, "spare")
    with running(Peer(host_key(tmp_path), set())) as hostile:
        with pytest.raises(ConnectError) as info:
            transport.execute(_target(hostile, tmp_path, identities_only=True), "true", b"", 10)
        assert hostile.offered() == []
    assert "none of the ssh-agent's 1 key(s) is configured for this hop" in info.value.message


def test_hop_without_configured_keys_is_offered_every_agent_key_as_openssh(
    transport: SshTransport, tmp_path: Path, agent: Agent
) -> None:
    keys = _agent_keys(tmp_path, agent, "k1", "k2", "k3")
    with running(Peer(host_key(tmp_path), {_pub_blob(keys[-1])})) as peer:
        result = transport.execute(_target(peer, tmp_path), "true", b"", 10)
        assert set(peer.offered()) == {_pub_blob(k) for k in keys}
    assert result.stdout == b"ran: true"


def test_encrypted_key_file_without_pub_is_matched_to_its_agent_key(
    transport: SshTransport, tmp_path: Path, agent: Agent
) -> None:
    locked = keygen(tmp_path / "locked", passphrase="correct horse")
    blob = agent.add(locked, passphrase="correct horse")
    _agent_keys(tmp_path, agent, "spare")
    Path(f"{locked}.pub").unlink()  # the file's own header still names its public key
    with running(Peer(host_key(tmp_path), {blob})) as peer:
        result = transport.execute(_target(peer, tmp_path, (locked,)), "true", b"", 10)
        assert peer.offered() == [blob]
    assert f"authenticated as auditor with agent:{fingerprint(blob)}" in [
        s.what for s in result.steps
    ]


def test_encrypted_pem_key_without_pub_says_its_agent_key_cannot_be_matched(
    transport: SshTransport, tmp_path: Path, agent: Agent
) -> None:
    locked = tmp_path / "locked_pem"
    subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-t",
            "rsa",
            "-b",
            "2048",
            "-m",
            "PEM",
            "-N",
            "pem-secret",
            "-f",
            str(locked),
        ],
        check=True,
        capture_output=True,
    )
    blob = agent.add(locked, passphrase="pem-secret")
    Path(f"{locked}.pub").unlink()  # a PEM file does not carry its public key in clear
    with running(Peer(host_key(tmp_path), {blob})) as peer:
        with pytest.raises(ConnectError) as info:
            transport.execute(_target(peer, tmp_path, (locked,)), "true", b"", 10)
        assert peer.offered() == []
    assert info.value.status == "auth-failed"
    assert f"put its public key in {locked}.pub" in info.value.message


# ------------------------------------------------------ IdentityAgent / IdentitiesOnly from the inventory


def _inventory_host(tmp_path: Path, peer: Peer, variables: str, ssh_config: str = "") -> Host:
    """Host `t` as the inventory loader makes it (so the test covers inventory -> transport)."""
    known = _known(tmp_path, peer)
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    t:\n"
        f"      ansible_host: 127.0.0.1\n      ansible_port: {peer.port}\n"
        f"      ansible_user: auditor\n      audit_known_hosts_file: {known}\n" + variables
    )
    config = tmp_path / "ssh_config"
    config.write_text(ssh_config)
    host = load_inventory(tmp_path / "hosts.yml", ssh_config=config).host("t")
    assert host is not None
    assert host.error == ""
    return host


def test_identities_only_in_ansible_ssh_common_args_keeps_the_agents_keys_back(
    transport: SshTransport, tmp_path: Path, agent: Agent
) -> None:
    _agent_keys(tmp_path, agent, "spare1", "spare2")
    with running(Peer(host_key(tmp_path), set())) as hostile:
        host = _inventory_host(
            tmp_path, hostile, "      ansible_ssh_common_args: -o IdentitiesOnly=yes\n"
        )
        with pytest.raises(ConnectError):
            transport.execute(host, "true", b"", 10)
        assert hostile.offered() == []


@pytest.mark.parametrize(
    ("variables", "ssh_config"),
    [
        ("      ansible_ssh_common_args: -o IdentityAgent=none\n", ""),
        ("", "Host 127.0.0.1\n  IdentityAgent none\n"),
    ],
    ids=["args", "ssh_config"],
)
def test_identity_agent_none_offers_no_agent_key(
    transport: SshTransport, tmp_path: Path, agent: Agent, variables: str, ssh_config: str
) -> None:
    _agent_keys(tmp_path, agent, "spare")
    with running(Peer(host_key(tmp_path), set())) as hostile:
        host = _inventory_host(tmp_path, hostile, variables, ssh_config)
        with pytest.raises(ConnectError) as info:
            transport.execute(host, "true", b"", 10)
        assert hostile.offered() == []
    assert "no ssh-agent (IdentityAgent none)" in info.value.message


def test_identity_agent_path_uses_that_agent_not_ssh_auth_sock(
    transport: SshTransport, tmp_path: Path, agent: Agent
) -> None:
    _agent_keys(tmp_path, agent, "default_agents")
    other = Agent(tmp_path / "other.sock")
    try:
        (mine,) = [keygen(tmp_path / "other_agents")]
        other.add(mine)
        with running(Peer(host_key(tmp_path), {_pub_blob(mine)})) as peer:
            host = _inventory_host(
                tmp_path, peer, f"      ansible_ssh_common_args: -o IdentityAgent={other.sock}\n"
            )
            result = transport.execute(host, "true", b"", 10)
            assert peer.offered() == [_pub_blob(mine)]
        assert result.stdout == b"ran: true"
    finally:
        other.stop()


def test_text_jump_hop_is_not_vouched_for_by_the_targets_known_hosts_file(
    transport: SshTransport, tmp_path: Path
) -> None:
    with (
        running(Peer(host_key(tmp_path, "t"), set())) as target,
        running(Peer(host_key(tmp_path, "b"), set(), forward=True)) as bastion,
    ):
        known = _known(tmp_path, bastion, target)  # the target's file knows the bastion too
        (tmp_path / "hosts.yml").write_text(
            "all:\n  hosts:\n    t:\n"
            f"      ansible_host: 127.0.0.1\n      ansible_port: {target.port}\n"
            f"      ansible_ssh_common_args: -J jump@127.0.0.1:{bastion.port}\n"
            f"      audit_known_hosts_file: {known}\n"
        )
        (tmp_path / "ssh_config").write_text("")
        host = load_inventory(tmp_path / "hosts.yml", ssh_config=tmp_path / "ssh_config").host("t")
        assert host is not None
        with pytest.raises(ConnectError) as info:
            transport.execute(host, "true", b"", 10)
        assert bastion.offered() == []
    assert info.value.status == "hostkey-unknown"
    assert "jump host" in info.value.message
