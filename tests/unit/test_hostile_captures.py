"""A capture or a target's output cannot turn into a huge or raw reason, whatever it holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hardaudit.cli import main
from hardaudit.errors import ConnectError
from hardaudit.inventory.model import Host
from hardaudit.printable import REASON_LIMIT
from hardaudit.runner import RunOptions, audit_hosts
from hardaudit.transport.base import ExecResult

REPLAY = Path(__file__).parents[1] / "fixtures" / "replay"


def _hosts(report: dict[str, object]) -> dict[str, dict[str, object]]:
    return {h["name"]: h for h in report["hosts"]}  # type: ignore[attr-defined]


def test_lone_surrogate_in_a_capture_is_decoded_not_an_internal_error(tmp_path: Path) -> None:
    captures = tmp_path / "captures"
    captures.mkdir()
    data = json.loads((REPLAY / "captures" / "gold.json").read_text())
    data["stdout"] = data["stdout"].replace("GNU/Linux", "GNU/\ud800Linux", 1)
    data["stderr"] = "\udcff" + data["stderr"]
    (captures / "gold.json").write_text(json.dumps(data))
    code = main(
        [
            "run",
            "-i",
            str(REPLAY / "inventory.yml"),
            "--limit",
            "gold",
            "--replay-dir",
            str(captures),
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    gold = _hosts(report)["gold"]
    assert "internal error" not in str(gold["reason"])
    assert gold["status"] == "ok", gold["reason"]
    assert gold["os"] == "Debian GNU/\ufffd\ufffd\ufffdLinux 12 (bookworm)"
    assert code == 0


class _Hostile:
    """A transport whose failure message quotes kilobytes of hostile text."""

    def __init__(self, message: str) -> None:
        self.message = message

    def execute(self, host: Host, command: str, stdin: bytes, timeout: float) -> ExecResult:
        raise ConnectError("unreachable", self.message)

    def close(self) -> None:
        return None


class _Crashing:
    def execute(self, host: Host, command: str, stdin: bytes, timeout: float) -> ExecResult:
        raise ValueError("\x1b]0;t\x07" + "A" * 7800)

    def close(self) -> None:
        return None


@pytest.mark.parametrize("transport", [_Hostile("\x1b[2J\n" + "B" * 7800), _Crashing()])
def test_every_host_reason_is_escaped_and_capped(transport: object) -> None:
    host = Host(name="h1", address="127.0.0.1")
    (report,) = audit_hosts([host], [], lambda h: transport, RunOptions(host_timeout=5))  # type: ignore[arg-type, return-value]
    assert len(report.reason) <= REASON_LIMIT + 40
    assert "bytes more)" in report.reason
    assert "\x1b" not in report.reason
    assert "\n" not in report.reason


def test_capture_written_then_replayed_keeps_invalid_bytes_replaced(tmp_path: Path) -> None:
    from hardaudit.transport.replay import load_capture, save_capture

    path = save_capture(tmp_path, "h1", "abc", ExecResult(b"x\xff\n", b"", 0))
    assert load_capture(path).stdout == "x\ufffd\n"
