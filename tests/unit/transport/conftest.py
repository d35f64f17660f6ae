"""Fixtures: private sshd processes on 127.0.0.1 (see sshlab.py), a tarpit, a private HOME."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from .sshlab import SSHD, Lab, Sshd, free_port, keygen, silent_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not SSHD.exists():
        skip = pytest.mark.skip(reason="openssh-server (/usr/sbin/sshd) not installed")
        for item in items:
            if "ssh_lab" in getattr(item, "fixturenames", ()):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def ssh_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
    root = tmp_path_factory.mktemp("sshlab")
    client_key = keygen(root / "client_ed25519")
    authorized = root / "authorized_keys"
    shutil.copy(f"{client_key}.pub", authorized)
    lab = Lab(root, client_key, authorized)
    try:
        yield lab
    finally:
        lab.close()


@pytest.fixture(scope="session")
def servers(ssh_lab: Lab) -> dict[str, Sshd]:
    """Four shared servers a..d; 'd' has an ECDSA and an ed25519 host key."""
    return {
        "a": ssh_lab.start("a"),
        "b": ssh_lab.start("b"),
        "c": ssh_lab.start("c"),
        "d": ssh_lab.start("d", ("ecdsa", "ed25519")),
    }


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME (so ~/.ssh is the test's) and no ssh-agent."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return home


@pytest.fixture
def known_hosts(tmp_path: Path, servers: dict[str, Sshd]) -> Path:
    """A known_hosts file holding every shared server's host keys."""
    path = tmp_path / "known_hosts"
    path.write_text("".join(s.known_lines() for s in servers.values()))
    return path


@pytest.fixture
def tarpit() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never writes a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with silent_server(listener):
        yield int(listener.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    return free_port()
