"""Parse `mode|owner|group|kind|name` stat lines and the `ssh_files` section.

Names arrive as the script's `enc` writes them (plain, or `\\ooo` escapes) and are decoded
here: a name may hold a newline, a tab, `|`, an escape sequence or invalid UTF-8.
"""

from __future__ import annotations

from hardaudit.facts.model import (
    SSH_UNREADABLE,
    EnvFiles,
    FileStat,
    SshFiles,
    UserSshDir,
    WorldWritable,
)
from hardaudit.facts.parsers.names import decode_name


def _unreadable(rest: str) -> str:
    """An `unreadable: <what> <dir>` line of ssh_files, as "dir: reason" (SSH_UNREADABLE)."""
    what, _, name = rest.partition(" ")
    if what in SSH_UNREADABLE and name:
        return decode_name(name) + SSH_UNREADABLE[what]
    return rest  # an older capture: "path: reason"


def parse_stat_line(line: str) -> FileStat | None:
    """One `mode|owner|group|kind|path` line; None if it is not one.

    >>> parse_stat_line("700|app|app|directory|/home/app/.ssh").mode
    448
    """
    parts = line.split("|", 4)
    if len(parts) != 5:
        return None
    mode, owner, group, kind, path = parts
    try:
        bits = int(mode, 8)
    except ValueError:
        return None
    return FileStat(path=decode_name(path), mode=bits, owner=owner, group=group, kind=kind)


def parse_ssh_files(text: str, nonce: str) -> SshFiles:
    """Group stat lines per `@@nonce USER name home` marker; mark private keys by header."""
    marker = f"@@{nonce} USER "
    dirs: list[UserSshDir] = []
    unreadable: list[str] = []
    user = home = ""
    directory: FileStat | None = None
    files: list[FileStat] = []
    keys: set[str] = set()

    def flush() -> None:
        if directory is not None:
            marked = tuple(
                FileStat(f.path, f.mode, f.owner, f.group, f.kind, f.path in keys) for f in files
            )
            dirs.append(UserSshDir(user, home, directory, marked))

    for line in text.splitlines():
        if line.startswith(marker):
            flush()
            user, _, home = line[len(marker) :].partition(" ")
            directory, files, keys = None, [], set()
        elif line.startswith("unreadable: "):
            unreadable.append(_unreadable(line[len("unreadable: ") :]))
        elif line.startswith("privkey: "):
            keys.add(decode_name(line[len("privkey: ") :]))
        else:
            stat = parse_stat_line(line)
            if stat is None:
                continue
            if directory is None:
                directory = stat
            else:
                files.append(stat)
    flush()
    return SshFiles(tuple(dirs), tuple(unreadable))


def parse_stat_lines(text: str) -> tuple[FileStat, ...]:
    """Every `stat -c '%a|%U|%G|%F|%n'` line of a section; other lines are ignored."""
    return tuple(stat for stat in map(parse_stat_line, text.splitlines()) if stat is not None)


def parse_world_writable(text: str, stderr: str, cap: int) -> WorldWritable:
    """Paths printed by the bounded `find -perm -0002` walk; `capped` when the cap was hit."""
    paths = tuple(decode_name(line) for line in text.splitlines() if line.startswith(("/", "\\")))
    errors = tuple(line for line in stderr.splitlines() if line.startswith("find:"))
    return WorldWritable(paths=paths, capped=len(paths) >= cap, errors=errors)


def parse_env_files(text: str) -> EnvFiles:
    """`## dirs <d>...` then stat lines of the .env files found under them."""
    dirs: tuple[str, ...] = ()
    for line in text.splitlines():
        if line.startswith("## dirs "):
            dirs = tuple(decode_name(d) for d in line[len("## dirs ") :].split())
            break  # the script's first line; a later one is not its
        if line.strip():
            break
    return EnvFiles(dirs=dirs, files=parse_stat_lines(text))
