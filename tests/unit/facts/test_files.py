"""Parsers of the file-mode sections, on real GNU and BusyBox output (tests/fixtures/files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hardaudit.facts.build import build_host_facts
from hardaudit.facts.model import (
    EnvFiles,
    FileStat,
    HostFacts,
    Section,
    SshFiles,
    WorldWritable,
)
from hardaudit.facts.parsers.files import (
    parse_env_files,
    parse_ssh_files,
    parse_stat_line,
    parse_stat_lines,
    parse_world_writable,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "files"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def section(name: str, which: str) -> Section:
    raw = fixture(name)["sections"][which]
    return Section(which, raw["text"], raw["rc"], False, raw["stderr"])


def host_facts(name: str) -> HostFacts:
    data = fixture(name)
    return build_host_facts({n: section(name, n) for n in data["sections"]}, data["nonce"])


# stat -c '%a|%U|%G|%F|%n' ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "640|root|shadow|regular file|/etc/shadow",
            FileStat("/etc/shadow", 0o640, "root", "shadow", "regular file"),
        ),
        # RHEL's /etc/shadow: GNU and BusyBox both print mode 000 as "0"
        (
            "0|root|root|regular file|/etc/shadow",
            FileStat("/etc/shadow", 0, "root", "root", "regular file"),
        ),
        # both print "regular empty file" for a zero-length file and UNKNOWN for a UID without account
        (
            "600|UNKNOWN|UNKNOWN|regular empty file|/var/www/html/.env.local",
            FileStat("/var/www/html/.env.local", 0o600, "UNKNOWN", "UNKNOWN", "regular empty file"),
        ),
        (
            "1777|root|root|directory|/opt/a dir|with a bar",
            FileStat("/opt/a dir|with a bar", 0o1777, "root", "root", "directory"),
        ),
    ],
)
def test_stat_line_fields(line: str, expected: FileStat) -> None:
    assert parse_stat_line(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "stat: can't stat '/root/.ssh': Permission denied",  # BusyBox
        "stat: cannot statx '/root/.ssh': Permission denied",  # GNU coreutils 9
        "## dirs /srv /opt",
        "rw-|root|root|regular file|/etc/shadow",
        "",
    ],
)
def test_lines_that_are_not_stat_output_are_ignored(line: str) -> None:
    assert parse_stat_line(line) is None


def test_gnu_and_busybox_stat_sections_parse_alike() -> None:
    gnu = parse_stat_lines(section("debian-root-weak", "etc_files").text)
    busybox = parse_stat_lines(section("busybox-root-weak", "etc_files").text)
    assert gnu == busybox
    assert [s.path for s in gnu] == [
        "/etc/shadow",
        "/etc/gshadow",
        "/etc/ssh/sshd_config",
        "/etc/ssh/sshd_config.d/10-lab.conf",
        "/etc/ssh/sshd_config.d/50-cloud-init.conf",
        "/etc/ssh/ssh_host_ecdsa_key",
        "/etc/ssh/ssh_host_ed25519_key",
        "/etc/ssh/ssh_host_rsa_key",
    ]
    assert gnu[5] == FileStat(
        "/etc/ssh/ssh_host_ecdsa_key", 0o640, "root", "ssh_keys", "regular file"
    )


# ssh_files ------------------------------------------------------------------------------------


def test_ssh_files_marks_private_keys_by_header_only() -> None:
    data = fixture("debian-root-weak")
    parsed = parse_ssh_files(data["sections"]["ssh_files"]["text"], data["nonce"])
    assert [(d.user, d.home, d.directory.mode_text) for d in parsed.dirs] == [
        ("alice", "/home/alice", "0700"),
        ("bob", "/home/bob", "0700"),
        ("auditor", "/home/auditor", "0700"),
    ]
    alice = parsed.dirs[0].files
    assert [(f.path, f.private_key) for f in alice] == [
        ("/home/alice/.ssh/authorized_keys", False),
        ("/home/alice/.ssh/id_ed25519", True),
        ("/home/alice/.ssh/id_ed25519.pub", False),
    ]
    assert parsed.unreadable == ()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("debian-user-rhel-modes", "stat: cannot statx '/root/.ssh': Permission denied"),
        ("busybox-user", "stat: can't stat '/root/.ssh': Permission denied"),
    ],
)
def test_ssh_dirs_a_user_cannot_stat_are_unreadable_not_absent(name: str, message: str) -> None:
    data = fixture(name)
    parsed = parse_ssh_files(data["sections"]["ssh_files"]["text"], data["nonce"])
    assert [d.user for d in parsed.dirs] == ["auditor"]
    assert len(parsed.unreadable) == 4
    assert parsed.unreadable[0] == f"/root/.ssh: {message}"


def test_ssh_dir_whose_listing_failed_has_no_entry_but_is_unreadable() -> None:
    text = (
        "@@n USER bob /home/bob\n"
        "700|bob|bob|directory|/home/bob/.ssh\n"
        "unreadable: /home/bob/.ssh: ls: cannot open directory '/home/bob/.ssh': Permission denied\n"
    )
    parsed = parse_ssh_files(text, "n")
    assert parsed.dirs[0].files == ()
    assert parsed.unreadable == (
        "/home/bob/.ssh: ls: cannot open directory '/home/bob/.ssh': Permission denied",
    )


# env_files ------------------------------------------------------------------------------------


def test_env_files_keep_searched_dirs_and_stat_lines_only() -> None:
    parsed = parse_env_files(section("debian-root-weak", "env_files").text)
    assert parsed.dirs == ("/srv", "/opt", "/var/www", "/home")
    assert [(f.path, f.mode_text, f.owner) for f in parsed.files] == [
        ("/srv/app/.env.production", "0640", "app"),
        ("/srv/app/.env", "0600", "app"),
        ("/opt/tool/.env.example", "0644", "root"),
        ("/var/www/html/.env.local", "0600", "UNKNOWN"),
        ("/home/alice/proj/.env", "0600", "bob"),
    ]


def test_env_files_when_no_app_dir_exists() -> None:
    assert parse_env_files("## no app dir exists\n") == EnvFiles(dirs=(), files=())


# world_writable -------------------------------------------------------------------------------


def test_world_writable_paths_and_find_errors() -> None:
    raw = section("busybox-user", "world_writable")
    parsed = parse_world_writable(raw.text, raw.stderr, 50)
    assert parsed == WorldWritable(
        paths=(),
        capped=False,
        errors=(
            "find: /etc/polkit-1/rules.d: Permission denied",
            "find: /etc/ssl/private: Permission denied",
            "find: /usr/share/polkit-1/rules.d: Permission denied",
        ),
    )


def test_world_writable_capped_when_the_cap_is_reached() -> None:
    text = "\n".join(f"/opt/w{i}" for i in range(50)) + "\n"
    assert parse_world_writable(text, "", 50).capped
    assert not parse_world_writable("/opt/shared\n/srv/app/upload.log\n", "", 50).capped


# sections -> facts ----------------------------------------------------------------------------


def test_failed_env_search_is_incomplete_with_finds_complaint() -> None:
    # the files it did send are judged (one failing stands); none failing: unknown, this reason
    facts = host_facts("debian-user-rhel-modes")
    assert isinstance(facts.env_files, EnvFiles)
    assert facts.env_files.incomplete == (
        ".env search: exit status 1: find: '/home/alice': Permission denied",
    )


def test_world_walk_that_could_not_read_everything_still_parses() -> None:
    facts = host_facts("debian-user-rhel-modes")
    assert isinstance(facts.world_writable, WorldWritable)
    assert facts.world_writable.paths == ()
    assert len(facts.world_writable.errors) == 3


def test_real_sections_become_facts() -> None:
    facts = host_facts("busybox-root-weak")
    assert isinstance(facts.ssh_files, SshFiles)
    assert isinstance(facts.env_files, EnvFiles)
    assert isinstance(facts.etc_files, tuple)
    assert isinstance(facts.world_writable, WorldWritable)
    assert facts.world_writable.paths == ("/srv/app/upload.log", "/opt/shared")
