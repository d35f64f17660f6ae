"""Files the auditor writes on the operator's machine: reports and captures.

They map the fleet (users, paths, firewall rules), so they are private to the owner, and
a name taken from an inventory never chooses where a file goes:
- `file_name_for(name)` turns any host name into one safe path component (reversible
  percent-encoding), so `../../x` or a NUL cannot leave the directory;
- `prepare_private_dir(path)` refuses directories that are symbolic links, not owned by the
  user, or group/world-writable, and parents that someone else owns or may write into
  (unless sticky, like /tmp); it creates missing directories without following links and
  makes the one it writes into 0700;
- `write_private(dir, name, data)` re-checks the directory it opened, then writes a 0600
  temp file (O_EXCL, O_NOFOLLOW) in it and renames it over `name`: a symlink planted there
  is replaced, never followed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from hardaudit.errors import UsageError

# Characters kept as they are in a file name; everything else is %XX of its UTF-8 bytes.
_KEPT = re.compile(r"[A-Za-z0-9_.@+=:-]")
_MAX_NAME = 200  # bytes; file systems allow 255, the suffix needs a few


def file_name_for(name: str) -> str:
    """One path component that stands for `name` and only for it.

    >>> file_name_for("web1.example.com")
    'web1.example.com'
    >>> file_name_for("../../escaped")
    '%2E.%2F..%2Fescaped'
    """
    encoded = "".join(
        char
        if _KEPT.fullmatch(char)
        else "".join(f"%{byte:02X}" for byte in char.encode("utf-8", errors="surrogatepass"))
        for char in name
    )
    if not encoded or encoded.startswith("."):  # never ".", "..", a hidden file or ""
        encoded = "%2E" + encoded[1:] if encoded else "%"
    if len(encoded) > _MAX_NAME:  # still one name per host: a digest keeps long ones apart
        digest = hashlib.sha256(name.encode("utf-8", errors="surrogatepass")).hexdigest()
        encoded = f"{encoded[: _MAX_NAME - 20]}~{digest[:16]}"
    return encoded


def _refusal(path: Path, info: os.stat_result) -> str | None:
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if info.st_uid != os.geteuid():
        return f"is owned by uid {info.st_uid}, not by you (uid {os.geteuid()})"
    if info.st_mode & 0o022:
        return f"is writable by others (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def _parent_refusal(info: os.stat_result) -> str | None:
    """Why a directory above the one written into lets someone else swap what is below it:
    it must belong to you or root, and be writable by nobody else unless sticky (/tmp)."""
    if info.st_uid not in (0, os.geteuid()):
        return f"is owned by uid {info.st_uid}, neither you (uid {os.geteuid()}) nor root"
    if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
        return (
            f"is writable by others without the sticky bit (mode {stat.S_IMODE(info.st_mode):04o})"
        )
    return None


def _chain_refusal(path: Path) -> str | None:
    """The first directory above `path` (each as written, and where a link leads) that
    `_parent_refusal` rejects, as `DIR is/has ...`; None if the whole chain is sound."""
    for ancestor in Path(os.path.abspath(path)).parents:
        try:
            info = os.lstat(ancestor)
            if stat.S_ISLNK(info.st_mode):  # a link is as good as its owner, then its target
                refusal = _parent_refusal(info)
                if refusal is not None:
                    return f"{ancestor} (a symbolic link) {refusal}"
                info = os.stat(ancestor)
        except FileNotFoundError:  # created below, judged then
            continue
        except OSError as exc:
            return f"{ancestor} cannot be examined: {exc.strerror}"
        refusal = _parent_refusal(info)
        if refusal is not None:
            return f"{ancestor} {refusal}"
    return None


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _create_missing(probe: Path, missing: list[Path], created: list[Path]) -> str | None:
    """mkdir each of `missing` (outermost first) inside the existing directory `probe`,
    through directory descriptors: no link is followed, no path is resolved twice. Returns
    why a directory created into is refused, or None; `created` gets what was made."""
    try:
        fd = os.open(probe, _DIR_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{probe} is a symbolic link (a new directory is never created through one)"
        raise
    try:
        for directory in reversed(missing):
            refusal = _parent_refusal(os.fstat(fd))
            if refusal is not None:
                return f"{probe} {refusal}"
            try:
                os.mkdir(directory.name, 0o700, dir_fd=fd)
                created.append(directory)
            except FileExistsError:  # appeared meanwhile: judged like any other
                pass
            try:
                child = os.open(directory.name, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    return f"{directory} is a symbolic link"
                raise
            os.close(fd)
            fd, probe = child, directory
    finally:
        os.close(fd)
    return None


def prepare_private_dir(path: Path, what: str, option: str) -> list[Path]:
    """Make sure `path` is a 0700 directory of ours; return the directories created here
    (outermost first) so that a run which writes nothing can remove them again.

    Every directory above it must belong to the user or root and be writable by nobody
    else unless it has the sticky bit (like /tmp); a directory created into must not be a
    symbolic link. Raises UsageError (exit 2) with the reason for a directory it will not
    write into.
    """
    hint = (
        f"pass a directory of your own that only you can write to as {option}, or a path "
        "that does not exist yet under such a directory"
    )
    chain = _chain_refusal(path)
    if chain is not None:
        raise UsageError(f"refusing to write {what} to {path}: {chain}", hint=hint)
    missing: list[Path] = []
    probe = path
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    created: list[Path] = []
    try:
        refusal = _create_missing(probe, missing, created) if missing else None
        if refusal is not None:
            remove_if_empty(created)
            raise UsageError(f"refusing to write {what} to {path}: {refusal}", hint=hint)
        info = path.lstat()
    except OSError as exc:
        remove_if_empty(created)
        raise UsageError(
            f"cannot write {what} to {path}: {exc.strerror}", hint=f"pass a writable {option}"
        ) from None
    refusal = _refusal(path, info)
    if refusal is not None:
        remove_if_empty(created)
        raise UsageError(f"refusing to write {what} to {path}: it {refusal}", hint=hint)
    try:
        if stat.S_IMODE(info.st_mode) != 0o700:
            os.chmod(path, 0o700, follow_symlinks=False)
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        remove_if_empty(created)
        raise UsageError(
            f"cannot write {what} to {path}: {exc.strerror}", hint=f"pass a writable {option}"
        ) from None
    return created


def remove_if_empty(created: list[Path]) -> None:
    """Remove the directories `prepare_private_dir` created, innermost first, if empty."""
    for directory in reversed(created):
        with contextlib.suppress(OSError):  # not empty (something was written) or gone
            directory.rmdir()


# write_all gathers the pieces of a streamed document into writes of about this size.
_WRITE_CHUNK = 1 << 20


def write_all(fd: int, data: bytes | Iterable[bytes]) -> None:
    """Write `data` to `fd`: bytes, or an iterable of pieces (a document streamed host by
    host: only about _WRITE_CHUNK of it is held at a time)."""
    if isinstance(data, bytes | bytearray | memoryview):
        data = (bytes(data),)
    pending: list[bytes] = []
    size = 0
    for piece in data:
        pending.append(piece)
        size += len(piece)
        if size >= _WRITE_CHUNK:
            _write_fully(fd, b"".join(pending))
            pending, size = [], 0
    if pending:
        _write_fully(fd, b"".join(pending))


def _write_fully(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_private(directory: Path, name: str, data: bytes | Iterable[bytes]) -> Path:
    """Write `data` to `directory/name` (mode 0600) atomically; never follows a symlink.

    `data` may be an iterable of pieces, written as they come (write_all): a reader still
    sees the whole file or the previous one, never a half.

    Raises PermissionError (an OSError) unless the directory, as opened, is yours and not
    writable by others."""
    if "/" in name or name in ("", ".", ".."):
        raise ValueError(f"not a file name: {name!r}")
    dir_fd = os.open(directory, _DIR_FLAGS)
    temp = f".{name[:100]}.{secrets.token_hex(8)}.tmp"
    try:
        # Judged again at every write, on what was opened: the directory may have been
        # chowned, chmodded or swapped since prepare_private_dir looked at it.
        refusal = _refusal(directory, os.fstat(dir_fd))
        if refusal is not None:
            raise PermissionError(errno.EPERM, f"refusing to write into it: it {refusal}")
        fd = os.open(
            temp,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
            dir_fd=dir_fd,
        )
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=dir_fd)
        raise
    finally:
        os.close(dir_fd)
    return directory / name
