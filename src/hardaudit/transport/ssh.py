"""SSH transport over plain paramiko (not fabric), with jump chains of any length.

Why not fabric: its Connection/gateway model hides the moment between key exchange and
authentication, and its default policy auto-accepts host keys. Here every hop is a bare
`paramiko.Transport`:

1. TCP connect (first hop) or a `direct-tcpip` channel through the previous hop's
   transport (later hops and the target) -- that channel is the next Transport's socket;
2. `start_client()` (banner + key exchange) with host-key algorithms ordered so the types
   already in known_hosts come first, as OpenSSH does, and `WEAK_ALGORITHMS` disabled:
   CBC/3DES ciphers, MD5/SHA-1 MACs, ssh-rsa (SHA-1) and DSA signatures, SHA-1 key
   exchange are never negotiated; a hop with `audit_ssh_legacy_algorithms: true` may use
   the weak ciphers and MACs (paramiko>=5 implements none of the others any more);
3. the presented host key is checked BEFORE any authentication, each hop against its own
   files: `~/.ssh/known_hosts`, the transport's files and the accept-new file, plus that
   hop's `Hop.known_hosts_files` (for the target: the host's `known_hosts_files`). A key
   that differs from what any of those files holds for the name is a mismatch, never
   "unknown" (so --accept-new never records it);
4. `auth_publickey()` with ssh-agent keys, then the hop's key files (or the default
   ~/.ssh/id_ed25519, id_ecdsa, id_rsa). A hop with key files configured (inventory key
   file, ssh_config IdentityFile) or ssh_config `IdentitiesOnly yes` is offered only those
   files (or the defaults) and the agent keys that are one of them -- never the agent's
   other keys, which a hostile hop could otherwise enumerate. Never passwords, never
   keyboard-interactive, never a passphrase prompt (an encrypted key file not held by the
   agent is an auth failure).
   A key file with any group or other permission bit is never used, as OpenSSH does
   ("UNPROTECTED PRIVATE KEY FILE"; the reason names the file and `chmod 600`).
   The agent is spoken to over a socket with a timeout (`AGENT_TIMEOUT` to list its keys,
   the auth budget to sign): a hung agent costs one timeout, then it is skipped.

Bastion transports are cached per chain prefix -- for each hop its address, port, user,
the known_hosts files it was verified against and its key files -- so all hosts behind one
bastion share one authenticated connection (one TCP connection, many channels), but a host
whose files would have rejected that bastion never reuses it. Creation is serialised per
prefix with a lock whose wait counts against the host budget. A bastion that failed for a
reason other than the caller's own budget is remembered (under the same key), so the hosts
behind it fail at once with the same reason instead of re-dialling it one by one. Target
transports are closed after their one exec; `close()` closes the cached ones, innermost
first, and every transport being connected or running a command (so Ctrl-C interrupts a
handshake in progress).

Output: stdout + stderr of the one exec are capped at `MAX_OUTPUT_BYTES` in all; beyond it
the channel is closed and the host fails with status "error". Text that comes from the far
end (a bastion's channel-open refusal, protocol errors) has its control characters escaped
before it is put into a message.

Budgets: `connect_timeout` caps TCP connect / channel open, `banner_timeout` caps banner +
key exchange, `auth_timeout` caps authentication of one hop, and the `timeout` passed to
`execute()` caps the whole host (wall clock from the start of execute, including the wait
for a shared bastion); every wait is the smaller of its own cap and what is left.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import getpass
import logging
import os
import re
import selectors
import socket
import stat
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import paramiko
from cryptography.exceptions import UnsupportedAlgorithm
from paramiko.agent import AgentSSH
from paramiko.pkey import UnknownKeyType
from paramiko.ssh_exception import IncompatiblePeer

from hardaudit.errors import ConnectError
from hardaudit.inventory.model import Hop, Host
from hardaudit.printable import UNSAFE_CLASS
from hardaudit.transport.base import ConnectStep, ExecResult, HostStatus
from hardaudit.transport.hostkeys import (
    KnownHostsStore,
    Verdict,
    address_problem,
    blob_type,
    fingerprint,
    host_key_algorithms,
    known_hosts_name,
)

# paramiko logs transport-thread failures (banner timeouts...) at ERROR; without a handler
# Python's last-resort handler would print them on stderr. Errors reach the user as
# ConnectError messages instead.
logging.getLogger("paramiko").addHandler(logging.NullHandler())

DEFAULT_IDENTITIES = ("id_ed25519", "id_ecdsa", "id_rsa")
MAX_OUTPUT_BYTES = 64 * 1024 * 1024  # stdout + stderr of one exec, in all
AGENT_TIMEOUT = 2.0  # seconds for ssh-agent to list its keys (a live agent takes ms)
_READ_CHUNK = 1 << 16
_POLL = 0.02  # seconds between polls when the channel cannot be watched by a selector
_UNSAFE = re.compile(f"(?!\t)[{UNSAFE_CLASS}]")  # printable's set; a tab stays as it is

# Never negotiated (paramiko `disabled_algorithms`). "keys" are host-key algorithms, "pubkeys"
# our signatures in publickey auth. Several are no longer implemented by paramiko>=5; they
# are listed anyway so that no paramiko version can negotiate them.
WEAK_ALGORITHMS: dict[str, tuple[str, ...]] = {
    "ciphers": (
        "3des-cbc",
        "aes128-cbc",
        "aes192-cbc",
        "aes256-cbc",
        "rijndael-cbc@lysator.liu.se",
        "blowfish-cbc",
        "cast128-cbc",
        "arcfour",
        "arcfour128",
        "arcfour256",
    ),
    "macs": (
        "hmac-md5",
        "hmac-md5-96",
        "hmac-sha1",
        "hmac-sha1-96",
        "hmac-md5-etm@openssh.com",
        "hmac-md5-96-etm@openssh.com",
        "hmac-sha1-etm@openssh.com",
        "hmac-sha1-96-etm@openssh.com",
        "umac-64@openssh.com",
        "umac-64-etm@openssh.com",
    ),
    "keys": ("ssh-rsa", "ssh-dss", "ssh-rsa-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com"),
    "pubkeys": (
        "ssh-rsa",
        "ssh-dss",
        "ssh-rsa-cert-v01@openssh.com",
        "ssh-dss-cert-v01@openssh.com",
    ),
    "kex": (
        "diffie-hellman-group1-sha1",
        "diffie-hellman-group14-sha1",
        "diffie-hellman-group-exchange-sha1",
    ),
}
# what `audit_ssh_legacy_algorithms: true` allows again: ciphers and MACs, never signatures
LEGACY_FAMILIES = ("ciphers", "macs")

# per hop: address, port, user, known_hosts paths it is verified against, key files,
# legacy algorithms allowed, IdentitiesOnly
HopKey = tuple[str, int, str, tuple[str, ...], tuple[str, ...], bool, bool, str | None]
ChainKey = tuple[HopKey, ...]


class _HopError(ConnectError):
    """A ConnectError that knows whether it says something about the hop (cacheable) or
    only that the caller's whole-host budget ran out."""

    def __init__(self, status: HostStatus, message: str, *, hop: str, cacheable: bool = True):
        super().__init__(status.value, message, hop=hop)
        self.cacheable = cacheable


class _Budget:
    def __init__(self, seconds: float) -> None:
        self.total = seconds
        self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def cap(self, limit: float) -> tuple[float, bool]:
        """(seconds to wait, True if the whole-host budget is the binding limit)."""
        left = self.remaining()
        return (left, True) if left <= limit else (limit, False)


@dataclass(frozen=True)
class _Run:
    """State of one execute()/probe() call: the host, its budget, its steps."""

    host: Host
    budget: _Budget
    steps: list[ConnectStep]


@dataclass(frozen=True)
class _Ctx:
    """One hop being connected: who, where, its known_hosts files, how to name it."""

    hop: Hop
    user: str
    via: str  # label of the previous hop, "" for a direct TCP connection
    is_jump: bool  # a bastion on the way, not the target itself
    paths: tuple[Path, ...]  # known_hosts files this hop's host key is verified against

    @property
    def label(self) -> str:
        return f"{self.user}@{self.hop.address}:{self.hop.port}"

    @property
    def where(self) -> str:
        text = self.label
        if self.hop.name not in (self.hop.address, self.hop.label, self.label):
            text = f"{self.hop.name} ({text})"
        return f"jump host {text}" if self.is_jump else text

    @property
    def known_name(self) -> str:
        return known_hosts_name(self.hop.address, self.hop.port)

    @property
    def cache_key(self) -> HopKey:
        return (
            self.hop.address,
            self.hop.port,
            self.user,
            tuple(str(p) for p in self.paths),
            tuple(_key_paths(self.hop)),
            self.hop.legacy_algorithms,
            self.hop.identities_only,
            self.hop.identity_agent,
        )


@dataclass(frozen=True)
class HopReport:
    """What `audit doctor` prints for one hop of a chain (target last)."""

    hop_label: str
    reachable: bool
    hostkey: str  # 'ok' | 'unknown' | 'mismatch' | 'n/a'
    fingerprint: str  # "<type> SHA256:..." of the presented host key, '' if not reached
    auth: str  # 'ok' | 'failed' | 'n/a'
    detail: str
    key: str = ""  # key that authenticated: a path or 'agent:SHA256:...'


@dataclass
class _KeyCandidate:
    label: str  # file path or agent:<fingerprint>; never key material
    key: paramiko.PKey


class SshTransport:
    """Transport protocol implementation over paramiko; see the module docstring."""

    def __init__(
        self,
        *,
        known_hosts_files: Sequence[Path] = (),
        accept_new: bool = False,
        accept_new_file: Path | None = None,
        connect_timeout: float = 10,
        banner_timeout: float = 10,
        auth_timeout: float = 10,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self._known_hosts_files = tuple(Path(p).expanduser() for p in known_hosts_files)
        self._accept_new = accept_new
        self._accept_new_file = Path(accept_new_file).expanduser() if accept_new_file else None
        self._connect_timeout = connect_timeout
        self._banner_timeout = banner_timeout
        self._auth_timeout = auth_timeout
        self._log = log
        self._store = KnownHostsStore()
        self._lock = threading.Lock()
        self._key_locks: dict[ChainKey, threading.Lock] = {}
        self._shared: dict[ChainKey, paramiko.Transport] = {}
        self._shared_order: list[ChainKey] = []
        # failures of jump hops, with the transport they were reached through
        self._failed: dict[ChainKey, tuple[_HopError, paramiko.Transport | None]] = {}
        # transports being connected or running the exec: close() closes them too
        self._in_use: set[paramiko.Transport] = set()
        self._closed = False
        # agent socket -> why it is skipped, set once that agent failed to answer in time
        self._agent_hung: dict[str, str] = {}

    # ------------------------------------------------------------------ public API

    def execute(self, host: Host, command: str, stdin: bytes, timeout: float) -> ExecResult:
        run = _Run(host, _Budget(timeout), [])
        chain = self._contexts(host)
        if self._closed:
            raise ConnectError(HostStatus.ERROR.value, "SSH transport already closed", hop=None)
        for ctx in chain:  # before any hop is dialled: nothing invalid reaches the network
            _check_address(ctx)
        owned: paramiko.Transport | None = None
        prev: paramiko.Transport | None = None
        try:
            for index, ctx in enumerate(chain):
                key = tuple(c.cache_key for c in chain[: index + 1])
                if ctx.is_jump:
                    prev = self._shared_hop(key, ctx, prev, run)
                else:
                    shared = self._live_shared(key)
                    if shared is not None:
                        self._step(run, ctx.label, "reusing shared connection", 0.0)
                        prev = shared
                    else:
                        owned = self._connect_hop(ctx, prev, run)
                        prev = owned
            assert prev is not None
            stdout, stderr, code = self._exec(prev, chain[-1], command, stdin, run)
        finally:
            if owned is not None:
                with self._lock:
                    self._in_use.discard(owned)
                owned.close()
        return ExecResult(stdout, stderr, code, tuple(run.steps))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            in_use = list(self._in_use)
            shared = [self._shared[k] for k in reversed(self._shared_order) if k in self._shared]
            self._in_use.clear()
            self._shared.clear()
            self._shared_order.clear()
        for transport in [*in_use, *shared]:  # targets first, then bastions innermost first
            transport.close()

    def probe(self, host: Host) -> list[HopReport]:
        """Check every hop of `host`'s chain without raising; fresh connections, no cache."""
        if host.connection == "local":
            return [HopReport(f"local:{host.name}", True, "n/a", "", "n/a", "connection: local")]
        chain = self._contexts(host)
        per_hop = self._connect_timeout + self._banner_timeout + self._auth_timeout
        run = _Run(host, _Budget(per_hop * len(chain)), [])
        reports: list[HopReport] = []
        opened: list[paramiko.Transport] = []
        prev: paramiko.Transport | None = None
        blocked = ""
        try:
            for ctx in chain:
                if self._closed and not blocked:
                    blocked = "not tried: interrupted (the SSH transport was closed)"
                if blocked:
                    reports.append(HopReport(ctx.label, False, "n/a", "", "n/a", blocked))
                    continue
                report, transport = self._probe_hop(ctx, prev, run)
                reports.append(report)
                if transport is None:
                    blocked = f"not tried: {ctx.label} failed"
                else:
                    opened.append(transport)
                    prev = transport
        finally:
            for transport in reversed(opened):
                self._drop(transport)
        return reports

    def _contexts(self, host: Host) -> list[_Ctx]:
        """The chain of `host` (jump hops, then the target), each with its known_hosts files:
        the base files plus the hop's own (for the target, also the host's)."""
        hops = [*host.jump, host.as_hop()]
        chain: list[_Ctx] = []
        via = ""
        for index, hop in enumerate(hops):
            is_jump = index < len(hops) - 1
            own = (
                hop.known_hosts_files
                if is_jump
                else (*hop.known_hosts_files, *host.known_hosts_files)
            )
            ctx = _Ctx(hop, _user(hop), via, is_jump, self._paths(own))
            chain.append(ctx)
            via = ctx.label
        return chain

    # ------------------------------------------------------------- connection cache

    def _live_shared(self, key: ChainKey) -> paramiko.Transport | None:
        with self._lock:
            transport = self._shared.get(key)
        return transport if transport is not None and transport.is_active() else None

    def _shared_hop(
        self, key: ChainKey, ctx: _Ctx, prev: paramiko.Transport | None, run: _Run
    ) -> paramiko.Transport:
        budget = run.budget
        with self._lock:
            if self._closed:
                raise _HopError(HostStatus.ERROR, "transport already closed", hop=ctx.label)
            lock = self._key_locks.setdefault(key, threading.Lock())
        started = time.monotonic()
        if not lock.acquire(timeout=budget.remaining()):
            raise _HopError(
                HostStatus.TIMEOUT,
                f"{ctx.where}: whole-host budget of {budget.total:g}s ran out while waiting "
                "for the shared connection to this jump host",
                hop=ctx.label,
                cacheable=False,
            )
        try:
            waited = time.monotonic() - started
            failure, through = self._failed.get(key, (None, None))
            if failure is not None and through is prev:
                raise ConnectError(failure.status, failure.message, hop=failure.hop)
            transport = self._live_shared(key)
            if transport is not None:
                self._step(run, ctx.label, "reusing shared connection", waited)
                return transport
            try:
                transport = self._connect_hop(ctx, prev, run)
            except _HopError as exc:
                if exc.cacheable:
                    self._failed[key] = (exc, prev)
                raise
            with self._lock:
                if self._closed:
                    transport.close()
                    raise _HopError(HostStatus.ERROR, "transport already closed", hop=ctx.label)
                self._in_use.discard(transport)
                self._shared.pop(key, None)
                self._shared[key] = transport
                if key in self._shared_order:
                    self._shared_order.remove(key)
                self._shared_order.append(key)
            return transport
        finally:
            lock.release()

    # ------------------------------------------------------------ one hop, phases

    def _connect_hop(
        self, ctx: _Ctx, prev: paramiko.Transport | None, run: _Run
    ) -> paramiko.Transport:
        """Socket, handshake, host key, auth -- the transport is closed on any failure."""
        sock = self._open_socket(ctx, prev, run)
        transport = self._handshake(ctx, sock, run)  # registered in self._in_use
        try:
            self._check_host_key(ctx, transport, run)
            self._authenticate(ctx, transport, run)
        except BaseException:
            with self._lock:
                self._in_use.discard(transport)
            transport.close()
            raise
        return transport

    def _open_socket(
        self, ctx: _Ctx, prev: paramiko.Transport | None, run: _Run
    ) -> socket.socket | _Tunnel:
        _check_address(ctx)
        budget = run.budget
        limit, bound = budget.cap(self._connect_timeout)
        if limit <= 0:
            raise self._budget_failure(ctx, budget, "before connecting")
        started = time.monotonic()
        address = (ctx.hop.address, ctx.hop.port)
        if prev is None:
            try:
                sock = socket.create_connection(address, timeout=limit)
            except socket.gaierror as exc:
                raise _HopError(
                    HostStatus.UNREACHABLE,
                    f"{ctx.where}: cannot resolve {ctx.hop.address!r}: {exc.strerror or exc}",
                    hop=ctx.label,
                ) from exc
            except TimeoutError as exc:
                raise self._timeout_failure(
                    ctx, budget, bound, f"TCP connect after {limit:g}s"
                ) from exc
            except OSError as exc:
                reason = exc.strerror or str(exc)
                if isinstance(exc, ConnectionRefusedError):
                    reason = "connection refused"
                elif exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
                    reason = f"no route to host ({reason})"
                raise _HopError(
                    HostStatus.UNREACHABLE, f"{ctx.where}: {reason}", hop=ctx.label
                ) from exc
            self._step(run, ctx.label, "TCP connected", time.monotonic() - started)
            return sock
        try:
            channel = prev.open_channel("direct-tcpip", address, ("127.0.0.1", 0), timeout=limit)
        except paramiko.ChannelException as exc:
            raise _HopError(
                HostStatus.UNREACHABLE,
                f"{ctx.where}: jump host {ctx.via} could not connect to it: "
                f"{_clean(str(exc.text))}",
                hop=ctx.label,
            ) from exc
        except paramiko.SSHException as exc:
            if "Timeout opening channel" in str(exc):
                raise self._timeout_failure(
                    ctx, budget, bound, f"channel open via {ctx.via} after {limit:g}s"
                ) from exc
            raise _HopError(
                HostStatus.ERROR,
                f"{ctx.where}: connection to jump host {ctx.via} failed: {_text(exc)}",
                hop=ctx.label,
            ) from exc
        self._step(run, ctx.label, f"TCP connected via {ctx.via}", time.monotonic() - started)
        return _Tunnel(channel)

    def _handshake(self, ctx: _Ctx, sock: socket.socket | _Tunnel, run: _Run) -> paramiko.Transport:
        """Banner + key exchange within banner_timeout (and the host budget).

        The transport is in `self._in_use` from its creation, so close() (Ctrl-C) ends a
        handshake in progress; it stays there on success (the caller takes it out)."""
        budget = run.budget
        try:
            # a _Tunnel has the socket methods paramiko uses (send, recv, settimeout, close)
            transport = paramiko.Transport(
                cast("socket.socket", sock), disabled_algorithms=disabled_algorithms(ctx.hop)
            )
        except Exception as exc:
            sock.close()
            raise _HopError(HostStatus.ERROR, f"{ctx.where}: {_text(exc)}", hop=ctx.label) from exc
        with self._lock:
            closed = self._closed
            if not closed:
                self._in_use.add(transport)
        if closed:
            transport.close()
            sock.close()
            raise self._closed_failure(ctx)
        limit, bound = budget.cap(self._banner_timeout)
        try:
            options = transport.get_security_options()
            known = self._store.known_types(ctx.known_name, ctx.paths)
            options.key_types = host_key_algorithms(known, tuple(options.key_types))
            transport.banner_timeout = max(limit, 0.01)
            transport.handshake_timeout = max(limit, 0.01)
            done = threading.Event()
            transport.start_client(event=done)
            deadline = time.monotonic() + limit
            # close() stops the transport without setting `done`: poll for it
            finished = done.wait(min(limit, _POLL * 5))
            while not finished and transport.is_active() and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                finished = done.wait(min(left, _POLL * 5))
            if self._closed:
                raise self._closed_failure(ctx)
            if transport.is_active() and finished and transport.initial_kex_done:
                return transport
            error = transport.get_exception()
            if error is None and not finished:
                phase = "SSH banner" if not transport.remote_version else "key exchange"
                raise self._timeout_failure(ctx, budget, bound, f"{phase} after {limit:g}s")
            raise self._handshake_failure(ctx, error, budget, bound, limit)
        except BaseException:
            with self._lock:
                self._in_use.discard(transport)
            transport.close()
            sock.close()
            raise

    def _handshake_failure(
        self,
        ctx: _Ctx,
        error: Exception | None,
        budget: _Budget,
        bound: bool,
        limit: float,
    ) -> _HopError:
        cause = error.__context__ if error is not None else None
        if isinstance(cause, TimeoutError) or isinstance(error, TimeoutError):
            return self._timeout_failure(ctx, budget, bound, f"SSH banner after {limit:g}s")
        if isinstance(cause, EOFError) or isinstance(error, EOFError):
            return _HopError(
                HostStatus.ERROR,
                f"{ctx.where}: connection closed before the SSH handshake completed",
                hop=ctx.label,
            )
        if isinstance(error, IncompatiblePeer):
            reason = f"no common SSH algorithms: {_text(error)}"
            if not ctx.hop.legacy_algorithms:
                reason += (
                    "; hardaudit never negotiates CBC or 3DES ciphers, MD5 or SHA-1 MACs, "
                    "ssh-rsa (SHA-1) or DSA host keys, or SHA-1 key exchange: upgrade the "
                    "server's SSH settings, or set audit_ssh_legacy_algorithms: true for this "
                    "host to allow CBC/3DES ciphers and MD5/SHA-1 MACs"
                )
        else:
            reason = _text(error) if error is not None else "SSH negotiation failed"
        return _HopError(HostStatus.ERROR, f"{ctx.where}: {reason}", hop=ctx.label)

    def _check_host_key(self, ctx: _Ctx, transport: paramiko.Transport, run: _Run) -> str:
        """Verify (or, with accept_new, record) the presented key; returns its description."""
        started = time.monotonic()
        blob = transport.get_remote_server_key().asbytes()
        name = ctx.known_name
        result = self._store.verify(name, blob, ctx.paths)
        presented = result.presented
        if result.verdict is Verdict.UNKNOWN and self._accept_new:
            target = self._accept_new_path()
            try:
                result = self._store.record(target, name, blob, ctx.paths)
            except (OSError, ValueError) as exc:  # a symlink, a foreign file, a bad name...
                raise _HopError(
                    HostStatus.ERROR, f"{ctx.where}: {_text(exc)}", hop=ctx.label
                ) from None
            if result.verdict is Verdict.OK:
                self._step(
                    run,
                    ctx.label,
                    f"host key {presented} was unknown; recorded for {name} in {target}",
                    time.monotonic() - started,
                )
                return presented
        if result.verdict is Verdict.OK:
            self._step(
                run,
                ctx.label,
                f"host key {presented} verified ({result.source})",
                time.monotonic() - started,
            )
            return presented
        if result.verdict is Verdict.UNKNOWN:
            existing = [str(p) for p in ctx.paths if p.exists()]
            looked = ", ".join(existing) if existing else "no known_hosts file exists"
            raise _HopError(
                HostStatus.HOSTKEY_UNKNOWN,
                f"{ctx.where}: unknown host key {presented} for {name!r} (checked: {looked}); "
                "verify the fingerprint out of band, then add it to known_hosts or rerun "
                "with --accept-new",
                hop=ctx.label,
            )
        if result.verdict is Verdict.REVOKED:
            raise _HopError(
                HostStatus.HOSTKEY_MISMATCH,
                f"{ctx.where}: host key {presented} is marked @revoked ({result.source})",
                hop=ctx.label,
            )
        raise _HopError(
            HostStatus.HOSTKEY_MISMATCH,
            f"{ctx.where}: HOST KEY MISMATCH for {name!r}: presented {presented}, "
            f"known_hosts has {'; '.join(result.expected)}. This may be a man-in-the-middle "
            f"attack; if the change is legitimate, remove the old entry "
            f"(ssh-keygen -R {name!r}) and verify the new key",
            hop=ctx.label,
        )

    def _authenticate(self, ctx: _Ctx, transport: paramiko.Transport, run: _Run) -> str:
        """Publickey auth with agent keys, then key files; returns the label of the key used."""
        budget = run.budget
        started = time.monotonic()
        limit, bound = budget.cap(self._auth_timeout)
        deadline = started + limit
        tried: list[str] = []
        problems: list[str] = []
        agent = self._open_agent(ctx.hop, deadline, problems)
        held = len(agent.get_keys()) if agent is not None else 0  # close() forgets them
        try:
            for candidate in _candidates(ctx.hop, agent, problems):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._timeout_failure(
                        ctx, budget, bound, f"authentication after {limit:g}s"
                    )
                transport.auth_timeout = left
                if agent is not None:
                    agent.settimeout(left)  # bounds a signature by a hung agent
                try:
                    remaining_methods = transport.auth_publickey(ctx.user, candidate.key)
                except paramiko.BadAuthenticationType as exc:
                    allowed = _clean(", ".join(exc.allowed_types)) or "nothing"
                    raise _HopError(
                        HostStatus.AUTH_FAILED,
                        f"{ctx.where}: server does not accept publickey authentication for "
                        f"{ctx.user} (it allows: {allowed})",
                        hop=ctx.label,
                    ) from exc
                except paramiko.AuthenticationException as exc:
                    if "timeout" in str(exc).lower():
                        raise self._timeout_failure(
                            ctx, budget, bound, f"authentication after {limit:g}s"
                        ) from exc
                    tried.append(candidate.label)
                    if not transport.is_active():
                        problems.append(
                            f"the server closed the connection after {len(tried)} attempt(s)"
                        )
                        break
                    continue
                except paramiko.SSHException as exc:
                    raise _HopError(
                        HostStatus.ERROR,
                        f"{ctx.where}: authentication failed with a protocol error: {_text(exc)}",
                        hop=ctx.label,
                    ) from exc
                except (OSError, EOFError) as exc:
                    # the transport thread died: lost connection, or the agent timed out
                    if self._closed:
                        raise self._closed_failure(ctx) from exc
                    if time.monotonic() >= deadline:
                        raise self._timeout_failure(
                            ctx, budget, bound, f"authentication after {limit:g}s"
                        ) from exc
                    raise _HopError(
                        HostStatus.ERROR,
                        f"{ctx.where}: connection lost during authentication with "
                        f"{candidate.label}: {_text(exc)}",
                        hop=ctx.label,
                    ) from exc
                if remaining_methods:
                    raise _HopError(
                        HostStatus.AUTH_FAILED,
                        f"{ctx.where}: server wants more authentication after publickey "
                        f"({_clean(', '.join(remaining_methods))}), which hardaudit never does",
                        hop=ctx.label,
                    )
                self._step(
                    run,
                    ctx.label,
                    f"authenticated as {ctx.user} with {candidate.label}",
                    time.monotonic() - started,
                )
                return candidate.label
        finally:
            if agent is not None:
                agent.close()
        parts = list(dict.fromkeys(problems))
        if tried:
            parts.append(
                f"server rejected publickey auth for {ctx.label}; tried {', '.join(tried)}"
            )
        elif not any(p.startswith("key file ") for p in problems):
            looked = ", ".join(_key_paths(ctx.hop))
            if held and _restricted(ctx.hop):
                agent_state = (
                    f"none of the ssh-agent's {held} key(s) is configured for this hop "
                    "(IdentitiesOnly)"
                )
            elif agent is not None:
                agent_state = "ssh-agent has no keys"
            elif ctx.hop.identity_agent == "none":
                agent_state = "no ssh-agent (IdentityAgent none)"
            elif _agent_socket(ctx.hop):
                agent_state = "no usable ssh-agent"
            else:
                agent_state = f"no ssh-agent ({_agent_variable(ctx.hop)} unset)"
            parts.append(
                f"no key to offer for {ctx.label}: {agent_state} and none of {looked} exists"
            )
        raise _HopError(HostStatus.AUTH_FAILED, f"{ctx.where}: {'; '.join(parts)}", hop=ctx.label)

    def _open_agent(self, hop: Hop, deadline: float, problems: list[str]) -> _Agent | None:
        """The hop's ssh-agent (its IdentityAgent, by default $SSH_AUTH_SOCK; none for
        `IdentityAgent none`), its keys listed within AGENT_TIMEOUT (and what is left of
        the auth budget); None, with the reason in `problems`, if it is unusable. An agent
        that timed out on a full AGENT_TIMEOUT is skipped for the rest of this transport."""
        path = _agent_socket(hop)
        if not path:
            return None
        with self._lock:
            hung = self._agent_hung.get(path)
        if hung:
            problems.append(hung)
            return None
        limit = min(AGENT_TIMEOUT, deadline - time.monotonic())
        if limit <= 0:
            return None
        try:
            return _Agent(path, limit)
        except TimeoutError:
            problem = (
                f"ssh-agent ({_clean(path)}) did not answer within {limit:g}s; "
                "its keys were not offered"
            )
            if limit >= AGENT_TIMEOUT:
                with self._lock:
                    self._agent_hung[path] = problem
            problems.append(problem)
        except Exception as exc:  # refused, gone, or an answer paramiko cannot parse
            problems.append(f"ssh-agent ({_clean(path)}) cannot be used: {_text(exc)}")
        return None

    def _probe_hop(
        self, ctx: _Ctx, prev: paramiko.Transport | None, run: _Run
    ) -> tuple[HopReport, paramiko.Transport | None]:
        """One hop for `audit doctor`: never raises, whatever paramiko or the far end does."""
        transport: paramiko.Transport | None = None
        presented = ""
        hostkey = "n/a"
        try:
            try:
                sock = self._open_socket(ctx, prev, run)
                transport = self._handshake(ctx, sock, run)
            except ConnectError as exc:
                reached = any(
                    s.hop == ctx.label and s.what.startswith("TCP connected") for s in run.steps
                )
                return HopReport(ctx.label, reached, "n/a", "", "n/a", exc.message), None
            blob = transport.get_remote_server_key().asbytes()
            presented = f"{blob_type(blob)} {fingerprint(blob)}"
            try:
                self._check_host_key(ctx, transport, run)
            except ConnectError as exc:
                self._drop(transport)
                state = "unknown" if exc.status == HostStatus.HOSTKEY_UNKNOWN else "mismatch"
                return HopReport(ctx.label, True, state, presented, "n/a", exc.message), None
            hostkey = "ok"
            try:
                used = self._authenticate(ctx, transport, run)
            except ConnectError as exc:
                self._drop(transport)
                return HopReport(ctx.label, True, "ok", presented, "failed", exc.message), None
        except Exception as exc:  # a bug or an unforeseen library error: report, never raise
            if transport is not None:
                self._drop(transport)
            detail = f"{ctx.where}: unexpected error: {type(exc).__name__}: {_text(exc)}"
            auth = "failed" if hostkey == "ok" else "n/a"
            return HopReport(ctx.label, bool(presented), hostkey, presented, auth, detail), None
        report = HopReport(
            ctx.label, True, "ok", presented, "ok", f"authenticated as {ctx.user}", used
        )
        return report, transport

    def _drop(self, transport: paramiko.Transport) -> None:
        with self._lock:
            self._in_use.discard(transport)
        transport.close()

    # ---------------------------------------------------------------------- exec

    def _exec(
        self, transport: paramiko.Transport, ctx: _Ctx, command: str, stdin: bytes, run: _Run
    ) -> tuple[bytes, bytes, int]:
        budget = run.budget
        started = time.monotonic()
        limit, bound = budget.cap(self._connect_timeout)
        if limit <= 0:
            raise self._budget_failure(ctx, budget, "before the exec")
        try:
            channel = transport.open_session(timeout=limit)
        except paramiko.SSHException as exc:
            if "Timeout opening channel" in str(exc):
                raise self._timeout_failure(ctx, budget, bound, "session open") from exc
            raise _HopError(
                HostStatus.ERROR, f"{ctx.where}: cannot open a session: {_text(exc)}", hop=ctx.label
            ) from exc
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            _close_channel(channel)

        watchdog = threading.Timer(budget.remaining(), expire)
        watchdog.daemon = True
        watchdog.start()
        stdout = bytearray()
        stderr = bytearray()
        try:
            try:
                channel.exec_command(command)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                if expired.is_set():
                    raise self._budget_failure(
                        ctx, budget, "waiting for the exec to start"
                    ) from exc
                raise _HopError(
                    HostStatus.ERROR, f"{ctx.where}: exec refused: {_text(exc)}", hop=ctx.label
                ) from exc
            writer = threading.Thread(target=_feed, args=(channel, stdin), daemon=True)
            writer.start()
            self._drain(channel, ctx, stdout, stderr, expired)
            if not expired.is_set():
                channel.status_event.wait(budget.remaining())
            if expired.is_set() or not channel.status_event.is_set():
                raise self._budget_failure(ctx, budget, "while the command ran")
            code = channel.exit_status
            if code == -1 and not transport.is_active():
                if self._closed:
                    raise self._closed_failure(ctx)
                raise _HopError(
                    HostStatus.ERROR,
                    f"{ctx.where}: connection lost while the command ran",
                    hop=ctx.label,
                )
        finally:
            watchdog.cancel()
            _close_channel(channel)
        self._step(
            run,
            ctx.label,
            f"exec finished (exit {code}, {len(stdout)} bytes stdout, {len(stderr)} bytes stderr)",
            time.monotonic() - started,
        )
        return bytes(stdout), bytes(stderr), code

    @staticmethod
    def _drain(
        channel: paramiko.Channel,
        ctx: _Ctx,
        stdout: bytearray,
        stderr: bytearray,
        expired: threading.Event,
    ) -> None:
        """Read stdout and stderr together until EOF (or until the watchdog fires), at most
        MAX_OUTPUT_BYTES in all: beyond that the channel is closed and the host fails.

        The channel is watched with a selector (epoll: no FD_SETSIZE limit); should that
        ever fail, the loop falls back to polling -- an error is never taken for EOF.
        """
        streams = (
            (channel.recv_ready, channel.recv, stdout),
            (channel.recv_stderr_ready, channel.recv_stderr, stderr),
        )
        with selectors.DefaultSelector() as selector:
            try:
                selector.register(channel, selectors.EVENT_READ)
                polling = False
            except (OSError, ValueError):
                polling = True
            while not expired.is_set():
                if not polling:
                    try:
                        selector.select(0.5)
                    except (OSError, ValueError):
                        polling = True
                if polling:
                    time.sleep(_POLL)
                for ready, recv, sink in streams:
                    while ready():
                        data = recv(_READ_CHUNK)
                        if not data:
                            break
                        sink.extend(data)
                        if len(stdout) + len(stderr) > MAX_OUTPUT_BYTES:
                            _close_channel(channel)
                            raise _HopError(
                                HostStatus.ERROR,
                                f"{ctx.where}: output exceeds {MAX_OUTPUT_BYTES >> 20} MiB "
                                "(a hostile or broken host?)",
                                hop=ctx.label,
                            )
                if (channel.eof_received or channel.closed) and not (
                    channel.recv_ready() or channel.recv_stderr_ready()
                ):
                    return

    # ------------------------------------------------------------------- helpers

    def _paths(self, own: Sequence[str]) -> tuple[Path, ...]:
        """~/.ssh/known_hosts, the transport's files, the accept-new file, then `own`."""
        paths = [Path.home() / ".ssh" / "known_hosts", *self._known_hosts_files]
        if self._accept_new_file is not None:
            paths.append(self._accept_new_file)
        paths.extend(Path(p).expanduser() for p in own)
        return tuple(dict.fromkeys(paths))

    def _accept_new_path(self) -> Path:
        return self._accept_new_file or Path.home() / ".ssh" / "known_hosts"

    def _step(self, run: _Run, hop: str, what: str, seconds: float) -> None:
        run.steps.append(ConnectStep(hop, what, seconds))
        if self._log is not None:
            self._log(f"[{run.host.name}] {hop}: {what} ({seconds:.2f}s)")

    @staticmethod
    def _timeout_failure(ctx: _Ctx, budget: _Budget, bound: bool, what: str) -> _HopError:
        if bound:
            return SshTransport._budget_failure(
                ctx, budget, f"during {what.split(' after ', maxsplit=1)[0]}"
            )
        return _HopError(HostStatus.TIMEOUT, f"{ctx.where}: timed out: {what}", hop=ctx.label)

    @staticmethod
    def _closed_failure(ctx: _Ctx) -> _HopError:
        return _HopError(
            HostStatus.ERROR,
            f"{ctx.where}: interrupted: the SSH transport was closed",
            hop=ctx.label,
            cacheable=False,
        )

    @staticmethod
    def _budget_failure(ctx: _Ctx, budget: _Budget, when: str) -> _HopError:
        return _HopError(
            HostStatus.TIMEOUT,
            f"{ctx.where}: whole-host budget of {budget.total:g}s ran out {when}",
            hop=ctx.label,
            cacheable=False,
        )


def probe(
    host: Host,
    *,
    known_hosts_files: Sequence[Path] = (),
    connect_timeout: float = 10,
    banner_timeout: float = 10,
    auth_timeout: float = 10,
    log: Callable[[str], None] | None = None,
) -> list[HopReport]:
    """`audit doctor`: the state of every hop of `host`'s chain; never raises, never records
    host keys (accept-new is off)."""
    transport = SshTransport(
        known_hosts_files=known_hosts_files,
        connect_timeout=connect_timeout,
        banner_timeout=banner_timeout,
        auth_timeout=auth_timeout,
        log=log,
    )
    try:
        return transport.probe(host)
    except Exception as exc:  # SshTransport.probe reports per hop; this is the last guard
        label = f"{host.user or ''}@{host.address}:{host.port}".lstrip("@")
        detail = f"{host.name}: unexpected error: {type(exc).__name__}: {_text(exc)}"
        return [HopReport(label, False, "n/a", "", "n/a", detail)]
    finally:
        transport.close()


# ---------------------------------------------------------------------- module helpers


def disabled_algorithms(hop: Hop) -> dict[str, list[str]]:
    """paramiko `disabled_algorithms` for `hop`: every WEAK_ALGORITHMS family, except the
    ciphers and MACs when the hop sets audit_ssh_legacy_algorithms."""
    return {
        family: list(names)
        for family, names in WEAK_ALGORITHMS.items()
        if not (hop.legacy_algorithms and family in LEGACY_FAMILIES)
    }


def _user(hop: Hop) -> str:
    if hop.user:
        return hop.user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "root"


def _check_address(ctx: _Ctx) -> None:
    """Refuse a hop whose address is not a host name or IP literal (see address_problem):
    such an address must reach neither a connection nor known_hosts."""
    problem = address_problem(ctx.hop.address)
    if problem:
        raise _HopError(
            HostStatus.ERROR,
            f"{_clean(ctx.where)}: invalid address {_clean(repr(ctx.hop.address))}: {problem}; "
            "fix ansible_host (or the jump hop, or ssh_config HostName)",
            hop=_clean(ctx.label),
        )


def _clean(text: str) -> str:
    """Text from the far end made safe for a one-line message and a terminal: control
    characters (except tab) become `\\xNN`, Unicode line/bidi controls `\\uNNNN`."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNSAFE.sub(escape, text)


def _text(exc: BaseException) -> str:
    """An exception's message (often remote text) for a ConnectError, escaped."""
    return _clean(str(exc) or type(exc).__name__)


def _close_channel(channel: paramiko.Channel) -> None:
    """Close `channel`; closing sends a message, which fails with EOFError/OSError when the
    connection is already gone (the peer hung up, the watchdog or close() got there first):
    the caller's own error (cap, timeout, lost connection) is the one to report, not that."""
    with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
        channel.close()


def _feed(channel: paramiko.Channel, data: bytes) -> None:
    """Write all of stdin, then EOF; runs in its own thread so reading never waits on it."""
    try:
        if data:
            channel.sendall(data)
        channel.shutdown_write()
    except (OSError, EOFError, paramiko.SSHException):
        pass  # the command exited without reading everything, or the watchdog closed it


class _Tunnel:
    """The socket of a hop reached through the previous one: its `direct-tcpip` channel, with
    send and close serialised.

    paramiko's Channel.send checks `closed` under the channel's lock but sends after releasing
    it, and Transport.close() does not wait for its thread: a packet that thread was sending
    could follow the channel's CLOSE. OpenSSH answers data on a channel it has freed by
    dropping the whole connection ("data packet referred to nonexistent channel"), and every
    other host tunnelled through that jump host lost its connection mid-command. Here a send
    under way finishes before the CLOSE goes out, and a send after it fails like a closed
    socket's.
    """

    def __init__(self, channel: paramiko.Channel) -> None:
        self.channel = channel
        self._lock = threading.Lock()
        self._closed = False  # read by paramiko's Transport.stop_thread, like a socket's

    def send(self, data: bytes) -> int:
        with self._lock:
            if self._closed:
                raise OSError(errno.EBADF, "Socket is closed")
            return self.channel.send(data)

    def recv(self, size: int) -> bytes:
        return self.channel.recv(size)

    def settimeout(self, timeout: float | None) -> None:
        self.channel.settimeout(timeout)

    def close(self) -> None:
        with self._lock:  # waits for a send under way
            self._closed = True
        _close_channel(self.channel)


class _Agent(paramiko.Agent):
    """paramiko's ssh-agent client over a socket opened here with a timeout, so an agent
    that accepts and never answers cannot block (paramiko.Agent() would wait forever)."""

    def __init__(self, path: str, timeout: float) -> None:
        AgentSSH.__init__(self)  # not Agent.__init__: it connects without a timeout
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        self._sock = sock
        try:
            sock.connect(path)
            # AgentSSH._connect (not in the type stubs) lists the keys over `sock`
            self._connect(sock)  # type: ignore[attr-defined]
        except BaseException:
            sock.close()
            raise

    def settimeout(self, seconds: float) -> None:
        self._sock.settimeout(max(seconds, 0.001))

    def close(self) -> None:
        super().close()
        self._sock.close()


def _key_paths(hop: Hop) -> list[str]:
    if hop.key_files:
        return [str(Path(p).expanduser()) for p in hop.key_files]
    ssh_dir = Path.home() / ".ssh"
    return [str(ssh_dir / name) for name in DEFAULT_IDENTITIES]


def _unprotected(path: Path) -> str:
    """Why a private key file must not be used because others may read it ('' if fine).

    OpenSSH refuses a key file of yours that has any group or other permission bit
    ("UNPROTECTED PRIVATE KEY FILE"); so does hardaudit, whoever owns the file."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return ""  # loading it reports why it cannot be read
    if not mode & 0o077:
        return ""
    return (
        f"key file {path} is an UNPROTECTED PRIVATE KEY FILE: its mode {mode:04o} lets "
        f"group or others access it, so it is not used (as OpenSSH does); fix it with "
        f"chmod 600 {path}"
    )


_OPENSSH_KEY = re.compile(
    r"-----BEGIN OPENSSH PRIVATE KEY-----(.*?)-----END OPENSSH PRIVATE KEY-----", re.DOTALL
)


def _public_blob(path: Path) -> bytes | None:
    """The public key of a key file, to tell which agent key it is (even when the file is
    encrypted): `<path>.pub`, else the unencrypted public key an OpenSSH-format private
    key file carries in its header."""
    try:
        fields = Path(f"{path}.pub").read_text(encoding="ascii").split()
        return base64.b64decode(fields[1], validate=True)
    except (OSError, IndexError, ValueError, UnicodeDecodeError):
        pass
    try:
        with path.open("rb") as handle:
            text = handle.read(1 << 16).decode("ascii")
        match = _OPENSSH_KEY.search(text)
        if match is None:
            return None
        data = base64.b64decode("".join(match.group(1).split()), validate=True)
        magic = b"openssh-key-v1\0"
        if not data.startswith(magic):
            return None
        offset = len(magic)
        for _field in range(3):  # cipher name, KDF name, KDF options
            (length,) = struct.unpack_from(">I", data, offset)
            offset += 4 + length
        (count,) = struct.unpack_from(">I", data, offset)
        (length,) = struct.unpack_from(">I", data, offset + 4)
        blob = data[offset + 8 : offset + 8 + length]
        return blob if count >= 1 and len(blob) == length and blob_type(blob) else None
    except (OSError, ValueError, UnicodeDecodeError, struct.error):
        return None


def _agent_variable(hop: Hop) -> str:
    """The environment variable naming the hop's agent socket, if it is one."""
    spec = hop.identity_agent
    if spec is not None and spec.startswith("$"):
        return spec[1:].strip("{}")
    return "SSH_AUTH_SOCK"


def _agent_socket(hop: Hop) -> str | None:
    """The agent socket to use for `hop`, None for `IdentityAgent none` or an unset variable."""
    spec = hop.identity_agent
    if spec == "none":
        return None
    if spec is None or spec == "SSH_AUTH_SOCK" or spec.startswith("$"):
        return os.environ.get(_agent_variable(hop)) or None
    return spec


def _restricted(hop: Hop) -> bool:
    """True if only the hop's configured keys may be offered to it."""
    return bool(hop.key_files) or hop.identities_only


def _candidates(hop: Hop, agent: AgentSSH | None, problems: list[str]) -> Iterator[_KeyCandidate]:
    """Agent keys, then the key files (or the default identities), never twice the same key.

    A hop with key files or IdentitiesOnly (`_restricted`) gets only the agent keys that
    match them (by their public key) and the files: the agent's other keys are never
    offered to it, so a hostile hop cannot enumerate them. Otherwise (nothing configured)
    every agent key, then the default identities, as OpenSSH. Key files are loaded lazily
    -- only if the keys before them did not get us in -- and a file that cannot be used
    (group/world-accessible, encrypted, a type paramiko cannot use such as DSA, garbage...)
    adds a one-line reason to `problems` instead of raising; the other keys are still tried.
    """
    explicit = bool(hop.key_files)
    paths = [Path(p) for p in _key_paths(hop)]
    agent_keys: list[paramiko.AgentKey] = []
    if agent is not None:
        agent_keys = list(agent.get_keys())  # listed when the agent was opened; no I/O
    first = agent_keys
    if _restricted(hop):
        wanted = {blob for blob in (_public_blob(p) for p in paths) if blob is not None}
        first = [k for k in agent_keys if k.asbytes() in wanted]
    offered: set[bytes] = set()
    for agent_key in first:
        offered.add(agent_key.asbytes())
        yield _KeyCandidate(f"agent:{fingerprint(agent_key.asbytes())}", agent_key)
    for path in paths:
        if not path.exists():
            if explicit:
                problems.append(f"key file {path} does not exist")
            continue
        unprotected = _unprotected(path)
        if unprotected:
            problems.append(unprotected)
            continue
        try:
            key = paramiko.PKey.from_path(path)
        except (TypeError, paramiko.PasswordRequiredException):
            public = _public_blob(path)
            if public is None and agent_keys:
                problems.append(
                    f"key file {path} is encrypted and its public key is unknown, so no "
                    f"ssh-agent key can be matched to it; put its public key in {path}.pub"
                )
            elif public not in offered:
                problems.append(
                    f"key file {path} is encrypted and no ssh-agent holds it; add it with "
                    "ssh-add or use an unencrypted deploy key"
                )
            continue
        except UnknownKeyType as exc:
            kind = getattr(exc, "key_type", None)
            name = getattr(kind, "__name__", None) or str(kind or "unknown")
            name = name.removesuffix("PrivateKey") or name
            problems.append(f"key file {path} cannot be used: unsupported key type ({name})")
            continue
        except (OSError, ValueError, paramiko.SSHException, UnsupportedAlgorithm) as exc:
            problems.append(f"key file {path} cannot be used: {_text(exc)}")
            continue
        except Exception as exc:  # e.g. a warning turned into an error (-W error)
            problems.append(f"key file {path} cannot be used: {type(exc).__name__}: {_text(exc)}")
            continue
        if key.asbytes() in offered:
            continue
        offered.add(key.asbytes())
        yield _KeyCandidate(str(path), key)
