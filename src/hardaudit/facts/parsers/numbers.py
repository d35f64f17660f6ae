"""Read numbers from target text without the surprises of int().

`str.isdigit()` is true for `²` and `٣`, which int() then rejects or reads as digits, and
int() refuses over 4,300 digits with a ValueError: a number a target prints is only ever
plain ASCII digits of a sensible length here.
"""

from __future__ import annotations

_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")


def ascii_int(text: str, max_digits: int = 19) -> int | None:
    """The value of a run of 1 to `max_digits` ASCII digits, else None.

    >>> ascii_int("22"), ascii_int("²"), ascii_int("-1"), ascii_int("9" * 5000)
    (22, None, None, None)
    """
    if not 0 < len(text) <= max_digits or not _DIGITS.issuperset(text):
        return None
    return int(text)


def hex_int(text: str, max_digits: int = 16) -> int | None:
    """The value of 1 to `max_digits` ASCII hex digits (no sign, prefix or `_`), else None.

    >>> hex_int("0016"), hex_int("0x16"), hex_int("1_6"), hex_int("zz")
    (22, None, None, None)
    """
    if not 0 < len(text) <= max_digits or not _HEX.issuperset(text):
        return None
    return int(text, 16)
