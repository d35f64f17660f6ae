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


# params validated at load time (file:line: field), never at run time on every host ------------

COMMAND = """\
id: acme.cmd
severity: low
title: t
rationale: r
remediation: m
facts: [command]
command: "cat /etc/motd"
evaluator: command_output
params:
  stdout_matches: '^ok$'
"""


def load_error(tmp_path: Path, name: str, text: str) -> str:
    with pytest.raises(CheckDefinitionError) as err:
        load_check_file(write(tmp_path, name, text))
    return str(err.value)


def test_invalid_regex_fails_at_load_with_line_and_field(tmp_path: Path) -> None:
    text = COMMAND.replace("'^ok$'", "'^(ok$'")
    message = load_error(tmp_path, "acme.cmd.yml", text)
    assert message.startswith(
        f"{tmp_path}/acme.cmd.yml:10:3: params.stdout_matches: invalid regular expression '^(ok$'"
    ), message


def test_exit_statuses_must_be_integers(tmp_path: Path) -> None:
    message = load_error(tmp_path, "acme.cmd.yml", COMMAND + "  unknown_rc: [x]\n")
    assert "acme.cmd.yml:11:3: params.unknown_rc: must be an exit status" in message


def test_unquoted_octal_mode_is_refused(tmp_path: Path) -> None:
    text = (
        "id: acme.keys\nseverity: low\ntitle: t\nrationale: r\nremediation: m\n"
        "facts: [ssh_files]\nevaluator: file_mode\nparams:\n  fileset: ssh-dir\n"
        "  max_mode: 0640\n"
    )
    message = load_error(tmp_path, "acme.keys.yml", text)
    assert "acme.keys.yml:10:3: params.max_mode: mode must be a quoted octal string, got 416" in (
        message
    )
    assert "quote octal modes: '0640'" in message
    assert load_check_file(write(tmp_path, "acme.keys.yml", text.replace("0640", "'0640'")))


def test_unquoted_octal_group_mode_is_refused(tmp_path: Path) -> None:
    text = (
        "id: acme.hostkeys\nseverity: low\ntitle: t\nrationale: r\nremediation: m\n"
        "facts: [etc_files, sshd]\nevaluator: stat_mode\nparams:\n  set: sshd-hostkeys\n"
        "  max_mode: '0600'\n  group_modes:\n    ssh_keys: 0640\n"
    )
    message = load_error(tmp_path, "acme.hostkeys.yml", text)
    assert "acme.hostkeys.yml:12:5: params.group_modes.ssh_keys: mode must be a quoted" in message


def test_yaml_boolean_in_sshd_option_values_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("banner: [none]", "permitrootlogin: [no]")
    message = load_error(tmp_path, "acme.motd.yml", text)
    assert "acme.motd.yml:10:5: params.options.permitrootlogin: False is a YAML boolean" in message
    assert "quote yes/no/on/off/true/false" in message


def test_yaml_boolean_key_in_lesser_is_refused(tmp_path: Path) -> None:
    text = GOOD + "  lesser:\n    banner:\n      no: low\n"
    message = load_error(tmp_path, "acme.motd.yml", text)
    assert "params.lesser.banner: key False is a YAML boolean" in message


def test_unknown_severity_in_params_is_refused(tmp_path: Path) -> None:
    text = GOOD + "  lesser:\n    banner:\n      none: urgent\n"
    message = load_error(tmp_path, "acme.motd.yml", text)
    assert "acme.motd.yml:13:7: params.lesser.banner.none: unknown severity 'urgent'" in message
    text = (
        "id: acme.fw\nseverity: low\ntitle: t\nrationale: r\nremediation: m\n"
        "facts: [firewall, ipv6]\nevaluator: firewall_default_deny\nparams:\n"
        "  link_local_severity: severe\n"
    )
    message = load_error(tmp_path, "acme.fw.yml", text)
    assert "acme.fw.yml:9:3: params.link_local_severity: unknown severity 'severe'" in message


def test_variable_named_by_a_param_must_be_declared(tmp_path: Path) -> None:
    text = GOOD + "  allowed_by_var:\n    var: acme_banner_off\n    values:\n      banner: [none]\n"
    message = load_error(tmp_path, "acme.motd.yml", text)
    assert (
        "acme.motd.yml:12:5: params.allowed_by_var.var: variable 'acme_banner_off' is not declared"
        in message
    )
    declared = text + "variables:\n  acme_banner_off:\n    default: false\n    description: d\n"
    assert load_check_file(write(tmp_path, "acme.motd.yml", declared))


def test_default_variable_of_an_evaluator_must_be_declared(tmp_path: Path) -> None:
    text = (
        "id: acme.ports\nseverity: low\ntitle: t\nrationale: r\nremediation: m\n"
        "facts: [listeners]\nevaluator: listeners_allowed\n"
    )
    message = load_error(tmp_path, "acme.ports.yml", text)
    assert "params.var: variable 'allowed_ports' is not declared" in message


def test_sshd_option_gathers_the_match_contexts_unless_told_not_to(tmp_path: Path) -> None:
    check = load_check_file(write(tmp_path, "acme.motd.yml", GOOD))
    assert check.facts == ("sshd", "sshd_contexts")
    check = load_check_file(write(tmp_path, "acme.motd.yml", GOOD + "  contexts: false\n"))
    assert check.facts == ("sshd",)


def test_every_builtin_check_declares_what_its_evaluator_reads() -> None:
    from hardaudit.checks.evaluators import EVALUATORS

    for check in load_checks():
        implied = EVALUATORS[check.evaluator].facts_for(check.params)
        assert set(implied) <= set(check.facts), check.id


def test_a_value_yaml_cannot_build_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    text = COMMAND.replace("stdout_matches: '^ok$'", "expect_rc: 2030-13-01")
    message = load_error(tmp_path, "acme.cmd.yml", text)
    assert ":10:" in message
    assert "invalid value '2030-13-01'" in message
    huge = load_error(tmp_path, "acme.cmd.yml", COMMAND.replace("'^ok$'", "9" * 5000))
    assert "(5000 characters)" in huge
    assert len(huge) < 400
