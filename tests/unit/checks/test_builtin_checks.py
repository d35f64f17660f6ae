"""Pass, fail and unknown (and skip where it applies) for every built-in check."""

from __future__ import annotations

from typing import Any

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import Check, CheckResult, FindingObject, Severity, Status
from hardaudit.facts.model import (
    Absent,
    Container,
    FirewallState,
    ListeningSocket,
    SshFiles,
    Unknown,
)

from .factories import facts, key, ssh_dir, sshd

CHECKS = {c.id: c for c in load_checks()}


def run(check_id: str, host_vars: dict[str, Any] | None = None, **overrides: Any) -> CheckResult:
    check: Check = CHECKS[check_id]
    (result,) = evaluate([check], facts(**overrides), host_vars or {})
    return result


# ssh.permit-root-login -------------------------------------------------------------------


def test_permit_root_login_no_passes() -> None:
    result = run("ssh.permit-root-login")
    assert result.status == Status.PASS
    assert result.evidence == ("permitrootlogin no (sshd -T)",)


def test_permit_root_login_yes_fails_high() -> None:
    result = run("ssh.permit-root-login", sshd=sshd(permitrootlogin="yes"))
    assert (result.status, result.severity) == (Status.FAIL, Severity.HIGH)
    assert result.evidence == ("permitrootlogin yes (sshd -T); expected no",)


def test_prohibit_password_fails_at_medium_unless_allowed() -> None:
    result = run("ssh.permit-root-login", sshd=sshd(permitrootlogin="prohibit-password"))
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    allowed = run(
        "ssh.permit-root-login",
        {"ssh_root_login_allowed": True},
        sshd=sshd(permitrootlogin="prohibit-password"),
    )
    assert allowed.status == Status.PASS


def test_permit_root_login_unknown_without_sshd_facts() -> None:
    result = run("ssh.permit-root-login", sshd=Unknown("sshd -T: exit status 1: permission denied"))
    assert result.status == Status.UNKNOWN
    assert result.reason == "sshd -T: exit status 1: permission denied"


def test_parsed_config_says_lower_confidence_and_origin() -> None:
    result = run("ssh.permit-root-login", sshd=sshd(source="sshd_config", permitrootlogin="yes"))
    assert result.status == Status.FAIL
    assert "parsed from /etc/ssh/sshd_config:1" in result.evidence[0]
    assert "lower confidence" in result.evidence[0]


def test_no_sshd_skips() -> None:
    assert run("ssh.permit-root-login", sshd=Absent("sshd is not installed")).status == Status.SKIP


# ssh.password-auth ---------------------------------------------------------------------------


def test_password_auth_both_off_passes() -> None:
    assert run("ssh.password-auth").status == Status.PASS


@pytest.mark.parametrize("option", ["passwordauthentication", "kbdinteractiveauthentication"])
def test_password_auth_either_on_fails(option: str) -> None:
    result = run("ssh.password-auth", sshd=sshd(**{option: "yes"}))
    assert result.status == Status.FAIL
    assert f"{option} yes (sshd -T); expected no" in result.evidence


def test_password_auth_unknown() -> None:
    assert run("ssh.password-auth", sshd=Unknown("no output")).status == Status.UNKNOWN


# file.ssh-dir / file.ssh-privkey ---------------------------------------------------------------


def test_ssh_dir_700_passes() -> None:
    result = run("file.ssh-dir")
    assert result.status == Status.PASS
    assert result.evidence == ("/home/app/.ssh 0700 app:app",)


def test_ssh_dir_755_fails_with_path_and_mode() -> None:
    result = run("file.ssh-dir", ssh_files=SshFiles((ssh_dir(mode=0o755),), ()))
    assert result.status == Status.FAIL
    assert result.evidence == ("/home/app/.ssh 0755 app:app: mode 0755 (max 0700)",)


def test_ssh_dir_owned_by_someone_else_fails() -> None:
    result = run("file.ssh-dir", ssh_files=SshFiles((ssh_dir(owner="root"),), ()))
    assert result.status == Status.FAIL
    assert "owned by root, expected app" in result.evidence[0]


def test_ssh_dir_unreadable_home_is_unknown_not_pass() -> None:
    result = run(
        "file.ssh-dir", ssh_files=SshFiles((ssh_dir(),), ("/root/.ssh: Permission denied",))
    )
    assert result.status == Status.UNKNOWN
    assert "/root/.ssh: Permission denied" in result.reason


def test_ssh_dir_listing_failed_is_unknown() -> None:
    assert (
        run("file.ssh-dir", ssh_files=Unknown("~/.ssh listing: exit status 1")).status
        == Status.UNKNOWN
    )


def test_privkey_644_fails_and_pub_is_ignored() -> None:
    files = (key("/home/app/.ssh/id_ed25519", 0o644), key("/home/app/.ssh/id_ed25519.pub", 0o644))
    result = run("file.ssh-privkey", ssh_files=SshFiles((ssh_dir(files=files),), ()))
    assert result.status == Status.FAIL
    assert result.evidence == ("/home/app/.ssh/id_ed25519 0644 app:app: mode 0644 (max 0600)",)


def test_privkey_detected_by_header_whatever_its_name() -> None:
    files = (
        key("/home/app/.ssh/deploy", 0o640, private_key=True),
        key("/home/app/.ssh/config", 0o644),
    )
    result = run("file.ssh-privkey", ssh_files=SshFiles((ssh_dir(files=files),), ()))
    assert result.status == Status.FAIL
    assert result.evidence == ("/home/app/.ssh/deploy 0640 app:app: mode 0640 (max 0600)",)


def test_privkey_600_passes() -> None:
    files = (key("/home/app/.ssh/id_rsa", 0o600),)
    result = run("file.ssh-privkey", ssh_files=SshFiles((ssh_dir(files=files),), ()))
    assert result.status == Status.PASS


def test_privkey_unknown_when_a_dir_is_unreadable() -> None:
    result = run("file.ssh-privkey", ssh_files=SshFiles((), ("/root/.ssh: Permission denied",)))
    assert result.status == Status.UNKNOWN


# net.exposed-ports -----------------------------------------------------------------------------


def test_only_ssh_exposed_passes_and_loopback_is_ignored() -> None:
    sockets = (ListeningSocket("tcp", "0.0.0.0", 22), ListeningSocket("udp", "127.0.0.11", 53))
    result = run("net.exposed-ports", listeners=sockets)
    assert result.status == Status.PASS
    assert result.evidence == ("tcp 0.0.0.0:22 allowed",)


def test_redis_on_all_addresses_fails() -> None:
    sockets = (
        ListeningSocket("tcp", "0.0.0.0", 22),
        ListeningSocket("tcp", "0.0.0.0", 6379, "redis-server"),
    )
    result = run("net.exposed-ports", listeners=sockets)
    assert result.status == Status.FAIL
    assert result.evidence == ("tcp 0.0.0.0:6379 (redis-server) not in allowed_ports [22]",)


def test_allowed_ports_from_inventory_and_proto_suffix() -> None:
    sockets = (ListeningSocket("tcp", "::", 443), ListeningSocket("udp", "0.0.0.0", 53))
    assert (
        run("net.exposed-ports", {"allowed_ports": [443, "53/udp"]}, listeners=sockets).status
        == Status.PASS
    )
    assert (
        run("net.exposed-ports", {"allowed_ports": [443, "53/tcp"]}, listeners=sockets).status
        == Status.FAIL
    )


def test_exposed_ports_unknown() -> None:
    assert run("net.exposed-ports", listeners=Unknown("no ss")).status == Status.UNKNOWN


# fw.enabled ----------------------------------------------------------------------------------------


def test_firewall_filtering_passes() -> None:
    assert run("fw.enabled").status == Status.PASS


def test_firewall_accept_everything_fails() -> None:
    state = FirewallState("nftables", False, False, False, False, ())
    result = run("fw.enabled", firewall=state)
    assert result.status == Status.FAIL
    assert result.evidence[0] == "no inbound filtering: no input chain drops or rejects anything"


def test_firewall_unknown_without_root() -> None:
    result = run("fw.enabled", firewall=Unknown("nft: exit status 1: Operation not permitted"))
    assert result.status == Status.UNKNOWN


# ctr.non-root ---------------------------------------------------------------------------------------


def test_non_root_process_passes_even_without_user_in_image() -> None:
    result = run("ctr.non-root", containers=(Container("b", "drop", "img", "", 42, 1000),))
    assert result.status == Status.PASS
    assert result.evidence == ("drop (img) pid 42: process runs as uid 1000; no USER in config",)


def test_root_process_fails_whatever_config_user_says() -> None:
    result = run("ctr.non-root", containers=(Container("c", "liar", "img", "app", 43, 0),))
    assert result.status == Status.FAIL
    assert result.evidence == ("liar (img) pid 43: process runs as uid 0; Config.User 'app'",)


def test_unreadable_proc_is_unknown() -> None:
    result = run("ctr.non-root", containers=(Container("d", "x", "img", "1000", 44, None),))
    assert result.status == Status.UNKNOWN


def test_no_engine_skips() -> None:
    assert run("ctr.non-root", containers=Absent("no container engine")).status == Status.SKIP


def test_a_non_ascii_digit_in_allowed_ports_allows_nothing_and_breaks_no_check() -> None:
    """'²' is a digit to str.isdigit() but not to int(): the evaluator raised and the check
    went unknown for every host of the profile or group that set it."""
    sockets = (ListeningSocket("tcp", "0.0.0.0", 22), ListeningSocket("tcp", "0.0.0.0", 2))
    allowed = ["²", "²/tcp", "9" * 5000, 22]
    result = run("net.exposed-ports", {"allowed_ports": allowed}, listeners=sockets)
    assert result.status == Status.FAIL, result.reason
    assert result.objects == (FindingObject("tcp/0.0.0.0:2"),)
