"""parse_redis: grep lines of Redis configs, passwords already redacted on the host."""

from __future__ import annotations

from hardaudit.facts.build import build_host_facts
from hardaudit.facts.model import Absent, RedisConfig, Section, Unknown
from hardaudit.facts.parsers.services import parse_redis

from .test_services_script import capture


def test_debian_default_is_loopback_with_protected_mode() -> None:
    assert parse_redis(capture("redis-debian", "redis")) == (
        RedisConfig(
            path="/etc/redis/redis.conf",
            binds=("127.0.0.1", "-::1"),
            protected_mode=True,
            requirepass=False,
            acl_users=False,
            port=6379,
        ),
    )


def test_exposed_redis_and_sentinel_with_redacted_password() -> None:
    redis, sentinel = parse_redis(capture("redis-exposed", "redis")) or ()
    assert (redis.binds, redis.protected_mode, redis.requirepass) == (
        ("0.0.0.0", "::"),
        False,
        False,
    )
    assert sentinel == RedisConfig("/etc/redis/sentinel.conf", (), False, True, False, 26379)


def test_default_user_off_is_acl_protection() -> None:
    (cfg,) = parse_redis(capture("redis-acl", "redis")) or ()
    assert (cfg.binds, cfg.acl_users, cfg.requirepass) == (("*", "-::*"), True, False)


def lines(*directives: str) -> str:
    body = "".join(f"/etc/redis/redis.conf:{d}\n" for d in directives)
    return "## file /etc/redis/redis.conf\n" + body


def test_a_file_without_directives_is_redis_defaults() -> None:
    assert parse_redis(lines()) == (RedisConfig("/etc/redis/redis.conf", (), None, False, False),)


def test_last_bind_port_and_protected_mode_win_and_quotes_are_stripped() -> None:
    (cfg,) = (
        parse_redis(
            lines(
                "bind 0.0.0.0",
                'bind "127.0.0.1"',
                "protected-mode no",
                "protected-mode yes",
                "port 0",
            )
        )
        or ()
    )
    assert (cfg.binds, cfg.protected_mode, cfg.port) == (("127.0.0.1",), True, 0)


def test_empty_requirepass_sets_no_password() -> None:
    (cfg,) = parse_redis(lines('requirepass ""')) or ()
    assert not cfg.requirepass
    (cfg,) = parse_redis(lines("requirepass <redacted>")) or ()
    assert cfg.requirepass


def test_other_acl_users_do_not_protect_an_open_default_user() -> None:
    (cfg,) = parse_redis(lines("user app on ><redacted> ~* +@all")) or ()
    assert not cfg.acl_users
    (cfg,) = parse_redis(lines("user default on nopass", "user app on ><redacted>")) or ()
    assert not cfg.acl_users


def test_default_user_with_password_is_protected_and_nopass_replaces_requirepass() -> None:
    (cfg,) = parse_redis(lines("user default on ><redacted>")) or ()
    assert cfg.acl_users
    (cfg,) = parse_redis(lines("user default on #<redacted>")) or ()
    assert cfg.acl_users
    # redis resets the default user before a configured `user default` line: nopass wins
    (cfg,) = parse_redis(lines("requirepass <redacted>", "user default on nopass")) or ()
    assert (cfg.requirepass, cfg.acl_users) == (False, False)
    # a later `user default` line replaces an earlier one
    (cfg,) = parse_redis(lines("user default off", "user default on nopass")) or ()
    assert not cfg.acl_users


def test_aclfile_counts_as_acl_users() -> None:
    (cfg,) = parse_redis(lines("aclfile /etc/redis/users.acl")) or ()
    assert cfg.acl_users


def test_other_directives_matched_by_grep_are_ignored() -> None:
    (cfg,) = parse_redis(lines("bind-source-addr 10.0.0.1", "port-x 1")) or ()
    assert cfg == RedisConfig("/etc/redis/redis.conf", (), None, False, False)


def test_none_means_no_redis() -> None:
    assert parse_redis("## none") is None


def _facts(redis: Section) -> object:
    meta = Section("meta", "uid=0\nuser=root\nprivilege=root\n", 0)
    return build_host_facts({"meta": meta, "redis": redis}, "n").redis


def test_build_turns_none_into_absent_and_grep_errors_into_unknown() -> None:
    assert isinstance(_facts(Section("redis", "## none", 0)), Absent)
    unreadable = Section(
        "redis",
        "## file /etc/redis/redis.conf",
        2,
        stderr="grep: /etc/redis/redis.conf: Permission denied",
    )
    fact = _facts(unreadable)
    assert isinstance(fact, Unknown)
    assert fact.reason == (
        "redis configuration: exit status 2: grep: /etc/redis/redis.conf: Permission denied"
    )
    # grep exits 1 when no directive matched: the file still counts, with redis defaults
    assert _facts(Section("redis", "## file /etc/redis.conf", 1)) == (
        RedisConfig("/etc/redis.conf", (), None, False, False),
    )
