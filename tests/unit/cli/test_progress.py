"""The progress line: on a terminal only, not with --quiet; a summary line either way."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from hardaudit.progress import CLEAR, ProgressLine

REPLAY = Path(__file__).parents[2] / "fixtures" / "replay"


def _audit(tmp_path: Path, *extra: str, tty: bool) -> tuple[str, str]:
    """`audit run` on the replay captures; (stdout, stderr) with stdout a pty or a pipe."""
    argv = [
        sys.executable,
        "-m",
        "hardaudit",
        "run",
        "-i",
        str(REPLAY / "inventory.yml"),
        "--replay-dir",
        str(REPLAY / "captures"),
        "--output-dir",
        str(tmp_path / "out"),
        *extra,
    ]
    if not tty:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        return done.stdout, done.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    _, err = proc.communicate(timeout=60)
    return b"".join(chunks).decode(errors="replace"), err


def test_a_terminal_shows_hosts_done_running_and_failed_then_erases_it(tmp_path: Path) -> None:
    out, _ = _audit(tmp_path, tty=True)
    assert "\x1b[K[6/6] running 0, not audited 1" in out  # nocapture is unreachable
    assert "/6] running " in out.split(CLEAR)[1]
    table = out.rsplit(CLEAR, 1)[1]  # the line is erased before the report
    assert "[6/6]" not in table
    summary = table.rstrip().splitlines()[-1]
    assert summary.startswith("6 host(s) in ")
    assert "5 audited (4 with failed checks), 1 not audited" in summary


def test_no_progress_when_stdout_is_not_a_terminal_or_with_quiet(tmp_path: Path) -> None:
    for out, err in (
        _audit(tmp_path, tty=False),
        _audit(tmp_path, "--quiet", tty=True),
        _audit(tmp_path, "--format", "json", tty=False),
    ):
        assert CLEAR not in out + err
        assert "/6] running" not in out + err
        summary = [line for line in (out + err).splitlines() if " host(s) in " in line]
        assert len(summary) == 1
        assert "1 not audited" in summary[0]


def test_the_line_names_the_slowest_hosts_and_an_eta() -> None:
    now = [100.0]
    line = ProgressLine(io.StringIO(), 10, clock=lambda: now[0], width=lambda: 200)
    line.started("fast")
    now[0] += 1
    line.started("stuck\x1b[2J")  # a name from an inventory: escaped
    line.started("third")
    now[0] += 3
    line.finished("fast", ok=True)
    line.finished("third", ok=False)
    now[0] += 6
    text = line.text()
    assert text.startswith("[2/10] running 1, not audited 1, 0:10 elapsed, ETA 0:40")
    assert text.endswith("slowest: stuck\\x1b[2J 0:09")
    assert "\x1b" not in text


def test_the_line_never_wraps() -> None:
    line = ProgressLine(io.StringIO(), 3, width=lambda: 30)
    line.started("a-very-long-host-name.example.internal")
    assert len(line.text()) == 29
