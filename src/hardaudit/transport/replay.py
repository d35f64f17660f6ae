"""Replay transport: feeds captured facts-script outputs back, so the whole pipeline runs
without a network (unit tests, golden reports, offline re-evaluation of a capture).

A capture is `<dir>/<host>.json` (the host name percent-encoded where it holds anything but
letters, digits and `_.@+=:-`, or starts with a dot; see localfiles.file_name_for): {"nonce", "stdout", "stderr", "exit_code"} as written by
`audit run --capture-dir DIR`. Host names that are absent from the directory are unreachable.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from hardaudit.errors import ConnectError
from hardaudit.inventory.model import Host
from hardaudit.localfiles import file_name_for, write_private
from hardaudit.printable import target_text
from hardaudit.transport.base import ExecResult, HostStatus

_NONCE = re.compile(r"N='@@([0-9a-f]+)'")


@dataclass(frozen=True)
class Capture:
    nonce: str
    stdout: str
    stderr: str
    exit_code: int


def capture_name(host: str) -> str:
    """The capture file name of a host: any name maps into the directory, never out of it."""
    return file_name_for(host) + ".json"


def save_capture(directory: Path, host: str, nonce: str, result: ExecResult) -> Path:
    """Write one host's raw output for later replay (contains no secret values by design).

    The file is `capture_name(host)` in `directory` (which must exist), 0600, written atomically.
    """
    data = {
        "nonce": nonce,
        "stdout": target_text(result.stdout),
        "stderr": target_text(result.stderr),
        "exit_code": result.exit_code,
    }
    return write_private(
        directory, capture_name(host), (json.dumps(data, indent=1) + "\n").encode()
    )


def load_capture(path: Path) -> Capture:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Capture(
        str(data["nonce"]), str(data["stdout"]), str(data["stderr"]), int(data["exit_code"])
    )


class ReplayTransport:
    """Answers `execute` from capture files, re-keyed to the nonce the caller's script uses."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def execute(self, host: Host, command: str, stdin: bytes, timeout: float) -> ExecResult:
        path = self.directory / capture_name(host.name)
        if not path.is_file():
            raise ConnectError(
                HostStatus.UNREACHABLE.value, f"no capture {path} for this host", hop=host.name
            )
        capture = load_capture(path)
        match = _NONCE.search(stdin.decode("utf-8", errors="replace"))
        nonce = match.group(1) if match else capture.nonce
        old, new = f"@@{capture.nonce} ", f"@@{nonce} "
        # Back to the bytes a target would have sent; a lone surrogate (JSON allows "\ud800")
        # becomes invalid UTF-8, which the runner's one decode replaces like any other.
        return ExecResult(
            capture.stdout.replace(old, new).encode("utf-8", errors="surrogatepass"),
            capture.stderr.replace(old, new).encode("utf-8", errors="surrogatepass"),
            capture.exit_code,
        )

    def close(self) -> None:
        return None
