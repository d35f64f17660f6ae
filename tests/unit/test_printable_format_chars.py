"""Invisible format characters (Unicode category Cf) are escaped like controls, in every
place that escapes text: the terminal/HTML helper, JUnit XML and SSH error messages."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from hardaudit.printable import printable, short_reason
from hardaudit.report.junit import xml_safe
from hardaudit.transport.ssh import _clean

# The ones the review named: zero-width space/joiners, word joiner and invisible operators,
# deprecated format controls, BOM, soft hyphen, Mongolian vowel separator, interlinear
# annotation, tag characters.
NAMED = [
    "\u200b", "\u200c", "\u200d", "\u2060", "\u2061", "\u2062", "\u2063", "\u2064",
    "\u206a", "\u206b", "\u206c", "\u206d", "\u206e", "\u206f", "\ufeff", "\u00ad",
    "\u180e", "\ufff9", "\ufffa", "\ufffb", "\U000e0001", "\U000e0020", "\U000e0041",
    "\U000e007f",
]  # fmt: skip
EVERY_CF = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]


@pytest.mark.parametrize("char", NAMED, ids=lambda c: f"U+{ord(c):04X}")
def test_named_invisible_characters_are_shown_escaped(char: str) -> None:
    shown = printable(f"ssh{char}.weak")
    assert char not in shown
    assert shown.startswith("ssh\\")
    assert shown.endswith(".weak")


def test_every_format_character_of_this_unicode_version_is_escaped() -> None:
    text = "".join(EVERY_CF)
    assert len(EVERY_CF) >= 151
    for escape in (printable, short_reason, xml_safe, _clean):
        shown = escape(text) if escape is not short_reason else short_reason(text, 10**6)
        assert not [c for c in shown if unicodedata.category(c) == "Cf"], escape.__name__


def test_characters_beyond_the_bmp_escape_unambiguously() -> None:
    assert printable("\U000e0041") == "\\U000e0041"


def test_junit_and_ssh_keep_their_own_allowances() -> None:
    assert xml_safe("a\tb\nc\u200bd") == "a\tb\nc\\u200bd"
    assert _clean("a\tb\u2060") == "a\tb\\u2060"
