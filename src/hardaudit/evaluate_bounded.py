"""Parse and judge one host's output under a time and memory bound, in a worker process.

A target chooses what it prints, and parsing or judging it must not stall or exhaust the
auditor: an overrun (the deadline, the memory cap, a crash) makes only that host `error`,
and the other hosts finish. Workers are plain `python -c` child processes (no fork of a
threaded process, no re-import of the caller's main module) speaking pickled frames over
their stdin/stdout; each caps its own address space (RLIMIT_AS) and is reused for the next
host until it overruns, when it is killed and replaced.

Nothing here imports transport: it sees the output as text and returns check results.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from types import MappingProxyType
from typing import Any

from hardaudit.checks.engine import evaluate
from hardaudit.checks.model import Check, CheckResult
from hardaudit.errors import FactError
from hardaudit.facts.build import build_host_facts
from hardaudit.facts.parsers.timing import parse_timing
from hardaudit.facts.sections import split_sections


@dataclass(frozen=True)
class HostVerdict:
    """What the runner needs from one host's output: its findings and what to say about it."""

    findings: tuple[CheckResult, ...]
    notes: tuple[str, ...]
    privilege: str
    os_pretty: str
    facts_timing: tuple[tuple[str, float], ...] = ()  # (section, wall seconds on the target)
    sudo_version: str = ""  # `sudo -V`'s first line (Meta.sudo_version)


@dataclass(frozen=True)
class HostBound:
    """Limits on parsing and judging one host's output (real configurations take ms, MiB)."""

    seconds: float = 20.0
    memory_bytes: int = 1 << 30


class BoundExceededError(FactError):
    """Parsing and judging this host's output went over its bound: the host is `error`."""


def parse_and_evaluate(
    stdout: str, stderr: str, nonce: str, checks: Sequence[Check], host_vars: Mapping[str, Any]
) -> HostVerdict:
    """Split the output, parse every fact, run every check (pure; FactError if no output)."""
    facts = build_host_facts(
        split_sections(stdout, stderr, nonce), nonce, parse_timing(stdout, nonce)
    )
    return HostVerdict(
        findings=evaluate(checks, facts, host_vars),
        notes=facts.notes,
        privilege=facts.meta.privilege,
        os_pretty=facts.meta.os_pretty,
        facts_timing=facts.timing.sections,
        sudo_version=facts.meta.sudo_version,
    )


Judge = Callable[[str, str, str, Mapping[str, Any]], HostVerdict]


def _proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


# Checks and host variables hold read-only mappings, which pickle cannot take as they are.
ForkingPickler.register(MappingProxyType, lambda m: (_proxy, (dict(m),)))


def _worker_main() -> None:  # pragma: no cover - runs in the child process
    """The worker: cap memory, then answer one reply frame per job frame until EOF."""
    import resource
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    reader = Connection(os.dup(0), writable=False)
    writer = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # a stray print must not corrupt the frames
    memory, seconds, target_name, checks = reader.recv()
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)[1]
    module, _, name = target_name.partition(":")
    target = getattr(__import__(module, fromlist=[name]), name)
    writer.send(("ready", None))  # start-up (imports) is not charged to the first host's bound
    while True:
        try:
            job = reader.recv()
        except EOFError:
            return
        # A backstop if the parent is gone: SIGXCPU ends a job over twice its bound in CPU.
        used = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(used.ru_utime + used.ru_stime + 2 * seconds + 1)
        if hard_cpu == resource.RLIM_INFINITY or soft < hard_cpu:
            resource.setrlimit(resource.RLIMIT_CPU, (soft, hard_cpu))
        reply: tuple[str, object]
        try:
            reply = ("ok", target(*job[:3], checks, job[3]))
        except FactError as exc:
            reply = ("fact", exc.message)
        except MemoryError:
            reply = ("memory", "")
        except Exception as exc:  # reported as the host's internal error
            reply = ("error", f"{type(exc).__name__}: {str(exc)[:200]}")
        try:
            writer.send(reply)
        except OSError:  # the parent is gone
            return
        if reply[0] in ("memory", "error"):  # the heap or the stack may be damaged: start anew
            return


STARTUP_SECONDS = 60


class _Worker:
    def __init__(self, checks: Sequence[Check], bound: HostBound, target: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from hardaudit.evaluate_bounded import _worker_main as m; m()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # this process's import path: the worker imports the same hardaudit (and checks)
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.writer = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.reader = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.writer.send((bound.memory_bytes, bound.seconds, target, tuple(checks)))
        # Wait for the worker's imports apart from any host's bound: a loaded machine may take
        # seconds to start a Python, which must not turn the first host it judges into an error.
        try:
            ready = self.reader.poll(STARTUP_SECONDS) and self.reader.recv() == ("ready", None)
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise BoundExceededError(
                f"the worker that judges hosts' output did not start within {STARTUP_SECONDS}s"
            )

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.writer.close()
        self.reader.close()

    def stop(self) -> None:
        self.writer.close()  # EOF: the worker returns
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.close()


class BoundedJudge:
    """Up to `workers` worker processes shared by the runner's threads.

    >>> with BoundedJudge(checks, HostBound(seconds=5)) as judge:  # doctest: +SKIP
    ...     verdict = judge(stdout, stderr, nonce, host.vars)
    """

    def __init__(
        self,
        checks: Sequence[Check],
        bound: HostBound,
        *,
        workers: int = 2,
        target: str = f"{__name__}:parse_and_evaluate",
    ) -> None:
        self.checks = tuple(checks)
        self.bound = bound
        self.target = target
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()

    def __enter__(self) -> BoundedJudge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _take(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            worker = _Worker(self.checks, self.bound, self.target)
            with self._lock:
                self._all.add(worker)
            return worker

    def _drop(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()

    def __call__(
        self, stdout: str, stderr: str, nonce: str, host_vars: Mapping[str, Any]
    ) -> HostVerdict:
        """The host's verdict; FactError when its output has no facts, BoundExceededError
        when the work went over the bound or the worker died."""
        with self._slots:
            worker = self._take()
            started = time.monotonic()
            try:
                worker.writer.send((stdout, stderr, nonce, dict(host_vars)))
                if not worker.reader.poll(self.bound.seconds):
                    self._drop(worker)
                    raise BoundExceededError(
                        f"parsing and judging this host's output took over {self.bound.seconds:g}s "
                        "(the per-host bound): not judged"
                    )
                kind, value = worker.reader.recv()
            except (EOFError, OSError) as exc:
                self._drop(worker)
                code = worker.process.returncode
                raise BoundExceededError(
                    "the worker judging this host's output ended "
                    f"(exit status {code}, likely over the {self.bound.memory_bytes >> 20} MiB "
                    f"memory bound) after {time.monotonic() - started:.1f}s: not judged"
                ) from exc
            if kind == "ok":
                self._idle.put(worker)
                assert isinstance(value, HostVerdict)
                return value
            if kind == "fact":
                self._idle.put(worker)
                raise FactError(str(value))
            self._drop(worker)
            if kind == "memory":
                raise BoundExceededError(
                    "parsing and judging this host's output went over the "
                    f"{self.bound.memory_bytes >> 20} MiB memory bound: not judged"
                )
            raise BoundExceededError(f"internal error judging this host's output: {value}")

    def close(self) -> None:
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()
