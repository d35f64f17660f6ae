#!/usr/bin/env python3
"""A simulated fleet: one paramiko server process serving N virtual SSH hosts on loopback.

Each virtual host is its own listening port on 127.0.0.1 (ports chosen by the kernel) with
its own ed25519 host key; a client does a real key exchange, verifies the host key against
the generated known_hosts, authenticates with the generated client key (publickey only),
and execs one command. The server reads the command's stdin (the facts script), waits
`--delay` seconds (what the script costs on a real target), and answers with a captured
facts output (tests/fixtures/replay/captures/*.json) re-keyed to the script's nonce.

Bounded on purpose: 127.0.0.1 only, N <= 5000, and the process exits after
`--time-limit` seconds whatever happens.

    python3 bench/fleet.py serve --hosts 100 --dir /tmp/fleet   # prints READY when listening

writes DIR/inventory.yml, DIR/known_hosts, DIR/id_ed25519 (the client key), then serves
until stdin closes, SIGTERM, or the time limit. Not part of the product: it lives in bench/
and is used by bench/run.py and tests/unit/test_fleet_sim.py.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import re
import resource
import selectors
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

REPO = Path(__file__).resolve().parents[1]
MAX_HOSTS = 5000
LOOPBACK = "127.0.0.1"
DEFAULT_CAPTURE = REPO / "tests" / "fixtures" / "replay" / "captures" / "gold.json"
USER = "auditor"
_NONCE = re.compile(rb"N='@@([0-9a-f]+)'")
LAB_PORTS = range(42200, 42300)  # lab/labctl.py's published ports (42201, 42202, 42209)
MAX_STDIN = 4 << 20  # a facts script is ~100 KiB; never buffer more than this
# a client closing its connection after the exit status is normal, not worth a line
logging.getLogger("paramiko").addHandler(logging.NullHandler())
logging.getLogger("paramiko").propagate = False


def _new_key() -> tuple[paramiko.PKey, str]:
    """A fresh ed25519 key as a paramiko key and its OpenSSH private-key text."""
    private = Ed25519PrivateKey.generate()
    text = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    return paramiko.Ed25519Key(file_obj=io.StringIO(text)), text


@dataclass(frozen=True)
class Capture:
    nonce: bytes
    stdout: bytes
    stderr: bytes
    exit_code: int


def load_capture(path: Path) -> Capture:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Capture(
        str(data["nonce"]).encode(),
        str(data["stdout"]).encode("utf-8", errors="surrogatepass"),
        str(data["stderr"]).encode("utf-8", errors="surrogatepass"),
        int(data["exit_code"]),
    )


class _Host(paramiko.ServerInterface):
    """One connection's server side: publickey auth for USER with the client key, one exec."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if username == USER and key.asbytes() == self.fleet.client_blob:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        threading.Thread(target=self.fleet.answer, args=(channel,), daemon=True).start()
        return True


class Fleet:
    """N listening sockets on 127.0.0.1, one accept loop, one paramiko Transport per client."""

    def __init__(self, hosts: int, directory: Path, capture: Capture, delay: float) -> None:
        if not 1 <= hosts <= MAX_HOSTS:
            raise ValueError(f"--hosts must be 1..{MAX_HOSTS}")
        self.capture = capture
        self.delay = delay
        self.directory = directory
        self.selector = selectors.DefaultSelector()
        self.stopping = threading.Event()
        self.served = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._transports: set[paramiko.Transport] = set()
        client, client_text = _new_key()
        self.client_blob = client.asbytes()
        self.keys: list[paramiko.PKey] = []
        self.ports: list[int] = []
        _raise_nofile(hosts + 256)
        for _ in range(hosts):
            key, _text = _new_key()
            sock = _listener()
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, len(self.keys))
            self.keys.append(key)
            self.ports.append(sock.getsockname()[1])
        self._write_files(client_text, client)

    def _write_files(self, client_text: str, client: paramiko.PKey) -> None:
        d = self.directory
        d.mkdir(parents=True, exist_ok=True)
        key_path = d / "id_ed25519"
        key_path.write_text(client_text)
        key_path.chmod(0o600)
        (d / "id_ed25519.pub").write_text(f"{client.get_name()} {client.get_base64()}\n")
        width = len(str(len(self.ports)))
        names = [f"sim{i:0{width}d}" for i in range(len(self.ports))]
        (d / "known_hosts").write_text(
            "".join(
                f"[{LOOPBACK}]:{port} {key.get_name()} {key.get_base64()}\n"
                for port, key in zip(self.ports, self.keys, strict=True)
            )
        )
        lines = [
            "# generated by bench/fleet.py: virtual hosts of one simulated fleet",
            "all:",
            "  vars:",
            f"    ansible_user: {USER}",
            "    ansible_ssh_private_key_file: id_ed25519",
            "    audit_known_hosts_file: known_hosts",
            "    ansible_become: true",
            "    allowed_ports: [22]",
            "  hosts:",
        ]
        for name, port in zip(names, self.ports, strict=True):
            lines += [
                f"    {name}:",
                f"      ansible_host: {LOOPBACK}",
                f"      ansible_port: {port}",
            ]
        (d / "inventory.yml").write_text("\n".join(lines) + "\n")

    def serve(self, time_limit: float) -> None:
        deadline = time.monotonic() + time_limit
        while not self.stopping.is_set() and time.monotonic() < deadline:
            for selkey, _ in self.selector.select(timeout=0.2):
                listener = selkey.fileobj
                assert isinstance(listener, socket.socket)
                try:
                    conn, _addr = listener.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                conn.setblocking(True)
                self._start(conn, self.keys[selkey.data])
        self.close()

    def _start(self, conn: socket.socket, key: paramiko.PKey) -> None:
        transport = paramiko.Transport(conn)
        transport.add_server_key(key)
        with self._lock:
            self._transports = {t for t in self._transports if t.is_active()}
            self._transports.add(transport)
        try:
            # with an event, start_server returns at once and negotiates in its thread
            transport.start_server(event=threading.Event(), server=_Host(self))
        except (paramiko.SSHException, OSError):
            transport.close()

    def answer(self, channel: paramiko.Channel) -> None:
        """Read the script (to EOF), wait the simulated run time, send the capture."""
        try:
            channel.settimeout(60)
            data = bytearray()
            while len(data) < MAX_STDIN:
                chunk = channel.recv(1 << 16)
                if not chunk:
                    break
                data += chunk
            match = _NONCE.search(bytes(data))
            nonce = match.group(1) if match else self.capture.nonce
            out = self.capture.stdout.replace(
                b"@@" + self.capture.nonce + b" ", b"@@" + nonce + b" "
            )
            if self.stopping.wait(self.delay):
                return
            channel.sendall(out)
            if self.capture.stderr:
                channel.sendall_stderr(self.capture.stderr)
            channel.send_exit_status(self.capture.exit_code)
            with self._lock:
                self.served += 1
        except (OSError, EOFError, paramiko.SSHException):
            with self._lock:
                self.failed += 1
        finally:
            with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
                channel.close()  # the client may have closed its side first

    def close(self) -> None:
        self.stopping.set()
        for selkey in list(self.selector.get_map().values()):
            selkey.fileobj.close()  # type: ignore[union-attr]
        self.selector.close()
        with self._lock:
            transports = list(self._transports)
        for transport in transports:
            transport.close()


def _listener() -> socket.socket:
    """A listening socket on a kernel-chosen loopback port outside LAB_PORTS (the lab
    publishes its bastion there: a fleet holding one made `labctl up` fail)."""
    rejected = []
    try:
        while True:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            if sock.getsockname()[1] not in LAB_PORTS:
                sock.listen(64)
                return sock
            rejected.append(sock)  # held until we have a port: the kernel picks another
    finally:
        for sock in rejected:
            sock.close()


def _raise_nofile(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        limit = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
        if limit < needed:
            raise SystemExit(f"fleet: need {needed} file descriptors, the hard limit is {hard}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve N virtual hosts until stdin closes")
    serve.add_argument("--hosts", type=int, required=True, help=f"1..{MAX_HOSTS}")
    serve.add_argument("--dir", type=Path, required=True, help="where the inventory goes")
    serve.add_argument("--delay", type=float, default=0.35, help="seconds per exec (default 0.35)")
    serve.add_argument("--capture", type=Path, default=DEFAULT_CAPTURE)
    serve.add_argument("--time-limit", type=float, default=900.0, help="exit after this (s)")
    args = parser.parse_args(argv)
    if not 1 <= args.hosts <= MAX_HOSTS:
        parser.error(f"--hosts must be 1..{MAX_HOSTS}")
    if not 0 < args.time_limit <= 3600:
        parser.error("--time-limit must be in (0, 3600] seconds")
    fleet = Fleet(args.hosts, args.dir, load_capture(args.capture), args.delay)
    signal.signal(signal.SIGTERM, lambda *_: fleet.stopping.set())

    def watch_stdin() -> None:  # the parent closing our stdin (or dying) stops us
        try:
            while sys.stdin.buffer.read(1):
                pass
        except OSError:
            pass
        fleet.stopping.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"READY {len(fleet.ports)} {args.dir}", flush=True)
    fleet.serve(args.time_limit)
    print(f"DONE served={fleet.served} failed={fleet.failed}", flush=True)
    sys.stdout.flush()
    os._exit(0)  # paramiko threads of half-closed clients must not keep us alive


if __name__ == "__main__":
    raise SystemExit(main())
