"""file.* checks: pass, fail and unknown (and skip) on real captures and hand-written facts.

Real captures (tests/fixtures/files, see its README): Debian 12 with GNU tools and with
BusyBox, as root and as a user without sudo. Hand-written facts cover other distributions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, Severity, Status
from hardaudit.facts.build import build_host_facts
from hardaudit.facts.model import (
    Absent,
    EnvFiles,
    FileStat,
    HostFacts,
    Section,
    SshFiles,
    Unknown,
    WorldWritable,
)

from .factories import facts, key, ssh_dir, sshd

CHECKS = {c.id: c for c in load_checks()}
FIXTURES = Path(__file__).parents[2] / "fixtures" / "files"
FILE_CHECKS = sorted(
    c for c in CHECKS if c.startswith("file.") and c not in ("file.ssh-dir", "file.ssh-privkey")
)


def captured(name: str) -> HostFacts:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    sections = {
        n: Section(n, s["text"], s["rc"], False, s["stderr"]) for n, s in data["sections"].items()
    }
    return build_host_facts(sections, data["nonce"])


def judge(check_id: str, host: HostFacts, host_vars: dict[str, Any] | None = None) -> CheckResult:
    (result,) = evaluate([CHECKS[check_id]], host, host_vars or {})
    return result


def run(check_id: str, host_vars: dict[str, Any] | None = None, **overrides: Any) -> CheckResult:
    return judge(check_id, facts(**overrides), host_vars)


def stat(
    path: str, mode: int, owner: str = "root", group: str = "root", kind: str = "regular file"
) -> FileStat:
    return FileStat(path, mode, owner, group, kind)


DEBIAN_ETC = (
    stat("/etc/shadow", 0o640, group="shadow"),
    stat("/etc/gshadow", 0o640, group="shadow"),
    stat("/etc/ssh/sshd_config", 0o644),
    stat("/etc/ssh/ssh_host_ed25519_key", 0o600),
)


def etc(*replacing: FileStat, without: tuple[str, ...] = ()) -> tuple[FileStat, ...]:
    """DEBIAN_ETC with some entries replaced (same path) or removed."""
    by_path = {s.path: s for s in DEBIAN_ETC if s.path not in without}
    by_path.update({s.path: s for s in replacing})
    return tuple(by_path.values())


# every check -------------------------------------------------------------------------------


def test_the_file_checks_exist_with_the_catalog_ids() -> None:
    assert FILE_CHECKS == [
        "file.env-mode",
        "file.shadow",
        "file.ssh-pubkey",
        "file.sshd-config",
        "file.sshd-hostkeys",
        "file.world-writable",
    ]


@pytest.mark.parametrize("check_id", FILE_CHECKS)
def test_clean_debian_host_passes(check_id: str) -> None:
    result = judge(check_id, captured("debian-root-clean"))
    assert result.status == Status.PASS, result


@pytest.mark.parametrize("check_id", FILE_CHECKS)
def test_gnu_and_busybox_hosts_give_the_same_results(check_id: str) -> None:
    gnu = judge(check_id, captured("debian-root-weak"))
    busybox = judge(check_id, captured("busybox-root-weak"))
    assert gnu.status == Status.FAIL
    assert (busybox.status, busybox.evidence) == (gnu.status, gnu.evidence)


@pytest.mark.parametrize("check_id", FILE_CHECKS)
def test_no_evidence_ever_carries_a_file_content(check_id: str) -> None:
    for name in ("debian-root-weak", "busybox-root-weak", "debian-root-clean"):
        text = " ".join(judge(check_id, captured(name)).evidence)
        for planted in ("do-not-read", "DB_PASSWORD", "TOKEN=", "AAAAC3"):
            assert planted not in text


@pytest.mark.parametrize(
    ("check_id", "fact"),
    [
        ("file.env-mode", "env_files"),
        ("file.shadow", "etc_files"),
        ("file.ssh-pubkey", "ssh_files"),
        ("file.sshd-config", "etc_files"),
        ("file.sshd-hostkeys", "etc_files"),
        ("file.world-writable", "world_writable"),
    ],
)
def test_unreadable_fact_is_unknown_with_its_reason(check_id: str, fact: str) -> None:
    result = run(check_id, **{fact: Unknown("stat of /etc files: exit status 124: timed out")})
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "stat of /etc files: exit status 124: timed out",
    )


# file.env-mode -------------------------------------------------------------------------------


def test_env_mode_real_clean_host_lists_files_and_templates() -> None:
    result = judge("file.env-mode", captured("debian-root-clean"))
    assert result.status == Status.PASS
    assert result.evidence == (
        "/srv/app/.env 0600 app:app",
        "/home/alice/proj/.env 0600 alice:alice",
        "/opt/tool/.env.example 0644 root:root: template (env_template_names), not judged",
    )


def test_env_mode_real_weak_host_fails_on_mode_and_owners() -> None:
    result = judge("file.env-mode", captured("debian-root-weak"))
    assert (result.status, result.severity) == (Status.FAIL, Severity.HIGH)
    assert result.evidence == (
        "/srv/app/.env.production 0640 app:app: mode 0640 (max 0600): group-readable",
        "/var/www/html/.env.local 0600 UNKNOWN:UNKNOWN: owned by a UID that has no account",
        "/home/alice/proj/.env 0600 bob:bob: owned by bob, expected root or alice",
    )


def test_env_mode_search_that_failed_is_unknown_even_if_some_files_were_found() -> None:
    result = judge("file.env-mode", captured("debian-user-rhel-modes"))
    assert result.status == Status.UNKNOWN
    assert result.reason == ".env search: exit status 1: find: '/home/alice': Permission denied"
    busybox = judge("file.env-mode", captured("busybox-user"))
    assert busybox.reason == ".env search: exit status 1: find: /home/alice: Permission denied"


def test_env_mode_no_env_files_passes_naming_the_dirs() -> None:
    result = run("file.env-mode", env_files=EnvFiles(("/srv", "/home"), ()))
    assert result.status == Status.PASS
    assert result.evidence == ("no .env files under /srv, /home",)


def test_env_mode_no_app_dir_at_all_passes_naming_app_dirs() -> None:
    result = run("file.env-mode", {"app_dirs": "/data,/apps"}, env_files=EnvFiles((), ()))
    assert result.evidence == ("no app dir exists (app_dirs: /data, /apps)",)
    default = run("file.env-mode", env_files=EnvFiles((), ()))
    assert default.evidence == ("no app dir exists (app_dirs: /srv, /opt, /var/www, /home)",)


def test_env_mode_only_templates_passes_and_says_so() -> None:
    found = EnvFiles(("/srv",), (stat("/srv/app/.env.example", 0o664, "app", "app"),))
    result = run("file.env-mode", env_files=found)
    assert result.status == Status.PASS
    assert result.evidence == (
        "no .env files under /srv",
        "/srv/app/.env.example 0664 app:app: template (env_template_names), not judged",
    )


@pytest.mark.parametrize(
    ("mode", "owner", "problem"),
    [
        (0o400, "app", None),
        (0o600, "root", None),
        (0o700, "app", "mode 0700 (max 0600): owner-executable"),
        (0o604, "app", "mode 0604 (max 0600): world-readable"),
        (0o600, "nobody", "owned by nobody, expected root or a dedicated account (not nobody)"),
    ],
)
def test_env_mode_outside_home_any_dedicated_account(
    mode: int, owner: str, problem: str | None
) -> None:
    found = EnvFiles(("/srv",), (stat("/srv/app/.env", mode, owner, owner),))
    result = run("file.env-mode", env_files=found)
    line = f"/srv/app/.env {mode:04o} {owner}:{owner}"
    if problem is None:
        assert (result.status, result.evidence) == (Status.PASS, (line,))
    else:
        assert (result.status, result.evidence) == (Status.FAIL, (f"{line}: {problem}",))


def test_env_owners_variable_pins_the_owning_accounts() -> None:
    found = EnvFiles(
        ("/srv", "/home"),
        (
            stat("/srv/app/.env", 0o600, "app", "app"),
            stat("/home/deploy/site/.env", 0o600, "deploy", "deploy"),
        ),
    )
    result = run("file.env-mode", {"env_owners": ["deploy"]}, env_files=found)
    assert result.status == Status.FAIL
    assert result.evidence == ("/srv/app/.env 0600 app:app: owned by app, expected root or deploy",)


# file.ssh-pubkey -----------------------------------------------------------------------------


def test_ssh_pubkey_real_clean_host_passes() -> None:
    result = judge("file.ssh-pubkey", captured("debian-root-clean"))
    assert result.evidence == (
        "/home/alice/.ssh/authorized_keys 0600 alice:alice",
        "/home/alice/.ssh/id_ed25519.pub 0644 alice:alice",
        "/home/bob/.ssh/authorized_keys 0600 bob:bob",
        "/home/auditor/.ssh/authorized_keys 0600 auditor:auditor",
    )


def test_ssh_pubkey_real_writable_files_fail() -> None:
    result = judge("file.ssh-pubkey", captured("debian-root-weak"))
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == (
        "/home/alice/.ssh/id_ed25519.pub 0666 alice:alice: mode 0666 (max 0755): group-writable, world-writable",
        "/home/bob/.ssh/authorized_keys 0664 bob:bob: mode 0664 (max 0755): group-writable",
    )


def test_ssh_pubkey_unreadable_dirs_are_unknown_not_pass() -> None:
    result = judge("file.ssh-pubkey", captured("busybox-user"))
    assert result.status == Status.UNKNOWN
    assert result.evidence == ("/home/auditor/.ssh/authorized_keys 0600 auditor:auditor",)
    assert result.reason.startswith(
        "could not read: /root/.ssh: stat: can't stat '/root/.ssh': Permission denied; "
    )
    assert result.reason.count("Permission denied") == 4


def test_ssh_pubkey_failure_wins_over_unreadable_dirs() -> None:
    files = (key("/home/app/.ssh/authorized_keys", 0o620),)
    result = run(
        "file.ssh-pubkey",
        ssh_files=SshFiles((ssh_dir(files=files),), ("/root/.ssh: Permission denied",)),
    )
    assert result.status == Status.FAIL
    assert result.reason == "also not judged: could not read: /root/.ssh: Permission denied"


def test_ssh_pubkey_owned_by_another_user_fails() -> None:
    files = (key("/home/app/.ssh/authorized_keys", 0o600, owner="bob"),)
    result = run("file.ssh-pubkey", ssh_files=SshFiles((ssh_dir(files=files),), ()))
    assert result.evidence == (
        "/home/app/.ssh/authorized_keys 0600 bob:bob: owned by bob, expected root or app",
    )


def test_ssh_pubkey_ignores_private_keys_and_a_failed_header_grep() -> None:
    files = (
        key("/home/app/.ssh/id_rsa", 0o600, private_key=True),
        key("/home/app/.ssh/authorized_keys2", 0o644),
        key("/home/app/.ssh/known_hosts", 0o666),
    )
    unread = ("/home/app/.ssh: could not read the first line of some files",)
    result = run("file.ssh-pubkey", ssh_files=SshFiles((ssh_dir(files=files),), unread))
    assert (result.status, result.evidence) == (
        Status.PASS,
        ("/home/app/.ssh/authorized_keys2 0644 app:app",),
    )


def test_ssh_pubkey_no_key_files_passes() -> None:
    result = run("file.ssh-pubkey")
    assert result.evidence == ("no *.pub or authorized_keys file in 1 ~/.ssh director(ies)",)


def test_ssh_pubkey_symlink_is_not_followed_so_unknown() -> None:
    link = FileStat("/home/app/.ssh/authorized_keys", 0o777, "app", "app", "symbolic link")
    result = run("file.ssh-pubkey", ssh_files=SshFiles((ssh_dir(files=(link,)),), ()))
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "/home/app/.ssh/authorized_keys is a symbolic link: its target was not read",
    )


# file.sshd-hostkeys --------------------------------------------------------------------------


def test_hostkeys_real_world_readable_key_fails_and_ssh_keys_640_is_fine() -> None:
    result = judge("file.sshd-hostkeys", captured("debian-root-weak"))
    assert result.status == Status.FAIL
    assert result.evidence == (
        "/etc/ssh/ssh_host_rsa_key 0644 root:root: mode 0644 (max 0600, or 0640 with group ssh_keys): group-readable, world-readable",
    )


def test_hostkeys_rhel8_root_ssh_keys_640_passes() -> None:
    keys = (
        stat("/etc/ssh/ssh_host_ecdsa_key", 0o640, group="ssh_keys"),
        stat("/etc/ssh/ssh_host_ed25519_key", 0o640, group="ssh_keys"),
    )
    result = run("file.sshd-hostkeys", etc_files=keys)
    assert result.status == Status.PASS
    assert result.evidence == (
        "/etc/ssh/ssh_host_ecdsa_key 0640 root:ssh_keys",
        "/etc/ssh/ssh_host_ed25519_key 0640 root:ssh_keys",
    )


def test_hostkeys_640_with_group_root_or_owner_not_root_fails() -> None:
    keys = (
        stat("/etc/ssh/ssh_host_ed25519_key", 0o640),
        stat("/etc/ssh/ssh_host_rsa_key", 0o600, owner="sshd"),
    )
    result = run("file.sshd-hostkeys", etc_files=keys)
    assert result.evidence == (
        "/etc/ssh/ssh_host_ed25519_key 0640 root:root: mode 0640 (max 0600, or 0640 with group ssh_keys): group-readable",
        "/etc/ssh/ssh_host_rsa_key 0600 sshd:root: owned by sshd, expected root",
    )


def test_hostkeys_none_visible_is_unknown() -> None:
    result = run("file.sshd-hostkeys", etc_files=etc(without=("/etc/ssh/ssh_host_ed25519_key",)))
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "no host key visible (/etc/ssh/ssh_host_*_key)",
    )


def test_hostkeys_named_elsewhere_by_sshd_are_mentioned() -> None:
    cfg = sshd(hostkey="/etc/ssh/keys/host_ed25519")
    result = run("file.sshd-hostkeys", etc_files=DEBIAN_ETC, sshd=cfg)
    assert result.status == Status.PASS
    assert result.evidence == (
        "/etc/ssh/ssh_host_ed25519_key 0600 root:root",
        "HostKey /etc/ssh/keys/host_ed25519: outside /etc/ssh/ssh_host_*_key, not checked",
    )


@pytest.mark.parametrize("check_id", ["file.sshd-hostkeys", "file.sshd-config"])
def test_no_sshd_skips(check_id: str) -> None:
    result = run(check_id, etc_files=(), sshd=Absent("sshd is not installed"))
    assert (result.status, result.reason) == (Status.SKIP, "sshd is not installed")


# file.sshd-config ----------------------------------------------------------------------------


def test_sshd_config_real_group_writable_dropin_fails() -> None:
    result = judge("file.sshd-config", captured("debian-root-weak"))
    assert (result.status, result.severity) == (Status.FAIL, Severity.HIGH)
    assert result.evidence == (
        "/etc/ssh/sshd_config.d/50-cloud-init.conf 0664 root:root: mode 0664 (max 0755): group-writable",
    )


def test_sshd_config_real_clean_lists_main_file_and_includes() -> None:
    result = judge("file.sshd-config", captured("debian-root-clean"))
    assert result.evidence == (
        "/etc/ssh/sshd_config 0644 root:root",
        "/etc/ssh/sshd_config.d/10-lab.conf 0644 root:root",
    )


@pytest.mark.parametrize(
    ("name", "complaint"),
    [
        ("debian-user-rhel-modes", "awk: cannot open /etc/ssh/sshd_config (Permission denied)"),
        ("busybox-user", "awk: /etc/ssh/sshd_config: Permission denied"),
    ],
)
def test_sshd_config_unreadable_for_includes_is_unknown(name: str, complaint: str) -> None:
    result = judge("file.sshd-config", captured(name))
    assert result.status == Status.UNKNOWN
    assert result.evidence == ("/etc/ssh/sshd_config 0600 root:root",)
    assert result.reason == f"Include lines not followed: {complaint}"


def test_sshd_config_rhel_600_files_pass() -> None:
    files = etc(
        stat("/etc/ssh/sshd_config", 0o600),
        stat("/etc/ssh/sshd_config.d/50-redhat.conf", 0o600),
    )
    result = run("file.sshd-config", etc_files=files)
    assert result.evidence == (
        "/etc/ssh/sshd_config 0600 root:root",
        "/etc/ssh/sshd_config.d/50-redhat.conf 0600 root:root",
    )


def test_sshd_config_owned_by_a_user_fails() -> None:
    files = etc(stat("/etc/ssh/sshd_config.d/99-admin.conf", 0o644, "admin", "admin"))
    result = run("file.sshd-config", etc_files=files)
    assert result.status == Status.FAIL
    assert result.evidence == (
        "/etc/ssh/sshd_config.d/99-admin.conf 0644 admin:admin: owned by admin, expected root",
    )


def test_sshd_config_missing_main_file_is_unknown() -> None:
    result = run("file.sshd-config", etc_files=etc(without=("/etc/ssh/sshd_config",)))
    assert (result.status, result.reason) == (Status.UNKNOWN, "/etc/ssh/sshd_config not found")


# file.shadow ---------------------------------------------------------------------------------


def test_shadow_real_debian_640_root_shadow_passes() -> None:
    result = judge("file.shadow", captured("debian-root-clean"))
    assert result.evidence == ("/etc/shadow 0640 root:shadow", "/etc/gshadow 0640 root:shadow")


def test_shadow_real_rhel_000_root_root_passes() -> None:
    result = judge("file.shadow", captured("debian-user-rhel-modes"))
    assert result.status == Status.PASS
    assert result.evidence == ("/etc/shadow 0000 root:root", "/etc/gshadow 0000 root:root")


def test_shadow_real_world_readable_gshadow_fails() -> None:
    result = judge("file.shadow", captured("debian-root-weak"))
    assert (result.status, result.evidence) == (
        Status.FAIL,
        ("/etc/gshadow 0644 root:shadow: mode 0644 (max 0640): world-readable",),
    )


def test_shadow_missing_gshadow_is_not_a_failure() -> None:
    result = run("file.shadow", etc_files=etc(without=("/etc/gshadow",)))
    assert result.status == Status.PASS
    assert result.evidence == (
        "/etc/shadow 0640 root:shadow",
        "/etc/gshadow: not present (not a failure)",
    )


def test_shadow_missing_shadow_is_unknown() -> None:
    result = run("file.shadow", etc_files=etc(without=("/etc/shadow",)))
    assert result.status == Status.UNKNOWN
    assert result.reason == (
        "/etc/shadow not found: password hashes may be in the world-readable /etc/passwd"
    )


@pytest.mark.parametrize(
    ("mode", "owner", "group", "problem"),
    [
        (0o600, "root", "wheel", None),  # the group has no bit: its name does not matter
        (0o400, "root", "root", None),
        (0o640, "root", "wheel", "group wheel has access (expected group root or shadow)"),
        (0o660, "root", "shadow", "mode 0660 (max 0640): group-writable"),
        (0o640, "daemon", "shadow", "owned by daemon, expected root"),
    ],
)
def test_shadow_modes_groups_and_owners(
    mode: int, owner: str, group: str, problem: str | None
) -> None:
    result = run("file.shadow", etc_files=etc(stat("/etc/shadow", mode, owner, group)))
    line = f"/etc/shadow {mode:04o} {owner}:{group}"
    if problem is None:
        assert result.status == Status.PASS
        assert line in result.evidence
    else:
        assert (result.status, result.evidence) == (Status.FAIL, (f"{line}: {problem}",))


# file.world-writable -------------------------------------------------------------------------


def test_world_writable_real_clean_walk_passes() -> None:
    result = judge("file.world-writable", captured("debian-root-clean"))
    assert result.evidence == (
        "no world-writable file or non-sticky world-writable directory under "
        "/etc /usr /bin /sbin /lib /boot /srv /opt (each on its own filesystem; not walked: "
        "/proc /sys /dev /run /usr/share/doc /usr/share/man /usr/share/info)",
    )


def test_world_writable_real_findings_fail() -> None:
    result = judge("file.world-writable", captured("debian-root-weak"))
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == ("/srv/app/upload.log", "/opt/shared")
    assert result.reason == ""


def test_world_writable_real_walk_without_root_is_unknown() -> None:
    result = judge("file.world-writable", captured("debian-user-rhel-modes"))
    assert result.status == Status.UNKNOWN
    assert result.reason == (
        "the walk could not read everything (root needed): "
        "find: '/etc/polkit-1/rules.d': Permission denied; "
        "find: '/etc/ssl/private': Permission denied; "
        "find: '/usr/share/polkit-1/rules.d': Permission denied"
    )


def test_world_writable_found_without_root_fails_and_says_the_walk_was_incomplete() -> None:
    found = WorldWritable(("/opt/shared",), False, ("find: '/etc/ssl/private': Permission denied",))
    result = run("file.world-writable", world_writable=found)
    assert (result.status, result.evidence) == (Status.FAIL, ("/opt/shared",))
    assert result.reason == "the walk was incomplete: find: '/etc/ssl/private': Permission denied"


def test_world_writable_lists_the_first_ten_and_says_the_cap_was_hit() -> None:
    paths = tuple(f"/opt/drop/{i}" for i in range(50))
    result = run("file.world-writable", world_writable=WorldWritable(paths, True))
    assert result.status == Status.FAIL
    assert result.evidence == (
        *paths[:10],
        "... and 40 more",
        "the walk stops reporting at 50 paths: there may be more",
    )


def test_a_capped_world_writable_walk_is_a_partial_failure() -> None:
    """The walk reports at most 50 paths, in directory order: a path it did not report this
    time may still be world-writable, so drift and first_seen must not call it fixed."""
    paths = tuple(f"/opt/drop/{i}" for i in range(50))
    result = run("file.world-writable", world_writable=WorldWritable(paths, True))
    assert result.partial
    assert result.reason == "the walk stops reporting at 50 paths: there may be more"


def test_world_writable_find_failure_without_message_is_unknown() -> None:
    host = facts(
        world_writable=WorldWritable((), False),
        sections={"world_writable": Section("world_writable", "", 1)},
    )
    result = judge("file.world-writable", host)
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "the walk could not read everything (root needed): find exited with status 1",
    )
