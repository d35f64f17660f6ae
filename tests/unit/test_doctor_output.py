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


# `audit doctor` on old1 (sudo 1.9.5p2) with the regex file `audit sudoers` writes by
# default: sudo refuses every command (its sudoers has a syntax error for 1.9.5).
OLD_SUDO_REGEX_FILE = (
    b"uid=1000 user=auditor\n"
    b"sudo_version=Sudo version 1.9.5p2\n"
    b"sudo=yes\n"
    b"cmd=no /usr/sbin/sshd -T\n"
    b"cmd=no /usr/sbin/sshd ^-T -C [A-Za-z0-9_.:%,=@-]+$\n"
    b"cmd=no /usr/bin/ss -H -tulpn\n"
    b"tool=ss\ntool=sshd\ntool=sudo\n"
)


def test_old_sudo_refusing_regex_lines_names_the_form_to_install() -> None:
    lines = diagnose_output(OLD_SUDO_REGEX_FILE, become=True)
    assert "  sudo -n refused for 3 command(s); they will be unknown:" in lines
    assert (
        "      fix: this host's sudo 1.9.5 reads no sudoers regexes (`^...$`, sudo >= 1.9.10): "
        "install the file from `audit sudoers --sudo-version 1.9.5`"
    ) in lines
    assert "  sudo: Sudo version 1.9.5p2; sudoers regexes unsupported (before 1.9.10)" in lines


def test_old_sudo_with_sudo_broken_shows_its_complaint() -> None:
    stdout = (
        b"uid=1000 user=auditor\nsudo_version=Sudo version 1.9.5p2\nsudo=no\n"
        b"sudo_error=>>> /etc/sudoers.d/auditor: syntax error near line 40 <<<\x1b[2J\n"
        b"cmd=no /usr/sbin/sshd -T\ntool=sudo\n"
    )
    lines = diagnose_output(stdout, become=True)
    assert (
        "      sudo says: >>> /etc/sudoers.d/auditor: syntax error near line 40 <<<\\x1b[2J"
    ) in lines
    assert any("audit sudoers --sudo-version 1.9.5" in line for line in lines)


def test_new_sudo_keeps_the_usual_fix() -> None:
    stdout = OLD_SUDO_REGEX_FILE.replace(b"1.9.5p2", b"1.9.16p2")
    lines = diagnose_output(stdout, become=True)
    assert (
        "      fix: install the file printed by `audit sudoers` as /etc/sudoers.d/hardaudit"
    ) in lines
    assert "  sudo: Sudo version 1.9.16p2" in lines
    assert not any("--sudo-version" in line for line in lines)


def test_doctor_script_asks_sudo_its_version_unprivileged() -> None:
    from hardaudit.doctor import doctor_script

    script = doctor_script()
    assert 'echo "sudo_version=$($T sudo -V 2>/dev/null </dev/null | head -n 1)"' in script
    assert "sudo -n -V" not in script
