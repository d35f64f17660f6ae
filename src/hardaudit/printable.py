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

# Every character a terminal or browser would obey or not show, as one regex class body:
# C0 controls (newline, CR and tab included: a field is one line), DEL, C1 controls, lone
# surrogates, the line and paragraph separators, the two non-characters XML cannot carry,
# and all of Unicode category Cf (format characters: bidi controls, zero-width space and
# joiners, word joiner, invisible operators, BOM, soft hyphen, Mongolian vowel separator,
# interlinear annotation, Egyptian format controls, tag characters ...). The Cf ranges are
# those of Unicode 15.1 (Python 3.13); a test compares them with the running unicodedata.
UNSAFE_CLASS = (
    "\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ud800-\udfff\ufeff\ufff9-\ufffb\ufffe\uffff"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_UNSAFE = re.compile(f"[{UNSAFE_CLASS}]")

# A reason (why a host or a check could not be judged) is a summary, never a data dump.
REASON_LIMIT = 300


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def target_text(data: bytes) -> str:
    """Decode bytes a target sent: UTF-8, each invalid byte becomes U+FFFD.

    >>> target_text(b"caf\\xc3\\xa9 \\xff") == "café \\ufffd"
    True
    """
    return data.decode("utf-8", errors="replace")


def escape_char(char: str) -> str:
    """The visible form of one unsafe character: `\\n`, `\\xNN`, `\\uNNNN` or `\\UNNNNNNNN`."""
    return _escape(char)


def printable(text: str) -> str:
    r"""One line of visible text: controls, format characters (bidi overrides, zero-width
    characters, tags) and surrogates become `\xNN`/`\uNNNN`/`\UNNNNNNNN`.

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
