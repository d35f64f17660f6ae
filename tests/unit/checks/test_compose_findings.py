"""Findings on containers deployed by docker-compose name the project, the service and the
compose file as well as the container; object keys stay `container:<name>...`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, FindingObject, Status
from hardaudit.facts.model import ComposeService, Container, ListeningSocket, PublishedPort
from hardaudit.facts.parsers.containers import parse_containers
from hardaudit.facts.parsers.listeners import parse_listeners
from hardaudit.report.sarif import report_to_sarif

from ..report.sample import CHECKS as SAMPLE_CHECKS
from ..report.sample import REPORT, WEB1
from .factories import facts

CHECKS = {c.id: c for c in load_checks()}
COMPOSE_FILE = "/srv/shop/docker-compose.yml"
SERVICES = ("web", "api", "worker", "db", "redis", "mailcatcher")


def shop(service: str, uid: int = 1000, **settings: Any) -> Container:
    origin = ComposeService("shop", service, "/srv/shop", (COMPOSE_FILE,))
    return Container(f"id-{service}", f"shop_{service}_1", "base:1", "", 10, uid,
                     compose=origin, **settings)  # fmt: skip


MAILCATCHER = shop("mailcatcher", ports=(PublishedPort("8025/tcp", "0.0.0.0", 8025),))
WEB = shop("web", ports=(PublishedPort("8443/tcp", "0.0.0.0", 443),))
PLAIN = Container("id-p", "plain", "img:1", "", 11, 1000, ports=(PublishedPort("80/tcp", "", 80),))


def run(check_id: str, host_vars: dict[str, Any] | None = None, **overrides: Any) -> CheckResult:
    (result,) = evaluate([CHECKS[check_id]], facts(**overrides), host_vars or {})
    return result


def test_published_dev_port_names_project_service_and_compose_file() -> None:
    result = run(
        "fw.container-bypass", {"allowed_ports": [22, 443]}, containers=(WEB, MAILCATCHER, PLAIN)
    )
    assert result.status == Status.FAIL
    assert result.evidence == (
        "shop_mailcatcher_1 (base:1), compose project shop, service mailcatcher "
        f"({COMPOSE_FILE}): 0.0.0.0:8025 -> 8025/tcp on all addresses, not in allowed_ports "
        "[22, 443]",
        "plain (img:1): *:80 -> 80/tcp on all addresses, not in allowed_ports [22, 443]",
    )
    assert result.objects == (
        FindingObject("container:shop_mailcatcher_1/tcp/0.0.0.0:8025", COMPOSE_FILE),
        FindingObject("container:plain/tcp/*:80"),  # no compose file: no path
    )


def test_allowed_compose_port_passes_with_its_service_named() -> None:
    result = run("fw.container-bypass", {"allowed_ports": [22, 443]}, containers=(WEB,))
    assert result.status == Status.PASS
    assert result.evidence == (
        f"shop_web_1 (base:1), compose project shop, service web ({COMPOSE_FILE}): "
        "0.0.0.0:443 -> 8443/tcp on all addresses, allowed by allowed_ports",
    )


def test_root_compose_service_is_one_object_located_in_its_compose_file() -> None:
    result = run("ctr.non-root", containers=(shop("worker", uid=0), shop("api")))
    assert result.status == Status.FAIL
    assert result.objects == (FindingObject("container:shop_worker_1", COMPOSE_FILE),)
    assert result.evidence[0].startswith(
        f"shop_worker_1 (base:1), compose project shop, service worker ({COMPOSE_FILE}) pid 10: "
        "process runs as uid 0"
    )


def test_ctr_checks_name_the_compose_service_of_a_failing_container() -> None:
    result = run("ctr.privileged", containers=(shop("api", privileged=True),))
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"shop_api_1 (base:1), compose project shop, service api ({COMPOSE_FILE}): runs "
        "--privileged (every capability, every host device, no seccomp)",
    )
    assert result.objects == (FindingObject("container:shop_api_1", COMPOSE_FILE),)


def test_published_compose_database_names_its_service() -> None:
    db = shop("db", ports=(PublishedPort("5432/tcp", "0.0.0.0", 5432),))
    listeners = (ListeningSocket("tcp", "0.0.0.0", 22, "sshd"),)
    result = run("net.db-exposed", listeners=listeners, containers=(db,))
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"container shop_db_1 (base:1), compose project shop, service db ({COMPOSE_FILE}): "
        "0.0.0.0:5432 -> 5432/tcp: PostgreSQL published on all addresses",
    )
    assert result.objects == (FindingObject("container:shop_db_1/tcp/0.0.0.0:5432", COMPOSE_FILE),)


def test_sarif_locates_a_compose_finding_in_its_compose_file() -> None:
    first, *rest = WEB1.findings
    located = replace(
        first,
        status=Status.FAIL,
        objects=(FindingObject("container:shop_mailcatcher_1/tcp/0.0.0.0:8025", COMPOSE_FILE),),
    )
    report = replace(REPORT, hosts=(replace(WEB1, findings=(located, *rest)),))
    (result, *_) = json.loads(json.dumps(report_to_sarif(report, SAMPLE_CHECKS)))["runs"][0][
        "results"
    ]
    (location,) = result["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "hosts/web1/srv/shop/docker-compose.yml"}
    }
    assert location["logicalLocations"][1]["name"] == (
        "container:shop_mailcatcher_1/tcp/0.0.0.0:8025"
    )


def test_unpublished_compose_database_and_redis_pass_net_db_exposed() -> None:
    containers = (
        shop("db", exposed=("5432/tcp",)),
        shop("redis", exposed=("6379/tcp",)),
        shop("api", exposed=("8000/tcp",)),  # not a database port: not mentioned
    )
    listeners = (ListeningSocket("tcp", "0.0.0.0", 22, "sshd"),)
    result = run("net.db-exposed", listeners=listeners, containers=containers)
    assert result.status == Status.PASS
    assert result.evidence == (
        f"container shop_db_1 (base:1), compose project shop, service db ({COMPOSE_FILE}): "
        "5432/tcp: PostgreSQL not published (reachable on its container networks only)",
        f"container shop_redis_1 (base:1), compose project shop, service redis ({COMPOSE_FILE}): "
        "6379/tcp: Redis not published (reachable on its container networks only)",
    )


def test_a_hostile_exposed_port_is_not_a_database_port() -> None:
    odd = shop("db", exposed=("²/tcp", "9" * 5000 + "/tcp", "/tcp", "6379"))
    listeners = (ListeningSocket("tcp", "0.0.0.0", 22, "sshd"),)
    result = run("net.db-exposed", listeners=listeners, containers=(odd,))
    assert result.status == Status.PASS
    (line,) = result.evidence
    assert "6379: Redis not published" in line


# the lab's stack1, captured: what tests/lab/test_stack_e2e.py pins, without a lab ------------

FIXTURES = Path(__file__).parents[2] / "fixtures" / "containers"
STACK1 = parse_containers((FIXTURES / "lab-stack1.txt").read_text())
STACK1_LISTENERS = parse_listeners((FIXTURES / "lab-stack1-listeners.txt").read_text())
STACK1_VARS = {"allowed_ports": [22, 443]}  # lab/inventory.yml


def stack1(check_id: str) -> CheckResult:
    return run(check_id, STACK1_VARS, containers=STACK1, listeners=STACK1_LISTENERS)


def test_stack1_capture_has_every_service_of_the_compose_project() -> None:
    origins = {c.name: c.compose for c in STACK1}
    assert sorted(origins) == sorted(f"shop_{s}_1" for s in SERVICES)
    for name, origin in origins.items():
        assert origin is not None
        assert (origin.project, f"shop_{origin.service}_1") == ("shop", name)
        assert origin.files == (COMPOSE_FILE,)


def test_stack1_only_the_mail_catcher_port_is_flagged() -> None:
    bypass = stack1("fw.container-bypass")
    assert bypass.status == Status.FAIL
    assert bypass.objects == (
        FindingObject("container:shop_mailcatcher_1/tcp/0.0.0.0:8025", COMPOSE_FILE),
    )
    exposed = stack1("net.exposed-ports")
    assert exposed.status == Status.FAIL
    assert exposed.objects == (FindingObject("tcp/0.0.0.0:8025"),)


def test_stack1_worker_that_drops_root_passes_ctr_non_root() -> None:
    result = stack1("ctr.non-root")
    assert result.status == Status.PASS
    (worker,) = [line for line in result.evidence if line.startswith("shop_worker_1 ")]
    assert worker.endswith("process runs as uid 1000; no USER in config")


def test_stack1_database_and_redis_are_not_exposed() -> None:
    result = stack1("net.db-exposed")
    assert result.status == Status.PASS
    assert [line.split(": ", 1)[1] for line in result.evidence] == [
        "5432/tcp: PostgreSQL not published (reachable on its container networks only)",
        "6379/tcp: Redis not published (reachable on its container networks only)",
    ]
