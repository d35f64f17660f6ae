#!/usr/bin/env python3
"""The bench's floor: bare paramiko to the same hosts, through the same jump hops.

    python bench/bare.py true  -i lab/inventory.yml --hosts web1,db1 --forks 10
    python bench/bare.py facts -i lab/inventory.yml --hosts web1,db1 --forks 10

`true`: connect (bastions shared per chain, as hardaudit does), auth, exec `true`, close.
`facts`: the same, but exec the exact wrapper command and facts script `audit script`
prints for the host, its stdout read to the end. No host-key check, no output cap, no
parsing, no judging: what any SSH tool must at least pay. Exits 1 if a host failed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import paramiko

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from hardaudit.checks.loader import load_checks  # noqa: E402
from hardaudit.inventory.loader import load_inventory  # noqa: E402
from hardaudit.inventory.model import Hop, Host  # noqa: E402
from hardaudit.runner import host_script  # noqa: E402

logging.getLogger("paramiko").addHandler(logging.NullHandler())


class Bare:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.chains: dict[tuple[tuple[str, int], ...], paramiko.Transport] = {}
        self.chain_locks: dict[tuple[tuple[str, int], ...], threading.Lock] = {}
        self.keys: dict[str, paramiko.PKey] = {}

    def _key(self, hop: Hop) -> paramiko.PKey:
        path = hop.key_files[0]
        with self.lock:
            if path not in self.keys:
                self.keys[path] = paramiko.Ed25519Key(filename=path)
            return self.keys[path]

    def _connect(self, hop: Hop, via: paramiko.Transport | None) -> paramiko.Transport:
        if via is None:
            transport = paramiko.Transport((hop.address, hop.port))
        else:
            channel = via.open_channel("direct-tcpip", (hop.address, hop.port), ("127.0.0.1", 0))
            transport = paramiko.Transport(channel)
        transport.start_client(timeout=20)
        transport.auth_publickey(hop.user or "auditor", self._key(hop))
        return transport

    def _via(self, host: Host) -> paramiko.Transport | None:
        via: paramiko.Transport | None = None
        for depth in range(1, len(host.jump) + 1):
            key = tuple((h.address, h.port) for h in host.jump[:depth])
            with self.lock:
                lock = self.chain_locks.setdefault(key, threading.Lock())
            with lock:
                if key not in self.chains:
                    self.chains[key] = self._connect(host.jump[depth - 1], via)
                via = self.chains[key]
        return via

    def run(self, host: Host, command: str, stdin: bytes) -> int:
        transport = self._connect(host.as_hop(), self._via(host))
        try:
            channel = transport.open_session()
            channel.set_combine_stderr(True)
            channel.exec_command(command)
            if stdin:
                channel.sendall(stdin)
            channel.shutdown_write()
            while channel.recv(1 << 16):
                pass
            return channel.recv_exit_status()
        finally:
            transport.close()

    def close(self) -> None:
        for transport in reversed(list(self.chains.values())):
            transport.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("true", "facts"))
    parser.add_argument("-i", "--inventory", type=Path, required=True)
    parser.add_argument("--hosts", required=True, help="comma-separated inventory names")
    parser.add_argument("--forks", type=int, default=10)
    args = parser.parse_args()
    inventory = load_inventory([args.inventory], use_default_ssh_config=False)
    hosts = [inventory.host(name) for name in args.hosts.split(",")]
    checks = load_checks([]) if args.mode == "facts" else ()
    bare = Bare()

    def one(host: Host | None) -> str:
        assert host is not None
        if args.mode == "true":
            command, stdin = "true", b""
        else:
            script = host_script(host, checks)
            command, stdin = script.command, script.script.encode()
        try:
            bare.run(host, command, stdin)
        except Exception as exc:
            return f"{host.name}: {exc!r}"
        return ""

    try:
        with ThreadPoolExecutor(max_workers=args.forks) as pool:
            failures = [f for f in pool.map(one, hosts) if f]
    finally:
        bare.close()
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
