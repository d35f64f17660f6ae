"""A hop reached through a jump host talks through `_Tunnel`, the jump host's channel with
send and close serialised. Without it, paramiko could send a packet of the hop after the
channel's CLOSE (Channel.send checks `closed`, then sends after releasing its lock;
Transport.close() does not wait for its thread), and OpenSSH then dropped the whole jump
connection ("data packet referred to nonexistent channel"): another host tunnelled through
the same bastion failed with "connection lost while the command ran" (1 run in ~40 of
test_hosts_behind_one_bastion_share_one_connection under load)."""

from __future__ import annotations

import threading
import time
from typing import cast

import paramiko
import pytest

from hardaudit.transport.ssh import _Tunnel


class _Channel:
    """Records sends and closes; a send blocks until `release` is set."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.sending = threading.Event()
        self.release = threading.Event()

    def send(self, data: bytes) -> int:
        self.sending.set()
        assert self.release.wait(5)
        self.events.append("send")
        return len(data)

    def close(self) -> None:
        self.events.append("close")


def test_a_send_under_way_goes_out_before_the_close() -> None:
    channel = _Channel()
    tunnel = _Tunnel(cast(paramiko.Channel, channel))
    sender = threading.Thread(target=tunnel.send, args=(b"packet",))
    sender.start()
    assert channel.sending.wait(5)
    closer = threading.Thread(target=tunnel.close)
    closer.start()
    time.sleep(0.2)
    assert channel.events == []  # the CLOSE waits for the packet
    channel.release.set()
    sender.join(5)
    closer.join(5)
    assert channel.events == ["send", "close"]


def test_no_send_after_the_close() -> None:
    channel = _Channel()
    channel.release.set()
    tunnel = _Tunnel(cast(paramiko.Channel, channel))
    tunnel.close()
    with pytest.raises(OSError, match="Socket is closed"):
        tunnel.send(b"late")
    assert channel.events == ["close"]
    assert tunnel._closed  # what paramiko's Transport.stop_thread reads
