"""Transport for `connection: local` hosts: the command runs here, under /bin/sh -c."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

from hardaudit.errors import ConnectError
from hardaudit.inventory.model import Host
from hardaudit.transport.base import ConnectStep, ExecResult, HostStatus


class LocalTransport:
    """Runs the command with `/bin/sh -c` on this machine, stdin fed, within `timeout`."""

    def execute(self, host: Host, command: str, stdin: bytes, timeout: float) -> ExecResult:
        label = f"local:{host.name}"
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                ["/bin/sh", "-c", command],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # so a timeout can kill the whole process group
            )
        except OSError as exc:
            raise ConnectError(
                HostStatus.ERROR.value,
                f"{host.name}: cannot run /bin/sh: {exc.strerror or exc}",
                hop=label,
            ) from exc
        try:
            stdout, stderr = proc.communicate(stdin, timeout=max(timeout, 0.001))
        except subprocess.TimeoutExpired as exc:
            _kill_group(proc)
            raise ConnectError(
                HostStatus.TIMEOUT.value,
                f"{host.name}: local command did not finish within {timeout:g}s",
                hop=label,
            ) from exc
        seconds = time.monotonic() - start
        step = ConnectStep(label, f"local exec finished (exit {proc.returncode})", seconds)
        return ExecResult(stdout, stderr, proc.returncode, (step,))

    def close(self) -> None:
        """Nothing to release."""


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the shell and everything it started; reap without waiting on inherited pipes."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
