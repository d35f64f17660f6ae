"""Helpers: real OpenSSH servers on 127.0.0.1 high ports for the transport tests (no SSH mocks).

Each `Sshd` is a private `sshd -D -e -f <tmp>/sshd_config` listening only on 127.0.0.1,
with its own host keys, authorized_keys and log file; every process is killed at teardown.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hardaudit.inventory.model import Hop, Host

SSHD = Path("/usr/sbin/sshd")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keygen(path: Path, key_type: str = "ed25519", passphrase: str = "") -> Path:
    args = ["ssh-keygen", "-q", "-t", key_type, "-N", passphrase, "-C", path.name, "-f", str(path)]
    if key_type == "rsa":
        args += ["-b", "2048"]
    subprocess.run(args, check=True, capture_output=True)
    return path


def ssh_keygen_fingerprint(pub: Path) -> str:
    """The SHA256 fingerprint as `ssh-keygen -lf` prints it (second field)."""
    out = subprocess.run(
        ["ssh-keygen", "-lf", str(pub)], check=True, capture_output=True, text=True
    ).stdout
    return out.split()[1]


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        for child in children.get(current, []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Sshd:
    name: str
    directory: Path
    port: int
    host_keys: list[Path]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)

    @property
    def known_name(self) -> str:
        return f"[127.0.0.1]:{self.port}"

    def known_lines(self) -> str:
        lines = []
        for key in self.host_keys:
            key_type, blob = Path(f"{key}.pub").read_text().split()[:2]
            lines.append(f"{self.known_name} {key_type} {blob}\n")
        return "".join(lines)

    def fingerprint(self, index: int = 0) -> str:
        return ssh_keygen_fingerprint(Path(f"{self.host_keys[index]}.pub"))

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def count(self, needle: str) -> int:
        return self.log_text().count(needle)

    def stop(self) -> None:
        if self.proc is None:
            return
        for pid in [*_descendants(self.proc.pid), self.proc.pid]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.proc = None


@dataclass
class Lab:
    """Client key, authorized_keys and a factory of sshd processes."""

    root: Path
    client_key: Path
    authorized_keys: Path
    servers: list[Sshd] = field(default_factory=list)

    def start(
        self, name: str, key_types: tuple[str, ...] = ("ed25519",), options: tuple[str, ...] = ()
    ) -> Sshd:
        """An sshd with host keys of `key_types`; `options` are sshd_config lines placed
        first (sshd keeps the first value of a keyword, so they override the defaults)."""
        directory = self.root / name
        directory.mkdir()
        host_keys = [keygen(directory / f"ssh_host_{t}_key", t) for t in key_types]
        for _attempt in range(5):
            port = free_port()
            log = directory / f"sshd-{port}.log"
            config = directory / "sshd_config"
            config.write_text(
                "\n".join(
                    [
                        *options,
                        f"Port {port}",
                        "ListenAddress 127.0.0.1",
                        *(f"HostKey {k}" for k in host_keys),
                        f"PidFile {directory / 'pid'}",
                        f"AuthorizedKeysFile {self.authorized_keys}",
                        "StrictModes no",
                        "AllowTcpForwarding yes",
                        "PermitRootLogin prohibit-password",
                        "PubkeyAuthentication yes",
                        "PasswordAuthentication no",
                        "KbdInteractiveAuthentication no",
                        "UsePAM no",
                        "LogLevel VERBOSE",
                        "MaxStartups 100",
                        "",
                    ]
                )
            )
            server = Sshd(name, directory, port, host_keys, log)
            with log.open("wb") as sink:
                server.proc = subprocess.Popen(
                    [str(SSHD), "-D", "-e", "-f", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=sink,
                    start_new_session=True,
                )
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if "Server listening on" in server.log_text():
                    self.servers.append(server)
                    return server
                if server.proc.poll() is not None:
                    break
                time.sleep(0.02)
            server.stop()
        raise RuntimeError(f"sshd {name} did not start: {server.log_text()}")

    def close(self) -> None:
        for server in self.servers:
            server.stop()


def hop(server: Sshd | int, key: Path, *, name: str | None = None) -> Hop:
    port = server if isinstance(server, int) else server.port
    label = name or (f"hop-{port}" if isinstance(server, int) else server.name)
    return Hop(label, "127.0.0.1", port, "root", (str(key),))


def target(
    server: Sshd | int,
    key: Path,
    *,
    jump: tuple[Hop, ...] = (),
    known: tuple[Path, ...] = (),
    name: str | None = None,
) -> Host:
    h = hop(server, key, name=name)
    return Host(
        h.name,
        h.address,
        h.port,
        h.user,
        h.key_files,
        jump=jump,
        known_hosts_files=tuple(str(p) for p in known),
    )


def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@contextlib.contextmanager
def silent_server(listener: socket.socket) -> Iterator[None]:
    """Accept every connection on a bound, listening socket and never send a byte (a tarpit,
    or a hung ssh-agent); everything is closed on exit."""
    listener.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(2)
        for conn in accepted:
            conn.close()
        listener.close()
