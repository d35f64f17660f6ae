"""OpenSSH-compatible known_hosts handling: lookup names, matching, fingerprints, accept-new.

paramiko.HostKeys is not used for verification because it crashes on `@revoked` /
`@cert-authority` lines (InvalidHostKey is not an SSHException) and knows no wildcards or
negated patterns. This module parses known_hosts itself, the way OpenSSH reads it:

- the lookup name is `name` for port 22 and `[name]:port` otherwise, lower-cased;
- a line's host field is a comma-separated pattern list with `*`/`?` wildcards and `!`
  negation, or one hashed entry `|1|base64(salt)|base64(hmac-sha1(salt, name))`;
- `@cert-authority` lines are ignored (hardaudit does not do host certificates);
- `@revoked` lines mark a key that must never be accepted for the matching hosts;
- lines that cannot be parsed are skipped, never fatal.

Keys are compared as raw public-key blobs, so an unknown-to-paramiko key type in a file
costs nothing and a file of thousands of lines is parsed cheaply (and cached by mtime).
"""

from __future__ import annotations

import base64
import binascii
import enum
import errno
import functools
import hashlib
import hmac
import ipaddress
import os
import re
import stat
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_RSA_ALGORITHMS = ("rsa-sha2-512", "rsa-sha2-256")
# RFC 1123 label; '_' is tolerated (real internal names carry it, it means nothing to ssh)
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_ZONE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_BRACKETED = re.compile(r"\[([^\]]*)\]:([0-9]{1,5})")


def address_problem(address: str) -> str:
    """Why `address` may not be connected to or written to known_hosts ('' if it may).

    Only a host name (RFC 1123 labels of letters, digits and '-', '_' tolerated, an optional
    final '.') or an IP literal (IPv6 with an optional alphanumeric zone) is accepted: `,`,
    `*`, `?`, `!`, spaces, brackets and control characters are known_hosts pattern syntax or
    worse, and `web9.corp,*` recorded by --accept-new would vouch for every host.
    """
    if not address:
        return "it is empty"
    head, percent, zone = address.partition("%")
    try:
        ip = ipaddress.ip_address(head)
    except ValueError:
        ip = None
    if ip is not None:
        if not percent:
            return ""
        if ip.version == 6 and _ZONE.fullmatch(zone):
            return ""
        return "an IP address zone must be an IPv6 interface name (letters, digits, '.', '_', '-')"
    name = address[:-1] if address.endswith(".") else address
    if len(name) > 253:
        return "a host name is at most 253 characters"
    if all(_LABEL.fullmatch(label) for label in name.split(".")):
        return ""
    return (
        "it is neither an IP address nor a host name (dot-separated labels of letters, "
        "digits, '-' and '_', each at most 63 long, not starting or ending with '-')"
    )


def known_hosts_name(address: str, port: int) -> str:
    """The name OpenSSH looks up (and writes) for `address:port`.

    Raises ValueError if `address` is not a host name or IP literal (see address_problem).
    """
    problem = address_problem(address)
    if problem:
        raise ValueError(f"invalid address {address!r}: {problem}")
    name = address.lower()
    return name if port == 22 else f"[{name}]:{port}"


def known_name_problem(name: str) -> str:
    """Why `name` may not be written as a known_hosts host field ('' if it may): it must be
    what known_hosts_name() makes, `address` or `[address]:port`, nothing else."""
    match = _BRACKETED.fullmatch(name)
    if match:
        if not 1 <= int(match.group(2)) <= 65535:
            return "the port is not 1..65535"
        return address_problem(match.group(1))
    return address_problem(name)


def fingerprint(blob: bytes) -> str:
    """OpenSSH SHA256 fingerprint of a public-key blob: `SHA256:<base64 without padding>`."""
    digest = hashlib.sha256(blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def blob_type(blob: bytes) -> str:
    """The key type string embedded at the start of a public-key blob ('' if malformed)."""
    if len(blob) < 4:
        return ""
    (length,) = struct.unpack(">I", blob[:4])
    if length > len(blob) - 4 or length > 64:
        return ""
    return blob[4 : 4 + length].decode("ascii", errors="replace")


def describe(blob: bytes) -> str:
    """`<type> <fingerprint>` for messages and logs; never key material."""
    return f"{blob_type(blob)} {fingerprint(blob)}"


def host_key_algorithms(known_types: Iterable[str], available: Sequence[str]) -> tuple[str, ...]:
    """Reorder `available` host-key algorithms so the types already known come first.

    This is what OpenSSH does: a server with several host keys then presents the one we
    can verify instead of an equally valid one we have never seen.
    """
    wanted: list[str] = []
    for key_type in known_types:
        names = (*_RSA_ALGORITHMS, "ssh-rsa") if key_type == "ssh-rsa" else (key_type,)
        wanted.extend(n for n in names if n in available and n not in wanted)
    return tuple(wanted) + tuple(a for a in available if a not in wanted)


class Marker(enum.Enum):
    NONE = ""
    REVOKED = "@revoked"
    CERT_AUTHORITY = "@cert-authority"


@dataclass(frozen=True)
class KnownHostLine:
    """One usable line of a known_hosts file."""

    marker: Marker
    patterns: tuple[str, ...]
    blob: bytes
    source: str  # "path:lineno"

    @property
    def key_type(self) -> str:
        return blob_type(self.blob)

    def matches(self, name: str) -> bool:
        return host_matches(name, self.patterns)


@functools.lru_cache(maxsize=4096)
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL)


def _hashed_match(name: str, entry: str) -> bool:
    fields = entry.split("|")
    if len(fields) != 4:
        return False
    try:
        salt = base64.b64decode(fields[2], validate=True)
        expected = base64.b64decode(fields[3], validate=True)
    except (binascii.Error, ValueError):
        return False
    actual = hmac.new(salt, name.encode("utf-8"), hashlib.sha1).digest()
    return hmac.compare_digest(actual, expected)


def host_matches(name: str, patterns: Sequence[str]) -> bool:
    """OpenSSH match_hostname(): any positive match and no negated match."""
    name = name.lower()
    matched = False
    for pattern in patterns:
        if pattern.startswith("|1|"):
            matched = matched or _hashed_match(name, pattern)
            continue
        negated = pattern.startswith("!")
        body = pattern[1:] if negated else pattern
        if not body:
            continue
        if _pattern_regex(body.lower()).fullmatch(name):
            if negated:
                return False
            matched = True
    return matched


def parse_known_hosts(text: str, source: str) -> list[KnownHostLine]:
    """Every usable line of a known_hosts file; anything unparseable is skipped."""
    result: list[KnownHostLine] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        marker = Marker.NONE
        if fields[0].startswith("@"):
            try:
                marker = Marker(fields[0])
            except ValueError:
                continue
            fields = fields[1:]
        if len(fields) < 3:
            continue
        try:
            blob = base64.b64decode(fields[2], validate=True)
        except (binascii.Error, ValueError):
            continue
        if not blob or blob_type(blob) != fields[1]:
            continue
        patterns = tuple(p for p in fields[0].split(",") if p)
        result.append(KnownHostLine(marker, patterns, blob, f"{source}:{lineno}"))
    return result


class Verdict(enum.Enum):
    OK = "ok"
    UNKNOWN = "unknown"
    MISMATCH = "mismatch"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Verification:
    """Result of checking one presented host key against the loaded known_hosts files."""

    verdict: Verdict
    name: str
    presented: str  # "<type> SHA256:..."
    expected: tuple[str, ...] = ()  # "<type> SHA256:... (file:line)" of the known keys
    source: str = ""  # the line that matched, for OK / REVOKED


def _literal(pattern: str) -> bool:
    """A pattern that matches exactly one name: no wildcard, no negation, not hashed."""
    return not pattern.startswith(("!", "|")) and "*" not in pattern and "?" not in pattern


@dataclass(frozen=True)
class _FileIndex:
    """One parsed file: its lines, the plain-name lines by lower-cased name, and the rest.

    A fleet's known_hosts holds one `[address]:port` or `name` line per host; looking a
    name up in a dict instead of matching every line's patterns took a simulated
    1,000-host run from O(hosts^2) pattern matches (a third of the client's CPU) to one
    lookup per connection. Lines with wildcards, negations or hashed names are matched in
    file order as before."""

    lines: tuple[KnownHostLine, ...]
    by_name: dict[str, tuple[int, ...]]
    patterned: tuple[int, ...]

    @classmethod
    def of(cls, lines: Sequence[KnownHostLine]) -> _FileIndex:
        by_name: dict[str, list[int]] = {}
        patterned: list[int] = []
        for index, line in enumerate(lines):
            if all(_literal(p) for p in line.patterns):
                for name in {p.lower() for p in line.patterns}:
                    by_name.setdefault(name, []).append(index)
            else:
                patterned.append(index)
        return cls(tuple(lines), {k: tuple(v) for k, v in by_name.items()}, tuple(patterned))

    def matching(self, name: str) -> list[KnownHostLine]:
        """The lines whose patterns match `name`, in file order (host_matches semantics)."""
        name = name.lower()
        hits = [
            *self.by_name.get(name, ()),
            *(i for i in self.patterned if self.lines[i].matches(name)),
        ]
        return [self.lines[i] for i in sorted(hits)]


class KnownHostsStore:
    """Thread-safe, mtime-cached reader of known_hosts files, with OpenSSH semantics."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._cache: dict[Path, tuple[int, int, _FileIndex]] = {}

    def _index(self, path: Path) -> _FileIndex | None:
        try:
            st = path.stat()
        except OSError:
            return None
        with self._lock:
            cached = self._cache.get(path)
            if cached is not None and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
                return cached[2]
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        index = _FileIndex.of(parse_known_hosts(text, str(path)))
        with self._lock:
            self._cache[path] = (st.st_mtime_ns, st.st_size, index)
        return index

    def entries(self, name: str, paths: Sequence[Path]) -> list[KnownHostLine]:
        """Lines (except @cert-authority) whose host patterns match `name`."""
        found: list[KnownHostLine] = []
        for path in paths:
            index = self._index(path)
            if index is not None:
                found.extend(
                    line
                    for line in index.matching(name)
                    if line.marker is not Marker.CERT_AUTHORITY
                )
        return found

    def known_types(self, name: str, paths: Sequence[Path]) -> list[str]:
        types: list[str] = []
        for line in self.entries(name, paths):
            if line.marker is Marker.NONE and line.key_type not in types:
                types.append(line.key_type)
        return types

    def verify(self, name: str, blob: bytes, paths: Sequence[Path]) -> Verification:
        """OK if a plain line holds this key; REVOKED if a @revoked line does; MISMATCH if
        keys are known for the name but not this one (of this type or any other type);
        UNKNOWN if nothing is known for the name."""
        entries = self.entries(name, paths)
        presented = describe(blob)
        for line in entries:
            if line.marker is Marker.REVOKED and line.blob == blob:
                return Verification(Verdict.REVOKED, name, presented, source=line.source)
        known = [line for line in entries if line.marker is Marker.NONE]
        for line in known:
            if line.blob == blob:
                return Verification(Verdict.OK, name, presented, source=line.source)
        if not known:
            return Verification(Verdict.UNKNOWN, name, presented)
        expected = tuple(f"{describe(line.blob)} ({line.source})" for line in known)
        return Verification(Verdict.MISMATCH, name, presented, expected)

    def record(self, path: Path, name: str, blob: bytes, paths: Sequence[Path]) -> Verification:
        """accept-new: append `name type base64` to `path` unless something is known already.

        Re-checks under the lock so concurrent connections to one new host write one line,
        and never replaces or adds next to a known (changed) key.
        """
        with self._lock:
            current = self.verify(name, blob, [*paths, path])
            if current.verdict is not Verdict.UNKNOWN:
                return current
            append_known_host(path, name, blob)
            self._cache.pop(path, None)
            return Verification(Verdict.OK, name, current.presented, source=str(path))


def append_known_host(path: Path, name: str, blob: bytes) -> None:
    """Append one OpenSSH-format line; the file is created with mode 600 (its dir 700).

    Raises ValueError, writing nothing, unless `name` is `address` or `[address]:port` for
    a host name or IP literal: a pattern (`web9.corp,*`) would vouch for other hosts.
    Raises ValueError too when `path` is a symbolic link (never followed, unlike OpenSSH),
    not a regular file, or not owned by this user; an existing file is made mode 600."""
    problem = known_name_problem(name)
    if problem:
        raise ValueError(f"refusing to record {name!r} in {path}: {problem}")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = f"{name} {blob_type(blob)} {base64.b64encode(blob).decode('ascii')}\n"
    # No link is followed and a FIFO planted there cannot block the open.
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise ValueError(
                f"refusing to record host keys in {path}: it is a symbolic link, which "
                "hardaudit does not follow; pass the file it points to as --known-hosts"
            ) from None
        raise
    try:
        info = os.fstat(fd)
        refusal = None
        if not stat.S_ISREG(info.st_mode):
            refusal = "it is not a regular file"
        elif info.st_uid != os.geteuid():
            refusal = f"it is owned by uid {info.st_uid}, not by you (uid {os.geteuid()})"
        if refusal:
            raise ValueError(f"refusing to record host keys in {path}: {refusal}")
        if stat.S_IMODE(info.st_mode) != 0o600:
            os.fchmod(fd, 0o600)  # whoever could read it learnt the fleet; nobody else writes it
        size = info.st_size
        if size > 0 and os.pread(fd, 1, size - 1) != b"\n":
            line = "\n" + line
        os.write(fd, line.encode("ascii"))
    finally:
        os.close(fd)
