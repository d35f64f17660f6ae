"""Make text from a target safe to print: hostile hosts must not drive the operator's terminal."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Control characters (escape sequences, CR, NUL, C1) become `\\xNN`; tabs and newlines stay.

    >>> printable("ok\\x1b[2Jgone")
    'ok\\\\x1b[2Jgone'
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
