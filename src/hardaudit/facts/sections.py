"""Split the facts script's output into sections delimited by the per-run nonce."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from hardaudit.facts.model import Section


def _markers(nonce: str) -> re.Pattern[str]:
    # A marker counts only with its newline: a stream cut inside `rc=124` must not read as 1.
    return re.compile(
        rf"^@@{re.escape(nonce)} (?P<kind>BEGIN|END) (?P<name>[\w.-]+)"
        rf"(?: cap=(?P<cap>[0-9]{{1,18}}))?(?: rc=(?P<rc>[0-9]{{1,18}}))?(?=\n)",
        re.MULTILINE,
    )


def _split_stream(text: str, nonce: str) -> dict[str, tuple[str, int | None, int | None]]:
    """name -> (body, rc, cap) for one stream; a section without END has rc None."""
    found: dict[str, tuple[str, int | None, int | None]] = {}
    open_name: str | None = None
    open_cap: int | None = None
    body_start = 0
    for match in _markers(nonce).finditer(text):
        kind, name = match.group("kind"), match.group("name")
        if kind == "BEGIN":
            if open_name is not None:  # previous section never ended (killed by timeout)
                found[open_name] = (text[body_start : match.start()], None, open_cap)
            open_name, body_start = name, match.end() + 1
            open_cap = int(match.group("cap")) if match.group("cap") else None
        elif open_name == name:
            raw = text[body_start : match.start()]
            body = raw[:-1] if raw.endswith("\n") else raw  # the script adds one newline
            rc = int(match.group("rc")) if match.group("rc") else None
            found[name] = (body, rc, open_cap)
            open_name = None
    if open_name is not None:
        found[open_name] = (text[body_start:], None, open_cap)
    return found


def split_sections(stdout: str, stderr: str, nonce: str) -> Mapping[str, Section]:
    """Parse both streams into Sections; stdout bodies over their cap are marked truncated.

    >>> out = "@@n BEGIN meta cap=9\\nuid=0\\n\\n@@n END meta rc=0\\n"
    >>> split_sections(out, "", "n")["meta"].text
    'uid=0\\n'
    """
    errors = {name: body for name, (body, _rc, _cap) in _split_stream(stderr, nonce).items()}
    sections: dict[str, Section] = {}
    for name, (raw, rc, cap) in _split_stream(stdout, nonce).items():
        # surrogatepass: a replayed capture may hold lone surrogates (never a live target)
        encoded = raw.encode(errors="surrogatepass")
        truncated = cap is not None and len(encoded) > cap
        body = encoded[:cap].decode(errors="replace") if truncated else raw
        sections[name] = Section(
            name=name, text=body, rc=rc, truncated=truncated, stderr=errors.get(name, "").strip()
        )
    return MappingProxyType(sections)


def failure_reason(section: Section | None, what: str) -> str:
    """A one-line reason why a section cannot be trusted, for an UNKNOWN result."""
    if section is None:
        return f"{what}: no output from the facts script (section missing)"
    if section.rc is None:
        return f"{what}: command did not finish (timed out or killed)"
    if section.truncated:
        return f"{what}: output larger than the section cap, not judged"
    detail = section.stderr.splitlines()[-1] if section.stderr else "no error output"
    if section.rc == 124:
        detail = "timed out"
    return f"{what}: exit status {section.rc}: {detail}"
