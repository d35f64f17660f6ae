"""svc.non-root and svc.redis-auth: pass, fail, unknown and skip, with exact evidence."""

from __future__ import annotations

from typing import Any

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, Severity, Status
from hardaudit.facts.model import Absent, RedisConfig, ServiceUnit, Unknown
from hardaudit.facts.parsers.services import parse_redis, parse_units

from ..facts.test_services_script import NONCE, capture
from .factories import facts

CHECKS = {c.id: c for c in load_checks()}


def run(check_id: str, host_vars: dict[str, Any] | None = None, **overrides: Any) -> CheckResult:
    (result,) = evaluate([CHECKS[check_id]], facts(**overrides), host_vars or {})
    return result


def unit(name: str, user: str = "", dynamic: bool = False) -> ServiceUnit:
    return ServiceUnit(name, f"/etc/systemd/system/{name}.service", user, dynamic_user=dynamic)


# svc.non-root --------------------------------------------------------------------------------


def test_units_with_a_user_or_dynamic_user_pass() -> None:
    result = run("svc.non-root", units=(unit("app", "wisphub"), unit("metrics", dynamic=True)))
    assert (result.status, result.severity) == (Status.PASS, Severity.MEDIUM)
    assert result.evidence == (
        "app.service (/etc/systemd/system/app.service): User=wisphub",
        "metrics.service (/etc/systemd/system/metrics.service):"
        " DynamicUser=yes (a transient non-root user)",
    )


@pytest.mark.parametrize(
    ("user", "seen"), [("root", "User=root"), ("0", "User=0"), ("", "no User= (runs as root)")]
)
def test_root_uid_zero_or_no_user_fails(user: str, seen: str) -> None:
    result = run("svc.non-root", units=(unit("app", "wisphub"), unit("api", user)))
    assert result.status == Status.FAIL
    assert result.evidence == (f"api.service (/etc/systemd/system/api.service): {seen}",)


def test_user_root_with_dynamic_user_still_fails() -> None:
    # DynamicUser= uses an existing static user of that name: root stays root
    result = run("svc.non-root", units=(unit("api", "root", dynamic=True),))
    assert result.evidence == ("api.service (/etc/systemd/system/api.service): User=root",)
    assert result.status == Status.FAIL


def test_fixture_units_judged_after_drop_ins() -> None:
    units = parse_units(capture("units", "units"), NONCE)
    result = run("svc.non-root", {"services": ["nginx", "ssh"]}, units=units)
    assert result.status == Status.FAIL
    assert result.evidence == (
        "api.service (/etc/systemd/system/api.service): no User= (runs as root)",
        "backup.service (/etc/systemd/system/backup.service): User=root",
        "nginx.service (/lib/systemd/system/nginx.service): no User= (runs as root)",
        "ssh.service (/lib/systemd/system/ssh.service): no User= (runs as root)",
        "tool.service (/usr/local/lib/systemd/system/tool.service): User=0",
        "worker.service (/etc/systemd/system/worker.service): no User= (runs as root)",
    )


def test_services_root_allowed_passes_with_a_note() -> None:
    result = run(
        "svc.non-root",
        {"services_root_allowed": ["backup.service"]},
        units=(unit("backup", "root"), unit("app", "app")),
    )
    assert result.status == Status.PASS
    assert result.evidence == (
        "backup.service (/etc/systemd/system/backup.service): User=root;"
        " allowed by services_root_allowed",
        "app.service (/etc/systemd/system/app.service): User=app",
    )


def test_listed_service_missing_on_the_host_is_noted() -> None:
    result = run("svc.non-root", {"services": "redis-server"}, units=(unit("app", "app"),))
    assert result.status == Status.PASS
    assert result.evidence[-1] == "redis-server.service (listed in services) not found on this host"


def test_no_admin_units_skips() -> None:
    result = run("svc.non-root", units=())
    assert result.status == Status.SKIP
    assert result.evidence == ("no admin-installed service units",)
    assert result.reason == (
        "no service unit in /etc/systemd/system or /usr/local/lib/systemd/system"
        " and none listed in `services`"
    )


def test_unreadable_units_are_unknown() -> None:
    reason = "systemd units: exit status 1: grep: /etc/systemd/system/x.service: Permission denied"
    result = run("svc.non-root", units=Unknown(reason))
    assert (result.status, result.reason) == (Status.UNKNOWN, reason)


def test_units_default_fact_is_unknown_not_pass() -> None:
    assert run("svc.non-root").status == Status.UNKNOWN


# svc.redis-auth ------------------------------------------------------------------------------


def redis(path: str = "/etc/redis/redis.conf", **values: Any) -> RedisConfig:
    base: dict[str, Any] = {
        "binds": ("127.0.0.1", "-::1"),
        "protected_mode": True,
        "requirepass": False,
        "acl_users": False,
        "port": 6379,
    }
    base.update(values)
    return RedisConfig(path=path, **base)


def test_debian_default_loopback_protected_passes() -> None:
    result = run("svc.redis-auth", redis=parse_redis(capture("redis-debian", "redis")))
    assert (result.status, result.severity) == (Status.PASS, Severity.HIGH)
    assert result.evidence == (
        "/etc/redis/redis.conf: bind 127.0.0.1 -::1 (loopback only), protected-mode yes,"
        " no password",
    )


def test_exposed_redis_fails_naming_what_is_missing_and_sentinel_with_password_passes() -> None:
    result = run("svc.redis-auth", redis=parse_redis(capture("redis-exposed", "redis")))
    assert result.status == Status.FAIL
    assert result.evidence == (
        "/etc/redis/redis.conf: bind 0.0.0.0 :: (not loopback only); protected-mode no;"
        " no requirepass and no ACL protecting the default user",
    )


def test_acl_default_user_off_passes_on_all_addresses() -> None:
    result = run("svc.redis-auth", redis=parse_redis(capture("redis-acl", "redis")))
    assert result.status == Status.PASS
    assert result.evidence == (
        "/etc/redis/redis.conf: ACL protects the default user (off, password or aclfile);"
        " bind * -::*",
    )


def test_requirepass_passes_whatever_the_bind() -> None:
    result = run("svc.redis-auth", redis=(redis(binds=("0.0.0.0",), requirepass=True),))
    assert result.evidence == ("/etc/redis/redis.conf: requirepass set; bind 0.0.0.0",)
    assert result.status == Status.PASS


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"binds": ()}, "no bind (all addresses) (not loopback only)"),
        ({"protected_mode": False}, "protected-mode no"),
        ({"binds": ("127.0.0.1", "10.0.0.5")}, "bind 127.0.0.1 10.0.0.5 (not loopback only)"),
    ],
)
def test_loopback_needs_every_address_loopback_and_protected_mode(
    values: dict[str, Any], problem: str
) -> None:
    result = run("svc.redis-auth", redis=(redis(**values),))
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"/etc/redis/redis.conf: {problem}; no requirepass and no ACL protecting the default user",
    )


def test_protected_mode_unset_defaults_to_yes_and_port_0_passes() -> None:
    result = run(
        "svc.redis-auth",
        redis=(
            redis(binds=("localhost",), protected_mode=None),
            redis("/etc/redis/sock.conf", binds=(), port=0),
        ),
    )
    assert result.status == Status.PASS
    assert result.evidence == (
        "/etc/redis/redis.conf: bind localhost (loopback only), protected-mode yes (default),"
        " no password",
        "/etc/redis/sock.conf: port 0 (no TCP listener)",
    )


def test_unreadable_redis_config_is_unknown() -> None:
    reason = "redis configuration: exit status 2: grep: /etc/redis/redis.conf: Permission denied"
    result = run("svc.redis-auth", redis=Unknown(reason))
    assert (result.status, result.reason) == (Status.UNKNOWN, reason)


def test_no_redis_skips() -> None:
    result = run("svc.redis-auth", redis=Absent("no Redis configuration on this host"))
    assert (result.status, result.reason) == (Status.SKIP, "no Redis configuration on this host")
