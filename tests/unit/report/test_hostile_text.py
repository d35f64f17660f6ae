"""Text a target or an inventory supplies can neither forge a report line nor drive the
terminal, nor reorder what a reader sees, in any format."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from hardaudit.checks.model import Status
from hardaudit.printable import printable, short_reason, target_text
from hardaudit.report.html import render_html
from hardaudit.report.writers import render

from .htmlpage import data_of, strings
from .sample import CACHE1, CHECKS, DB1, REPORT, WEB1, with_evidence

FORGED = "nginx\nFAIL critical ssh.injected: sshd lets anyone in"
# ESC, OSC 0 title, OSC 8 hyperlink, OSC 52 clipboard, CSI 2J, C1 CSI, DEL, NUL, CR.
CONTROLS = (
    "\x1b[31m",
    "\x1b]0;owned\x07",
    "\x1b]8;;http://x\x1b\\link",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1b[2J",
    "\x9b2J",
    "\x7f",
    "\x00",
    "\r",
)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
EVERYTHING = FORGED + "".join(CONTROLS) + BIDI


def _no_raw_controls(text: str, *, newlines: bool) -> None:
    allowed = "\n" if newlines else ""
    bad = re.findall(f"[^{allowed}\\S ]|[\x00-\x1f\x7f-\x9f]|[{BIDI}]", text.replace(allowed, ""))
    assert not bad, bad


def test_newline_in_evidence_cannot_forge_a_finding_line() -> None:
    text = render(with_evidence(FORGED), "table")
    forged = [
        line for line in text.splitlines() if line.lstrip().startswith("FAIL critical ssh.inj")
    ]
    assert not forged
    assert "nginx\\nFAIL critical ssh.injected" in text


@pytest.mark.parametrize("field", ["evidence", "reason", "title", "check", "waiver_reason"])
def test_every_finding_field_is_one_visible_line_in_the_table(field: str) -> None:
    first, *rest = WEB1.findings
    status = Status.UNKNOWN if field == "reason" else Status.FAIL
    if field == "waiver_reason":
        changed = replace(
            first, status=Status.WAIVED, waived_from=Status.FAIL, waiver_reason=EVERYTHING
        )
    elif field == "evidence":
        changed = replace(first, status=status, evidence=(EVERYTHING,))
    else:
        changed = replace(first, status=status, **{field: EVERYTHING})
    web1 = replace(WEB1, findings=(changed, *rest))
    text = render(replace(REPORT, hosts=(web1, DB1, CACHE1)), "table")
    _no_raw_controls(text, newlines=True)
    assert "ssh.injected" in text
    forged = [
        line for line in text.splitlines() if line.lstrip().startswith("FAIL critical ssh.inj")
    ]
    assert not forged


@pytest.mark.parametrize("hostile", [FORGED, *CONTROLS, BIDI])
def test_inventory_names_and_addresses_are_escaped_in_the_table(hostile: str) -> None:
    web1 = replace(WEB1, name="web" + hostile)
    down = replace(CACHE1, name="cache" + hostile, address="10.0.1.5" + hostile)
    text = render(replace(REPORT, hosts=(web1, DB1, down)), "table")
    _no_raw_controls(text, newlines=True)
    assert "web" + printable(hostile) in text
    assert "cache" + printable(hostile) in text


def test_bidi_controls_show_escaped_in_html() -> None:
    web1 = replace(
        WEB1,
        name="web1" + BIDI,
        address="10.0.0.11\u202e",
        groups=("web\u2066",),
        jump=("bastion\u202e",),
        findings=tuple(
            replace(f, evidence=(f"id_rsa\u202etxt.{i}",)) for i, f in enumerate(WEB1.findings)
        ),
    )
    page = render_html(replace(REPORT, hosts=(web1, DB1, CACHE1)), CHECKS)
    _no_raw_controls(page, newlines=True)
    shown = page + "".join(strings(data_of(page)))  # the markup and what its script writes
    assert "id_rsa\\u202etxt.0" in shown
    assert "web1\\u202a\\u202b" in page
    assert "10.0.0.11\\u202e" in shown
    assert "bastion\\u202e" in shown


def test_controls_and_newlines_show_escaped_in_html() -> None:
    page = render_html(with_evidence(EVERYTHING), CHECKS)
    _no_raw_controls(page, newlines=True)
    shown = "".join(strings(data_of(page)))
    assert "nginx\\nFAIL critical ssh.injected" in shown
    assert "\\x1b]52;c;ZXZpbA==\\x07" in shown


def test_inventory_fields_are_escaped_in_html() -> None:
    hostile = "db\x1b]0;owned\x07\nx\x85"
    down = replace(DB1, name=hostile, address=hostile, groups=(hostile,))
    page = render_html(replace(REPORT, hosts=(WEB1, down), inventory=hostile, selection=hostile))
    _no_raw_controls(page, newlines=True)
    assert page.count(printable(hostile)) >= 5


@pytest.mark.parametrize("fmt", ["junit", "sarif", "json"])
def test_machine_formats_stay_valid_whatever_the_text_holds(fmt: str) -> None:
    nasty = EVERYTHING + "\ud800\ufffe"
    web1 = replace(
        WEB1,
        name="web1" + nasty,
        address="10.0.0.11" + nasty,
        reason="",
        findings=tuple(
            replace(f, evidence=(nasty,), reason=nasty, title=nasty) for f in WEB1.findings
        ),
    )
    down = replace(DB1, reason=nasty)
    text = render(replace(REPORT, hosts=(web1, down)), fmt, CHECKS)
    text.encode("utf-8")  # no lone surrogate survives
    if fmt == "junit":
        root = ET.fromstring(text.encode("utf-8"))
        assert root.tag == "testsuites"
        _no_raw_controls(text, newlines=True)
    else:
        json.loads(text)


def test_reason_is_capped_escaped_and_says_how_much_was_left_out() -> None:
    reason = short_reason("\x1b[2J" + "x" * 8000)
    assert len(reason) < 330
    assert reason.startswith("\\x1b[2J")
    assert reason.endswith("…(7707 bytes more)")
    assert short_reason("short \n reason") == "short \\n reason"


def test_a_cut_never_splits_an_escape() -> None:
    reason = short_reason("x" * 298 + "\x1b" * 5)
    assert reason == "x" * 298 + "…(5 bytes more)"


def test_target_bytes_are_decoded_with_replacement() -> None:
    assert target_text(b"ok \xff\xfe \xed\xa0\x80") == "ok \ufffd\ufffd \ufffd\ufffd\ufffd"


def test_no_code_point_survives_printable_as_a_control_separator_or_bidi_override() -> None:
    import unicodedata

    every = "".join(map(chr, range(0x110000)))
    shown = printable(every)
    left = {
        ch
        for ch in shown
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs")
        or unicodedata.bidirectional(ch)
        in ("LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI")
        or ch in "\u200e\u200f\u061c"
    }
    assert left == set()
    assert printable(shown) == shown  # idempotent: escaped text passes again unchanged
