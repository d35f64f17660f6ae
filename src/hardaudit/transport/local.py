"""Transport for `connection: local` hosts: the command runs here, under /bin/sh -c.

stdin is fed by a thread while stdout and stderr are read together, at most
MAX_OUTPUT_BYTES in all (the same cap as the SSH transport): beyond it, or past the
timeout, the whole process group is killed.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from typing import IO

from hardaudit.errors import ConnectError
from hardaudit.inventory.model import Host
from hardaudit.transport.base import ConnectStep, ExecResult, HostStatus

MAX_OUTPUT_BYTES = 64 * 1024 * 1024  # stdout + stderr in all; same as ssh.MAX_OUTPUT_BYTES
_READ_CHUNK = 1 << 16


class _OutputTooLargeError(Exception):
    """stdout + stderr went past MAX_OUTPUT_BYTES."""


class LocalTransport:
    """Runs the command with `/bin/sh -c` on this machine, stdin fed, within `timeout`."""

    def execute(self, host: Host, command: str, stdin: bytes, timeout: float) -> ExecResult:
        label = f"local:{host.name}"
        start = time.monotonic()
        deadline = start + max(timeout, 0.001)
        try:
            proc = subprocess.Popen(
                ["/bin/sh", "-c", command],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                start_new_session=True,  # so a timeout can kill the whole process group
            )
        except OSError as exc:
            raise ConnectError(
                HostStatus.ERROR.value,
                f"{host.name}: cannot run /bin/sh: {exc.strerror or exc}",
                hop=label,
            ) from exc
        assert proc.stdin is not None
        writer = threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True)
        writer.start()
        try:
            stdout, stderr = _collect(proc, deadline)
        except subprocess.TimeoutExpired as exc:
            _kill_group(proc, writer)
            raise ConnectError(
                HostStatus.TIMEOUT.value,
                f"{host.name}: local command did not finish within {timeout:g}s",
                hop=label,
            ) from exc
        except _OutputTooLargeError as exc:
            _kill_group(proc, writer)
            raise ConnectError(
                HostStatus.ERROR.value,
                f"{host.name} ({label}): output exceeds {MAX_OUTPUT_BYTES >> 20} MiB "
                "(a hostile or broken host?)",
                hop=label,
            ) from exc
        except BaseException:
            _kill_group(proc, writer)
            raise
        writer.join(1)
        seconds = time.monotonic() - start
        step = ConnectStep(label, f"local exec finished (exit {proc.returncode})", seconds)
        return ExecResult(stdout, stderr, proc.returncode, (step,))

    def close(self) -> None:
        """Nothing to release."""


def _feed(stream: IO[bytes], data: bytes) -> None:
    """Write all of stdin, then close it; runs in its own thread so reading never waits."""
    try:
        view = memoryview(data)
        while view:
            written = stream.write(view)
            view = view[written or 0 :]
    except (OSError, ValueError):
        pass  # the command exited without reading everything, or it was killed
    finally:
        with contextlib.suppress(OSError):
            stream.close()


def _collect(proc: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bytes]:
    """stdout and stderr until both are at EOF and the shell exited, within `deadline`.

    Raises subprocess.TimeoutExpired past the deadline, _OutputTooLargeError past the cap.
    """
    assert proc.stdout is not None
    assert proc.stderr is not None
    buffers = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    total = 0
    with selectors.DefaultSelector() as selector:
        for fd in buffers:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(proc.args, 0)
            for key, _events in selector.select(left):
                data = os.read(key.fd, _READ_CHUNK)
                if not data:
                    selector.unregister(key.fd)
                    continue
                buffers[key.fd].extend(data)
                total += len(data)
                if total > MAX_OUTPUT_BYTES:
                    raise _OutputTooLargeError
    proc.wait(timeout=max(deadline - time.monotonic(), 0.001))
    out, err = buffers.values()
    return bytes(out), bytes(err)


def _kill_group(proc: subprocess.Popen[bytes], writer: threading.Thread) -> None:
    """Kill the shell and everything it started; reap without waiting on inherited pipes."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    # stdin belongs to the writer thread (it closes it); it ends once the readers died
    writer.join(1)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
