"""The ssh.* checks: pass, fail, unknown and skip for each, with their exact evidence."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, Severity, Status
from hardaudit.checks.rules.ssh import MaxStartups, openssh_version
from hardaudit.facts.build import build_host_facts
from hardaudit.facts.model import (
    Absent,
    FirewallState,
    Meta,
    Processes,
    Section,
    SshdConfig,
    SshdContext,
    Unknown,
)
from hardaudit.facts.parsers.sshd import parse_sshd_config, parse_sshd_contexts, parse_sshd_t

from .factories import facts, sshd

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sshd"
MATCH_NONCE = "fixturenonce0123456789ab"
CHECKS = {c.id: c for c in load_checks()}
NO_SSHD = Absent("sshd is not installed")
T = "(sshd -T)"
DEPLOY = "user=deploy,host=localhost,addr=127.0.0.1"
ADDR = "user=root,host=localhost,addr=10.0.0.1"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def run(check_id: str, host_vars: dict[str, Any] | None = None, **overrides: Any) -> CheckResult:
    (result,) = evaluate([CHECKS[check_id]], facts(**overrides), host_vars or {})
    return result


def effective(name: str = "openssh-9.2-web1.txt", **values: str | tuple[str, ...]) -> SshdConfig:
    """A captured `sshd -T` output with some keywords replaced (a () value removes one)."""
    base = parse_sshd_t(fixture(name))
    merged = dict(base.values)
    for keyword, value in values.items():
        merged[keyword] = value if isinstance(value, tuple) else (value,)
        if value == ():
            del merged[keyword]
    return SshdConfig(MappingProxyType(merged), "sshd -T", base.origins)


def context(match: str, spec: str, **values: str) -> SshdContext:
    return SshdContext(spec, match, effective(**values))


def match_fixture() -> dict[str, Any]:
    """The captured `sshd -T` and `sshd -T -C` outputs of a config with two Match blocks."""
    return {
        "sshd": parse_sshd_t(fixture("openssh-9.2-match.txt")),
        "sshd_contexts": parse_sshd_contexts(
            fixture("openssh-9.2-match-contexts.txt"), MATCH_NONCE
        ),
    }


def no_root_match_fixture(contexts: Any) -> dict[str, Any]:
    """No root: settings parsed from the files, `sshd -T -C` unreadable or failed."""
    text = fixture("openssh-9.2-match-files.txt")
    return {
        "sshd": parse_sshd_config(text, MATCH_NONCE),
        "sshd_contexts": contexts,
        "sections": MappingProxyType({"sshd_config": Section("sshd_config", text, 0)}),
    }


FAILED_CONTEXTS = (
    SshdContext(DEPLOY, "Match User deploy", None),
    SshdContext(ADDR, "Match Address 10.0.0.0/8", None),
)
PARSED = "no sshd -T: lower confidence"
PARSED_C = "no sshd -T -C: lower confidence"


# ssh.permit-root-login / ssh.password-auth in Match contexts ------------------------------------


def test_root_login_allowed_by_a_match_context_fails_naming_it() -> None:
    result = run("ssh.permit-root-login", **match_fixture())
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == (
        f"permitrootlogin no {T}",
        f"permitrootlogin without-password in Match Address 10.0.0.0/8 (sshd -T -C {ADDR});"
        " expected no",
    )


def test_root_login_context_allowed_by_variable_passes() -> None:
    result = run("ssh.permit-root-login", {"ssh_root_login_allowed": True}, **match_fixture())
    assert result.status == Status.PASS
    assert result.evidence == (f"permitrootlogin no {T}",)


def test_root_login_yes_in_a_context_fails_high() -> None:
    contexts = (
        context(
            "Match Group admins", "user=alice,host=localhost,addr=127.0.0.1", permitrootlogin="yes"
        ),
    )
    result = run("ssh.permit-root-login", sshd=effective(), sshd_contexts=contexts)
    assert (result.status, result.severity) == (Status.FAIL, Severity.HIGH)
    assert result.evidence[1] == (
        "permitrootlogin yes in Match Group admins"
        " (sshd -T -C user=alice,host=localhost,addr=127.0.0.1); expected no"
    )


def test_a_context_failing_like_the_global_value_is_not_repeated() -> None:
    contexts = (context("Match User deploy", DEPLOY, permitrootlogin="yes"),)
    result = run(
        "ssh.permit-root-login",
        sshd=effective(permitrootlogin="yes"),
        sshd_contexts=contexts,
    )
    assert result.evidence == (f"permitrootlogin yes {T}; expected no",)


def test_password_enabled_by_a_match_context_fails_naming_it() -> None:
    result = run("ssh.password-auth", **match_fixture())
    assert (result.status, result.severity) == (Status.FAIL, Severity.HIGH)
    assert result.evidence == (
        f"passwordauthentication no {T}",
        f"kbdinteractiveauthentication no {T}",
        f"passwordauthentication yes in Match User deploy (sshd -T -C {DEPLOY}); expected no",
    )


def test_password_in_a_match_block_without_root_is_lower_confidence() -> None:
    result = run("ssh.password-auth", **no_root_match_fixture(FAILED_CONTEXTS))
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"passwordauthentication no (parsed from /etc/ssh/sshd_config.d/10-lab.conf:3, {PARSED})",
        f"kbdinteractiveauthentication no (parsed from /etc/ssh/sshd_config.d/10-lab.conf:4, {PARSED})",
        "passwordauthentication yes in Match User deploy"
        f" (parsed from /etc/ssh/sshd_config:124, {PARSED_C}); expected no",
    )


def test_root_login_in_a_match_block_when_contexts_were_not_read() -> None:
    result = run("ssh.permit-root-login", **no_root_match_fixture(Unknown("sshd_contexts: exit 1")))
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence[1] == (
        "permitrootlogin prohibit-password in Match Address 10.0.0.0/8"
        f" (parsed from /etc/ssh/sshd_config:126, {PARSED_C}); expected no"
    )


def test_failed_contexts_without_files_are_unknown_naming_the_match_lines() -> None:
    # `sshd -T -C` refused both contexts and no sshd_config text fills them: never a pass.
    result = run("ssh.password-auth", sshd=effective(), sshd_contexts=FAILED_CONTEXTS)
    assert result.status == Status.UNKNOWN
    assert result.evidence == (
        f"passwordauthentication no {T}",
        f"kbdinteractiveauthentication no {T}",
    )
    assert result.reason == (
        "the global settings pass; not judged: "
        f"Match User deploy (sshd -T -C {DEPLOY} failed); "
        f"Match Address 10.0.0.0/8 (sshd -T -C {ADDR} failed)"
    )


def test_unreadable_contexts_are_unknown_not_a_pass() -> None:
    why = "sshd -T -C per Match context: exit status 2: cannot read /etc/ssh/sshd_config as app"
    for check_id in ("ssh.permit-root-login", "ssh.max-auth-tries", "ssh.x11-forwarding"):
        result = run(
            check_id,
            sshd=effective(maxauthtries="3", x11forwarding="no"),
            sshd_contexts=Unknown(why),
        )
        assert (result.status, result.reason) == (
            Status.UNKNOWN,
            f"the global settings pass; not judged: the Match contexts ({why})",
        ), check_id


def test_contexts_not_gathered_are_unknown() -> None:
    assert run(
        "ssh.pubkey-auth", sshd=effective(), sshd_contexts=Unknown("not gathered")
    ).status == (Status.UNKNOWN)


def test_a_failure_stays_a_failure_and_names_what_was_not_judged() -> None:
    result = run(
        "ssh.password-auth",
        sshd=effective(passwordauthentication="yes"),
        sshd_contexts=FAILED_CONTEXTS[:1],
    )
    assert result.status == Status.FAIL
    assert result.reason == f"also not judged: Match User deploy (sshd -T -C {DEPLOY} failed)"


def test_no_match_lines_at_all_is_judged_globally() -> None:
    assert run("ssh.password-auth", sshd=effective(), sshd_contexts=()).status == Status.PASS


def test_unreadable_contexts_still_fall_back_to_the_files() -> None:
    result = run("ssh.permit-root-login", **no_root_match_fixture(Unknown("exit status 2")))
    assert result.status == Status.FAIL
    assert result.reason == ""


# boolean inventory variables: read strictly ----------------------------------------------------------


@pytest.mark.parametrize("value", [False, "false", "False", "no", "off", "0", 0, None])
def test_root_login_variable_false_in_any_spelling_does_not_allow(value: object) -> None:
    cfg = effective(permitrootlogin="prohibit-password")
    result = run("ssh.permit-root-login", {"ssh_root_login_allowed": value}, sshd=cfg)
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)


@pytest.mark.parametrize("value", [True, "true", "Yes", "on", "1", 1])
def test_root_login_variable_true_in_any_spelling_allows(value: object) -> None:
    cfg = effective(permitrootlogin="prohibit-password")
    result = run("ssh.permit-root-login", {"ssh_root_login_allowed": value}, sshd=cfg)
    assert result.status == Status.PASS


@pytest.mark.parametrize("value", ["maybe", "", 2, ["true"]])
def test_boolean_variable_that_is_neither_is_unknown_naming_it(value: object) -> None:
    cfg = effective(permitrootlogin="prohibit-password")
    result = run("ssh.permit-root-login", {"ssh_root_login_allowed": value}, sshd=cfg)
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        f"inventory variable ssh_root_login_allowed is {value!r}: expected true or false",
    )


def test_forwarding_variable_false_string_from_ini_does_not_allow() -> None:
    bastion = parse_sshd_t(fixture("openssh-9.2-bastion.txt"))
    result = run("ssh.forwarding", {"ssh_allow_forwarding": "false"}, sshd=bastion)
    assert result.status == Status.FAIL
    result = run("ssh.forwarding", {"ssh_allow_forwarding": "yes"}, sshd=bastion)
    assert result.status == Status.PASS
    result = run("ssh.forwarding", {"ssh_allow_forwarding": "jump"}, sshd=bastion)
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "inventory variable ssh_allow_forwarding is 'jump': expected true or false",
    )


def test_a_variable_is_not_read_when_the_value_passes_anyway() -> None:
    result = run("ssh.permit-root-login", {"ssh_root_login_allowed": "maybe"}, sshd=effective())
    assert result.status == Status.PASS


def test_password_auth_skips_without_sshd() -> None:
    assert run("ssh.password-auth", sshd=NO_SSHD).status == Status.SKIP


# ssh.empty-passwords ------------------------------------------------------------------------------


def test_empty_passwords_refused_passes() -> None:
    result = run("ssh.empty-passwords", sshd=effective())
    assert result.status == Status.PASS
    assert result.evidence == (f"permitemptypasswords no {T}",)


def test_empty_passwords_permitted_fails() -> None:
    result = run("ssh.empty-passwords", sshd=effective(permitemptypasswords="yes"))
    assert (result.status, result.severity) == (Status.FAIL, Severity.HIGH)
    assert result.evidence == (f"permitemptypasswords yes {T}; expected no",)


def test_empty_passwords_permitted_in_a_context_fails() -> None:
    contexts = (
        context(
            "Match User kiosk",
            "user=kiosk,host=localhost,addr=127.0.0.1",
            permitemptypasswords="yes",
        ),
    )
    result = run("ssh.empty-passwords", sshd=effective(), sshd_contexts=contexts)
    assert result.status == Status.FAIL
    assert result.evidence[1] == (
        "permitemptypasswords yes in Match User kiosk"
        " (sshd -T -C user=kiosk,host=localhost,addr=127.0.0.1); expected no"
    )


def test_empty_passwords_unknown_when_sshd_unreadable() -> None:
    result = run("ssh.empty-passwords", sshd=Unknown("sshd -T: exit status 1: no hostkeys"))
    assert (result.status, result.reason) == (Status.UNKNOWN, "sshd -T: exit status 1: no hostkeys")


def test_empty_passwords_unknown_when_keyword_missing() -> None:
    result = run("ssh.empty-passwords", sshd=sshd())
    assert result.status == Status.UNKNOWN
    assert result.reason == "permitemptypasswords is not in the sshd configuration read"


def test_empty_passwords_skips_without_sshd() -> None:
    assert run("ssh.empty-passwords", sshd=NO_SSHD).status == Status.SKIP


# ssh.pubkey-auth ----------------------------------------------------------------------------------


def test_pubkey_auth_on_passes() -> None:
    result = run("ssh.pubkey-auth", sshd=effective())
    assert result.evidence == (f"pubkeyauthentication yes {T}",)
    assert result.status == Status.PASS


def test_pubkey_auth_off_fails() -> None:
    result = run("ssh.pubkey-auth", sshd=effective(pubkeyauthentication="no"))
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == (f"pubkeyauthentication no {T}; expected yes",)


def test_pubkey_auth_unknown_and_skip() -> None:
    assert run("ssh.pubkey-auth", sshd=Unknown("x")).status == Status.UNKNOWN
    assert run("ssh.pubkey-auth", sshd=NO_SSHD).status == Status.SKIP


def test_pubkey_auth_default_from_files_says_so() -> None:
    cfg = parse_sshd_config(fixture("openssh-9.2-db1-files.txt"), "c2113f3f0e403a503db92ff4")
    result = run("ssh.pubkey-auth", sshd=cfg)
    assert result.evidence == (
        "pubkeyauthentication yes (OpenSSH default, set in no file; no sshd -T: lower confidence)",
    )


# ssh.protocol -------------------------------------------------------------------------------------


def meta(version: str) -> Meta:
    return Meta(uid=0, user="root", privilege="root", sshd_version=version)


def test_protocol_passes_on_openssh_7_4_and_later() -> None:
    result = run("ssh.protocol", meta=meta("OpenSSH_9.2"), sshd=effective())
    assert (result.status, result.severity) == (Status.PASS, Severity.INFO)
    assert result.evidence == ("OpenSSH_9.2: OpenSSH 7.4 and later speak protocol 2 only",)


def test_protocol_version_alone_decides_even_without_sshd_config() -> None:
    result = run("ssh.protocol", meta=meta("OpenSSH_10.0p2"), sshd=Unknown("no root"))
    assert result.status == Status.PASS


def test_protocol_2_line_passes_on_an_old_server() -> None:
    result = run("ssh.protocol", meta=meta("OpenSSH_6.6.1p1"), sshd=effective(protocol="2"))
    assert result.status == Status.PASS
    assert result.evidence == (f"protocol 2 {T}",)


def test_protocol_1_allowed_fails() -> None:
    result = run("ssh.protocol", meta=meta("OpenSSH_6.6.1p1"), sshd=effective(protocol="2,1"))
    assert result.status == Status.FAIL
    assert result.evidence == (f"protocol 2,1 {T}; expected 2",)


def test_protocol_default_of_an_old_server() -> None:
    result = run("ssh.protocol", meta=meta("OpenSSH_6.6.1p1"), sshd=sshd(source="sshd_config"))
    assert result.status == Status.PASS
    assert result.evidence == (
        "no protocol setting; OpenSSH_6.6.1p1 defaults to protocol 2 (OpenSSH 5.4 and later)",
    )
    older = run("ssh.protocol", meta=meta("OpenSSH_5.3p1"), sshd=sshd(source="sshd_config"))
    assert older.status == Status.FAIL
    assert older.evidence == (
        "no protocol setting; OpenSSH_5.3p1 defaults to protocol 2,1; expected 2",
    )


def test_protocol_unknown_without_version_or_protocol_line() -> None:
    result = run("ssh.protocol", sshd=effective())
    assert result.status == Status.UNKNOWN
    assert result.reason == (
        "no OpenSSH version in the facts (sshd -V printed none),"
        " and no protocol line in the sshd configuration"
    )
    unread = run("ssh.protocol", sshd=Unknown("sshd -T: exit status 1: no hostkeys"))
    assert unread.reason == (
        "no OpenSSH version in the facts (sshd -V printed none),"
        " and the sshd configuration: sshd -T: exit status 1: no hostkeys"
    )


def test_protocol_skips_without_sshd() -> None:
    assert run("ssh.protocol", meta=meta("OpenSSH_9.2"), sshd=NO_SSHD).status == Status.SKIP


def test_openssh_version_banner() -> None:
    assert openssh_version("OpenSSH_9.2p1 Debian-2+deb12u10") == (9, 2)
    assert openssh_version("OpenSSH_10.0") == (10, 0)
    assert openssh_version("dropbear_2022.83") is None


# ssh.max-auth-tries -------------------------------------------------------------------------------


def test_max_auth_tries_at_the_limit_passes() -> None:
    result = run("ssh.max-auth-tries", sshd=effective(maxauthtries="4"))
    assert result.status == Status.PASS
    assert result.evidence == (f"maxauthtries 4 {T}",)


def test_max_auth_tries_default_fails() -> None:
    result = run("ssh.max-auth-tries", sshd=effective())
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == (f"maxauthtries 6 {T}; expected at most 4",)


def test_max_auth_tries_raised_in_a_context_fails() -> None:
    contexts = (context("Match Address 10.0.0.0/8", ADDR, maxauthtries="10"),)
    result = run("ssh.max-auth-tries", sshd=effective(maxauthtries="3"), sshd_contexts=contexts)
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"maxauthtries 3 {T}",
        f"maxauthtries 10 in Match Address 10.0.0.0/8 (sshd -T -C {ADDR}); expected at most 4",
    )


def test_max_auth_tries_not_a_number_fails() -> None:
    result = run("ssh.max-auth-tries", sshd=sshd(source="sshd_config", maxauthtries="lots"))
    assert result.evidence == (
        f"maxauthtries lots (parsed from /etc/ssh/sshd_config:1, {PARSED});"
        " not a number, expected at most 4",
    )


def test_max_auth_tries_unknown_and_skip() -> None:
    assert run("ssh.max-auth-tries", sshd=Unknown("x")).status == Status.UNKNOWN
    assert run("ssh.max-auth-tries", sshd=NO_SSHD).status == Status.SKIP


# ssh.rate-limit -----------------------------------------------------------------------------------

NFT_DROP = FirewallState(
    "nftables", True, True, True, True, ("nft inet filter input: policy drop",)
)
NOTHING_RUNS = Processes(frozenset({"sshd", "systemd"}))


def test_tighter_maxstartups_passes() -> None:
    result = run(
        "ssh.rate-limit",
        sshd=effective(maxstartups="10:30:60"),
        firewall=NFT_DROP,
        processes=NOTHING_RUNS,
    )
    assert (result.status, result.severity) == (Status.PASS, Severity.MEDIUM)
    assert result.evidence == (f"maxstartups 10:30:60 {T}: tighter than the default 10:30:100",)


def test_firewall_rate_limit_passes_with_its_rule() -> None:
    firewall = FirewallState(
        "nftables",
        True,
        True,
        True,
        True,
        ssh_rate_limited=True,
        rate_limit_evidence=(
            "nft inet filter input: tcp dport 22 ct state new limit rate 10/minute",
        ),
    )
    result = run("ssh.rate-limit", sshd=effective(), firewall=firewall, processes=NOTHING_RUNS)
    assert result.status == Status.PASS
    assert result.evidence == (
        "firewall (nftables) limits new connections to tcp/22",
        "nft inet filter input: tcp dport 22 ct state new limit rate 10/minute",
    )


def test_fail2ban_passes_even_when_the_firewall_is_unreadable() -> None:
    result = run(
        "ssh.rate-limit",
        sshd=effective(),
        firewall=Unknown("nft: exit status 1: Operation not permitted"),
        processes=Processes(
            frozenset({"sshd", "fail2ban-server"}), root_names=frozenset({"fail2ban-server"})
        ),
    )
    assert result.status == Status.PASS
    assert result.evidence == ("fail2ban-server is running as root",)


def test_fail2ban_named_process_of_another_user_proves_nothing() -> None:
    # any local user can run a process named fail2ban-server
    result = run(
        "ssh.rate-limit",
        sshd=effective(),
        firewall=NFT_DROP,
        processes=Processes(frozenset({"sshd", "fail2ban-server"}), root_names=frozenset({"sshd"})),
    )
    assert result.status == Status.FAIL
    assert result.evidence[-1] == (
        "none of fail2ban-server, sshguard, sshg-blocker is running as root"
        " (fail2ban-server runs, but not as root)"
    )


def test_no_rate_limit_anywhere_fails_saying_what_was_read() -> None:
    result = run("ssh.rate-limit", sshd=effective(), firewall=NFT_DROP, processes=NOTHING_RUNS)
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"maxstartups 10:30:100 {T}: not tighter than the default 10:30:100",
        "firewall (nftables): no rule limits new connections to tcp/22",
        "none of fail2ban-server, sshguard, sshg-blocker is running as root",
    )


def test_rate_limit_unknown_only_when_an_unread_fact_might_prove_it() -> None:
    result = run(
        "ssh.rate-limit",
        sshd=effective(),
        firewall=Unknown("nft: exit status 1: Operation not permitted"),
        processes=NOTHING_RUNS,
    )
    assert result.status == Status.UNKNOWN
    assert result.reason == (
        "nothing read proves a rate limit; could not read"
        " firewall: nft: exit status 1: Operation not permitted"
    )
    assert result.evidence == (
        f"maxstartups 10:30:100 {T}: not tighter than the default 10:30:100",
        "none of fail2ban-server, sshguard, sshg-blocker is running as root",
    )


def test_rate_limit_unknown_sshd_and_processes() -> None:
    result = run("ssh.rate-limit", sshd=Unknown("sshd -T failed"), firewall=NFT_DROP)
    assert result.status == Status.UNKNOWN
    assert result.reason == (
        "nothing read proves a rate limit; could not read maxstartups: sshd -T failed;"
        " processes: not gathered"
    )


def test_rate_limit_skips_without_sshd() -> None:
    assert run("ssh.rate-limit", sshd=NO_SSHD).status == Status.SKIP


@pytest.mark.parametrize(
    ("spec", "tighter"),
    [
        ("10:30:60", True),
        ("9:30:100", True),
        ("10:50:100", True),
        ("5", True),  # start = full = 5: refuse everything from 5 on
        ("10:30:100", False),  # the default itself
        ("20:30:100", False),
        ("10:10:100", False),
        ("5:10:50", False),  # refuses less than the default at 10 unauthenticated
        ("100", False),
    ],
)
def test_maxstartups_tighter_means_refusing_at_least_as_often_everywhere(
    spec: str, tighter: bool
) -> None:
    default = MaxStartups(10, 30, 100)
    parsed = MaxStartups.parse(spec)
    assert parsed is not None
    assert parsed.tighter_than(default) is tighter


def test_maxstartups_parse() -> None:
    assert MaxStartups.parse("10:30:60") == MaxStartups(10, 30, 60)
    assert MaxStartups.parse("8") == MaxStartups(8, 100, 8)
    assert MaxStartups.parse("10:30") is None
    assert MaxStartups.parse("ten") is None


# ssh.x11-forwarding / ssh.forwarding ---------------------------------------------------------------


def test_x11_forwarding_off_passes() -> None:
    result = run("ssh.x11-forwarding", sshd=effective(x11forwarding="no"))
    assert result.status == Status.PASS
    assert result.evidence == (f"x11forwarding no {T}",)


def test_x11_forwarding_on_fails() -> None:
    result = run("ssh.x11-forwarding", sshd=effective())
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == (f"x11forwarding yes {T}; expected no",)


def test_x11_forwarding_turned_back_on_in_a_context_fails() -> None:
    contexts = (
        context(
            "Match User designer",
            "user=designer,host=localhost,addr=127.0.0.1",
            x11forwarding="yes",
        ),
    )
    result = run("ssh.x11-forwarding", sshd=effective(x11forwarding="no"), sshd_contexts=contexts)
    assert result.status == Status.FAIL
    assert result.evidence[1] == (
        "x11forwarding yes in Match User designer"
        " (sshd -T -C user=designer,host=localhost,addr=127.0.0.1); expected no"
    )


def test_disable_forwarding_overrides_x11forwarding() -> None:
    result = run("ssh.x11-forwarding", sshd=effective(disableforwarding="yes"))
    assert result.status == Status.PASS
    assert result.evidence == (f"x11forwarding yes {T}; overridden by disableforwarding yes",)


def test_x11_forwarding_unknown_and_skip() -> None:
    assert run("ssh.x11-forwarding", sshd=Unknown("x")).status == Status.UNKNOWN
    assert run("ssh.x11-forwarding", sshd=NO_SSHD).status == Status.SKIP


def test_forwarding_off_passes() -> None:
    cfg = effective(allowtcpforwarding="no", allowagentforwarding="no")
    result = run("ssh.forwarding", sshd=cfg)
    assert result.status == Status.PASS
    assert result.evidence == (f"allowtcpforwarding no {T}", f"allowagentforwarding no {T}")


def test_forwarding_on_fails() -> None:
    result = run("ssh.forwarding", sshd=effective())
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == (
        f"allowtcpforwarding yes {T}; expected no",
        f"allowagentforwarding yes {T}; expected no",
    )


@pytest.mark.parametrize(
    ("value", "what"),
    [("local", "local (-L) forwarding only"), ("remote", "remote (-R) forwarding only")],
)
def test_one_way_tcp_forwarding_is_partial_and_fails(value: str, what: str) -> None:
    cfg = effective(allowtcpforwarding=value, allowagentforwarding="no")
    result = run("ssh.forwarding", sshd=cfg)
    assert result.status == Status.FAIL
    assert result.evidence[0] == f"allowtcpforwarding {value} {T}; partial: {what}; expected no"


def test_jump_host_may_forward() -> None:
    result = run(
        "ssh.forwarding",
        {"ssh_allow_forwarding": True},
        sshd=parse_sshd_t(fixture("openssh-9.2-bastion.txt")),
    )
    assert result.status == Status.PASS
    assert result.evidence == (
        f"allowtcpforwarding yes {T}; allowed for jump host (ssh_allow_forwarding: true)",
        f"allowagentforwarding yes {T}; allowed for jump host (ssh_allow_forwarding: true)",
    )


def test_forwarding_unknown_and_skip() -> None:
    assert run("ssh.forwarding", sshd=Unknown("x")).status == Status.UNKNOWN
    assert run("ssh.forwarding", sshd=NO_SSHD).status == Status.SKIP


# ssh.weak-crypto ----------------------------------------------------------------------------------


SIGNATURE_LISTS_OK = (
    f"pubkeyacceptedalgorithms {T}: no weak algorithm among 8",
    f"casignaturealgorithms {T}: no weak algorithm among 8",
    f"hostbasedacceptedalgorithms: not used, hostbasedauthentication no {T}",
)


def test_weak_crypto_passes_on_a_hardened_openssh_10() -> None:
    result = run("ssh.weak-crypto", sshd=parse_sshd_t(fixture("openssh-10-hardened-mixedcase.txt")))
    assert result.status == Status.PASS
    assert result.evidence == (
        f"ciphers {T}: no weak algorithm among 6",
        f"macs {T}: no weak algorithm among 3",
        f"kexalgorithms {T}: no weak algorithm among 8",
        f"hostkeyalgorithms {T}: no weak algorithm among 8",
        *SIGNATURE_LISTS_OK,
        # upstream OpenSSH has no GSSAPI key exchange (a Debian/Red Hat patch adds it)
        "gssapikexalgorithms: this sshd has no such setting (not in sshd -T)",
        f"hostkey {T}: no DSA key among 2",
    )


def test_debian_12_default_macs_fail_one_line_each() -> None:
    result = run("ssh.weak-crypto", sshd=parse_sshd_t(fixture("openssh-9.2-web1.txt")))
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == (
        f"macs umac-64-etm@openssh.com {T}: 64-bit MAC tag",
        f"macs hmac-sha1-etm@openssh.com {T}: SHA-1 MAC",
        f"macs umac-64@openssh.com {T}: 64-bit MAC tag",
        f"macs hmac-sha1 {T}: SHA-1 MAC",
    )


GOOD_MACS = "hmac-sha2-256-etm@openssh.com"
DEFAULT_WEAK_MACS = [
    "mac:umac-64-etm@openssh.com",
    "mac:hmac-sha1-etm@openssh.com",
    "mac:umac-64@openssh.com",
    "mac:hmac-sha1",
]


def test_debian_11_default_ssh_rsa_fails_for_host_and_user_keys() -> None:
    # OpenSSH 8.4 (Debian 11) still accepts SHA-1 `ssh-rsa` signatures by default; 8.8
    # dropped them. sshd -T prints the pre-8.5 name pubkeyacceptedkeytypes.
    text = fixture("openssh-8.4-debian11-old1.txt")
    assert "\npubkeyacceptedkeytypes " in text
    assert ",ssh-rsa\n" in text
    result = run("ssh.weak-crypto", sshd=parse_sshd_t(text))
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    rsa, cert = "RSA signatures with SHA-1", "RSA certificates signed with SHA-1"
    assert result.evidence == (
        f"macs umac-64-etm@openssh.com {T}: 64-bit MAC tag",
        f"macs hmac-sha1-etm@openssh.com {T}: SHA-1 MAC",
        f"macs umac-64@openssh.com {T}: 64-bit MAC tag",
        f"macs hmac-sha1 {T}: SHA-1 MAC",
        f"hostkeyalgorithms ssh-rsa-cert-v01@openssh.com {T}: {cert}",
        f"hostkeyalgorithms ssh-rsa {T}: {rsa}",
        f"pubkeyacceptedalgorithms ssh-rsa-cert-v01@openssh.com {T}: {cert}",
        f"pubkeyacceptedalgorithms ssh-rsa {T}: {rsa}",
    )
    assert [o.key for o in result.objects] == [
        *DEFAULT_WEAK_MACS,
        "hostkey-algorithm:ssh-rsa-cert-v01@openssh.com",
        "hostkey-algorithm:ssh-rsa",
        "pubkey-algorithm:ssh-rsa-cert-v01@openssh.com",
        "pubkey-algorithm:ssh-rsa",
    ]


@pytest.mark.parametrize(
    "name", ["openssh-9.2-web1.txt", "openssh-10.0-debian13-new1.txt"], ids=["9.2", "10.0"]
)
def test_debian_12_and_13_defaults_fail_only_for_their_macs(name: str) -> None:
    # No ssh-rsa (OpenSSH >= 8.8), no SHA-1 key exchange, no CBC: the MACs alone fail.
    result = run("ssh.weak-crypto", sshd=parse_sshd_t(fixture(name)))
    assert result.status == Status.FAIL
    assert [o.key for o in result.objects] == DEFAULT_WEAK_MACS


def test_debian_13_default_lists_pass_once_the_macs_are_fixed() -> None:
    macs = "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com"
    result = run("ssh.weak-crypto", sshd=effective("openssh-10.0-debian13-new1.txt", macs=macs))
    assert result.status == Status.PASS
    assert result.evidence == (
        f"ciphers {T}: no weak algorithm among 6",
        f"macs {T}: no weak algorithm among 3",
        f"kexalgorithms {T}: no weak algorithm among 8",
        f"hostkeyalgorithms {T}: no weak algorithm among 16",
        f"pubkeyacceptedalgorithms {T}: no weak algorithm among 16",
        f"casignaturealgorithms {T}: no weak algorithm among 8",
        f"hostbasedacceptedalgorithms: not used, hostbasedauthentication no {T}",
        f"gssapikexalgorithms: not used, gssapikeyexchange no {T}",
        f"hostkey {T}: no DSA key among 3",
    )


def test_host_based_and_gssapi_kex_lists_count_once_their_method_is_on() -> None:
    cfg = effective(
        "openssh-8.4-debian11-old1.txt",
        macs="hmac-sha2-256-etm@openssh.com",
        hostkeyalgorithms="ssh-ed25519",
        pubkeyacceptedalgorithms="ssh-ed25519",
        hostbasedauthentication="yes",
        gssapikeyexchange="yes",
    )
    result = run("ssh.weak-crypto", sshd=cfg)
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"hostbasedacceptedalgorithms ssh-rsa-cert-v01@openssh.com {T}:"
        " RSA certificates signed with SHA-1",
        f"hostbasedacceptedalgorithms ssh-rsa {T}: RSA signatures with SHA-1",
        f"gssapikexalgorithms gss-group14-sha1- {T}: SHA-1 GSSAPI key exchange",
        f"gssapikexalgorithms gss-gex-sha1- {T}: SHA-1 GSSAPI key exchange",
    )
    assert [o.key for o in result.objects] == [
        "hostbased-algorithm:ssh-rsa-cert-v01@openssh.com",
        "hostbased-algorithm:ssh-rsa",
        "gss-kex:gss-group14-sha1-",
        "gss-kex:gss-gex-sha1-",
    ]


def test_ssh_rsa_for_user_keys_in_a_match_context_fails_naming_it() -> None:
    # The usual way an old client is let back in: `Match User legacy` /
    # `PubkeyAcceptedAlgorithms +ssh-rsa`. sshd -T -C shows the context's resolved list.
    legacy = "rsa-sha2-512,rsa-sha2-256,ssh-ed25519,ssh-rsa"
    contexts = (
        context("Match User legacy", "user=legacy,host=localhost,addr=127.0.0.1",
                macs=GOOD_MACS, pubkeyacceptedalgorithms=legacy),
        context("Match Address 10.0.0.0/8", ADDR, macs=GOOD_MACS),  # the global lists
    )  # fmt: skip
    cfg = effective(macs=GOOD_MACS)
    result = run("ssh.weak-crypto", sshd=cfg, sshd_contexts=contexts)
    assert (result.status, result.reason) == (Status.FAIL, "")
    assert result.evidence == (
        "pubkeyacceptedalgorithms ssh-rsa in Match User legacy"
        " (sshd -T -C user=legacy,host=localhost,addr=127.0.0.1): RSA signatures with SHA-1",
    )
    assert [o.key for o in result.objects] == ["pubkey-algorithm:ssh-rsa"]


def test_an_algorithm_weak_globally_and_in_a_context_is_one_object() -> None:
    contexts = (
        context("Match User legacy", DEPLOY, macs=GOOD_MACS, pubkeyacceptedalgorithms="ssh-rsa"),
    )
    cfg = effective(macs=GOOD_MACS, pubkeyacceptedalgorithms="ssh-rsa,ssh-ed25519")
    result = run("ssh.weak-crypto", sshd=cfg, sshd_contexts=contexts)
    assert [o.key for o in result.objects] == ["pubkey-algorithm:ssh-rsa"]
    assert result.evidence == (f"pubkeyacceptedalgorithms ssh-rsa {T}: RSA signatures with SHA-1",)


def test_host_based_list_of_a_context_that_turns_host_based_on() -> None:
    contexts = (context("Match Host trusted", DEPLOY, macs=GOOD_MACS, hostbasedauthentication="yes",
                        hostbasedacceptedalgorithms="ssh-ed25519,ssh-dss"),)  # fmt: skip
    cfg = effective(macs=GOOD_MACS)
    result = run("ssh.weak-crypto", sshd=cfg, sshd_contexts=contexts)
    assert result.evidence == (
        f"hostbasedacceptedalgorithms ssh-dss in Match Host trusted (sshd -T -C {DEPLOY}):"
        " DSA (1024-bit, SHA-1)",
    )


def test_weak_crypto_contexts_not_judged_are_never_a_pass() -> None:
    cfg = effective(macs=GOOD_MACS)
    result = run("ssh.weak-crypto", sshd=cfg, sshd_contexts=FAILED_CONTEXTS)
    assert result.status == Status.UNKNOWN
    assert result.reason == (
        "the global settings pass; not judged: "
        f"Match User deploy (sshd -T -C {DEPLOY} failed); "
        f"Match Address 10.0.0.0/8 (sshd -T -C {ADDR} failed)"
    )
    unread = run("ssh.weak-crypto", sshd=cfg, sshd_contexts=Unknown("exit status 1"))
    assert (unread.status, unread.reason) == (
        Status.UNKNOWN,
        "the global settings pass; not judged: the Match contexts (exit status 1)",
    )
    failing = run("ssh.weak-crypto", sshd=effective(), sshd_contexts=FAILED_CONTEXTS[:1])
    assert failing.status == Status.FAIL
    assert failing.reason == f"also not judged: Match User deploy (sshd -T -C {DEPLOY} failed)"


LEGACY_NONCE = "9495b7a7afeb483664b915a6"
LEGACY = "user=legacy,host=localhost,addr=127.0.0.1"


def test_debian_11_ssh_rsa_removed_globally_but_back_for_one_user() -> None:
    # Captured on old1: `HostKeyAlgorithms -ssh-rsa*`, `PubkeyAcceptedKeyTypes -ssh-rsa*` in
    # a drop-in, then `Match User legacy` / `PubkeyAcceptedKeyTypes +ssh-rsa`, which appends
    # to the compiled-in default (with ssh-rsa-cert-v01 in it), not to the global list.
    result = run(
        "ssh.weak-crypto",
        sshd=parse_sshd_t(fixture("openssh-8.4-legacy-match.txt")),
        sshd_contexts=parse_sshd_contexts(
            fixture("openssh-8.4-legacy-match-contexts.txt"), LEGACY_NONCE
        ),
    )
    assert (result.status, result.reason) == (Status.FAIL, "")
    assert result.evidence[4:] == (
        f"pubkeyacceptedalgorithms ssh-rsa-cert-v01@openssh.com in Match User legacy"
        f" (sshd -T -C {LEGACY}): RSA certificates signed with SHA-1",
        f"pubkeyacceptedalgorithms ssh-rsa in Match User legacy (sshd -T -C {LEGACY}):"
        " RSA signatures with SHA-1",
    )
    assert [o.key for o in result.objects] == [
        *DEFAULT_WEAK_MACS,
        "pubkey-algorithm:ssh-rsa-cert-v01@openssh.com",
        "pubkey-algorithm:ssh-rsa",
    ]


def test_ssh_rsa_back_in_a_match_block_found_in_the_files_without_root() -> None:
    # The same host without sudo: sshd_config parsed, `sshd -T -C` not run. The global
    # `-ssh-rsa*` lists change the unknown default; the Match block's `+ssh-rsa` adds ssh-rsa.
    text = fixture("openssh-8.4-legacy-match-files.txt")
    result = run(
        "ssh.weak-crypto",
        meta=meta("OpenSSH_8.4"),
        sshd=parse_sshd_config(text, LEGACY_NONCE),
        sshd_contexts=Unknown("sshd_contexts: exit status 1"),
        sections=MappingProxyType({"sshd_config": Section("sshd_config", text, 0)}),
    )
    assert result.status == Status.FAIL
    assert result.evidence == (
        "pubkeyacceptedalgorithms ssh-rsa in Match User legacy"
        f" (parsed from /etc/ssh/sshd_config:126, {PARSED_C}): RSA signatures with SHA-1",
    )
    assert [(o.key, o.path, o.line) for o in result.objects] == [
        ("pubkey-algorithm:ssh-rsa", "/etc/ssh/sshd_config", 126)
    ]


def test_cbc_sha1_kex_and_dsa_keys_are_each_named() -> None:
    cfg = effective(
        "openssh-10-hardened-mixedcase.txt",
        ciphers="aes256-ctr,aes128-cbc,3des-cbc",
        kexalgorithms="curve25519-sha256,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1",
        hostkeyalgorithms="ssh-ed25519,ssh-dss",
        hostkey=("/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_dsa_key"),
    )
    result = run("ssh.weak-crypto", sshd=cfg)
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"ciphers aes128-cbc {T}: CBC mode",
        f"ciphers 3des-cbc {T}: CBC mode",
        f"kexalgorithms diffie-hellman-group14-sha1 {T}: SHA-1 key exchange",
        f"kexalgorithms diffie-hellman-group1-sha1 {T}: SHA-1 key exchange over a 1024-bit group",
        f"hostkeyalgorithms ssh-dss {T}: DSA (1024-bit, SHA-1)",
        f"hostkey /etc/ssh/ssh_host_dsa_key {T}: DSA host key",
    )


def test_weak_crypto_unknown_when_files_leave_the_defaults() -> None:
    cfg = parse_sshd_config(fixture("openssh-9.2-db1-files.txt"), "c2113f3f0e403a503db92ff4")
    result = run("ssh.weak-crypto", sshd=cfg, meta=meta("OpenSSH_9.2"))
    assert result.status == Status.UNKNOWN
    assert result.evidence == (
        "hostbasedacceptedalgorithms: not used, hostbasedauthentication off",
        "gssapikexalgorithms: not used, gssapikeyexchange off",
        "hostkey not set: OpenSSH_9.2 loads no DSA key by default",
    )
    assert result.reason == (
        "ciphers is not set: sshd's compiled-in default applies;"
        " macs is not set: sshd's compiled-in default applies;"
        " kexalgorithms is not set: sshd's compiled-in default applies;"
        " hostkeyalgorithms is not set: sshd's compiled-in default applies;"
        " pubkeyacceptedalgorithms is not set: sshd's compiled-in default applies;"
        " casignaturealgorithms is not set: sshd's compiled-in default applies"
        " (only sshd -T, as root, shows the result)"
    )


def test_weak_algorithm_appended_in_the_files_fails() -> None:
    cfg = sshd(source="sshd_config", ciphers="+aes128-cbc")
    result = run("ssh.weak-crypto", sshd=cfg, meta=meta("OpenSSH_9.2"))
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"ciphers aes128-cbc (parsed from /etc/ssh/sshd_config:1, {PARSED}): CBC mode",
    )


def test_weak_crypto_unknown_and_skip() -> None:
    assert run("ssh.weak-crypto", sshd=Unknown("x")).status == Status.UNKNOWN
    assert run("ssh.weak-crypto", sshd=NO_SSHD).status == Status.SKIP


# ssh.log-level ------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["INFO", "VERBOSE"])
def test_log_level_info_or_verbose_passes(level: str) -> None:
    result = run("ssh.log-level", sshd=effective(loglevel=level))
    assert result.status == Status.PASS
    assert result.evidence == (f"loglevel {level} {T}",)


@pytest.mark.parametrize("level", ["QUIET", "ERROR", "DEBUG3"])
def test_other_log_levels_fail(level: str) -> None:
    result = run("ssh.log-level", sshd=effective(loglevel=level))
    assert (result.status, result.severity) == (Status.FAIL, Severity.LOW)
    assert result.evidence == (f"loglevel {level} {T}; expected INFO or VERBOSE",)


def test_log_level_unknown_and_skip() -> None:
    assert run("ssh.log-level", sshd=Unknown("x")).status == Status.UNKNOWN
    assert run("ssh.log-level", sshd=NO_SSHD).status == Status.SKIP


# ssh.access-list ----------------------------------------------------------------------------------


def test_allow_groups_passes() -> None:
    result = run("ssh.access-list", sshd=parse_sshd_t(fixture("openssh-10-hardened-mixedcase.txt")))
    assert result.status == Status.PASS
    assert result.evidence == (f"allowgroups ssh-users admins {T}",)


def test_allow_users_from_files_passes_with_lower_confidence() -> None:
    text = "@@n FILE /etc/ssh/sshd_config\nAllowUsers alice bob\nAllowUsers carol\n"
    result = run("ssh.access-list", sshd=parse_sshd_config(text, "n"))
    assert result.status == Status.PASS
    assert result.evidence == (
        f"allowusers alice bob carol (parsed from /etc/ssh/sshd_config:1, {PARSED})",
    )


def test_no_allow_list_fails_and_a_deny_list_does_not_count() -> None:
    result = run("ssh.access-list", sshd=effective(denyusers=("root", "guest")))
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == (
        f"neither allowusers nor allowgroups is set {T}: every account may log in",
        "denyusers root guest is a deny-list, not an allow-list",
    )


def test_no_allow_list_in_the_files_fails_with_lower_confidence() -> None:
    cfg = parse_sshd_config(fixture("openssh-9.2-db1-files.txt"), "c2113f3f0e403a503db92ff4")
    result = run("ssh.access-list", sshd=cfg)
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"neither allowusers nor allowgroups is set (parsed from files, {PARSED}):"
        " every account may log in",
    )


def test_access_list_unknown_and_skip() -> None:
    result = run("ssh.access-list", sshd=Unknown("sshd -T: timed out"))
    assert (result.status, result.reason) == (Status.UNKNOWN, "sshd -T: timed out")
    assert run("ssh.access-list", sshd=NO_SSHD).status == Status.SKIP


# ssh.match-override -------------------------------------------------------------------------------


def test_match_override_names_each_weakening_context() -> None:
    result = run("ssh.match-override", **match_fixture())
    assert (result.status, result.severity) == (Status.FAIL, Severity.HIGH)
    assert result.evidence == (
        f"Match User deploy (sshd -T -C {DEPLOY}): passwordauthentication yes, global no",
        f"Match Address 10.0.0.0/8 (sshd -T -C {ADDR}): permitrootlogin without-password,"
        " global no",
    )


def test_match_override_passes_when_contexts_are_as_strict() -> None:
    contexts = (
        context("Match Address 10.0.0.0/8", ADDR, x11forwarding="no"),
        context("Match User ops", "user=ops,host=localhost,addr=127.0.0.1", permitrootlogin="no"),
    )
    cfg = effective(permitrootlogin="prohibit-password")
    result = run("ssh.match-override", sshd=cfg, sshd_contexts=contexts)
    assert result.status == Status.PASS
    weakens = (
        "weakens none of permitrootlogin, passwordauthentication, kbdinteractiveauthentication"
    )
    assert result.evidence == (
        f"Match Address 10.0.0.0/8 (sshd -T -C {ADDR}): {weakens}",
        f"Match User ops (sshd -T -C user=ops,host=localhost,addr=127.0.0.1): {weakens}",
    )


def test_without_password_is_the_same_as_prohibit_password() -> None:
    contexts = (context("Match User a", DEPLOY, permitrootlogin="without-password"),)
    cfg = effective(permitrootlogin="prohibit-password")
    assert run("ssh.match-override", sshd=cfg, sshd_contexts=contexts).status == Status.PASS


def test_match_override_from_files_without_root() -> None:
    result = run("ssh.match-override", **no_root_match_fixture(FAILED_CONTEXTS))
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"Match User deploy (/etc/ssh/sshd_config:123, parsed from files, {PARSED_C}):"
        " passwordauthentication yes at /etc/ssh/sshd_config:124, global no",
        f"Match Address 10.0.0.0/8 (/etc/ssh/sshd_config:125, parsed from files, {PARSED_C}):"
        " permitrootlogin prohibit-password at /etc/ssh/sshd_config:126, global no",
    )


def test_match_override_unknown_when_contexts_cannot_be_read() -> None:
    result = run(
        "ssh.match-override",
        sshd=effective(),
        sshd_contexts=Unknown("sshd -T -C per Match context: command did not finish"),
    )
    assert result.status == Status.UNKNOWN
    assert result.reason == "sshd -T -C per Match context: command did not finish"


def test_match_override_unknown_when_a_context_failed() -> None:
    contexts = (context("Match User ops", DEPLOY), FAILED_CONTEXTS[1])
    result = run("ssh.match-override", sshd=effective(), sshd_contexts=contexts)
    assert result.status == Status.UNKNOWN
    assert result.reason == f"Match Address 10.0.0.0/8: sshd -T -C {ADDR} failed"


def test_match_override_skips_without_match_lines_or_sshd() -> None:
    result = run("ssh.match-override", sshd=effective(), sshd_contexts=())
    assert (result.status, result.reason) == (
        Status.SKIP,
        "no Match lines in the sshd configuration",
    )
    assert run("ssh.match-override", sshd=NO_SSHD, sshd_contexts=NO_SSHD).status == Status.SKIP


# the whole pipeline on a real capture ------------------------------------------------------------


def test_db1_without_sudo_from_its_captured_sections() -> None:
    nonce = "c2113f3f0e403a503db92ff4"
    sections = {
        "meta": Section(
            "meta", "uid=1000\nuser=auditor\nprivilege=user\nsshd_version=OpenSSH_9.2", 0
        ),
        "sshd_t": Section("sshd_t", "", 1, stderr="sshd: no hostkeys available -- exiting."),
        "sshd_config": Section("sshd_config", fixture("openssh-9.2-db1-files.txt"), 0),
        "sshd_contexts": Section("sshd_contexts", "", 0),
    }
    host = build_host_facts(sections, nonce)
    results = {
        r.check: r for r in evaluate([c for c in CHECKS.values() if c.family == "ssh"], host, {})
    }
    assert results["ssh.permit-root-login"].evidence == (
        f"permitrootlogin yes (parsed from /etc/ssh/sshd_config:124, {PARSED}); expected no",
    )
    assert results["ssh.password-auth"].evidence[0] == (
        "passwordauthentication yes (parsed from"
        f" /etc/ssh/sshd_config.d/50-cloud-init.conf:1, {PARSED}); expected no"
    )
    assert {c: r.status.value for c, r in results.items()} == {
        "ssh.access-list": "fail",
        "ssh.empty-passwords": "pass",
        "ssh.forwarding": "fail",
        "ssh.log-level": "pass",
        "ssh.match-override": "skip",
        "ssh.max-auth-tries": "fail",
        "ssh.password-auth": "fail",
        "ssh.permit-root-login": "fail",
        "ssh.protocol": "pass",
        "ssh.pubkey-auth": "pass",
        "ssh.rate-limit": "unknown",
        "ssh.weak-crypto": "unknown",
        "ssh.x11-forwarding": "fail",
    }
