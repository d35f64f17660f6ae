"""The progress line of `audit run` / `audit host` on a terminal.

One line, redrawn in place with a carriage return: hosts done / total, running, not
audited, elapsed, ETA, and the hosts running longest. Drawn only when the output is a
terminal (the CLI decides: never in CI logs, never with --quiet), and erased before the
report is printed. Host names come from inventories anyone may edit: escaped.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TextIO

from hardaudit.printable import printable

CLEAR = "\r\x1b[K"  # to the start of the line, erase it


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ProgressLine:
    """Thread-safe: `started`/`finished` from the runner, a ticker redraws twice a second."""

    def __init__(
        self,
        stream: TextIO,
        total: int,
        *,
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        width: Callable[[], int] | None = None,
    ) -> None:
        self.stream = stream
        self.total = total
        self.interval = interval
        self.clock = clock
        self.width = width or self._terminal_width
        self.begun = clock()
        self.done = 0
        self.failed = 0
        self.running: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._drawn = False

    def _terminal_width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        return columns or 80  # a pty nobody sized says 0

    def start(self) -> None:
        self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            self.draw()

    def started(self, name: str) -> None:
        with self._lock:
            self.running[name] = self.clock()
        self.draw()

    def finished(self, name: str, ok: bool) -> None:
        with self._lock:
            self.running.pop(name, None)
            self.done += 1
            self.failed += 0 if ok else 1
        self.draw()

    def text(self) -> str:
        """The line as it is drawn now (without the carriage return)."""
        with self._lock:
            now = self.clock()
            elapsed = now - self.begun
            parts = [
                f"[{self.done}/{self.total}] running {len(self.running)}",
                f"not audited {self.failed}",
                f"{_clock(elapsed)} elapsed",
            ]
            if 0 < self.done < self.total:
                parts.append(f"ETA {_clock(elapsed / self.done * (self.total - self.done))}")
            slowest = sorted(self.running.items(), key=lambda item: item[1])[:3]
            if slowest:
                names = ", ".join(f"{printable(n)} {_clock(now - t)}" for n, t in slowest)
                parts.append(f"slowest: {names}")
        line = ", ".join(parts)
        limit = max(10, self.width() - 1)  # never wrap: a wrapped line cannot be redrawn
        return line if len(line) <= limit else line[: limit - 1] + "…"

    def draw(self) -> None:
        line = self.text()
        with self._lock:
            if self._stop.is_set():
                return
            try:
                self.stream.write(CLEAR + line)
                self.stream.flush()
            except (OSError, ValueError):  # the terminal went away: stop drawing
                self._stop.set()
                return
            self._drawn = True

    def close(self) -> None:
        """Stop the ticker and erase the line (the report is printed next)."""
        with self._lock:
            self._stop.set()
            drawn = self._drawn
        if self._ticker is not None:
            self._ticker.join()
        if drawn:
            try:
                self.stream.write(CLEAR)
                self.stream.flush()
            except (OSError, ValueError):
                pass
