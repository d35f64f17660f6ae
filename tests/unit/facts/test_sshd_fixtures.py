"""sshd parsers on real `sshd -T` / sshd_config captures (tests/fixtures/sshd, see its README)."""

from pathlib import Path
from types import MappingProxyType

import pytest

from hardaudit.facts.build import _sshd_contexts
from hardaudit.facts.model import Section, SshdConfig, SshdContext, Unknown
from hardaudit.facts.parsers.sshd import (
    contexts_from_files,
    fill_failed_contexts,
    match_key,
    parse_match_blocks,
    parse_sshd_config,
    parse_sshd_contexts,
    parse_sshd_t,
    sshd_config_nonce,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sshd"
MATCH_NONCE = "fixturenonce0123456789ab"
DB1_NONCE = "c2113f3f0e403a503db92ff4"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


# sshd -T ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "root", "password"),
    [
        ("openssh-9.2-web1.txt", "no", "no"),
        ("openssh-9.2-db1.txt", "yes", "yes"),
        ("openssh-9.2-bastion.txt", "no", "no"),
    ],
)
def test_openssh_9_2_effective_settings(name: str, root: str, password: str) -> None:
    cfg = parse_sshd_t(fixture(name))
    assert cfg.effective
    assert cfg.get("permitrootlogin") == root
    assert cfg.get("passwordauthentication") == password
    assert cfg.get("kbdinteractiveauthentication") == "no"
    assert cfg.get("maxstartups") == "10:30:100"
    assert cfg.get("loglevel") == "INFO"
    assert cfg.values["hostkey"] == (
        "/etc/ssh/ssh_host_rsa_key",
        "/etc/ssh/ssh_host_ecdsa_key",
        "/etc/ssh/ssh_host_ed25519_key",
    )
    assert cfg.values["acceptenv"] == ("LANG", "LC_*")
    assert cfg.get("subsystem") == "sftp /usr/lib/openssh/sftp-server"
    assert cfg.get("allowusers") is None  # sshd -T prints nothing for an unset list
    assert cfg.origins["permitrootlogin"] == "sshd -T"


def test_openssh_8_4_old_list_names_read_as_the_new_ones() -> None:
    # OpenSSH 8.5 renamed PubkeyAcceptedKeyTypes / HostbasedAcceptedKeyTypes; Debian 11's
    # 8.4 prints the old names, 10.0 the new ones: the checks read one keyword for both.
    old = parse_sshd_t(fixture("openssh-8.4-debian11-old1.txt"))
    new = parse_sshd_t(fixture("openssh-10.0-debian13-new1.txt"))
    for cfg in (old, new):
        assert "pubkeyacceptedkeytypes" not in cfg.values
        assert "hostbasedacceptedkeytypes" not in cfg.values
        assert len(cfg.values["pubkeyacceptedalgorithms"]) == 1
        assert len(cfg.values["hostbasedacceptedalgorithms"]) == 1
    old_list = (old.get("pubkeyacceptedalgorithms") or "").split(",")
    assert (old_list[0], old_list[-1]) == ("ecdsa-sha2-nistp256-cert-v01@openssh.com", "ssh-rsa")
    assert "ssh-rsa" not in (new.get("pubkeyacceptedalgorithms") or "").split(",")


def test_old_list_names_in_the_files_are_the_same_keyword() -> None:
    # sshd takes the first value of an option under either of its names.
    text = (
        f"@@{DB1_NONCE} FILE /etc/ssh/sshd_config\n"
        "PubkeyAcceptedKeyTypes +ssh-rsa\n"
        "PubkeyAcceptedAlgorithms ssh-ed25519\n"
        "HostbasedAcceptedKeyTypes ssh-ed25519\n"
    )
    cfg = parse_sshd_config(text, DB1_NONCE)
    assert cfg.values["pubkeyacceptedalgorithms"] == ("+ssh-rsa",)
    assert cfg.origins["pubkeyacceptedalgorithms"] == "/etc/ssh/sshd_config:1"
    assert cfg.get("hostbasedacceptedalgorithms") == "ssh-ed25519"


def test_openssh_9_2_prints_prohibit_password_as_without_password() -> None:
    contexts = parse_sshd_contexts(fixture("openssh-9.2-match-contexts.txt"), MATCH_NONCE)
    assert contexts[1].config is not None
    assert contexts[1].config.get("permitrootlogin") == "without-password"


def test_one_line_per_allowgroups_value_is_kept() -> None:
    cfg = parse_sshd_t(fixture("openssh-9.2-match.txt"))
    assert cfg.values["allowgroups"] == ("ssh-users",)


def test_openssh_10_output_with_mixed_case_keywords() -> None:
    cfg = parse_sshd_t(fixture("openssh-10-hardened-mixedcase.txt"))
    assert cfg.get("PermitRootLogin") == cfg.get("permitrootlogin") == "no"
    assert cfg.get("maxstartups") == "10:30:60"
    assert cfg.get("disableforwarding") == "yes"
    assert cfg.get("loglevel") == "VERBOSE"
    assert cfg.values["allowgroups"] == ("ssh-users", "admins")
    assert cfg.values["hostkey"] == ("/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ecdsa_key")
    assert (cfg.get("kexalgorithms") or "").startswith("mlkem768x25519-sha256,")
    assert (cfg.get("persourcepenalties") or "").startswith("crash:90s ")
    assert "PermitRootLogin" not in cfg.values


# sshd -T -C per Match line ----------------------------------------------------------------------


def test_contexts_section_from_openssh_9_2() -> None:
    contexts = parse_sshd_contexts(fixture("openssh-9.2-match-contexts.txt"), MATCH_NONCE)
    assert [(c.spec, c.match) for c in contexts] == [
        ("user=deploy,host=localhost,addr=127.0.0.1", "Match User deploy"),
        ("user=root,host=localhost,addr=10.0.0.1", "Match Address 10.0.0.0/8"),
    ]
    deploy, address = (c.config for c in contexts)
    assert deploy is not None
    assert address is not None
    assert deploy.effective
    assert (deploy.get("passwordauthentication"), deploy.get("permitrootlogin")) == ("yes", "no")
    assert (address.get("passwordauthentication"), address.get("x11forwarding")) == ("no", "no")


def test_failed_context_has_no_config() -> None:
    text = (
        f"@@{MATCH_NONCE} CTX user=deploy,host=localhost,addr=127.0.0.1 Match User deploy\n"
        "ctx-failed: user=deploy,host=localhost,addr=127.0.0.1\n"
    )
    (context,) = parse_sshd_contexts(text, MATCH_NONCE)
    assert context == SshdContext(
        "user=deploy,host=localhost,addr=127.0.0.1", "Match User deploy", None
    )


# sshd_config files (no root) --------------------------------------------------------------------


def test_db1_capture_drop_in_beats_main_file() -> None:
    cfg = parse_sshd_config(fixture("openssh-9.2-db1-files.txt"), DB1_NONCE)
    assert not cfg.effective
    assert cfg.get("passwordauthentication") == "yes"
    assert cfg.origins["passwordauthentication"] == "/etc/ssh/sshd_config.d/50-cloud-init.conf:1"
    assert cfg.get("permitrootlogin") == "yes"
    assert cfg.origins["permitrootlogin"] == "/etc/ssh/sshd_config:124"
    assert cfg.get("kbdinteractiveauthentication") == "no"
    assert (cfg.get("disableforwarding"), cfg.origins["disableforwarding"]) == ("no", "default")
    assert parse_match_blocks(fixture("openssh-9.2-db1-files.txt"), DB1_NONCE) == ()


def test_nonce_is_read_from_the_sections_first_marker() -> None:
    assert sshd_config_nonce(fixture("openssh-9.2-db1-files.txt")) == DB1_NONCE
    assert sshd_config_nonce(fixture("openssh-9.2-match-files.txt")) == MATCH_NONCE
    assert sshd_config_nonce("PermitRootLogin yes\n@@abc FILE /etc/ssh/x\n") is None


def test_match_blocks_of_the_files() -> None:
    blocks = parse_match_blocks(fixture("openssh-9.2-match-files.txt"), MATCH_NONCE)
    assert [(b.match, b.location) for b in blocks] == [
        ("Match User deploy", "/etc/ssh/sshd_config:123"),
        ("Match Address 10.0.0.0/8", "/etc/ssh/sshd_config:125"),
    ]
    assert dict(blocks[0].values) == {"passwordauthentication": ("yes",)}
    assert dict(blocks[1].values) == {
        "permitrootlogin": ("prohibit-password",),
        "x11forwarding": ("no",),
    }
    assert blocks[1].origins["x11forwarding"] == "/etc/ssh/sshd_config:127"


def test_global_settings_ignore_the_match_blocks() -> None:
    cfg = parse_sshd_config(fixture("openssh-9.2-match-files.txt"), MATCH_NONCE)
    assert cfg.get("passwordauthentication") == "no"
    assert cfg.get("permitrootlogin") == "no"
    assert cfg.values["allowgroups"] == ("ssh-users",)


def test_contexts_from_files_lay_each_block_over_the_global_settings() -> None:
    text = fixture("openssh-9.2-match-files.txt")
    base = parse_sshd_t(fixture("openssh-9.2-match.txt"))
    deploy, address = contexts_from_files(text, MATCH_NONCE, base)
    assert (deploy.spec, deploy.match) == ("/etc/ssh/sshd_config:123", "Match User deploy")
    assert deploy.config is not None
    assert address.config is not None
    assert not deploy.config.effective
    assert deploy.config.get("passwordauthentication") == "yes"
    assert deploy.config.origins["passwordauthentication"] == "/etc/ssh/sshd_config:124"
    assert deploy.config.get("permitrootlogin") == "no"
    assert deploy.config.origins["permitrootlogin"] == "sshd -T"
    assert address.config.get("permitrootlogin") == "prohibit-password"
    assert address.config.get("passwordauthentication") == "no"


NONCE = "abc123"


def dump(files: dict[str, str]) -> str:
    return "".join(f"@@{NONCE} FILE {path}\n{body}" for path, body in files.items())


def test_match_all_ends_a_block_and_an_include_inside_a_block_belongs_to_it() -> None:
    text = dump(
        {
            "/etc/ssh/sshd_config": (
                "Match Group admins\n"
                "  Include /etc/ssh/admins.conf\n"
                "Match all\n"
                "MaxAuthTries 3\n"
                "Include /etc/ssh/tail.conf\n"
                "LogLevel VERBOSE\n"
            ),
            "/etc/ssh/admins.conf": "PermitRootLogin yes\n",
            "/etc/ssh/tail.conf": "Match User ops\nPasswordAuthentication yes\n",
        }
    )
    blocks = parse_match_blocks(text, NONCE)
    assert [(b.match, dict(b.values)) for b in blocks] == [
        ("Match Group admins", {"permitrootlogin": ("yes",)}),
        ("Match User ops", {"passwordauthentication": ("yes",)}),
    ]
    assert blocks[0].origins["permitrootlogin"] == "/etc/ssh/admins.conf:1"
    cfg = parse_sshd_config(text, NONCE)
    # A Match in an included file ends with that file: LogLevel is global again.
    assert (cfg.get("maxauthtries"), cfg.get("loglevel")) == ("3", "VERBOSE")
    assert cfg.origins["loglevel"] == "/etc/ssh/sshd_config:6"
    assert cfg.get("permitrootlogin") == "prohibit-password"


def test_first_value_wins_inside_a_block_too() -> None:
    text = dump(
        {"/etc/ssh/sshd_config": "Match User a\n PermitRootLogin no\n PermitRootLogin yes\n"}
    )
    (block,) = parse_match_blocks(text, NONCE)
    assert block.values["permitrootlogin"] == ("no",)


def test_repeated_allow_and_deny_lists_accumulate() -> None:
    text = dump(
        {
            "/etc/ssh/sshd_config": (
                "AllowUsers alice bob\nAllowUsers carol\nDenyGroups guests\nDenyGroups temps\n"
            )
        }
    )
    cfg = parse_sshd_config(text, NONCE)
    assert cfg.values["allowusers"] == ("alice bob", "carol")
    assert cfg.values["denygroups"] == ("guests", "temps")


def test_match_key_ignores_case_spacing_and_the_keyword() -> None:
    assert match_key("Match  User deploy ") == match_key("match user deploy") == "user deploy"


def _context(spec: str, match: str, value: str | None) -> SshdContext:
    if value is None:
        return SshdContext(spec, match, None)
    values = MappingProxyType({"permitrootlogin": (value,)})
    return SshdContext(spec, match, SshdConfig(values, "sshd -T"))


def test_failed_contexts_are_filled_from_the_files_in_order() -> None:
    ran = (
        _context("user=a,host=localhost,addr=127.0.0.1", "Match User a", None),
        _context("user=root,host=localhost,addr=10.0.0.1", "Match Address 10.0.0.0/8", "no"),
        _context("user=root,host=localhost,addr=127.0.0.1", "Match Group g", None),
    )
    parsed = (
        _context("/etc/ssh/sshd_config:3", "Match user  a", "yes"),
        _context("/etc/ssh/sshd_config:5", "Match Address 10.0.0.0/8", "no"),
    )
    filled = fill_failed_contexts(ran, parsed)
    assert [c.spec for c in filled] == [
        "/etc/ssh/sshd_config:3",
        "user=root,host=localhost,addr=10.0.0.1",
        "user=root,host=localhost,addr=127.0.0.1",
    ]
    assert filled[2].config is None


# build._sshd_contexts: a section that failed or complained is never "no Match lines" -------------


def _section(name: str, text: str = "", rc: int | None = 0, stderr: str = "") -> Section:
    return Section(name, text, rc, stderr=stderr)


UNREADABLE = "cannot read /etc/ssh/sshd_config as auditor: its Match lines are not seen"


@pytest.mark.parametrize(
    ("rc", "reason"),
    [
        (2, f"sshd -T -C per Match context: exit status 2: {UNREADABLE}"),
        (0, f"sshd -T -C per Match context: {UNREADABLE}"),
    ],
)
def test_contexts_section_that_failed_or_complained_is_unknown(rc: int, reason: str) -> None:
    # RHEL: sshd_config is 0600, so the login user's awk saw no Match line, and the
    # sshd_config section (cat) failed too: nothing to parse instead.
    contexts = _sshd_contexts(
        _section("sshd_contexts", "", rc, UNREADABLE),
        _section("sshd_config", "", 1, "cat: /etc/ssh/sshd_config: Permission denied"),
        parse_sshd_t(fixture("openssh-9.2-match.txt")),
        MATCH_NONCE,
    )
    assert contexts == Unknown(reason)


def test_contexts_section_that_failed_falls_back_to_the_files() -> None:
    files = fixture("openssh-9.2-match-files.txt")
    contexts = _sshd_contexts(
        _section("sshd_contexts", "", 2, UNREADABLE),
        _section("sshd_config", files),
        parse_sshd_config(files, MATCH_NONCE),
        MATCH_NONCE,
    )
    assert isinstance(contexts, tuple)
    assert [c.match for c in contexts] == ["Match User deploy", "Match Address 10.0.0.0/8"]


def test_empty_contexts_section_is_no_match_lines() -> None:
    contexts = _sshd_contexts(
        _section("sshd_contexts"),
        None,
        parse_sshd_t(fixture("openssh-9.2-web1.txt")),
        MATCH_NONCE,
    )
    assert contexts == ()
