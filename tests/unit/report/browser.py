"""Headless Chromium driven over the DevTools protocol on a pipe (stdlib only).

`--remote-debugging-pipe` makes Chromium read protocol messages on fd 3 and write them on
fd 4, NUL-terminated JSON: no port, no websocket, nothing on the network. The page's console
errors, uncaught exceptions, Content-Security-Policy violations (Log entries), JavaScript
dialogs (an `alert` a hostile name managed to run) and every request other than the page
itself are collected while it loads.

Measure the page of a synthetic fleet (size and load time, as in the README):

    .venv/bin/python -m tests.unit.report.browser 2000
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

# The machine notes' flags: no sandbox (root in a container), nothing phoning home.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
WIDTH, HEIGHT = 1280, 900


def chromium_available() -> bool:
    return shutil.which("chromium") is not None


@dataclass
class PageLoad:
    """What happened while one page loaded."""

    seconds: float  # navigation start to the load event, as the page measured it
    wall_seconds: float  # Page.navigate to Page.loadEventFired, from here
    errors: list[str] = field(default_factory=list)  # console errors, exceptions
    csp_violations: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # URLs other than the page's own


class Chromium:
    """One headless browser with one tab; a context manager."""

    def __init__(self, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="hardaudit-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # fds 3 and 4 in the child; dup first so neither pipe end is overwritten by dup2
        keep_r, keep_w = os.dup(to_browser_r), os.dup(from_browser_w)

        def wire_pipes() -> None:
            os.dup2(keep_r, 3)
            os.dup2(keep_w, 4)

        self.process = subprocess.Popen(
            ["chromium", *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire_pipes,  # noqa: PLW1509 (no threads are started before it)
        )
        for fd in (to_browser_r, from_browser_w, keep_r, keep_w):
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.url = "about:blank"
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )

    def __enter__(self) -> Chromium:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError, EOFError, TimeoutError, RuntimeError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)

    # -- protocol

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        decoded: dict[str, Any] = json.loads(message)
        return decoded

    def call(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = False
    ) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._event(reply)

    def _event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if event.get("method") == "Page.javascriptDialogOpening":
            # answer it, or the page stays blocked
            self._next_id += 1
            answer = {
                "id": self._next_id,
                "method": "Page.handleJavaScriptDialog",
                "params": {"accept": False},
                "sessionId": self.session,
            }
            os.write(self._to_browser, json.dumps(answer).encode() + b"\0")

    def wait_for(self, method: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not any(e.get("method") == method for e in self.events):
            self._event(self._receive(deadline))

    # -- what a test uses

    def load(self, path: Path) -> PageLoad:
        """Open a local file and wait for its load event; report what went wrong."""
        self.events.clear()
        url = self.url = path.resolve().as_uri()
        started = time.monotonic()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired")
        wall = time.monotonic() - started
        seconds = self.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd / 1000")
        self.evaluate("0")  # let events queued behind the load arrive
        return self.collect(PageLoad(seconds=float(seconds), wall_seconds=wall))

    def collect(self, load: PageLoad) -> PageLoad:
        """Add what the page did since it was loaded to `load`."""
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                load.errors.append(" ".join(str(a.get("value", a)) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                load.errors.append(str(details.get("exception", {}).get("description", details)))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                if entry.get("source") == "security" or "Content Security Policy" in entry["text"]:
                    load.csp_violations.append(entry["text"])
                else:
                    load.errors.append(entry["text"])
            elif method == "Page.javascriptDialogOpening":
                load.dialogs.append(params.get("message", ""))
            elif method == "Network.requestWillBeSent":
                request_url = params["request"]["url"]
                if request_url != self.url and not request_url.startswith("about:"):
                    load.requests.append(request_url)
        return load

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, scale: float = 1.0) -> bytes:
        """PNG of what the viewport shows (scaled: small images decode fast in pure Python)."""
        top = float(self.evaluate("window.scrollY"))  # a clip is placed in page coordinates
        clip = {"x": 0, "y": top, "width": WIDTH, "height": HEIGHT, "scale": scale}
        shot = self.call("Page.captureScreenshot", {"format": "png", "clip": clip}, session=True)
        return base64.b64decode(shot["data"])


def png_pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG, unfiltered."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, header = 8, b"", b""
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        body = png[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8, f"unsupported PNG bit depth {depth}"
    assert color in (2, 6), f"unsupported PNG colour type {color}"
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                corner = previous[i - bpp] if i >= bpp else 0
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def ink_share(png: bytes) -> float:
    """Share of pixels that differ from the most common colour (0.0: a blank image)."""
    width, height, rows = png_pixels(png)
    bpp = len(rows[0]) // width
    colours: dict[bytes, int] = {}
    for row in rows:
        for x in range(0, len(row), bpp):
            pixel = row[x : x + 3]
            colours[pixel] = colours.get(pixel, 0) + 1
    background = max(colours.values())
    return 1.0 - background / (width * height)


def measure(hosts: int, runs: int = 3) -> None:
    """Print the size and load time of the page of a synthetic fleet of `hosts` hosts.

    Each load is in a fresh browser (a warm tab reloading a large page measures its garbage
    collector) that first loads a tiny page, so that starting the renderer is not counted;
    that tiny page's own time is printed too. The machine's load average moves the figures,
    so it is printed with them.
    """
    from hardaudit.report.html import render_html
    from tests.unit.report.fleet import fleet_checks, synthetic_fleet

    report = synthetic_fleet(hosts)
    started = time.monotonic()
    page = render_html(report, fleet_checks())
    rendered = time.monotonic() - started
    loads = []
    with tempfile.TemporaryDirectory(prefix="hardaudit-html-") as tmp:
        path = Path(tmp) / "report.html"
        path.write_text(page, encoding="utf-8")
        tiny = Path(tmp) / "tiny.html"
        tiny.write_text("<!DOCTYPE html><title>tiny</title><p>tiny</p>", encoding="utf-8")
        warm = []
        for _ in range(runs):
            with Chromium() as browser:
                warm.append(browser.load(tiny).seconds)
                loads.append(browser.load(path))
                script = browser.evaluate(
                    "(() => { const t = performance.now();"
                    " document.getElementById('finding-filters').elements.namedItem('new')"
                    ".click(); return performance.now() - t; })()"
                )
                loads[-1].errors.append(f"filter {script:.0f} ms")
    seconds = sorted(load.seconds for load in loads)
    problems = sum(len(load.csp_violations) + len(load.errors) - 1 for load in loads)
    print(
        f"{hosts} hosts, {len(report.failing_objects())} failing objects: "
        f"{len(page.encode()) / 1e6:.2f} MB, rendered in {rendered:.2f} s; load event after "
        + ", ".join(f"{s:.2f}" for s in seconds)
        + f" s (median {seconds[len(seconds) // 2]:.2f}); "
        + ", ".join(load.errors[-1] for load in loads)
        + f"; console errors and CSP violations: {problems}; a tiny page loads in "
        + ", ".join(f"{s:.2f}" for s in sorted(warm))
        + f" s; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    measure(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
