"""net.db-exposed: pass, fail, unknown and skip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, Status
from hardaudit.facts.model import (
    Absent,
    Container,
    ListeningSocket,
    PublishedPort,
    Unknown,
)
from hardaudit.facts.parsers.containers import parse_containers
from hardaudit.facts.parsers.listeners import parse_ss

from .factories import facts

CHECKS = {c.id: c for c in load_checks()}
FIXTURES = Path(__file__).parents[2] / "fixtures"
SSHD = ListeningSocket("tcp", "0.0.0.0", 22, "sshd")


def run(check_id: str, host_vars: dict[str, Any] | None = None, **overrides: Any) -> CheckResult:
    (result,) = evaluate([CHECKS[check_id]], facts(**overrides), host_vars or {})
    return result


def sockets(*extra: ListeningSocket) -> tuple[ListeningSocket, ...]:
    return (SSHD, *extra)


def test_redis_on_all_addresses_fails_naming_socket_and_product() -> None:
    result = run(
        "net.db-exposed", listeners=sockets(ListeningSocket("tcp", "0.0.0.0", 6379, "redis-server"))
    )
    assert result.status == Status.FAIL
    assert result.evidence == ("tcp 0.0.0.0:6379 (redis-server): Redis listens on all addresses",)


def test_product_from_port_when_ss_shows_no_process() -> None:
    result = run("net.db-exposed", listeners=sockets(ListeningSocket("tcp", "::", 5432)))
    assert result.evidence == ("tcp :::5432: PostgreSQL listens on all addresses",)


def test_product_from_process_on_an_unusual_port_and_comm_cut_at_15() -> None:
    found = sockets(
        ListeningSocket("tcp", "*", 6380, "redis-server"),
        ListeningSocket("tcp", "203.0.113.7", 9000, "clickhouse-serv"),
    )
    result = run("net.db-exposed", listeners=found)
    assert result.evidence == (
        "tcp *:6380 (redis-server): Redis listens on all addresses",
        "tcp 203.0.113.7:9000 (clickhouse-serv): ClickHouse listens on public address 203.0.113.7",
    )


def test_port_9000_alone_is_not_taken_for_clickhouse() -> None:
    result = run(
        "net.db-exposed", listeners=sockets(ListeningSocket("tcp", "0.0.0.0", 9000, "php-fpm8.2"))
    )
    assert result.status == Status.SKIP


def test_memcached_udp_counts() -> None:
    result = run("net.db-exposed", listeners=sockets(ListeningSocket("udp", "0.0.0.0", 11211)))
    assert result.evidence == ("udp 0.0.0.0:11211: Memcached listens on all addresses",)


def test_loopback_and_private_addresses_pass() -> None:
    found = sockets(
        ListeningSocket("tcp", "127.0.0.1", 5432, "postgres"),
        ListeningSocket("tcp", "::1", 6379, "redis-server"),
        ListeningSocket("tcp", "10.0.3.4", 3306, "mariadbd"),
        ListeningSocket("tcp", "fd00::5%eth1", 27017, "mongod"),
        ListeningSocket("tcp", "::ffff:192.168.1.9", 9200),
    )
    result = run("net.db-exposed", listeners=found)
    assert result.status == Status.PASS
    assert result.evidence == (  # by port
        "tcp 10.0.3.4:3306 (mariadbd): MariaDB listens on private address 10.0.3.4",
        "tcp 127.0.0.1:5432 (postgres): PostgreSQL listens on loopback",
        "tcp ::1:6379 (redis-server): Redis listens on loopback",
        "tcp ::ffff:192.168.1.9:9200: Elasticsearch/OpenSearch listens on private address ::ffff:192.168.1.9",
        "tcp fd00::5%eth1:27017 (mongod): MongoDB listens on private address fd00::5%eth1",
    )


def test_allowed_db_ports_variable() -> None:
    found = sockets(ListeningSocket("tcp", "0.0.0.0", 5432, "postgres"))
    result = run("net.db-exposed", {"allowed_db_ports": [5432]}, listeners=found)
    assert result.status == Status.PASS
    assert result.evidence == (
        "tcp 0.0.0.0:5432 (postgres): PostgreSQL listens on all addresses, allowed by allowed_db_ports",
    )


def test_container_published_database_port_fails_even_if_ss_misses_it() -> None:
    db = Container(
        "d", "db", "postgres:16", "", 10, 999, ports=(PublishedPort("5432/tcp", "0.0.0.0", 15432),)
    )
    local = Container(
        "c", "cache", "redis:7", "", 11, 999, ports=(PublishedPort("6379/tcp", "127.0.0.1", 6379),)
    )
    result = run("net.db-exposed", listeners=sockets(), containers=(db, local))
    assert result.status == Status.FAIL
    assert result.evidence == (
        "container db (postgres:16): 0.0.0.0:15432 -> 5432/tcp: PostgreSQL published on all addresses",
    )


def test_handwritten_inspect_lines_published_postgres() -> None:
    containers = parse_containers((FIXTURES / "containers" / "handwritten.txt").read_text())
    result = run("net.db-exposed", listeners=sockets(), containers=containers)
    assert result.evidence == (
        "container db (postgres:16): 0.0.0.0:5432 -> 5432/tcp: PostgreSQL published on all addresses",
        "container db (postgres:16): [::]:5432 -> 5432/tcp: PostgreSQL published on all addresses",
    )


def test_lab_svc1_style_ss_output() -> None:
    text = (
        "tcp LISTEN 0      511       0.0.0.0:6379  0.0.0.0:*\n"
        "tcp LISTEN 0      128       0.0.0.0:22    0.0.0.0:*\n"
    )
    result = run("net.db-exposed", listeners=parse_ss(text))
    assert result.evidence == ("tcp 0.0.0.0:6379: Redis listens on all addresses",)


def test_no_database_at_all_skips() -> None:
    result = run("net.db-exposed", listeners=sockets())
    assert (result.status, result.reason) == (
        Status.SKIP,
        "no database or cache port listens on this host",
    )


def test_no_container_engine_leaves_the_sockets_to_decide() -> None:
    found = sockets(ListeningSocket("tcp", "127.0.0.1", 5432, "postgres"))
    assert run("net.db-exposed", listeners=found, containers=Absent("no docker")).status == (
        Status.PASS
    )


def test_unreadable_containers_make_a_clean_host_unknown() -> None:
    # A container could publish a database port that `ss` does not show (no docker-proxy).
    found = sockets(ListeningSocket("tcp", "127.0.0.1", 5432, "postgres"))
    result = run("net.db-exposed", listeners=found, containers=Unknown("docker: denied"))
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "container ports could not be read: docker: denied",
    )
    assert result.evidence == ("tcp 127.0.0.1:5432 (postgres): PostgreSQL listens on loopback",)
    # and nothing listening at all is no longer a skip
    result = run("net.db-exposed", listeners=sockets(), containers=Unknown("docker: denied"))
    assert result.status == Status.UNKNOWN


def test_unreadable_containers_do_not_hide_a_failure() -> None:
    found = sockets(ListeningSocket("tcp", "0.0.0.0", 6379, "redis-server"))
    result = run("net.db-exposed", listeners=found, containers=Unknown("docker: denied"))
    assert (result.status, result.reason) == (
        Status.FAIL,
        "also not judged: container ports could not be read: docker: denied",
    )


@pytest.mark.parametrize(
    ("host_ip", "status", "where"),
    [
        ("203.0.113.7", Status.FAIL, "published on public address 203.0.113.7"),
        ("127.0.0.1", Status.PASS, "published on loopback"),
        ("::1", Status.PASS, "published on loopback"),
        ("10.1.2.3", Status.PASS, "published on private address 10.1.2.3"),
    ],
)
def test_database_port_published_on_one_address_is_judged_by_that_address(
    host_ip: str, status: Status, where: str
) -> None:
    db = Container(
        "d", "db", "postgres:16", "", 10, 999, ports=(PublishedPort("5432/tcp", host_ip, 5432),)
    )
    result = run("net.db-exposed", listeners=sockets(), containers=(db,))
    binding = f"[{host_ip}]" if ":" in host_ip else host_ip
    assert (result.status, result.evidence) == (
        status,
        (f"container db (postgres:16): {binding}:5432 -> 5432/tcp: PostgreSQL {where}",),
    )


def test_unknown_when_listeners_unreadable() -> None:
    result = run("net.db-exposed", listeners=Unknown("listening sockets: exit status 1"))
    assert (result.status, result.reason) == (Status.UNKNOWN, "listening sockets: exit status 1")
