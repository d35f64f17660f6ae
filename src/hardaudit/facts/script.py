"""Builds the one POSIX sh facts script and the wrapper command that runs it.

The wrapper decides the privilege mode *before* the script is read from stdin (re-exec'ing
mid-script loses the rest of stdin under dash and BusyBox). Inside the script, only the
commands listed in ROOT_COMMANDS are prefixed with `sudo -n`, so a least-privilege sudoers
file can list exactly those (see `sudoers_example`).
"""

from __future__ import annotations

import functools
import re
import secrets
import shlex
import textwrap
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from importlib import resources

# Root's directories: the script puts them before the login user's PATH; the root helper uses
# them alone, never the caller's (sudo without secure_path keeps it, and a program missing from
# these would be found in the caller's directories).
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Per-section output caps in bytes: a hostile or huge host cannot flood the auditor.
DEFAULT_CAP = 256 * 1024
STDERR_CAP = 2048
COMMAND_TIMEOUT_S = 20

DOCKER_INSPECT_FORMAT = (
    '{"id":{{json .Id}},"name":{{json .Name}},"image":{{json .Config.Image}},'
    '"user":{{json .Config.User}},"pid":{{.State.Pid}},"running":{{.State.Running}},'
    '"privileged":{{.HostConfig.Privileged}},"network_mode":{{json .HostConfig.NetworkMode}},'
    '"pid_mode":{{json .HostConfig.PidMode}},"ipc_mode":{{json .HostConfig.IpcMode}},'
    '"cap_add":{{json .HostConfig.CapAdd}},"mounts":{{json .Mounts}},'
    '"ports":{{json .NetworkSettings.Ports}},"exposed":{{json (index .Config "ExposedPorts")}},'
    '"compose":{__COMPOSE_LABELS__}}'
)
# `.Config.ExposedPorts` fails where the engine omits the empty field: the CLI then runs the
# template on the raw JSON (a map), where a missing key is an error ("map has no entry for
# key"); `index` gives null instead. (On the typed struct `index` fails and the CLI falls back
# to that raw map.) Every other field above is always present.
# Only these labels, never all of them: labels can carry secrets (a reverse proxy's basic-auth
# hash). The first two name the compose project and service a container was deployed as;
# working_dir and config_files (comma-separated, relative to it under compose v1) the
# docker-compose.yml an operator edits.
COMPOSE_LABELS = {
    "project": "com.docker.compose.project",
    "service": "com.docker.compose.service",
    "working_dir": "com.docker.compose.project.working_dir",
    "config_files": "com.docker.compose.project.config_files",
}
DOCKER_INSPECT_FORMAT = DOCKER_INSPECT_FORMAT.replace(
    "__COMPOSE_LABELS__",
    ",".join(
        f'"{key}":{{{{json (index .Config.Labels "{label}")}}}}'
        for key, label in COMPOSE_LABELS.items()
    ),
)
# Rootful podman's `inspect --format` runs the template on its own Go structure (no raw-map
# fallback), whose field names are Docker's JSON keys for everything read here but two: the id
# is `.ID` (`.Id` is its JSON key only: "can't evaluate field Id"), and there is no
# `Config.ExposedPorts` ("can't evaluate field ExposedPorts in type
# *define.InspectContainerConfig", podman 4.3.1): left out. Its `{{json}}` of Mounts and
# NetworkSettings.Ports gives Docker's keys (Type, Source, Destination, RW; HostIp, HostPort).
PODMAN_INSPECT_FORMAT = DOCKER_INSPECT_FORMAT.replace(
    '"exposed":{{json (index .Config "ExposedPorts")}},', ""
).replace('{"id":{{json .Id}},', '{"id":{{json .ID}},')


# The walks: world_writable() searches WALK_ROOTS, .env files are searched under app_dirs;
# both stay on each root's filesystem (-xdev) and never enter the pseudo-filesystems (a
# container's /run, or app_dirs: [/], may sit on the root filesystem). The world-writable walk
# also skips documentation trees no program runs or sources (man pages, docs, translations),
# a third of a typical /usr; a pruned directory is still judged itself (and walked when it is
# world-writable). Not /usr/share/locale: programs root runs load its message catalogs (printf
# formats). Both are capped: COMMAND_TIMEOUT_S, their output cap, and for world_writable
# WORLD_WRITABLE_CAP paths; a cap hit makes the check fail or unknown, never pass.
WALK_ROOTS = ("/etc", "/usr", "/bin", "/sbin", "/lib", "/boot", "/srv", "/opt")
PSEUDO_FS = ("/proc", "/sys", "/dev", "/run")
WALK_PRUNED = (
    *PSEUDO_FS,
    "/usr/share/doc",
    "/usr/share/man",
    "/usr/share/info",
)
ENV_MAX_DEPTH = 6
DEFAULT_APP_DIRS = ("/srv", "/opt", "/var/www", "/home")
REDIS_DIRS = ("/etc/redis", "/usr/local/etc/redis")  # the directories redis() reads


WW_TEST = "\\( -type f -o -type d \\) -perm -0002 ! -perm -1000 -print0"


def _prune(paths: Sequence[str]) -> str:
    """find's `\\( -path P -o ... \\) -prune -o` for `paths`, as the script writes it."""
    return "\\( " + " -o ".join(f"-path {p}" for p in paths) + " \\) -prune -o"


# The Redis directives the facts script reads (case-insensitive, after any indentation).
REDIS_PATTERN = "^[[:space:]]*(bind|protected-mode|requirepass|aclfile|user|port)([[:space:]]|$)"


def sudoers_literal(text: str) -> str:
    """`text` as a sudoers command argument that matches only itself: sudo matches arguments
    with fnmatch(3), so its wildcard characters `*?[]` are escaped with a backslash."""
    if "\\" in text:
        raise ValueError(f"a backslash cannot be written literally in sudoers: {text!r}")
    return re.sub(r"([*?\[\]])", r"\\\1", text)


# Where distributions install each program: merged /usr (Debian 11+, RHEL, Ubuntu 20.04+) has
# them in /usr/bin or /usr/sbin, older Debian/Ubuntu and Alpine (BusyBox applets) in /bin or
# /sbin, and RHEL puts ss in /usr/sbin. sudo runs the path it resolves, so every place is listed.
BIN_DIRS = ("/bin",)
SBIN_DIRS = ("/sbin",)
ANY_DIRS = ("/usr/sbin", "/bin", "/sbin")


# sudo reads `^...$` arguments as a regular expression from 1.9.10 on; older sudo matches
# arguments with fnmatch(3) only (and 1.9.5's visudo rejects some of the regexes outright).
SUDO_REGEX_VERSION = (1, 9, 10)

# The variable arguments of ROOT_COMMANDS, as regexes for sudo >= 1.9.10. Each has an old-sudo
# form (see old_sudo_form): fnmatch's `*` also matches spaces, so it could stand for extra
# arguments (`-exec ...`); the old form instead repeats the one-character class `[!\ ]` (any
# character but a space) 1..N times, one line per length: exactly one argument, of bounded
# length, in that place. A longer argument is refused by sudo (its facts are unknown).
PATH_RE = "/[^ ]+"  # one absolute path (a find starting point: never an expression)
PATHS_RE = "(/[^ ]+ )+"  # one or more absolute paths: old sudo lists the command's `roots`
SPEC_RE = "[A-Za-z0-9_.:%,=@-]+"  # sshd -C's value (a -C value is never taken as an option)
OLD_SUDO_CHAR = "[!\\ ]"
OLD_SUDO_MAX = {PATH_RE: 64, SPEC_RE: 96}  # longest argument the old form admits, per slot
_REGEX_META = set(".^$()[]+*?|{}")


def parse_sudo_version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) from `1.9.5`, `1.9.5p2` or `Sudo version 1.9.16p2`; None if
    `text` names no version."""
    found = re.search(r"(?<![0-9.])([0-9]+)\.([0-9]+)(?:\.([0-9]+))?", text)
    if not found:
        return None
    return (int(found.group(1)), int(found.group(2)), int(found.group(3) or 0))


def sudo_has_regex(version: tuple[int, int, int] | None) -> bool:
    """Whether a sudo of `version` (None: unknown, taken as modern) reads `^...$` regexes."""
    return version is None or version >= SUDO_REGEX_VERSION


def is_sudoers_regex(line: str) -> bool:
    """Whether sudo >= 1.9.10 reads `line`'s arguments as a regex (`^...$`)."""
    args = line.partition(" ")[2]
    return args.startswith("^") and args.endswith("$")


def old_sudo_hint(sudo_version: str) -> str:
    """What to do when a host's sudo (`sudo -V`'s first line) predates sudoers regexes, else
    "" (also for a version that cannot be read)."""
    # Todd Miller's sudo only ("Sudo version 1.9.5p2"): sudo-rs ("sudo-rs 0.2.5") numbers
    # its versions apart and has sudoers rules of its own
    classic = re.match(r"Sudo version [0-9]", sudo_version)
    version = parse_sudo_version(sudo_version) if classic else None
    if version is None or sudo_has_regex(version):
        return ""
    shown = ".".join(str(n) for n in version)
    return (
        f"this host's sudo {shown} reads no sudoers regexes (`^...$`, sudo >= 1.9.10): "
        f"install the file from `audit sudoers --sudo-version {shown}`"
    )


def _ordered_subsets(roots: Sequence[str], required: Collection[str]) -> list[tuple[str, ...]]:
    """Every non-empty subsequence of `roots` (in their order) that keeps all of `required`."""
    out: list[tuple[str, ...]] = []
    for mask in range(1, 1 << len(roots)):
        chosen = tuple(r for i, r in enumerate(roots) if mask >> i & 1)
        if all(r in chosen for r in required):
            out.append(chosen)
    return out


def old_sudo_form(
    line: str, roots: Sequence[str] = (), required: Collection[str] = ()
) -> tuple[str, ...]:
    """The sudoers lines a sudo without regex support (< 1.9.10) matches as `line` does.

    A line without a `^...$` regex is returned as is. In a regex, PATHS_RE becomes each
    subsequence of `roots` (literal paths; `required` ones always present), PATH_RE becomes
    `roots` when given, else `/` and 0..N-1 `[!\\ ]`, SPEC_RE 1..N `[!\\ ]` (see OLD_SUDO_MAX);
    the rest must be literal text (regex escapes `\\X`), written as a glob that matches only
    itself. Raises ValueError for any other regex (add its slot here first).
    """
    path, sep, args = line.partition(" ")
    if not is_sudoers_regex(line):
        return (line,)
    body = args[1:-1]
    parts: list[list[str]] = []  # alternatives per piece, in order
    literal: list[str] = []

    def flush() -> None:
        if literal:
            parts.append(["".join(literal)])
            literal.clear()

    i = 0
    while i < len(body):
        if body.startswith(PATHS_RE, i):
            if not roots:
                raise ValueError(f"{line!r}: a list of paths needs the command's roots")
            flush()
            parts.append(
                [
                    " ".join(sudoers_literal(r) for r in chosen) + " "
                    for chosen in _ordered_subsets(roots, required)
                ]
            )
            i += len(PATHS_RE)
        elif body.startswith(PATH_RE, i):
            flush()
            limit = OLD_SUDO_MAX[PATH_RE]
            parts.append(
                [sudoers_literal(r) for r in roots]
                if roots
                else ["/" + OLD_SUDO_CHAR * n for n in range(limit)]
            )
            i += len(PATH_RE)
        elif body.startswith(SPEC_RE, i):
            flush()
            parts.append([OLD_SUDO_CHAR * n for n in range(1, OLD_SUDO_MAX[SPEC_RE] + 1)])
            i += len(SPEC_RE)
        elif body[i] == "\\" and i + 1 < len(body):
            literal.append(sudoers_literal(body[i + 1]) if body[i + 1] != " " else "\\ ")
            i += 2
        elif body[i] in _REGEX_META:
            raise ValueError(f"{line!r}: no old-sudo form for the regex at {body[i:]!r}")
        else:
            literal.append(body[i])
            i += 1
    flush()
    alternatives = [""]
    for options in parts:
        alternatives = [a + o for a in alternatives for o in options]
    return tuple(f"{path}{sep}{a}" for a in alternatives)


@dataclass(frozen=True)
class RootCommand:
    """A command the script runs through `sudo -n` when become is on."""

    command: str  # as it appears in sudoers (absolute path + arguments, regex allowed)
    why: str
    probe: str = ""  # a real invocation, for `sudo -n -l` in `audit doctor` (default: command)
    dirs: tuple[str, ...] = ()  # other directories the program is installed in on some systems
    as_owner: bool = False  # also run as each home's owner (`sudo -u USER`): never root-only
    # The paths the script may pass in a PATHS_RE (or PATH_RE) slot, in its order, for the
    # old-sudo form; `required`: those always passed. `old_risk`: what the old form admits
    # that the regex does not (written into the generated file as a comment).
    roots: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    old_risk: str = ""
    app_dirs: bool = False  # roots are the inventory's app_dirs (`audit sudoers --app-dir`)

    @property
    def program(self) -> str:
        """The program's name, as the script runs it (sudo resolves the path)."""
        return self.command.split(" ", 1)[0].rsplit("/", 1)[-1]

    @property
    def sudoers_lines(self) -> tuple[str, ...]:
        """The command under its main path and under each other directory of `dirs`."""
        _path, sep, args = self.command.partition(" ")
        return (self.command, *(f"{d}/{self.program}{sep}{args}" for d in self.dirs))

    def old_sudo_lines(self, roots: Sequence[str] | None = None) -> tuple[str, ...]:
        """sudoers_lines in the form sudo < 1.9.10 accepts; `roots` overrides self.roots."""
        chosen = self.roots if roots is None else tuple(roots)
        return tuple(
            out
            for line in self.sudoers_lines
            for out in old_sudo_form(line, chosen, [r for r in self.required if r in chosen])
        )

    @property
    def probe_line(self) -> str:
        """A real invocation by program name, resolved by sudo as it is for the script."""
        _path, sep, args = (self.probe or self.command).partition(" ")
        return f"{self.program}{sep}{args}"


ROOT_COMMANDS: tuple[RootCommand, ...] = (
    RootCommand("/usr/sbin/sshd -T", "effective sshd configuration (sshd loads host keys)"),
    RootCommand(
        f"/usr/sbin/sshd ^-T -C {SPEC_RE}$",
        "effective sshd configuration per Match context (regex: no other option can be added)",
        "/usr/sbin/sshd -T -C user=root,host=localhost,addr=127.0.0.1",
        old_risk="-C's value is one argument without a space of up to "
        f"{OLD_SUDO_MAX[SPEC_RE]} characters, any but a space (the regex: letters, digits and "
        "_.:%,=@-); sshd takes the argument after -C as the connection spec whatever it holds "
        "(an option there is a bad spec, refused), so nothing but `sshd -T -C` can run; a "
        "longer spec is refused (that Match context is unknown)",
    ),
    RootCommand(
        "/usr/bin/ss -H -tulpn", "listening sockets with their owning process", dirs=ANY_DIRS
    ),
    RootCommand(
        "/usr/bin/ss -tulpn",
        "the same where ss has no -H (iproute2 before 4.12): the header is skipped",
        dirs=ANY_DIRS,
    ),
    RootCommand("/usr/sbin/nft -j list ruleset", "firewall ruleset as the kernel holds it"),
    RootCommand(
        "/usr/sbin/iptables-save", "iptables ruleset (legacy or nft backend)", dirs=SBIN_DIRS
    ),
    RootCommand("/usr/sbin/ip6tables-save", "ip6tables ruleset", dirs=SBIN_DIRS),
    RootCommand(
        "/usr/sbin/iptables-legacy-save",
        "legacy (x_tables) iptables rules, applied beside nft's (only where the kernel has them)",
        dirs=SBIN_DIRS,
    ),
    RootCommand(
        "/usr/sbin/ip6tables-legacy-save", "legacy (x_tables) ip6tables rules", dirs=SBIN_DIRS
    ),
    RootCommand(
        "/usr/bin/stat -c %a|%U|%G|%F -- *",
        "modes of ~/.ssh, its files and .env files (names are printed by the script, escaped)",
        "/usr/bin/stat -c '%a|%U|%G|%F' -- /root/.ssh",
        dirs=BIN_DIRS,
    ),
    RootCommand(
        "/usr/bin/stat -c %a|%U|%G|%F|%n -- *",
        "modes of every ~/.ssh directory at once (names from /etc/passwd: one line each)",
        "/usr/bin/stat -c '%a|%U|%G|%F|%n' -- /root/.ssh",
        dirs=BIN_DIRS,
    ),
    RootCommand(
        f"/usr/bin/find ^{PATH_RE} -mindepth 1 -maxdepth 1 -print0$",
        "names in each ~/.ssh, NUL-separated (regex: no -exec)",
        "/usr/bin/find /root/.ssh -mindepth 1 -maxdepth 1 -print0",
        dirs=BIN_DIRS,
        old_risk="the starting point is one argument without a space that starts with / "
        f"(find never reads it as an expression), up to {OLD_SUDO_MAX[PATH_RE]} characters: "
        "names in one directory, as the regex admits; a longer ~/.ssh path is refused (that "
        "directory's entries are unknown)",
    ),
    *(
        RootCommand(
            f"/usr/bin/grep {skip}-l -m1 -e PRIVATE\\ KEY----- -- *",
            "which ~/.ssh files are private keys (names only, never contents); as root only "
            "for a home of uid 0, as the home's owner for every other"
            + (" (GNU grep: a FIFO or device is skipped, never waited on)" if skip else ""),
            f"/usr/bin/grep {skip}-l -m1 -e 'PRIVATE KEY-----' -- /root/.ssh/id_ed25519",
            dirs=BIN_DIRS,
            as_owner=True,
        )
        for skip in ("-D skip ", "")
    ),
    RootCommand(
        f"/usr/bin/find ^{PATH_RE} -mindepth 1 -maxdepth 1 -type f -print0$",
        "names of the regular files in a Redis config directory the login user cannot list, "
        "NUL-separated (regex: no -exec; symlinks and FIFOs are not listed)",
        "/usr/bin/find /etc/redis -mindepth 1 -maxdepth 1 -type f -print0",
        dirs=BIN_DIRS,
        roots=REDIS_DIRS,
        old_risk=f"literal lines, one per directory the script reads ({' '.join(REDIS_DIRS)})",
    ),
    *(
        RootCommand(
            f"/usr/bin/grep {skip}-a -i -E -e {sudoers_literal(REDIS_PATTERN)} -- *",
            "redis directives (wildcards escaped: only this pattern; values of passwords are "
            "redacted before they leave the host; -a: a NUL cannot hide a line)"
            + (" (GNU grep: a FIFO or device is skipped, never waited on)" if skip else ""),
            f"/usr/bin/grep {skip}-a -i -E -e {shlex.quote(REDIS_PATTERN)} -- /etc/redis/redis.conf",
            dirs=BIN_DIRS,
        )
        for skip in ("-D skip ", "")
    ),
    RootCommand(
        f"/usr/bin/find ^{PATHS_RE}-xdev {WW_TEST} -o {_prune(WALK_PRUNED).removesuffix(' -o')}$",
        "world-writable files under system directories (regex: paths only, no -exec)",
        f"/usr/bin/find /etc /usr -xdev {WW_TEST} -o {_prune(WALK_PRUNED).removesuffix(' -o')}",
        roots=WALK_ROOTS,
        required=("/etc", "/usr"),
        old_risk="literal lines, one per set of the roots the script walks (those of "
        f"{' '.join(WALK_ROOTS)} that are directories, /etc and /usr always): nothing more "
        "than the regex admits",
    ),
    RootCommand(
        f"/usr/bin/find ^{PATHS_RE}-xdev -maxdepth {ENV_MAX_DEPTH} {_prune(PSEUDO_FS)} -type f \\( -name \\.env -o -name \\.env\\.\\* \\) -print0$",
        ".env files under app_dirs (regex: paths only, no -exec)",
        f"/usr/bin/find /srv /home -xdev -maxdepth {ENV_MAX_DEPTH} {_prune(PSEUDO_FS)} -type f '(' -name .env -o -name '.env.*' ')' -print0",
        roots=DEFAULT_APP_DIRS,
        app_dirs=True,
        old_risk="literal lines, one per set of the app directories that exist, in this "
        "order: {app_dirs}; a host whose app_dirs differ is refused (its .env files are "
        "unknown): generate with `--app-dir` for each of them",
    ),
    RootCommand("/usr/bin/docker ps -q --no-trunc", "running containers"),
    RootCommand(
        "/usr/bin/docker inspect --format *",
        "container settings (the script's template omits environment values)",
        "/usr/bin/docker inspect --format '{{.Id}}' 0123456789ab",
    ),
    RootCommand("/usr/bin/podman ps -q --no-trunc", "running rootful podman containers"),
    RootCommand(
        "/usr/bin/podman inspect --format *",
        "rootful podman container settings (the script's template omits environment values)",
        "/usr/bin/podman inspect --format '{{.Id}}' 0123456789ab",
    ),
)

TOOLS = (
    "ss",
    "nft",
    "iptables-save",
    "ip6tables-save",
    "iptables-legacy-save",
    "docker",
    "podman",
    "sshd",
    "stat",
    "find",
    "timeout",
    "sudo",
    "busybox",
    "firewall-cmd",
    "ufw",
    "systemctl",
    "head",
    "awk",
)

# `sudo -n -l` can hang on a slow name service (LDAP, sssd): it gets its own time cap where a
# `timeout` other than BusyBox's exists (BusyBox's polls once a second, adding a second).
SUDO_CHECK_TIMEOUT_S = 10
WRAPPER_TEMPLATE = (
    "/bin/sh -c '"
    "LC_ALL=C; export LC_ALL; HA_BECOME={become}; "
    'case $(readlink -f "$(command -v timeout 2>/dev/null)" 2>/dev/null </dev/null) in '
    '""|*busybox*) HA_T=; HA_TK=0 ;; *) HA_T="timeout {sudo_timeout}"; HA_TK=1 ;; esac; '
    "HA_UID=$(id -u); HA_RH=0; "
    'if [ "$HA_UID" = 0 ]; then HA_PRIV=root; HA_SUDO=; '
    'elif [ "$HA_BECOME" = 1 ] && HA_SL=$($HA_T sudo -n -l 2>/dev/null </dev/null); then '
    'HA_PRIV=sudo; HA_SUDO="sudo -n"; case $HA_SL in *"{helper}"*) HA_RH=1 ;; *"NOPASSWD: ALL"*) HA_RH=2 ;; esac; '
    "else HA_PRIV=user; HA_SUDO=; fi; "
    "export HA_PRIV HA_SUDO HA_UID HA_TK HA_RH; exec /bin/sh -s'"
)
# HA_RH=1: `sudo -n -l` names the root helper (ROOT_HELPER), so the script may use it; 2: it
# allows everything without a password (NOPASSWD: ALL), the helper too if it is installed.
# HA_UID (`id -u`) and HA_TK (1: a `timeout` other than BusyBox's exists, else 0) are what the
# wrapper found; the script's prelude takes them rather than starting `id` and `readlink` again
# (each program run costs the target ~1 ms of CPU), and finds them itself when run without the
# wrapper (HA_TK unset).

# The script's parts, in order: shell code in real files (package data), linted as shell.
SCRIPT_PARTS = ("prelude.sh", "sshd.sh", "files.sh", "system.sh", "services.sh", "main.sh")


def _read_parts(names: Sequence[str] = SCRIPT_PARTS) -> str:
    folder = resources.files("hardaudit.facts") / "sh"
    return "\n".join(folder.joinpath(name).read_text(encoding="utf-8") for name in names)


SCRIPT_TEMPLATE = _read_parts()

# The root helper: an optional program the operator installs on a target (root-owned, printed
# by `audit root-helper`) and allows in sudoers (`audit sudoers --root-helper`). It runs every
# root-only section of the facts script in one `sudo -n` (without it, one sudo per command:
# 10-20 per host, ~5-15 ms of CPU each). It is built from the same shell code as the script, run as root
# (as when the login is root), so its sections are the ones the script would print; the script
# uses it only when it is the exact file this auditor builds (its POSIX cksum), else falls back
# to one sudo per command and says why (meta's root_helper=).
ROOT_HELPER = "/usr/local/libexec/hardaudit/root-facts"
# The sections the helper may gather, in the order it prints them: those whose commands need
# root (ROOT_COMMANDS). `env_files` takes the app directories as arguments.
HELPER_SECTIONS = (
    "sshd_t",
    "sshd_contexts",
    "ssh_files",
    "world_writable",
    "env_files",
    "listeners",
    "nft",
    "iptables",
    "ip6tables",
    "iptables_legacy",
    "ip6tables_legacy",
    "containers",
    "podman_containers",
    "redis",
)
HELPER_ARGS_RE = "^[a-z0-9_,]+( /[^ ]+)*$"  # sections, then app directories (sudoers regex)


def _cksum_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        c = i << 24
        for _ in range(8):
            c = ((c << 1) ^ 0x04C11DB7) if c & 0x80000000 else (c << 1)
        table.append(c & 0xFFFFFFFF)
    return tuple(table)


_CKSUM_TABLE = _cksum_table()


def posix_cksum(data: bytes) -> str:
    """What POSIX `cksum` prints for `data` read on its stdin: `CRC LENGTH`.

    >>> posix_cksum(b"")
    '4294967295 0'
    """
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CKSUM_TABLE[(crc >> 24) ^ byte]
    length = len(data)
    while length:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CKSUM_TABLE[(crc >> 24) ^ (length & 0xFF)]
        length >>= 8
    return f"{~crc & 0xFFFFFFFF} {len(data)}"


def _section_runs() -> dict[str, str]:
    """name -> `run` line of main.sh, for the helper's sections."""
    found = {}
    for line in SCRIPT_TEMPLATE.splitlines():
        words = line.split()
        if len(words) > 3 and words[0] == "run" and words[1] in HELPER_SECTIONS:
            found[words[1]] = line.replace("__APP_DIRS__", '"$@"')
    return found


_HELPER_HEAD = f"""#!/bin/sh
# {ROOT_HELPER} -- hardaudit's root helper, generated by `audit root-helper`.
# Install root-owned, mode 0755, in a directory only root can write to; allow it with the
# line of `audit sudoers --root-helper`. hardaudit's facts script then runs it once through
# `sudo -n` for every root-only fact, instead of one sudo per command; without it (or with
# another version's file: the script compares its cksum) the script falls back to that.
# Usage (the script's, not a person's): `printf '%s\\n' NONCE | root-facts SECTIONS [DIR...]`
# with NONCE 24 hex digits (on stdin: other users can read arguments), SECTIONS a
# comma-separated list of the names below, DIR the absolute app directories of the .env walk.
# It only reads: the commands are those of `audit sudoers`, run as root; names are escaped
# and secrets redacted on this host, as in the facts script it is built from.
# A clean environment first: nothing of the caller's (PATH, HOME, TZ, whatever sudo keeps)
# reaches the programs it runs as root; only what it sets below.
case ${{1-}} in
  --env-cleared) shift ;;
  *) exec /usr/bin/env -i PATH={ROOT_PATH} LC_ALL=C /bin/sh "$0" --env-cleared "$@" ;;
esac
PATH={ROOT_PATH}
export PATH
umask 077
IFS=' \t
'
unset HA_TK HA_UID HA_SUDO HA_PRIV HA_SSHD_FILES HA_HELPED HA_HS HA_RH HA_RHS HA_GD HA_CLK
_hn=
IFS= read -r _hn
case $_hn in
  *[!0-9a-f]*|"") echo "root-facts: no nonce (24 hex digits) on stdin" >&2; exit 2 ;;
esac
[ "${{#_hn}}" -eq 24 ] || {{ echo "root-facts: the nonce is not 24 hex digits" >&2; exit 2; }}
[ $# -ge 1 ] || {{ echo "root-facts: no sections" >&2; exit 2; }}
_hs=$1; shift
set -f
_ifs=$IFS; IFS=,
for _s in $_hs; do
  case $_s in
    {"|".join(HELPER_SECTIONS)}) ;;
    *) echo "root-facts: unknown section" >&2; exit 2 ;;
  esac
done
IFS=$_ifs
set +f
for _d; do
  case $_d in /*) ;; *) echo "root-facts: an app directory is not an absolute path" >&2; exit 2 ;; esac
done
"""


def _helper_text() -> str:
    prelude_etc = (
        _read_parts([name for name in SCRIPT_PARTS if name != "main.sh"])
        .replace("N='@@__NONCE__'", 'N="@@$_hn"')
        .replace("\nPATH=__ROOT_PATH__:$PATH\n", "\n# PATH: set above, without the caller's\n")
    )
    if "$PATH" in prelude_etc:
        raise AssertionError("the helper must not take the caller's PATH")
    body = fill_constants(prelude_etc)
    body = _fill_fixed(body).replace("__HELPER_CKSUM__", "-").replace("__SERVICES__", "")
    runs = _section_runs()
    dispatch = [
        '[ "$HA_UID" = 0 ] || { echo "root-facts: run it as root, through sudo -n" >&2; exit 2; }',
        "for _s in " + " ".join(HELPER_SECTIONS) + "; do",
        '  case ,$_hs, in *",$_s,"*) ;; *) continue ;; esac',
        "  case $_s in",
        *(f"    {name}) {fill_constants(runs[name])} ;;" for name in HELPER_SECTIONS),
        "  esac",
        "done",
        "",
    ]
    return (
        _HELPER_HEAD + body + "\n# The sections asked for, in this order.\n" + "\n".join(dispatch)
    )


@functools.cache
def root_helper_text() -> str:
    """The root helper's file (`audit root-helper`), the same for every host."""
    return _helper_text()


@functools.cache
def root_helper_cksum() -> str:
    """POSIX cksum of root_helper_text(): the script uses only a helper with exactly this."""
    return posix_cksum(root_helper_text().encode())


@dataclass(frozen=True)
class FactsScript:
    """The wrapper command to exec and the script to send on its stdin."""

    nonce: str
    command: str
    script: str


def new_nonce() -> str:
    """A per-run random token: a target cannot forge a section boundary it cannot guess."""
    return secrets.token_hex(12)


@dataclass(frozen=True)
class UserFact:
    """A read-only command declared by a user check; runs as the login user, never via sudo."""

    name: str
    command: str


# Which script sections each fact reads; `meta` always runs. Checks declare their facts, so a
# run of `--checks 'ssh.*'` gathers only what those checks need.
FACT_SECTIONS: dict[str, tuple[str, ...]] = {
    "meta": (),
    "sshd": ("sshd_t", "sshd_config"),
    "sshd_contexts": ("sshd_contexts",),
    "ssh_files": ("ssh_files",),
    "etc_files": ("etc_files",),
    "world_writable": ("world_writable",),
    "env_files": ("env_files",),
    "listeners": ("listeners",),
    "firewall": ("nft", "iptables", "ip6tables", "iptables_legacy", "ip6tables_legacy"),
    "ipv6": ("ipv6",),
    "processes": ("processes",),
    "containers": ("containers", "podman_containers"),
    "units": ("units",),
    "redis": ("redis",),
    "nginx": ("nginx",),
    "command": (),
}
# The sections that read the sshd_config file list the script makes once (HA_SSHD_FILES).
SSHD_FILE_USERS = frozenset({"sshd_config", "sshd_contexts", "etc_files"})
WORLD_WRITABLE_CAP = 50
# .env files, and entries of one ~/.ssh, the script stats and judges at most (a user can make
# thousands; the shell's loop over them grows with the square of their number): past it the
# search is incomplete (judged on what it sent) and the ~/.ssh `unreadable: list`.
NAME_CAP = 500
NGINX_INCLUDE_DEPTH = 8  # include levels the script follows from nginx.conf


def _words(values: Sequence[str]) -> str:
    return " ".join(shlex.quote(v) for v in values)


def fill_constants(text: str) -> str:
    """`text` (the script or a part of it) with its fixed placeholders filled in: caps, time
    caps and the walks' roots and pruned directories (not the per-host ones)."""
    return (
        text.replace("__TIMEOUT__", str(COMMAND_TIMEOUT_S))
        .replace("__ROOT_PATH__", ROOT_PATH)
        .replace("__ERRCAP__", str(STDERR_CAP))
        .replace("__FOLDW__", str(DEFAULT_CAP + 1))
        .replace("__CAP__", str(DEFAULT_CAP))
        .replace("__WWCAP__", str(WORLD_WRITABLE_CAP))
        .replace("__WW_ROOTS__", " ".join(WALK_ROOTS))
        .replace("__WW_PRUNE__", _prune(WALK_PRUNED).removesuffix(" -o"))
        .replace("__ENV_PRUNE__", _prune(PSEUDO_FS))
        .replace("__ENV_DEPTH__", str(ENV_MAX_DEPTH))
        .replace("__NAMECAP__", str(NAME_CAP))
    )


def _fill_fixed(text: str) -> str:
    """The placeholders that are the same for every host, helper included (fill_constants'
    caps aside)."""
    return (
        text.replace("__TOOLS__", " ".join(TOOLS))
        .replace("__DOCKER_FORMAT__", DOCKER_INSPECT_FORMAT)
        .replace("__PODMAN_FORMAT__", PODMAN_INSPECT_FORMAT)
        .replace("__REDIS_RE__", REDIS_PATTERN)
        .replace("__NGXDEPTH__", str(NGINX_INCLUDE_DEPTH))
        .replace("__HELPER__", ROOT_HELPER)
    )


def build_script(
    *,
    become: bool,
    nonce: str | None = None,
    app_dirs: Sequence[str] = DEFAULT_APP_DIRS,
    services: Sequence[str] = (),
    user_facts: Sequence[UserFact] = (),
    facts: Collection[str] | None = None,
) -> FactsScript:
    """Build the wrapper command and facts script for one host.

    `app_dirs` and `services` come from the host's inventory variables; `user_facts` from
    user checks. Everything is shell-quoted: inventory text never becomes shell code.
    """
    nonce = nonce or new_nonce()
    user_runs = "".join(
        f"run {fact.name} {DEFAULT_CAP} tmo sh -c {shlex.quote(fact.command)}\n"
        for fact in user_facts
    )
    wanted = (
        None
        if facts is None
        else {"meta"} | {section for fact in facts for section in FACT_SECTIONS.get(fact, ())}
    )
    helped = [name for name in HELPER_SECTIONS if wanted is None or name in wanted]
    script = (
        _fill_fixed(fill_constants(SCRIPT_TEMPLATE.replace("__NONCE__", nonce)))
        .replace("__APP_DIRS__", _words([d for d in app_dirs if d.startswith("/")]))
        .replace("__SERVICES__", _words([re.sub(r"\.service$", "", s) for s in services]))
        .replace("__HELPER_SECTIONS__", ",".join(helped))
        .replace("__HELPER_CKSUM__", root_helper_cksum())
        .replace("__USER_FACTS__", user_runs)
    )
    if wanted is not None:
        script = (
            "\n".join(
                line
                for line in script.splitlines()
                if not line.startswith(("run ", "HA_SSHD_FILES="))
                or (line.startswith("run ") and line.split()[1] in wanted)
                or line.startswith("run user.")
                or (line.startswith("HA_SSHD_FILES=") and not wanted.isdisjoint(SSHD_FILE_USERS))
            )
            + "\n"
        )
    command = WRAPPER_TEMPLATE.format(
        become="1" if become else "0", sudo_timeout=SUDO_CHECK_TIMEOUT_S, helper=ROOT_HELPER
    )
    return FactsScript(nonce=nonce, command=command, script=script.lstrip())


_USER_NAME = re.compile(r"[a-z_][a-z0-9_-]*\$?")


def user_name_problem(user: str) -> str | None:
    """Why `user` is not a POSIX user name (`[a-z_][a-z0-9_-]*[$]?`, at most 32 characters),
    or None. Anything else could add a sudoers line, or be a keyword such as ALL."""
    if len(user) > 32:
        return f"user name {user[:32]!r}... is longer than 32 characters"
    if not _USER_NAME.fullmatch(user):
        return (
            f"{user!r} is not a user name: use lower-case letters, digits, '_' and '-' "
            "(first a letter or '_'), optionally ending in '$'"
        )
    return None


def sudoers_example(
    user: str = "auditor",
    sudo_version: tuple[int, int, int] | None = None,
    app_dirs: Sequence[str] | None = None,
    root_helper: bool = False,
) -> str:
    """A least-privilege sudoers file listing exactly the commands the script runs as root.

    `sudo_version` below SUDO_REGEX_VERSION gives the form that sudo accepts: no regexes
    (see old_sudo_form), each command whose lines differ in an alias of its own, with a
    comment saying what its old form admits. `app_dirs` (old form only) are the directories
    the .env walk may be given (default DEFAULT_APP_DIRS). `root_helper` adds the root
    helper (ROOT_HELPER) to them: the exact commands stay, for a host without the helper.
    Raises ValueError for a `user` that is not a POSIX user name (see user_name_problem)."""
    problem = user_name_problem(user)
    if problem:
        raise ValueError(problem)
    lines = [
        "# /etc/sudoers.d/hardaudit -- generated by `audit sudoers`; mode 0440, owner root",
        "# Exactly the commands hardaudit's facts script runs through `sudo -n`.",
        "# Every one of them only reads; none writes, restarts or reloads anything.",
        "# A program is listed in each directory distributions install it in (/usr/bin,",
        "# /usr/sbin, /bin, /sbin): sudo matches the path it resolves; a line naming a path",
        "# that does not exist on this host never matches anything.",
    ]
    if sudo_has_regex(sudo_version):
        lines.append(f"Defaults:{user} !requiretty")
        lines.append("Cmnd_Alias HARDAUDIT = \\")
        _alias_body(lines, [line for cmd in ROOT_COMMANDS for line in cmd.sudoers_lines])
        aliases = ["HARDAUDIT"]
    else:
        aliases = _old_sudo_aliases(lines, user, sudo_version, app_dirs)
    if root_helper:
        regex = sudo_has_regex(sudo_version)
        lines.extend(
            [
                f"# The root helper (`audit root-helper`; install it root-owned, mode 0755, at {ROOT_HELPER}):",
                "# every root-only fact in one sudo call instead of one per command above. It takes",
                "# a comma-separated list of its sections, then app directories, and refuses",
                "# anything else itself"
                + (
                    " (the regex admits only that shape)."
                    if regex
                    else " (sudo before 1.9.10 has no regexes: any arguments reach it)."
                ),
                "Cmnd_Alias HARDAUDIT_HELPER = \\",
            ]
        )
        _alias_body(lines, [f"{ROOT_HELPER} {HELPER_ARGS_RE}" if regex else f"{ROOT_HELPER} *"])
        aliases.append("HARDAUDIT_HELPER")
    owner_entries = [line for cmd in ROOT_COMMANDS if cmd.as_owner for line in cmd.sudoers_lines]
    lines.append(
        "# Files in a user's ~/.ssh are read as that user, never as root (a swapped symlink"
    )
    lines.append("# then reaches nothing the user could not read): any user but root.")
    lines.append("Cmnd_Alias HARDAUDIT_AS_OWNER = \\")
    _alias_body(lines, owner_entries)
    lines.append(f"{user} ALL=(root) NOPASSWD: {', '.join(aliases)}")
    lines.append(f"{user} ALL=(ALL, !root) NOPASSWD: HARDAUDIT_AS_OWNER")
    return "\n".join(lines) + "\n"


def _old_sudo_aliases(
    lines: list[str],
    user: str,
    version: tuple[int, int, int] | None,
    app_dirs: Sequence[str] | None,
) -> list[str]:
    """The old-sudo form's header and aliases (see sudoers_example); their names."""
    dirs = tuple(d for d in (app_dirs or DEFAULT_APP_DIRS) if d.startswith("/"))
    shown = ".".join(str(n) for n in version) if version else "?"
    lines.extend(
        [
            f"# Form for sudo {shown} (before 1.9.10: no `^...$` regexes, arguments match",
            "# with fnmatch, whose `*` also matches spaces, i.e. extra arguments). A varying",
            "# argument is written as literal lines, or as `[!\\ ]` (one character, not a",
            "# space) repeated once per length: exactly one argument of bounded length there.",
            "# Each alias below says what it admits beyond the regex form's line.",
            f"Defaults:{user} !requiretty",
        ]
    )
    plain = [
        line for cmd in ROOT_COMMANDS for line in cmd.sudoers_lines if not is_sudoers_regex(line)
    ]
    lines.append("Cmnd_Alias HARDAUDIT = \\")
    _alias_body(lines, plain)
    names = ["HARDAUDIT"]
    per_program: dict[str, int] = {}
    for cmd in ROOT_COMMANDS:
        if not any(is_sudoers_regex(line) for line in cmd.sudoers_lines):
            continue
        # named by program and its count: a command added for another program renames none
        program = re.sub(r"[^A-Z0-9]", "_", cmd.program.upper())
        per_program[program] = per_program.get(program, 0) + 1
        name = f"HARDAUDIT_{program}_{per_program[program]}"
        entries = list(cmd.old_sudo_lines(dirs if cmd.app_dirs else None))
        risk = cmd.old_risk.format(app_dirs=" ".join(dirs)) or "the regex form's arguments"
        lines.append(f"# {name}: {cmd.why}.")
        lines.extend(f"#   {part}" for part in textwrap.wrap(f"Old form: {risk}.", 84))
        lines.append(f"Cmnd_Alias {name} = \\")
        _alias_body(lines, entries)
        names.append(name)
    return names


def _alias_body(lines: list[str], entries: Sequence[str]) -> None:
    for index, entry in enumerate(entries):
        sep = ", \\" if index < len(entries) - 1 else ""
        escaped = entry.replace(",", "\\,").replace(":", "\\:").replace("=", "\\=")
        lines.append(f"    {escaped}{sep}")
