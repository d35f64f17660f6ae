"""`audit sudoers --user` accepts only a POSIX user name: it is written into a sudoers file."""

from __future__ import annotations

import pytest

from hardaudit.cli import main
from hardaudit.facts.script import sudoers_example

BAD = [
    "auditor ALL=(ALL) NOPASSWD: ALL\n#",
    "ALL",
    "%wheel",
    "auditor,root",
    "Auditor",
    "1auditor",
    "",
    "a" * 33,
    "audit\x1b]0;x\x07",
    "auditor\n",
]


@pytest.mark.parametrize("user", BAD)
def test_a_user_that_is_not_a_posix_name_is_a_usage_error(
    user: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sudoers", "--user", user]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--user" in captured.err
    assert "\x1b" not in captured.err
    with pytest.raises(ValueError, match="user name"):
        sudoers_example(user)


@pytest.mark.parametrize("user", ["auditor", "_audit", "svc-audit", "host$", "a" * 32])
def test_a_posix_user_name_gets_its_sudoers_lines(
    user: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sudoers", "--user", user]) == 0
    out = capsys.readouterr().out
    assert f"Defaults:{user} !requiretty\n" in out
    assert f"\n{user} ALL=(root) NOPASSWD: HARDAUDIT\n" in out
