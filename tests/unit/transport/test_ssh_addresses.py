"""An address that is not a host name or IP literal reaches neither a connection nor
known_hosts: `web9.corp,*` through a bastion with --accept-new once recorded a wildcard
entry. It is that host's `error`, with the reason; nothing is dialled. (peer.py servers.)"""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from hardaudit.errors import ConnectError
from hardaudit.inventory.model import Hop, Host
from hardaudit.runner import RunOptions, audit_host
from hardaudit.transport.base import HostStatus
from hardaudit.transport.ssh import SshTransport, probe

from .peer import Peer, host_key, running
from .sshlab import keygen


@pytest.fixture
def client_key(tmp_path: Path, home: Path) -> Path:
    return keygen(tmp_path / "client_ed25519")


def _peer(tmp_path: Path, key: Path, name: str, **extra: object) -> Peer:
    blob = paramiko.PKey.from_path(key).asbytes()
    return Peer(host_key(tmp_path, name), {blob}, **extra)


def test_accept_new_through_a_bastion_never_records_a_pattern_address(
    tmp_path: Path, client_key: Path
) -> None:
    # the bastion resolves any name to the target (as a permissive resolver would)
    with (
        running(_peer(tmp_path, client_key, "target")) as target_peer,
        running(
            _peer(tmp_path, client_key, "bastion", forward=True, route=("127.0.0.1", 0))
        ) as bastion,
    ):
        bastion.route = ("127.0.0.1", target_peer.port)
        known = tmp_path / "known_hosts"
        known.write_text(bastion.known_line())
        accept_file = tmp_path / "accepted_hosts"
        jump = Hop("bastion", "127.0.0.1", bastion.port, "auditor", (str(client_key),))
        host = Host(
            "web9",
            "web9.corp,*",
            target_peer.port,
            "auditor",
            (str(client_key),),
            jump=(jump,),
            known_hosts_files=(str(known),),
        )
        transport = SshTransport(accept_new=True, accept_new_file=accept_file)
        try:
            with pytest.raises(ConnectError) as info:
                transport.execute(host, "true", b"", 10)
        finally:
            transport.close()
        assert bastion.offered() == []  # not even the bastion was dialled
        assert bastion.forwarded == []
        assert target_peer.offered() == []
    assert info.value.status == "error"
    assert "invalid address 'web9.corp,*'" in info.value.message
    assert "fix ansible_host" in info.value.message
    assert not accept_file.exists()


@pytest.mark.parametrize(
    "address", ["127.0.0.1,*", "*", "web9\x1b]0;pwned\x07", "-oProxyCommand=x", "[::1]"]
)
def test_invalid_address_is_that_hosts_error_and_the_run_goes_on(
    tmp_path: Path, client_key: Path, address: str
) -> None:
    with running(_peer(tmp_path, client_key, "ok")) as peer:
        known = tmp_path / "known_hosts"
        known.write_text(peer.known_line())
        good = Host(
            "good",
            "127.0.0.1",
            peer.port,
            "auditor",
            (str(client_key),),
            known_hosts_files=(str(known),),
        )
        bad = Host(
            "bad",
            address,
            peer.port,
            "auditor",
            (str(client_key),),
            known_hosts_files=(str(known),),
        )
        transport = SshTransport(accept_new=True, accept_new_file=tmp_path / "accepted")
        try:
            failed = audit_host(bad, (), transport, RunOptions(host_timeout=10))
            with pytest.raises(ConnectError) as info:
                transport.execute(bad, "true", b"", 10)
            result = transport.execute(good, "true", b"", 10)
        finally:
            transport.close()
        assert peer.offered() == [paramiko.PKey.from_path(client_key).asbytes()]  # good only
    assert failed.status is HostStatus.ERROR
    assert "invalid address" in failed.reason
    assert "\x1b" not in failed.reason
    assert "\x1b" not in info.value.message
    assert result.stdout == b"ran: true"
    assert not (tmp_path / "accepted").exists()


def test_doctor_reports_an_invalid_hop_without_raising(tmp_path: Path, home: Path) -> None:
    jump = Hop("bad-bastion", "gw,*", 22, "auditor")
    host = Host("web9", "web9.corp", 22, "auditor", jump=(jump,))
    reports = probe(host, connect_timeout=1, banner_timeout=1, auth_timeout=1)
    assert [r.reachable for r in reports] == [False, False]
    assert "invalid address 'gw,*'" in reports[0].detail
    assert reports[1].detail.startswith("not tried")
