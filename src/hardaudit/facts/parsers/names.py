"""Decode what the facts script escaped on the target: names and argv as `\\ooo` octal.

The script sends any file name that is not plain printable ASCII (and every command line)
as octal escapes of its bytes, so a newline, tab, quote, escape sequence or invalid UTF-8 in
a name can never start a line, split a field or reach a terminal raw. Bytes that are not
UTF-8 are kept visible as `\\xNN` (backslashreplace): decoded once, here. A backslash the
name itself holds is doubled first, so a name holding the four characters `\\xff` (shown
`\\\\xff`) and one holding the byte 0xff (shown `\\xff`) stay different.
"""

from __future__ import annotations

import re

_OCTAL = re.compile(r"(?:\\[0-7]{3})+")


def decode_octal(text: str) -> bytes | None:
    r"""Bytes from the script's `\ooo` escapes (its `oct` helper); None if `text` is not that.

    >>> decode_octal(r"\141\000\142")
    b'a\x00b'
    """
    if not text or not _OCTAL.fullmatch(text):
        return None
    return bytes(int(text[i + 1 : i + 4], 8) & 0xFF for i in range(0, len(text), 4))


def _text(raw: bytes) -> str:
    r"""Bytes as text: each literal backslash doubled, then each invalid byte as `\xNN`.

    >>> print(_text(b"/srv/\xff"), _text(rb"/srv/\xff"))
    /srv/\xff /srv/\\xff
    """
    return raw.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


def decode_argv(text: str) -> list[str]:
    """The NUL-separated argv of an `engine=` line, each argument decoded on its own."""
    raw = decode_octal(text)
    if raw is None:
        return []
    return [_text(arg) for arg in raw.rstrip(b"\0").split(b"\0")]


def decode_name(field: str) -> str:
    r"""A file name field: plain text as is, or `\ooo` escapes decoded.

    >>> decode_name(r"\057\145\156\166\012\055")
    '/env\n-'
    >>> decode_name("/srv/app/.env")
    '/srv/app/.env'
    """
    raw = decode_octal(field)
    return field if raw is None else _text(raw)
