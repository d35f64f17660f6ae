"""Parse service facts: systemd units, Redis configs, nginx structure (all pure)."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from hardaudit.facts.model import (
    NginxLocation,
    NginxServer,
    RedisConfig,
    ServiceUnit,
    Unknown,
)
from hardaudit.facts.parsers.names import decode_name
from hardaudit.facts.parsers.numbers import ascii_int


def _file_blocks(text: str, nonce: str) -> list[tuple[str, list[str]]]:
    """`@@nonce FILE path` blocks in output order (a path may repeat)."""
    marker = f"@@{nonce} FILE "
    blocks: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith(marker):
            blocks.append((decode_name(line[len(marker) :].strip()), []))
        elif blocks:
            blocks[-1][1].append(line.rstrip("\r"))
    return blocks


# --- systemd units --------------------------------------------------------------------------

# Unit directories, most authoritative first: a unit file in /etc masks the same name below.
_UNIT_DIRS = (
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
)
_DROP_IN = re.compile(r"^(?P<dir>.*)/(?P<unit>[^/]+)\.service\.d/(?P<conf>[^/]+\.conf)$")
_TRUE = {"1", "yes", "y", "true", "t", "on"}


def _unit_rank(directory: str) -> int:
    return _UNIT_DIRS.index(directory) if directory in _UNIT_DIRS else len(_UNIT_DIRS)


@dataclass
class _UnitFiles:
    path: str
    rank: int
    lines: list[str]
    drop_ins: dict[str, tuple[int, list[str]]] = field(default_factory=dict)  # name -> rank


def _apply_unit_lines(lines: list[str], settings: dict[str, str]) -> None:
    """Apply `[Section]` and `Key=value` lines; only [Service] settings count."""
    section = ""
    for raw in lines:
        line = raw.strip()
        if line.startswith("["):
            section = line.split("]", 1)[0] + "]"
        elif section == "[Service]" and "=" in line:
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()  # an empty value resets, as in systemd


def parse_units(text: str, nonce: str) -> tuple[ServiceUnit, ...]:
    """`@@nonce FILE <path>` blocks of `[Section]`/User=/Group=/DynamicUser= lines.

    Drop-ins (`<unit>.service.d/*.conf`) override their unit's settings like systemd applies
    them: sorted by file name across directories, a name in /etc masking the same name in a
    vendor directory, the last assignment winning and an empty `User=` resetting it.

    >>> out = "@@n FILE /etc/systemd/system/app.service\\n[Service]\\nUser=app\\n"
    >>> parse_units(out, "n")[0].user
    'app'
    """
    units: dict[str, _UnitFiles] = {}
    drop_ins: list[tuple[str, str, int, list[str]]] = []  # unit, conf name, rank, lines
    for path, lines in _file_blocks(text, nonce):
        drop_in = _DROP_IN.match(path)
        if drop_in:
            rank = _unit_rank(drop_in.group("dir"))
            drop_ins.append((drop_in.group("unit"), drop_in.group("conf"), rank, lines))
        elif path.endswith(".service"):
            directory, _, base = path.rpartition("/")
            name = base.removesuffix(".service")
            rank = _unit_rank(directory)
            if name not in units or rank < units[name].rank:
                units[name] = _UnitFiles(path, rank, lines)
    for unit, conf, rank, lines in drop_ins:
        files = units.get(unit)
        if files is None:
            continue
        known = files.drop_ins.get(conf)
        if known is None or rank < known[0]:
            files.drop_ins[conf] = (rank, lines)
    result = []
    for name in sorted(units):
        files = units[name]
        settings: dict[str, str] = {}
        _apply_unit_lines(files.lines, settings)
        for conf in sorted(files.drop_ins):
            _apply_unit_lines(files.drop_ins[conf][1], settings)
        result.append(
            ServiceUnit(
                name=name,
                path=files.path,
                user=settings.get("User", ""),
                group=settings.get("Group", ""),
                dynamic_user=settings.get("DynamicUser", "").lower() in _TRUE,
            )
        )
    return tuple(result)


# --- Redis ----------------------------------------------------------------------------------


def _redis_words(args: str) -> list[str]:
    """Split a redis.conf argument list, dropping the quotes redis strips."""
    words = re.findall(r'"(?:\\.|[^"\\])*"|\'[^\']*\'|\S+', args)
    return [w[1:-1] if len(w) >= 2 and w[0] == w[-1] and w[0] in "\"'" else w for w in words]


@dataclass
class _RedisState:
    binds: tuple[str, ...] = ()
    protected_mode: bool | None = None
    requirepass: bool = False
    aclfile: bool = False
    default_user_rules: list[str] | None = None  # the last `user default ...` line
    port: int | None = None


def _default_user_protected(rules: list[str]) -> bool:
    """Whether a `user default` line leaves unauthenticated clients locked out.

    Redis resets the default user before applying a configured `user default` line, so the
    user starts off and without `nopass`; it is open only when it ends `on` with `nopass`.
    """
    enabled, nopass = False, False
    for rule in rules:
        word = rule.lower()
        if word == "on":
            enabled = True
        elif word == "off":
            enabled = False
        elif word == "nopass":
            nopass = True
        elif word in ("resetpass", "reset") or word[:1] in (">", "#"):
            nopass = False
            enabled = enabled and word != "reset"
    return not (enabled and nopass)


def _announced_prefix(line: str, paths: dict[str, _RedisState], longest: int) -> str:
    """The longest announced path that `line` starts with, followed by `:` ("" if none);
    one set lookup per `:` within the longest path's length, not one scan per path."""
    found = ""
    at = line.find(":")
    while 0 <= at <= longest:
        if line[:at] in paths:
            found = line[:at]
        at = line.find(":", at + 1)
    return found


def parse_redis(text: str) -> tuple[RedisConfig, ...] | None:
    """`## file <name>` lines, each followed by that file's directive lines; None when the
    whole section is `## none` (never for a `## none` line among others).

    Names are decoded (the script escapes any that is not plain). Directive names compare
    case-insensitively, as in redis. Older captures hold `grep -H` lines `path:directive args`
    instead: such a line belongs to the longest `## file` path it starts with (then `:`).

    The last `bind`, `port` and `protected-mode` of a file win, as in redis. `requirepass` is
    set when it has a non-empty value (the facts script redacts it) that no `user default ...
    nopass` line replaces. `acl_users` means the ACL protects the default user: an `aclfile`
    (its users are not read), or a `user default` line that is off or needs a password;
    other ACL users do not count while the default user still lets anyone in.

    >>> parse_redis("## file /etc/redis/redis.conf\\nbind 127.0.0.1")
    ... # doctest: +ELLIPSIS
    (RedisConfig(path='/etc/redis/redis.conf', binds=('127.0.0.1',), ...),)
    """
    if text.strip() == "## none":  # only as the whole section: never a line among others
        return None
    lines = [line.rstrip("\r") for line in text.splitlines()]
    paths = [
        decode_name(line[len("## file ") :].strip())
        for line in lines
        if line.startswith("## file ")
    ]
    states: dict[str, _RedisState] = {path: _RedisState() for path in paths}
    longest = max(map(len, paths), default=0)
    current = ""
    for line in lines:
        if line.startswith("## file "):
            current = decode_name(line[len("## file ") :].strip())
            continue
        if not line.strip() or line.startswith("##"):
            continue
        if line.startswith("/"):  # an older capture: `grep -H` lines `path:directive args`
            # the longest announced path: a file may be named /etc/redis/a:b.conf
            path = _announced_prefix(line, states, longest) or line.partition(":")[0]
            words = _redis_words(line[len(path) + 1 :])
        elif current:
            path, words = current, _redis_words(line)
        else:
            continue

        if not words:
            continue
        state = states.setdefault(path, _RedisState())
        directive, args = words[0].lower(), words[1:]
        if directive == "bind":
            state.binds = tuple(args)
        elif directive == "protected-mode" and args:
            state.protected_mode = args[0].lower() == "yes"
        elif directive == "requirepass":
            state.requirepass = bool(args and args[0])
        elif directive == "aclfile" and args:
            state.aclfile = True
        elif directive == "user" and args and args[0] == "default":
            state.default_user_rules = args[1:]
        elif directive == "port" and args and ascii_int(args[0], 5) is not None:
            state.port = ascii_int(args[0], 5)
    configs = []
    for path, state in states.items():
        rules = state.default_user_rules
        default_open = rules is not None and not _default_user_protected(rules)
        configs.append(
            RedisConfig(
                path=path,
                binds=state.binds,
                protected_mode=state.protected_mode,
                requirepass=state.requirepass and not default_open,
                acl_users=state.aclfile or (rules is not None and not default_open),
                port=state.port,
            )
        )
    return tuple(configs)


# --- nginx ----------------------------------------------------------------------------------

NGINX_PREFIX = "/etc/nginx"
NGINX_MAIN = "/etc/nginx/nginx.conf"

# Marks an include whose content the facts script did not read, in a `headers` set: an
# add_header in it would change the headers, so they are not known. Header names have no
# space, so the marker cannot clash with a real header.
UNSEEN_INCLUDE = "include "

# Standard files that distributions ship without add_header: including them changes nothing.
HEADER_FREE_INCLUDES = (
    "/etc/nginx/mime.types",
    "/etc/nginx/fastcgi_params",
    "/etc/nginx/fastcgi.conf",
    "/etc/nginx/scgi_params",
    "/etc/nginx/uwsgi_params",
    "/etc/nginx/proxy_params",
    "/etc/nginx/koi-utf",
    "/etc/nginx/koi-win",
    "/etc/nginx/win-utf",
    "/etc/nginx/snippets/fastcgi-php.conf",
    "/etc/nginx/snippets/snakeoil.conf",
    "/etc/nginx/modules-enabled/*.conf",
    "/usr/share/nginx/modules/*.conf",
    "/etc/letsencrypt/options-ssl-nginx.conf",
)

# The facts script reads these whole: an include that can only match files here is known.
# http.d/ is Alpine's conf.d.
_READ_DIRS = {
    "/etc/nginx/sites-enabled": "*",
    "/etc/nginx/conf.d": "*.conf",
    "/etc/nginx/http.d": "*.conf",
}

# Block names whose header may stand alone on its line (brace on the next line).
_BLOCKS = {
    "http", "server", "location", "if", "limit_except", "upstream", "map", "types", "events",
    "stream", "mail",
}  # fmt: skip
_VALUE_DIRECTIVES = {"listen", "server_name", "add_header", "include"}

# Whitespace matches no alternative, so finditer skips it without a Python-level step.
_TOKEN = re.compile(
    r"""(?P<comment>\#.*)
      | (?P<dq>"(?:\\.|[^"\\])*"?)
      | (?P<sq>'(?:\\.|[^'\\])*'?)
      | (?P<punct>[{};])
      | (?P<word>(?:\\.|\$\{[^{}$\s;]*\}?|[^\s{};"'\\])(?:\\.|\$\{[^{}$\s;]*\}?|[^\s{};\\])*)
    """,
    re.VERBOSE,
)


@dataclass
class _Directive:
    name: str
    args: list[str]
    line: int


@dataclass
class _Block:
    name: str
    args: list[str]
    file: str
    line: int
    items: list[_Directive | _Block] = field(default_factory=list)


def unseen_includes(headers: frozenset[str]) -> tuple[str, ...]:
    """The includes marked in a `headers` set as not read, as written in the config."""
    return tuple(sorted(h[len(UNSEEN_INCLUDE) :] for h in headers if h.startswith(UNSEEN_INCLUDE)))


def seen_headers(headers: frozenset[str]) -> frozenset[str]:
    """The header names of a `headers` set, without the unread-include markers."""
    return frozenset(h for h in headers if not h.startswith(UNSEEN_INCLUDE))


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] in "\"'" and token[-1] == token[0]:
        return token[1:-1]
    return token.lstrip("\"'") if token[:1] in ("'", '"') else token


def _parse_nginx_file(path: str, lines: list[str]) -> list[_Directive | _Block]:
    """Rebuild one file's block structure from its `grep -n` lines (`N:text`)."""
    top = _Block("", [], path, 0)
    stack = [top]
    pending: list[str] = []
    pending_line = 0
    previous = 0
    for raw in lines:
        number_text, sep, text = raw.partition(":")
        parsed = ascii_int(number_text)
        if not sep or parsed is None:
            continue
        number = parsed
        # A statement still open across lines the script did not print ended on one of them,
        # unless it is a block header waiting for its brace.
        if pending and number != previous + 1 and pending[0] not in _BLOCKS:
            pending = []
        previous = number
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup
            value = match.group()
            if kind == "comment":
                break
            if kind in ("dq", "sq", "word"):
                if not pending:
                    pending_line = number
                pending.append(_unquote(value) if kind != "word" else value)
            elif value == ";":
                if pending:
                    stack[-1].items.append(_Directive(pending[0], pending[1:], pending_line))
                pending = []
            elif value == "{":
                name, args = (pending[0], pending[1:]) if pending else ("", [])
                block = _Block(name, args, path, pending_line if pending else number)
                stack[-1].items.append(block)
                stack.append(block)
                pending = []
            else:  # "}"
                if pending:
                    stack[-1].items.append(_Directive(pending[0], pending[1:], pending_line))
                    pending = []
                if len(stack) > 1:
                    stack.pop()
        # The rest of a multi-line listen/add_header/... is on lines the script did not print.
        if pending and pending[0] in _VALUE_DIRECTIVES:
            stack[-1].items.append(_Directive(pending[0], pending[1:], pending_line))
            pending = []
    return top.items


def _resolve(pattern: str) -> str:
    return pattern if pattern.startswith("/") else f"{NGINX_PREFIX}/{pattern}"


def _glob_match(pattern: str, path: str) -> bool:
    """glob(3) semantics: wildcards never cross `/`, and do not match a leading dot."""
    pattern_parts, path_parts = pattern.split("/"), path.split("/")
    if len(pattern_parts) != len(path_parts):
        return False
    return all(
        fnmatch.fnmatchcase(part, pat) and not (part.startswith(".") and not pat.startswith("."))
        for pat, part in zip(pattern_parts, path_parts, strict=True)
    )


def _fully_read(pattern: str) -> bool:
    """Every file this include can match is one the facts script printed (if it exists)."""
    directory, _, name = pattern.rpartition("/")
    wanted = _READ_DIRS.get(directory)
    if pattern == NGINX_MAIN:
        return True
    if wanted is None or "/" in name:
        return False
    return wanted == "*" or name.endswith(".conf")


def _header_free(pattern: str) -> bool:
    return any(_glob_match(free, pattern) or free == pattern for free in HEADER_FREE_INCLUDES)


@dataclass
class _Level:
    """What one http/server/location block sets: add_header names and unread includes."""

    headers: set[str] = field(default_factory=set)
    unseen: list[str] = field(default_factory=list)

    def markers(self) -> frozenset[str]:
        return frozenset(UNSEEN_INCLUDE + u for u in self.unseen)

    @property
    def defines(self) -> bool:
        return bool(self.headers)


@dataclass
class _Server:
    block: _Block
    level: _Level
    listens: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    locations: list[tuple[_Block, _Level]] = field(default_factory=list)


# What one nginx configuration may cost to walk: items visited with includes spliced in, and
# blocks nested (through includes too). Real configurations use a few thousand and under ten;
# includes that include each other re-expand along every path and blocks nested 10,000 deep
# would exhaust the recursion limit, so going over makes the fact Unknown.
NGINX_NODE_BUDGET = 200_000
NGINX_MAX_DEPTH = 64
_INCLUDE_DEPTH = 8


class NginxTooComplexError(Exception):
    """The configuration is over NGINX_NODE_BUDGET or NGINX_MAX_DEPTH: not judged."""


class _NginxWalker:
    """Walks the configuration from nginx.conf, splicing included files that were printed.

    Each file's expansion is computed once (memoised), an include of a file being expanded
    is skipped (a loop), and every item visited counts against NGINX_NODE_BUDGET.
    """

    def __init__(
        self,
        files: dict[str, list[_Directive | _Block]],
        followed: frozenset[str] = frozenset(),
        unread: frozenset[str] = frozenset(),
    ) -> None:
        self.files = files
        self.followed = followed  # include patterns the script expanded in full
        self.unread = unread  # files the script refused to read (another user can swap them)
        self.http = _Level()
        self.servers: list[_Server] = []
        self._expanded: dict[str, list[tuple[_Directive | _Block, bool]]] = {}
        self._active: list[str] = []  # files being expanded, outermost first
        self._budget = NGINX_NODE_BUDGET
        self._depth = 0
        self._matches: dict[str, list[str]] = {}  # include pattern -> printed files

    def _matching(self, pattern: str) -> list[str]:
        """The printed files an include pattern names, sorted; each pattern looked up once
        (a scan of every file counts against the budget; a plain path is a lookup)."""
        found = self._matches.get(pattern)
        if found is None:
            if not any(c in pattern for c in "*?["):
                found = [pattern] if pattern in self.files else []
            else:
                self._spend(len(self.files))
                found = sorted(p for p in self.files if _glob_match(pattern, p))
            self._matches[pattern] = found
        return found

    def _spend(self, items: int) -> None:
        self._budget -= items
        if self._budget < 0:
            raise NginxTooComplexError(
                f"nginx: the configuration expands to over {NGINX_NODE_BUDGET} directives "
                "through its includes (files that include each other?): not judged"
            )

    def _file(self, path: str) -> list[tuple[_Directive | _Block, bool]]:
        """A printed file's items with its includes spliced in, computed once."""
        if path not in self._expanded:
            self._active.append(path)
            try:
                self._expanded[path] = self._expand(self.files[path])
            finally:
                self._active.pop()
        return self._expanded[path]

    def _expand(self, items: list[_Directive | _Block]) -> list[tuple[_Directive | _Block, bool]]:
        """Items with includes replaced by the printed files they match; (item, unread)."""
        out: list[tuple[_Directive | _Block, bool]] = []
        for item in items:
            if not (isinstance(item, _Directive) and item.name == "include" and item.args):
                out.append((item, False))
                continue
            pattern = _resolve(item.args[0])
            matched = self._matching(pattern)
            for path in matched:
                if path in self._active:  # a loop: nginx itself would refuse the configuration
                    continue
                if len(self._active) > _INCLUDE_DEPTH:
                    raise NginxTooComplexError(
                        f"nginx: includes nested over {_INCLUDE_DEPTH} deep: not judged"
                    )
                spliced = self._file(path)
                self._spend(len(spliced))
                out.extend(spliced)
            known = pattern in self.followed or _fully_read(pattern) or _header_free(pattern)
            if self.unread:
                self._spend(len(self.unread))
            refused = any(_glob_match(pattern, path) for path in self.unread)
            if (not matched and not known) or refused:
                out.append((item, True))
        self._spend(len(items))
        return out

    def walk_file(self, path: str, context: str, level: _Level | None) -> None:
        """Walk one printed file from the top (nginx.conf, or each file when it is missing)."""
        self._active.append(path)
        try:
            self.walk(self.files[path], context, level, None)
        finally:
            self._active.pop()

    def walk(
        self,
        items: list[_Directive | _Block],
        context: str,
        level: _Level | None,
        server: _Server | None,
    ) -> None:
        self._depth += 1
        try:
            if self._depth > NGINX_MAX_DEPTH:
                raise NginxTooComplexError(
                    f"nginx: blocks nested over {NGINX_MAX_DEPTH} deep "
                    "(through includes too): not judged"
                )
            for item, unread in self._expand(items):
                if isinstance(item, _Directive):
                    if level is None:
                        continue
                    if unread:
                        level.unseen.append(item.args[0])
                    elif item.name == "add_header" and item.args:
                        level.headers.add(item.args[0].lower())
                    elif server is not None and level is server.level:
                        if item.name == "listen":
                            server.listens.append(" ".join(item.args))
                        elif item.name == "server_name":
                            server.names.extend(item.args)
                    continue
                self._block(item, context, server)
        finally:
            self._depth -= 1

    def _block(self, block: _Block, context: str, server: _Server | None) -> None:
        name = block.name
        if context == "main" and name == "http":
            self.walk(block.items, "http", self.http, None)
        elif context == "http" and name == "server":
            found = _Server(block, _Level())
            self.servers.append(found)
            self.walk(block.items, "server", found.level, found)
        elif server is not None and (
            (context in ("server", "location") and name == "location")
            or (context == "location" and name == "if")
        ):
            level = _Level()
            server.locations.append((block, level))
            self.walk(block.items, "location", level, server)
        else:  # events, upstream, map, types, stream, mail, if in server...: no add_header
            self.walk(block.items, "other", None, None)


def _effective_server_headers(server: _Server, http: _Level) -> frozenset[str]:
    """nginx inheritance: a level gets its parent's add_header only if it defines none."""
    own = server.level
    if own.defines:
        return frozenset(own.headers) | own.markers()
    if own.unseen:  # an unread include may hold add_header lines that drop the http ones
        return own.markers()
    return frozenset(http.headers) | http.markers()


def parse_nginx(text: str, nonce: str) -> tuple[NginxServer, ...] | Unknown | None:
    """`@@nonce FILE <path>` blocks of `grep -n` structure lines; None for `## none`.

    Servers are the `server` blocks of the http context, found by walking from nginx.conf
    and splicing the files its includes name (when nginx.conf was not printed, every file is
    taken as included in http); a printed file no include loads is not served and ignored.
    `headers` are the lower-case add_header names in effect at server level (the http ones
    when the server defines none); a location's `headers` are those set in it. An include the
    script did not print, other than the standard header-free files, is marked in `headers`
    as `include <path as written>` (see `unseen_includes`): its add_header lines are unknown.
    `@@nonce INCLUDE <pattern>` lines name the includes the script expanded in full: one that
    matched no printed file is then known to be empty. `@@nonce UNREAD <path>` names a file
    the script refused to read: an include that matches it is not read, whatever else it matched. An include at http level that was not
    read makes the whole result Unknown: server blocks in it would be missing, not judged.
    """
    if text.strip() == "## none":  # only as the whole section: never a line among others
        return None
    marker = f"@@{nonce} INCLUDE "
    followed = frozenset(
        decode_name(line[len(marker) :].strip())
        for line in text.splitlines()
        if line.startswith(marker)
    )
    unread_marker = f"@@{nonce} UNREAD "
    refused = frozenset(
        decode_name(line[len(unread_marker) :].strip())
        for line in text.splitlines()
        if line.startswith(unread_marker)
    )
    text = "\n".join(
        line
        for line in text.splitlines()
        if not line.startswith(marker) and not line.startswith(unread_marker)
    )
    files: dict[str, list[_Directive | _Block]] = {}
    for path, lines in _file_blocks(text, nonce):
        files.setdefault(path, []).extend(_parse_nginx_file(path, lines))
    walker = _NginxWalker(files, followed, refused)
    try:
        if NGINX_MAIN in files:
            walker.walk_file(NGINX_MAIN, "main", None)
        else:
            for path in files:
                walker.walk_file(path, "http", walker.http)
    except NginxTooComplexError as exc:
        return Unknown(str(exc))
    if walker.http.unseen:  # server blocks may be in it: those found are not all there are
        unread = ", ".join(f"include {u}" for u in walker.http.unseen)
        if not walker.servers:
            return Unknown(f"nginx: no server block found, and {unread} (http level) was not read")
        return Unknown(
            f"nginx: {unread} (http level) was not read: the server blocks in it are unknown"
        )
    seen: set[tuple[str, int]] = set()
    servers = []
    for found in walker.servers:
        key = (found.block.file, found.block.line)
        if key in seen:
            continue
        seen.add(key)
        servers.append(
            NginxServer(
                file=found.block.file,
                line=found.block.line,
                listens=tuple(found.listens),
                names=tuple(found.names),
                headers=_effective_server_headers(found, walker.http),
                locations=tuple(
                    NginxLocation(
                        path=" ".join(block.args)
                        if block.name == "location"
                        else f"if {' '.join(block.args)}",
                        line=block.line,
                        headers=frozenset(level.headers) | level.markers(),
                    )
                    for block, level in found.locations
                ),
            )
        )
    return tuple(servers)
