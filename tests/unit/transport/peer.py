"""An SSH server in this process (paramiko in server mode: the real SSH protocol, no mocks) on
127.0.0.1, for negotiation and authentication tests that need a server whose algorithms or
behaviour OpenSSH cannot be made to show: only weak ciphers or MACs, or one that records
every public key a client offers (a hostile hop enumerating the client's keys).

It accepts `exec` (answers `ran: <command>`, exit 0) and, when `forward` is set,
`direct-tcpip` channels (so it can be a jump host). Also `fake_kexinit_server`: a socket
that sends a banner and a KEXINIT naming only the given algorithms, for algorithms that the
installed paramiko no longer implements (ssh-rsa SHA-1 signatures, DSA, SHA-1 key exchange).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from .sshlab import keygen


@dataclass
class Offer:
    user: str
    blob: bytes


class _Interface(paramiko.ServerInterface):
    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.forwards: dict[int, tuple[str, int]] = {}

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        with self.peer.lock:
            self.peer.offers.append(Offer(username, key.asbytes()))
        if key.asbytes() in self.peer.authorized:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_direct_tcpip_request(
        self, chanid: int, origin: tuple[str, int], destination: tuple[str, int]
    ) -> int:
        if not self.peer.forward:
            return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        self.forwards[chanid] = self.peer.route or destination
        with self.peer.lock:
            self.peer.forwarded.append(destination)
        return paramiko.OPEN_SUCCEEDED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        def answer() -> None:
            with contextlib.suppress(Exception):
                while channel.recv(65536):  # the client's EOF comes after the exec reply
                    pass
                channel.sendall(b"ran: " + command)
                channel.send_exit_status(0)
                channel.close()

        threading.Thread(target=answer, daemon=True).start()
        return True


def _pump(channel: paramiko.Channel, sock: socket.socket) -> None:
    try:
        while True:
            readable, _, _ = select.select([channel, sock], [], [], 5)
            if channel in readable:
                data = channel.recv(65536)
                if not data:
                    break
                sock.sendall(data)
            if sock in readable:
                data = sock.recv(65536)
                if not data:
                    break
                channel.sendall(data)
    except (OSError, EOFError):
        pass
    finally:
        channel.close()
        sock.close()


@dataclass
class Peer:
    """One listening paramiko server; `offers` records every public key offered to it."""

    host_key: paramiko.PKey
    authorized: set[bytes]
    ciphers: Sequence[str] | None = None
    macs: Sequence[str] | None = None
    kex: Sequence[str] | None = None
    forward: bool = False
    route: tuple[str, int] | None = None  # forward every direct-tcpip channel here instead
    forwarded: list[tuple[str, int]] = field(default_factory=list)  # destinations asked for
    offers: list[Offer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    _listener: socket.socket | None = None
    _transports: list[paramiko.Transport] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def known_name(self) -> str:
        return f"[127.0.0.1]:{self.port}"

    def known_line(self) -> str:
        return f"{self.known_name} {self.host_key.get_name()} {self.host_key.get_base64()}\n"

    def offered(self) -> list[bytes]:
        with self.lock:
            return [offer.blob for offer in self.offers]

    def start(self) -> Peer:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.1)
        self._listener = listener
        self.port = int(listener.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def _serve(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        transport = paramiko.Transport(conn)
        with self.lock:
            self._transports.append(transport)
        transport.add_server_key(self.host_key)
        options = transport.get_security_options()
        if self.ciphers is not None:
            options.ciphers = tuple(self.ciphers)
        if self.macs is not None:
            options.digests = tuple(self.macs)
        if self.kex is not None:
            options.kex = tuple(self.kex)
        interface = _Interface(self)
        try:
            transport.start_server(server=interface)
        except (paramiko.SSHException, OSError, EOFError):
            return
        while transport.is_active() and not self._stop.is_set():
            channel = transport.accept(0.2)
            if channel is None:
                continue
            destination = interface.forwards.get(channel.get_id())
            if destination is None:
                continue  # a session: the exec handler answers it
            try:
                sock = socket.create_connection(destination, timeout=5)
            except OSError:
                channel.close()
                continue
            threading.Thread(target=_pump, args=(channel, sock), daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
        with self.lock:
            transports = list(self._transports)
        for transport in transports:
            transport.close()


def host_key(directory: Path, name: str = "host") -> paramiko.PKey:
    return paramiko.PKey.from_path(keygen(directory / f"{name}_ed25519"))


@contextlib.contextmanager
def running(peer: Peer) -> Iterator[Peer]:
    peer.start()
    try:
        yield peer
    finally:
        peer.close()


# ------------------------------------------------------------ a server from before SHA-2


def _string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def kexinit_packet(
    *, kex: str, host_keys: str, ciphers: str, macs: str, compression: str = "none"
) -> bytes:
    """An unencrypted SSH_MSG_KEXINIT binary packet (RFC 4253 section 7.1)."""
    payload = bytes([20]) + os.urandom(16)
    for names in (kex, host_keys, ciphers, ciphers, macs, macs, compression, compression, "", ""):
        payload += _string(names.encode("ascii"))
    payload += b"\x00" + struct.pack(">I", 0)
    padding = 8 - (len(payload) + 5) % 8
    if padding < 4:
        padding += 8
    body = bytes([padding]) + payload + os.urandom(padding)
    return struct.pack(">I", len(body)) + body


@contextlib.contextmanager
def fake_kexinit_server(**names: str) -> Iterator[int]:
    """A server that says `SSH-2.0-OpenSSH_5.3` and offers only `names` in its KEXINIT, then
    waits; the client must refuse at negotiation. Yields the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.1)
    stop = threading.Event()
    accepted: list[socket.socket] = []
    packet = kexinit_packet(**names)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            accepted.append(conn)
            with contextlib.suppress(OSError):
                conn.sendall(b"SSH-2.0-OpenSSH_5.3\r\n" + packet)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        for conn in accepted:
            conn.close()
        listener.close()
