"""Inventory names reach the terminal escaped, in listings and in error messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hardaudit.cli import main

RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

INVENTORY = """\
all:
  hosts:
    "web\\e]0;owned\\a":
      ansible_host: 10.0.0.1
    "db\\nFAIL critical ssh.injected":
      ansible_host: 10.0.0.2
    "cache\\u202e1":
      ansible_host: 10.0.0.3
      ansible_user: "ro\\x9bot"
"""


def test_inventory_list_escapes_host_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "inv.yml").write_text(INVENTORY)
    assert main(["inventory", "list", "-i", str(tmp_path / "inv.yml")]) == 0
    out = capsys.readouterr().out
    assert not RAW.search(out), out
    assert "web\\x1b]0;owned\\x07" in out
    assert "db\\nFAIL critical ssh.injected" in out
    assert "cache\\u202e1" in out
    assert len(out.splitlines()) == 2 + 3  # header, rule, one row per host


def test_error_messages_escape_what_the_user_or_inventory_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "inv.yml").write_text(INVENTORY)
    for argv in (
        ["host", "-i", str(tmp_path / "inv.yml"), "nope\x1b]52;c;ZXZpbA==\x07\nFORGED"],
        ["run", "-i", str(tmp_path / "no\x1b]0;title\x07\nFORGED")],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert not RAW.search(err), err
        assert len(err.splitlines()) == 1


def test_verbose_log_lines_are_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "inv.yml").write_text(INVENTORY)
    (tmp_path / "replay").mkdir()
    argv = ["run", "-v", "-i", str(tmp_path / "inv.yml"), "--replay-dir", str(tmp_path / "replay")]
    assert main([*argv, "--output-dir", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert "web\\x1b]0;owned\\x07: unreachable" in err
    assert not RAW.search(err), err


def test_checks_list_escapes_titles_from_check_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = Path(__file__).parents[3] / "src/hardaudit/builtin_checks/ssh/ssh.x11-forwarding.yml"
    text = source.read_text().replace("id: ssh.x11-forwarding", "id: local.x11")
    text = text.replace("title: sshd does not forward X11", 'title: "x11\\e]0;owned\\a"')
    (tmp_path / "local.x11.yml").write_text(text)
    assert main(["checks", "list", "--checks-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "x11\\x1b]0;owned\\x07" in out
    assert not RAW.search(out), out


def test_checks_show_escapes_each_line_of_a_check_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = Path(__file__).parents[3] / "src/hardaudit/builtin_checks/ssh/ssh.x11-forwarding.yml"
    text = source.read_text().replace("id: ssh.x11-forwarding", "id: local.x11")
    text = text.replace("title: sshd does not forward X11", 'title: "x11\\e]52;c;eA==\\a\\u202e"')
    (tmp_path / "local.x11.yml").write_text(text)
    assert main(["checks", "show", "local.x11", "--checks-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "x11\\x1b]52;c;eA==\\x07\\u202e" in out
    assert not RAW.search(out), out


def test_checks_docs_escapes_check_files_and_cannot_forge_a_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = Path(__file__).parents[3] / "src/hardaudit/builtin_checks/ssh/ssh.x11-forwarding.yml"
    text = source.read_text().replace("id: ssh.x11-forwarding", "id: local.x11")
    hostile = "x11 | x |\\n| [ssh.forged](#sshforged) | critical | forged |\\e]0;owned\\a\\u202e"
    text = text.replace("title: sshd does not forward X11", f'title: "{hostile}"')
    (tmp_path / "local.x11.yml").write_text(text)
    assert main(["checks", "docs", "--checks-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert not RAW.search(out), out
    rows = [line for line in out.splitlines() if "local.x11" in line and line.startswith("|")]
    assert len(rows) == 1
    assert len(re.findall(r"(?<!\\)\|", rows[0])) == 4  # still three cells
    assert not any(line.startswith("| [ssh.forged]") for line in out.splitlines())
