from pathlib import Path

import pytest

from hardaudit.checks.loader import load_check_file, load_checks, select_checks
from hardaudit.errors import CheckDefinitionError

GOOD = """\
id: acme.motd
severity: low
title: t
rationale: r
remediation: m
facts: [sshd]
evaluator: sshd_option
params:
  options:
    banner: [none]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_valid_user_check_loads(tmp_path: Path) -> None:
    check = load_check_file(write(tmp_path, "acme.motd.yml", GOOD))
    assert (check.id, check.family, check.evaluator) == ("acme.motd", "acme", "sshd_option")


def test_unknown_severity_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "acme.motd.yml", GOOD.replace("severity: low", "severity: urgent"))
    with pytest.raises(CheckDefinitionError) as err:
        load_check_file(path)
    assert str(err.value).startswith(f"{path}:2:1: severity: unknown severity 'urgent'")


def test_unknown_evaluator_param(tmp_path: Path) -> None:
    path = write(tmp_path, "acme.motd.yml", GOOD + "  colour: red\n")
    with pytest.raises(
        CheckDefinitionError, match=r"acme.motd.yml:8:1: params: unknown parameter\(s\) colour"
    ):
        load_check_file(path)


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "acme.motd.yml", "id: [unclosed\n")
    with pytest.raises(CheckDefinitionError, match=r"acme.motd.yml:2:1: YAML syntax error"):
        load_check_file(path)


def test_missing_field_and_file_name_mismatch(tmp_path: Path) -> None:
    with pytest.raises(CheckDefinitionError, match="missing required field `title`"):
        load_check_file(write(tmp_path, "acme.motd.yml", GOOD.replace("title: t\n", "")))
    with pytest.raises(CheckDefinitionError, match="does not match file name"):
        load_check_file(write(tmp_path, "acme.other.yml", GOOD))


def test_user_check_cannot_reuse_builtin_id(tmp_path: Path) -> None:
    text = GOOD.replace("acme.motd", "ssh.permit-root-login")
    write(tmp_path, "ssh.permit-root-login.yml", text)
    with pytest.raises(CheckDefinitionError, match="already defined"):
        load_checks([tmp_path])


def test_select_by_glob_and_skip() -> None:
    checks = load_checks()
    selected = [c.id for c in select_checks(checks, ["ssh.p*"], ["ssh.password-auth"])]
    assert selected == ["ssh.permit-root-login", "ssh.protocol", "ssh.pubkey-auth"]
    with pytest.raises(CheckDefinitionError, match="matches no check"):
        select_checks(checks, ["nope.*"])
