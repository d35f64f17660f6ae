"""Parse sshd settings: `sshd -T` output (effective) or sshd_config + Includes (fallback)."""

from __future__ import annotations

import fnmatch
import re
import shlex
from dataclasses import dataclass
from types import MappingProxyType

from hardaudit.facts.model import SshdConfig, SshdContext

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
    "loglevel": "INFO",
}

# Keywords whose every occurrence counts (sshd accumulates them) rather than the first one.
_MULTI = {"hostkey", "include", "listenaddress", "port", "acceptenv", "subsystem", "setenv"}
_ALIASES = {"challengeresponseauthentication": "kbdinteractiveauthentication"}


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
            current = files.setdefault(line[len(marker) :].strip(), [])
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


def _walk(path: str, files: dict[str, list[str]], depth: int = 0) -> list[tuple[_Line, bool]]:
    """Flatten a config file and its Includes in order; bool = inside a Match block."""
    out: list[tuple[_Line, bool]] = []
    in_match = False
    for number, raw in enumerate(files.get(path, []), start=1):
        token = _tokenize(raw)
        if token is None:
            continue
        keyword, args = token
        if keyword == "match":
            in_match = args.lower() != "all"
            out.append((_Line(path, number, keyword, args), in_match))
            continue
        if keyword == "include" and depth < 8:
            for pattern in shlex.split(args):
                for included in _expand(pattern, files):
                    out.extend(
                        (line, in_match or inner)
                        for line, inner in _walk(included, files, depth + 1)
                    )
            continue
        out.append((_Line(path, number, _ALIASES.get(keyword, keyword), args), in_match))
    return out


def parse_sshd_config(text: str, nonce: str, main: str = "/etc/ssh/sshd_config") -> SshdConfig:
    """Global settings from sshd_config and its Includes, as sshd reads them.

    The first value of a keyword wins (so a drop-in included at the top beats the main
    file), keywords are case-insensitive, Match blocks do not change global settings, and
    unset keywords take OpenSSH's defaults (origin "default").
    """
    files = split_files(text, nonce)
    values: dict[str, list[str]] = {}
    origins: dict[str, str] = {}
    for line, in_match in _walk(main, files):
        if in_match or line.keyword == "match":
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
