"""Parse sshd settings: `sshd -T` output (effective) or sshd_config + Includes (fallback)."""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from hardaudit.facts.model import SshdConfig, SshdContext
from hardaudit.facts.parsers.names import decode_name

# OpenSSH's compiled-in defaults for the keywords the checks read; used only when the
# configuration is parsed from files (sshd -T already prints effective values).
SSHD_DEFAULTS: dict[str, str] = {
    "permitrootlogin": "prohibit-password",
    "passwordauthentication": "yes",
    "kbdinteractiveauthentication": "yes",
    "permitemptypasswords": "no",
    "pubkeyauthentication": "yes",
    "maxauthtries": "6",
    "maxstartups": "10:30:100",
    "x11forwarding": "no",
    "allowtcpforwarding": "yes",
    "allowagentforwarding": "yes",
    "disableforwarding": "no",
    "loglevel": "INFO",
}

# Keywords whose every occurrence counts (sshd accumulates them) rather than the first one.
_MULTI = {"hostkey", "hostcertificate", "include", "listenaddress", "port", "acceptenv"}
_MULTI |= {"subsystem", "setenv", "allowusers", "allowgroups", "denyusers", "denygroups"}
# Old names sshd still accepts, read as the current keyword. OpenSSH 8.5 renamed the
# *acceptedkeytypes lists; OpenSSH 8.4 (Debian 11) `sshd -T` prints the old names.
_ALIASES = {
    "challengeresponseauthentication": "kbdinteractiveauthentication",
    "pubkeyacceptedkeytypes": "pubkeyacceptedalgorithms",
    "hostbasedacceptedkeytypes": "hostbasedacceptedalgorithms",
}


def canonical_keyword(keyword: str) -> str:
    """The keyword as the parsers store it: lower case, an old alias read as its new name.

    >>> canonical_keyword("PubkeyAcceptedKeyTypes")
    'pubkeyacceptedalgorithms'
    """
    return _ALIASES.get(keyword.lower(), keyword.lower())


def parse_sshd_t(text: str) -> SshdConfig:
    """Parse `sshd -T` output (one `keyword value` per line, keywords compared lower-case).

    >>> parse_sshd_t("PermitRootLogin no\\nport 22").get("permitrootlogin")
    'no'
    """
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        keyword, _, value = line.strip().partition(" ")
        if not keyword:
            continue
        keyword = _ALIASES.get(keyword.lower(), keyword.lower())
        values.setdefault(keyword, []).append(value.strip())
    return SshdConfig(
        values=MappingProxyType({k: tuple(v) for k, v in values.items()}),
        source="sshd -T",
        origins=MappingProxyType(dict.fromkeys(values, "sshd -T")),
    )


@dataclass(frozen=True)
class _Line:
    file: str
    number: int
    keyword: str
    args: str


def split_files(text: str, nonce: str) -> dict[str, list[str]]:
    """Split the `sshd_config` section (`@@nonce FILE path` markers) into path -> lines."""
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    marker = f"@@{nonce} FILE "
    for line in text.splitlines():
        if line.startswith(marker):
            current = files.setdefault(decode_name(line[len(marker) :].strip()), [])
        elif current is not None:
            current.append(line)
    return files


def _tokenize(line: str) -> tuple[str, str] | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    match = re.match(r"^(\S+?)(?:\s*=\s*|\s+)(.*)$", stripped)
    if not match:
        return stripped.lower(), ""
    return match.group(1).lower(), match.group(2).strip()


def _expand(pattern: str, files: dict[str, list[str]]) -> list[str]:
    if not pattern.startswith("/"):
        pattern = "/etc/ssh/" + pattern
    return sorted(path for path in files if fnmatch.fnmatchcase(path, pattern))


# sshd refuses a configuration whose Includes nest deeper than 16 (READCONF_MAX_DEPTH), so
# any include loop; the line budget stops Includes that fan out (a file included twice by
# each of ten files) from expanding along every path.
SSHD_INCLUDE_DEPTH = 16
SSHD_LINE_BUDGET = 200_000


class SshdIncludeError(ValueError):
    """sshd_config's Includes loop, nest too deep or expand past SSHD_LINE_BUDGET."""


def _walk(
    path: str,
    files: dict[str, list[str]],
    stack: tuple[str, ...] = (),
    budget: list[int] | None = None,
) -> list[tuple[_Line, _Line | None]]:
    """Flatten a config file and its Includes in order, each line with the Match line whose
    block it is in (None: global). `Match all` ends a block: sshd applies what follows it to
    every connection. A Match inside an included file ends with that file, as in sshd.

    Raises SshdIncludeError where sshd would refuse the configuration (an include loop,
    over 16 deep) and past SSHD_LINE_BUDGET lines."""
    budget = [SSHD_LINE_BUDGET] if budget is None else budget
    stack = (*stack, path)
    out: list[tuple[_Line, _Line | None]] = []
    block: _Line | None = None
    lines = files.get(path, [])
    budget[0] -= len(lines)
    if budget[0] < 0:
        raise SshdIncludeError(
            f"sshd_config: the Includes expand to over {SSHD_LINE_BUDGET} lines: not judged"
        )
    for number, raw in enumerate(lines, start=1):
        token = _tokenize(raw)
        if token is None:
            continue
        keyword, args = token
        if keyword == "match":
            line = _Line(path, number, keyword, args)
            block = None if args.lower() == "all" else line
            out.append((line, block))
            continue
        if keyword == "include":
            for pattern in _include_patterns(args):
                for included in _expand(pattern, files):
                    if included in stack or len(stack) > SSHD_INCLUDE_DEPTH:
                        raise SshdIncludeError(
                            f"sshd_config: {path}:{number} includes {included} "
                            + ("again (a loop)" if included in stack else "too deep")
                            + ": sshd refuses this configuration"
                        )
                    inner_lines = _walk(included, files, stack, budget)
                    out.extend((line, inner or block) for line, inner in inner_lines)
            continue
        out.append((_Line(path, number, _ALIASES.get(keyword, keyword), args), block))
    return out


def _include_patterns(args: str) -> list[str]:
    try:
        return shlex.split(args)
    except ValueError:  # an unbalanced quote: sshd would refuse the line
        return args.split()


def parse_sshd_config(text: str, nonce: str, main: str = "/etc/ssh/sshd_config") -> SshdConfig:
    """Global settings from sshd_config and its Includes, as sshd reads them.

    The first value of a keyword wins (so a drop-in included at the top beats the main
    file), keywords are case-insensitive, Match blocks do not change global settings, and
    unset keywords take OpenSSH's defaults (origin "default").
    """
    files = split_files(text, nonce)
    values: dict[str, list[str]] = {}
    origins: dict[str, str] = {}
    for line, block in _walk(main, files):
        if block is not None or line.keyword == "match":
            continue
        if line.keyword in values and line.keyword not in _MULTI:
            continue
        values.setdefault(line.keyword, []).append(line.args)
        origins.setdefault(line.keyword, f"{line.file}:{line.number}")
    for keyword, default in SSHD_DEFAULTS.items():
        if keyword not in values:
            values[keyword] = [default]
            origins[keyword] = "default"
    return SshdConfig(
        values=MappingProxyType({k: tuple(v) for k, v in values.items()}),
        source="sshd_config",
        origins=MappingProxyType(origins),
    )


def parse_sshd_contexts(text: str, nonce: str) -> tuple[SshdContext, ...]:
    """Split `@@nonce CTX <spec> <Match line>` blocks, each followed by `sshd -T -C` output
    (or `ctx-failed: <spec>` when sshd refused the context)."""
    marker = f"@@{nonce} CTX "
    blocks: list[tuple[str, str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith(marker):
            spec, _, match = line[len(marker) :].partition(" ")
            blocks.append((spec, match.strip(), []))
        elif blocks:
            blocks[-1][2].append(line)
    contexts = []
    for spec, match, lines in blocks:
        failed = any(line.startswith("ctx-failed: ") for line in lines)
        body = "\n".join(line for line in lines if not line.startswith("ctx-failed: "))
        config = None if failed or not body.strip() else parse_sshd_t(body)
        contexts.append(SshdContext(spec=spec, match=match, config=config))
    return tuple(contexts)


@dataclass(frozen=True)
class MatchBlock:
    """One `Match` block of sshd_config and the keywords it sets (the first value wins)."""

    criteria: str  # the Match line's arguments as written: "User deploy"
    file: str
    line: int
    values: Mapping[str, tuple[str, ...]]
    origins: Mapping[str, str]  # keyword -> "file:line"

    @property
    def match(self) -> str:
        return f"Match {self.criteria}"

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


def parse_match_blocks(
    text: str, nonce: str, main: str = "/etc/ssh/sshd_config"
) -> tuple[MatchBlock, ...]:
    """The Match blocks of sshd_config and its Includes, in the order sshd reads them.

    `Match all` is not a block (what follows it applies globally); keywords are lower-cased.

    >>> text = "@@n FILE /etc/ssh/sshd_config\\nMatch User deploy\\n  PasswordAuthentication yes"
    >>> parse_match_blocks(text, "n")[0].values["passwordauthentication"]
    ('yes',)
    """
    files = split_files(text, nonce)
    order: list[_Line] = []
    values: dict[_Line, dict[str, list[str]]] = {}
    origins: dict[_Line, dict[str, str]] = {}
    for line, block in _walk(main, files):
        if block is None:
            continue
        if block not in values:
            order.append(block)
            values[block], origins[block] = {}, {}
        if line.keyword == "match":
            continue
        seen = values[block]
        if line.keyword in seen and line.keyword not in _MULTI:
            continue
        seen.setdefault(line.keyword, []).append(line.args)
        origins[block].setdefault(line.keyword, f"{line.file}:{line.number}")
    return tuple(
        MatchBlock(
            criteria=block.args,
            file=block.file,
            line=block.number,
            values=MappingProxyType({k: tuple(v) for k, v in values[block].items()}),
            origins=MappingProxyType(origins[block]),
        )
        for block in order
    )


def contexts_from_files(
    text: str, nonce: str, base: SshdConfig, main: str = "/etc/ssh/sshd_config"
) -> tuple[SshdContext, ...]:
    """One context per Match block, its settings laid over `base` (the global settings), as
    sshd applies a matching block; parsed, not effective: lower confidence.

    A connection that matches several blocks gets the first value of each keyword; judging
    each block alone still finds every block that weakens a setting. `spec` is the block's
    "file:line" since no `sshd -T -C` context was evaluated.
    """
    contexts = []
    for block in parse_match_blocks(text, nonce, main):
        values = dict(base.values)
        values.update(block.values)
        origins = dict(base.origins)
        origins.update(block.origins)
        config = SshdConfig(
            values=MappingProxyType(values),
            source="sshd_config",
            origins=MappingProxyType(origins),
        )
        contexts.append(SshdContext(spec=block.location, match=block.match, config=config))
    return tuple(contexts)


_FIRST_FILE_MARKER = re.compile(r"^@@(?P<nonce>[0-9A-Za-z]+) FILE /")


def sshd_config_nonce(text: str) -> str | None:
    """The nonce of an `sshd_config` section, read from its first line.

    The script prints a `@@nonce FILE path` marker before each file, so the section's first
    line is always the script's own (no file content precedes it). For evaluators, which are
    not given the nonce.
    """
    first = text.lstrip("\n").split("\n", 1)[0]
    found = _FIRST_FILE_MARKER.match(first)
    return found.group("nonce") if found else None


def match_key(line: str) -> str:
    """A Match line compared loosely: without the keyword, whitespace collapsed, lower-case.

    >>> match_key("  match   User deploy") == match_key("Match user deploy")
    True
    """
    words = line.split()
    if words and words[0].lower() == "match":
        words = words[1:]
    return " ".join(words).lower()


def fill_failed_contexts(
    contexts: tuple[SshdContext, ...], parsed: tuple[SshdContext, ...]
) -> tuple[SshdContext, ...]:
    """Replace each context whose `sshd -T -C` failed (config None) by the context parsed from
    the files for the same Match line (in order, for repeated lines); keep it when none is."""
    pool: dict[str, deque[SshdContext]] = {}
    for context in parsed:
        pool.setdefault(match_key(context.match), deque()).append(context)
    out = []
    for context in contexts:
        twins = pool.get(match_key(context.match)) if context.config is None else None
        out.append(twins.popleft() if twins else context)
    return tuple(out)
