"""Text from a target or an inventory, made safe to show: a hostile host must not drive the
operator's terminal, forge a report line, or reorder what a reader sees.

Two functions, used for every such field:
- `target_text(data)` is the ONE place where bytes a target sent become text: UTF-8, every
  invalid byte replaced by U+FFFD (the error policy; SECURITY.md "Output and escaping").
- `printable(text)` escapes what a terminal or a browser would obey or hide, so one field
  always shows as one line of visible characters.
"""

from __future__ import annotations

import re

# C0 controls (newline, CR and tab included: a field is one line), DEL, C1 controls, the
# bidirectional controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI), the line and paragraph
# separators, lone surrogates, and the two non-characters XML cannot carry.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)

# A reason (why a host or a check could not be judged) is a summary, never a data dump.
REASON_LIMIT = 300


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def target_text(data: bytes) -> str:
    """Decode bytes a target sent: UTF-8, each invalid byte becomes U+FFFD.

    >>> target_text(b"caf\\xc3\\xa9 \\xff") == "café \\ufffd"
    True
    """
    return data.decode("utf-8", errors="replace")


def printable(text: str) -> str:
    r"""One line of visible text: controls, bidi overrides and surrogates become `\xNN`/`\uNNNN`.

    Escaping is idempotent (a backslash is kept as is), so already escaped text can pass again.

    >>> printable("ok\x1b[2J\nFAIL critical x: \u202eevil")
    'ok\\x1b[2J\\nFAIL critical x: \\u202eevil'
    """
    return _UNSAFE.sub(lambda m: _escape(m.group()), text)


def short_reason(text: str, limit: int = REASON_LIMIT) -> str:
    """`printable(text)` of at most `limit` characters, then how much was left out.

    >>> short_reason("x" * 400, limit=10)
    'xxxxxxxxxx…(390 bytes more)'
    """
    pieces: list[str] = []
    used = 0
    for index, char in enumerate(text):
        shown = _escape(char) if _UNSAFE.fullmatch(char) else char
        if used + len(shown) > limit:
            rest = text[index:].encode("utf-8", errors="surrogatepass")
            return "".join(pieces) + f"…({len(rest)} bytes more)"
        pieces.append(shown)
        used += len(shown)
    return "".join(pieces)
