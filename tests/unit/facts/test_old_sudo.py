"""`audit sudoers --sudo-version`: the least-privilege file for sudo before 1.9.10, which reads
no `^...$` regexes (1.9.5's visudo rejects them as syntax errors; see docs/sudoers-sudo-1.9.5.example).
Every line admits what the script runs and no more (test_root_commands runs its allowed and
refused cases on both forms); here: the form itself, its bounds and its comments."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from hardaudit.cli import main
from hardaudit.facts.script import (
    OLD_SUDO_MAX,
    PATH_RE,
    ROOT_COMMANDS,
    SPEC_RE,
    RootCommand,
    is_sudoers_regex,
    old_sudo_form,
    old_sudo_hint,
    parse_sudo_version,
    sudo_has_regex,
    sudoers_example,
)

from .test_root_commands import FORMS, sudo_allows

ROOT = Path(__file__).parents[3]
OLD = (1, 9, 5)


def test_the_old_form_has_no_regex_and_every_command_has_one() -> None:
    assert any(is_sudoers_regex(line) for line in FORMS["regex"])
    assert not any(is_sudoers_regex(line) for line in FORMS["sudo-1.9.5"])
    text = sudoers_example("auditor", OLD)
    body = [line for line in text.splitlines() if line.startswith("    /")]
    assert body
    assert not any(is_sudoers_regex(line.rstrip(", \\")) for line in body)
    assert "^" not in "".join(line for line in body if "grep" not in line)


def test_a_regex_the_old_form_does_not_know_is_an_error_not_a_wildcard() -> None:
    # a new command must declare a slot old sudo can express (no silent `*`)
    with pytest.raises(ValueError, match="no old-sudo form"):
        RootCommand("/usr/bin/find ^/.*$", "x").old_sudo_lines()
    with pytest.raises(ValueError, match="roots"):
        old_sudo_form("/usr/bin/find ^(/[^ ]+ )+-print0$")
    assert old_sudo_form("/usr/bin/stat -c %a -- *") == ("/usr/bin/stat -c %a -- *",)


def _bounded(path: str, args: list[str]) -> bool:
    return sudo_allows(path, args, FORMS["sudo-1.9.5"])


def test_a_path_slot_admits_one_absolute_path_up_to_its_bound() -> None:
    tail = ["-mindepth", "1", "-maxdepth", "1", "-print0"]
    limit = OLD_SUDO_MAX[PATH_RE]
    assert _bounded("/usr/bin/find", ["/" + "a" * (limit - 1), *tail])
    assert not _bounded("/usr/bin/find", ["/" + "a" * limit, *tail])
    assert _bounded("/bin/find", ["/home/svc-deploy/.ssh", *tail])
    assert not _bounded("/usr/bin/find", ["/a b", *tail])


def test_a_spec_slot_admits_one_argument_up_to_its_bound() -> None:
    limit = OLD_SUDO_MAX[SPEC_RE]
    assert _bounded("/usr/sbin/sshd", ["-T", "-C", "u" * limit])
    assert not _bounded("/usr/sbin/sshd", ["-T", "-C", "u" * (limit + 1)])
    assert not _bounded("/usr/sbin/sshd", ["-T", "-C", "user=x", "-f", "/etc/shadow"])


def test_the_walk_roots_are_listed_literally_with_etc_and_usr_always() -> None:
    walk = next(c for c in ROOT_COMMANDS if "-perm -0002" in c.command)
    lines = walk.old_sudo_lines()
    assert len(lines) == 2**6  # /bin /sbin /lib /boot /srv /opt: each there or not
    roots = {tuple(w for w in line.split()[1:] if w.startswith("/"))[:8] for line in lines}
    assert all(r[:2] == ("/etc", "/usr") for r in roots)
    words = shlex.split(walk.probe)
    assert _bounded(words[0], words[1:])
    assert not _bounded(words[0], ["/etc", *words[3:]])  # a root set the script never passes


def test_app_dirs_can_be_given_for_the_env_walk() -> None:
    text = sudoers_example("auditor", OLD, ["/data/app", "/srv"])
    assert "/usr/bin/find /data/app /srv -xdev -maxdepth 6" in text
    assert "/usr/bin/find /srv /opt" not in text
    assert "order: /data/app /srv;" in text.replace("\n#   ", " ")


@pytest.mark.parametrize("cmd", ROOT_COMMANDS, ids=lambda c: c.command[:60])
def test_each_doctor_probe_is_admitted_by_the_old_form(cmd: RootCommand) -> None:
    words = shlex.split(cmd.probe or cmd.command)
    assert _bounded(words[0], words[1:]), cmd.probe or cmd.command


def test_each_widened_alias_says_what_it_admits() -> None:
    text = sudoers_example("auditor", OLD)
    aliases = [line.split()[1] for line in text.splitlines() if line.startswith("Cmnd_Alias")]
    assert aliases[0] == "HARDAUDIT"
    assert aliases[-1] == "HARDAUDIT_AS_OWNER"
    for name in aliases[1:-1]:
        comment = text.split(f"# {name}: ", 1)[1].split("Cmnd_Alias", 1)[0]
        assert "Old form: " in comment, name
    assert f"auditor ALL=(root) NOPASSWD: {', '.join(aliases[:-1])}\n" in text
    assert "Form for sudo 1.9.5 (before 1.9.10" in text
    # sudo >= 1.9.10 (or no version) gets the regex file, unchanged
    assert sudoers_example("auditor", (1, 9, 10)) == sudoers_example("auditor")


def test_the_old_form_example_matches_the_script() -> None:
    actual = (ROOT / "docs" / "sudoers-sudo-1.9.5.example").read_text()
    expected = sudoers_example("auditor", OLD)
    assert actual == expected, (
        "run `audit sudoers --sudo-version 1.9.5 > docs/sudoers-sudo-1.9.5.example`"
    )


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("1.9.5", (1, 9, 5)),
        ("1.9.5p2", (1, 9, 5)),
        ("Sudo version 1.9.16p2", (1, 9, 16)),
        ("Sudo version 1.8.31", (1, 8, 31)),
        ("1.10", (1, 10, 0)),
        ("sudo-rs 0.2.5", (0, 2, 5)),
        ("no version here", None),
        ("", None),
    ],
)
def test_sudo_versions_are_read(text: str, version: tuple[int, int, int] | None) -> None:
    assert parse_sudo_version(text) == version


def test_regexes_need_sudo_1_9_10() -> None:
    assert not sudo_has_regex((1, 9, 9))
    assert not sudo_has_regex((1, 8, 31))
    assert sudo_has_regex((1, 9, 10))
    assert sudo_has_regex((1, 10, 0))
    assert sudo_has_regex(None)  # unknown: the default form
    assert old_sudo_hint("Sudo version 1.9.5p2") == (
        "this host's sudo 1.9.5 reads no sudoers regexes (`^...$`, sudo >= 1.9.10): "
        "install the file from `audit sudoers --sudo-version 1.9.5`"
    )
    assert old_sudo_hint("Sudo version 1.9.16p2") == ""
    assert old_sudo_hint("") == ""
    assert old_sudo_hint("garbage") == ""
    assert old_sudo_hint("sudo-rs 0.2.5") == ""  # not Todd Miller's sudo: no advice
    assert old_sudo_hint("1.9.5") == ""  # `sudo -V`'s line, not a bare number


def test_cli_sudo_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sudoers", "--sudo-version", "1.9.5p2"]) == 0
    assert capsys.readouterr().out == sudoers_example("auditor", OLD)
    assert main(["sudoers", "--sudo-version", "1.9.16"]) == 0
    assert capsys.readouterr().out == sudoers_example("auditor")


@pytest.mark.parametrize(
    "argv",
    [
        ["--sudo-version", "x"],
        ["--sudo-version", "1.9.5; rm"],
        ["--sudo-version", "1"],
        ["--app-dir", "/srv"],  # the regex form admits any app dir
        ["--sudo-version", "1.9.5", "--app-dir", "srv"],
        ["--sudo-version", "1.9.5", "--app-dir", "/a b"],
        ["--sudo-version", "1.9.5", "--app-dir", "/a\\b"],
        ["--sudo-version", "1.9.5", *[a for i in range(9) for a in ("--app-dir", f"/d{i}")]],
    ],
)
def test_cli_bad_sudoers_options_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sudoers", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--sudo-version" in captured.err or "--app-dir" in captured.err
