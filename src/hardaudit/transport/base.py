"""The interface every transport implements; the runner never knows which one it has."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from hardaudit.inventory.model import Host
from hardaudit.model import HostStatus

__all__ = ["ConnectStep", "ExecResult", "HostStatus", "Transport"]


@dataclass(frozen=True)
class ConnectStep:
    """One logged step of a connection (hop reached, key used, host key fingerprint, timing)."""

    hop: str
    what: str
    seconds: float


@dataclass(frozen=True)
class ExecResult:
    """Raw bytes back from the one remote exec."""

    stdout: bytes
    stderr: bytes
    exit_code: int
    steps: tuple[ConnectStep, ...] = field(default=())


class Transport(Protocol):
    """Runs `command` on `host` with `stdin` fed to it, within `timeout` seconds.

    Raises hardaudit.errors.ConnectError (with a HostStatus value) on any connection failure.
    """

    def execute(self, host: Host, command: str, stdin: bytes, timeout: float) -> ExecResult: ...

    def close(self) -> None: ...
