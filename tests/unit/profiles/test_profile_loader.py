"""Profile files: what loads, and every way one is refused (file:line: field: message (hint))."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.checks.loader import load_checks
from hardaudit.errors import ProfileError
from hardaudit.profiles.loader import (
    builtin_profiles_dir,
    load_profile_file,
    load_profiles,
    merged_variables,
    select_profile_checks,
)
from hardaudit.profiles.model import ManualItem

CHECKS = load_checks()
REPO_PROFILES = Path(__file__).parents[3] / "profiles"

GOOD = """\
name: edge
description: an edge proxy
checks: [ssh.password-auth, "net.*", file]
tags: [brute-force]
variables:
  allowed_ports: [22, 443]
manual:
  - id: mfa-admins
    text: MFA enforced
      for admin accounts
"""


def write(tmp_path: Path, text: str, name: str = "edge.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_valid_profile_loads_with_its_selection_variables_and_manual_items(
    tmp_path: Path,
) -> None:
    profile = load_profile_file(write(tmp_path, GOOD), CHECKS)
    assert profile.name == "edge"
    assert profile.checks == ("ssh.password-auth", "net.*", "file")
    assert dict(profile.variables) == {"allowed_ports": (22, 443)}
    assert profile.lines["allowed_ports"] == 6
    assert profile.manual == (ManualItem("mfa-admins", "MFA enforced for admin accounts"),)
    ids = {c.id for c in select_profile_checks(profile, CHECKS)}
    # an id, a glob, a family name (file -> file.*) and a tag (brute-force)
    assert {"ssh.password-auth", "net.exposed-ports", "net.db-exposed", "file.shadow"} <= ids
    assert {"ssh.max-auth-tries", "ssh.rate-limit"} <= ids  # tagged brute-force
    assert "ssh.x11-forwarding" not in ids
    assert "ctr.non-root" not in ids


# (replace this text of GOOD, with that) -> (line, field, message part, hint part)
ERRORS = {
    "unknown field": (
        ("description: an edge proxy\n", "description: an edge proxy\nowner: me\n"),
        (3, "owner", "unknown field", "known fields: name"),
    ),
    "missing description": (
        ("description: an edge proxy\n", ""),
        (1, "description", "must be a non-empty string", "every profile needs"),
    ),
    "empty name": (
        ("name: edge", "name: ''"),
        (1, "name", "must be a non-empty string", "`name:`"),
    ),
    "invalid name": (
        ("name: edge", "name: Edge_1"),
        (1, "name", "invalid name 'Edge_1'", "lower-case"),
    ),
    "name is not the file's": (
        ("name: edge", "name: edges"),
        (1, "name", "does not match file name 'edge.yml'", "name the file edges.yml"),
    ),
    "checks not a list": (
        ('checks: [ssh.password-auth, "net.*", file]', "checks: ssh"),
        (3, "checks", "must be a list of strings", "e.g. checks:"),
    ),
    "a check item not a string": (
        ('checks: [ssh.password-auth, "net.*", file]', "checks: [ssh.password-auth, 3]"),
        (3, "checks[1]", "must be a non-empty string", "docs/writing-profiles.md"),
    ),
    "an unknown check id": (
        (
            'checks: [ssh.password-auth, "net.*", file]',
            "checks:\n  - ssh.password-auth\n  - ssh.pasword-auth",
        ),
        (5, "checks[1]", "'ssh.pasword-auth' matches no check", "audit checks list"),
    ),
    "a family that does not exist": (
        ('checks: [ssh.password-auth, "net.*", file]', "checks: [kernel]"),
        (3, "checks[0]", "'kernel' matches no check", "audit checks list"),
    ),
    "an unknown tag": (
        ("tags: [brute-force]", "tags: [brute-forse]"),
        (4, "tags[0]", "tag 'brute-forse' is on no check", "audit checks list"),
    ),
    "no selection": (
        ('checks: [ssh.password-auth, "net.*", file]\ntags: [brute-force]\n', ""),
        (1, "checks", "selects no check", "list check ids"),
    ),
    "variables not a mapping": (
        ("variables:\n  allowed_ports: [22, 443]\n", "variables: [allowed_ports]\n"),
        (5, "variables", "must be a mapping", "writing-profiles"),
    ),
    "an unknown variable": (
        ("  allowed_ports: [22, 443]", "  allowed_port: [22, 443]"),
        (6, "variables.allowed_port", "unknown variable 'allowed_port'", "known: allowed_db_ports"),
    ),
    "a variable none of its checks reads": (
        ("  allowed_ports: [22, 443]", "  ssh_allow_forwarding: true"),
        (
            6,
            "variables.ssh_allow_forwarding",
            "tunes no check this profile selects",
            "ssh.forwarding",
        ),
    ),
    "a value of the wrong kind": (
        ("  allowed_ports: [22, 443]", "  allowed_ports: 443"),
        (6, "variables.allowed_ports", "must be a list, like its default [22]", "checks show"),
    ),
    "a value YAML reads as a date": (
        ("  allowed_ports: [22, 443]", "  allowed_ports: [2026-01-01]"),
        (6, "variables.allowed_ports[0]", "unsupported value of type date", "use text"),
    ),
    "manual not a list": (
        (
            "manual:\n  - id: mfa-admins\n    text: MFA enforced\n      for admin accounts\n",
            "manual: MFA\n",
        ),
        (7, "manual", "must be a list of {id, text}", "each item"),
    ),
    "a manual item not a mapping": (
        ("  - id: mfa-admins\n    text: MFA enforced\n      for admin accounts\n", "  - MFA\n"),
        (8, "manual[0]", "must be a mapping with `id` and `text`", "each item"),
    ),
    "a manual item without text": (
        ("    text: MFA enforced\n      for admin accounts\n", ""),
        (8, "manual[0]", "missing `text`", "each item"),
    ),
    "a manual item with empty text": (
        ("    text: MFA enforced\n      for admin accounts\n", "    text: ' '\n"),
        (9, "manual[0].text", "must be a non-empty string", "each item"),
    ),
    "a manual item with an unknown field": (
        ("    text: MFA enforced\n", "    owner: sec\n    text: MFA enforced\n"),
        (9, "manual[0].owner", "unknown field", "each item"),
    ),
    "a manual item with a bad id": (
        ("  - id: mfa-admins", "  - id: MFA admins"),
        (8, "manual[0].id", "invalid id 'MFA admins'", "lower-case"),
    ),
    "two manual items with one id": (
        (
            "      for admin accounts\n",
            "      for admin accounts\n  - id: mfa-admins\n    text: again\n",
        ),
        (11, "manual[1].id", "duplicate id 'mfa-admins'", "unique"),
    ),
    "not a mapping": (
        (GOOD, "- just a list\n"),
        (1, None, "must be a YAML mapping", "writing-profiles"),
    ),
}


@pytest.mark.parametrize("case", ERRORS)
def test_every_invalid_profile_is_refused_with_file_line_field_and_hint(
    case: str, tmp_path: Path
) -> None:
    (old, new), (line, field, message, hint) = ERRORS[case]
    assert old in GOOD, case
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ProfileError) as err:
        load_profile_file(path, CHECKS)
    error = err.value
    assert (error.file, error.line, error.field) == (str(path), line, field), str(error)
    assert message in error.message
    assert error.hint is not None
    assert hint in error.hint
    where = f"{path}:{line}: " if line else f"{path}: "
    assert str(error).startswith(where + (f"{field}: " if field else ""))


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("tags: [brute-force]", "tags: [brute-force"))
    with pytest.raises(ProfileError, match="YAML syntax error") as err:
        load_profile_file(path, CHECKS)
    assert err.value.line is not None
    assert err.value.file == str(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\xff\xfe name", "not UTF-8 text"), (b"a: " + b"x" * (1 << 20), "larger than 1 MiB")],
)
def test_unreadable_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "edge.yml"
    path.write_bytes(content)
    with pytest.raises(ProfileError, match=message):
        load_profile_file(path, CHECKS)


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile_file(tmp_path / "edge.yml", CHECKS)


def test_the_shipped_profiles_load_and_are_the_documented_set() -> None:
    profiles = load_profiles([], CHECKS)
    assert {"baseline", "bastion", "web-public", "docker-host", "db-host"} <= set(profiles)
    assert builtin_profiles_dir().resolve() == REPO_PROFILES.resolve()
    # baseline is what a run without a profile judges: every check
    assert {c.id for c in select_profile_checks(profiles["baseline"], CHECKS)} == {
        c.id for c in CHECKS
    }
    assert profiles["bastion"].variables["ssh_allow_forwarding"] is True
    assert profiles["web-public"].variables["allowed_ports"] == (22, 443)
    assert "Strict-Transport-Security" in profiles["web-public"].variables["web_required_headers"]
    for profile in profiles.values():
        assert profile.manual, f"{profile.name} hands over no manual item"


def test_a_user_profile_may_not_reuse_a_shipped_name(tmp_path: Path) -> None:
    write(tmp_path, "name: bastion\ndescription: mine\nchecks: [ssh]\n", "bastion.yml")
    with pytest.raises(ProfileError, match="already defined in") as err:
        load_profiles([tmp_path], CHECKS)
    assert err.value.file == str(tmp_path / "bastion.yml")
    assert err.value.field == "name"


def test_a_missing_profiles_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="profiles directory not found"):
        load_profiles([tmp_path / "nope"], CHECKS)


def test_two_profiles_setting_one_variable_differently_name_both_files(tmp_path: Path) -> None:
    edge = load_profile_file(write(tmp_path, GOOD), CHECKS)
    other = load_profile_file(
        write(
            tmp_path,
            "name: api\ndescription: api\nchecks: [net]\n\nvariables:\n  allowed_ports: [22]\n",
            "api.yml",
        ),
        CHECKS,
    )
    with pytest.raises(ProfileError) as err:
        merged_variables([edge, other])
    text = str(err.value)
    assert "profiles 'edge' and 'api' set allowed_ports differently" in text
    assert f"[22, 443] ({tmp_path / 'edge.yml'}:6)" in text
    assert f"[22] ({tmp_path / 'api.yml'}:6)" in text
    # the same value twice is no conflict
    assert merged_variables([edge, edge]) == {"allowed_ports": (22, 443)}


def test_the_worked_example_of_the_docs_loads_and_covers_the_checklist() -> None:
    examples = Path(__file__).parents[3] / "docs" / "examples" / "profiles"
    profiles = load_profiles([examples], CHECKS)
    example = profiles["example-app"]
    assert {c.id for c in select_profile_checks(example, CHECKS)} == {
        "fw.enabled",
        "fw.default-deny-in",
        "fw.ipv6-parity",
        "net.exposed-ports",
        "fw.container-bypass",
        "ctr.non-root",
        "net.db-exposed",
        "svc.redis-auth",
        "file.env-mode",
        "file.ssh-dir",
        "file.ssh-privkey",
        "ssh.rate-limit",
    }
    assert example.variables["allowed_ports"] == (22, 443)
    assert [m.id for m in example.manual] == ["ssh-allow-listed-ips", "redis-password-in-container"]
