"""The whole pipeline on the real facts output of the lab's stack1 (issue 10), without a lab.

tests/fixtures/replay/captures/stack1.json was recorded from the lab with
`audit run -i <lab inventory> -l stack1 --capture-dir DIR`: Debian 12 with its own dockerd,
the docker-compose (v1) project `shop` from /srv/shop/docker-compose.yml, and Debian's
rootful podman beside docker running one container (podapp, uid 1000). `audit run
--replay-dir` on it must give every check the letter tests/lab/test_stack_e2e.py pins on the live host, with
the same compose names and the same single slip (the mail catcher's 8025).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hardaudit.cli import main
from tests.lab.audit_cli import AuditRun, status_differences
from tests.lab.test_stack_e2e import COMPOSE_FILE, EXPECTED, HOSTS, SERVICES

CAPTURES = Path(__file__).parents[2] / "fixtures" / "replay" / "captures"
# stack1's entry in lab/inventory.yml, with the inventory-wide vars it inherits
INVENTORY = """\
all:
  vars:
    ansible_become: true
    allowed_ports: [22]
  children:
    stacks:
      hosts:
        stack1:
          allowed_ports: [22, 443]
"""


def replay(tmp_path: Path, captures: Path = CAPTURES) -> tuple[int, dict[str, Any]]:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(INVENTORY)
    out = tmp_path / "out"
    argv = ["run", "-i", str(inventory), "--replay-dir", str(captures)]
    code = main([*argv, "--output-dir", str(out), "--no-history", "-q"])
    return code, json.loads((out / "report.json").read_text())


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """stack1's capture replayed once for the tests that only read the report."""
    code, replayed = replay(tmp_path_factory.mktemp("stack1"))
    assert code == 1  # checks failed; the host itself was audited
    return replayed


def finding(report: dict[str, Any], check: str) -> dict[str, Any]:
    (host,) = report["hosts"]
    return next(f for f in host["findings"] if f["check"] == check)


def objects(report: dict[str, Any], check: str) -> list[tuple[str, str]]:
    return [(o["key"], o.get("path", "")) for o in finding(report, check).get("objects", [])]


def test_the_capture_gives_every_check_the_letter_pinned_on_the_live_stack1(
    report: dict[str, Any],
) -> None:
    (host,) = report["hosts"]
    assert (host["name"], host["status"]) == ("stack1", "ok")
    run = AuditRun(1, "", "", 0.0, report)
    differences = status_differences(run, HOSTS, EXPECTED)  # a check added or lost too
    assert not differences, differences


def test_only_the_mail_catchers_8025_is_flagged_and_named_by_its_compose_service(
    report: dict[str, Any],
) -> None:
    assert objects(report, "fw.container-bypass") == [
        ("container:shop_mailcatcher_1/tcp/0.0.0.0:8025", COMPOSE_FILE)
    ]
    (line,) = finding(report, "fw.container-bypass")["evidence"]
    assert line.startswith("shop_mailcatcher_1 (hardaudit-lab-base:"), line
    assert line.endswith(
        f"), compose project shop, service mailcatcher ({COMPOSE_FILE}): 0.0.0.0:8025 -> "
        "8025/tcp on all addresses, not in allowed_ports [22, 443]"
    ), line
    assert objects(report, "net.exposed-ports") == [("tcp/0.0.0.0:8025", "")]
    # stack1.nft drops 8025 on input, but Docker's DNAT forwards it past the input chain;
    # the listener names the compose service publishing it too
    (exposed,) = finding(report, "net.exposed-ports")["evidence"]
    assert exposed == (
        "tcp 0.0.0.0:8025 (docker-proxy) not in allowed_ports [22, 443] (a DNAT/REDIRECT rule "
        "translates this port: input chains cannot close it); published by container "
        "shop_mailcatcher_1 (hardaudit-lab-base:38c7a4862f35), compose project shop, service "
        f"mailcatcher ({COMPOSE_FILE})"
    ), exposed


def test_every_service_is_named_and_the_worker_that_drops_root_passes(
    report: dict[str, Any],
) -> None:
    evidence = finding(report, "ctr.non-root")["evidence"]
    pattern = re.compile(r"(shop_\w+_1) \(.*?\), (compose project [^)]*\))")
    origin = dict(m.groups() for m in map(pattern.match, evidence) if m)
    assert origin == {
        f"shop_{s}_1": f"compose project shop, service {s} ({COMPOSE_FILE})" for s in SERVICES
    }
    (worker,) = [line for line in evidence if line.startswith("shop_worker_1 ")]
    assert worker.endswith("process runs as uid 1000; no USER in config"), worker


def test_database_and_redis_stay_on_their_compose_network(report: dict[str, Any]) -> None:
    assert finding(report, "net.db-exposed")["evidence"] == [
        f"container shop_db_1 (hardaudit-lab-base:38c7a4862f35), compose project shop, "
        f"service db ({COMPOSE_FILE}): 5432/tcp: PostgreSQL not published (reachable on its "
        "container networks only)",
        f"container shop_redis_1 (hardaudit-lab-base:38c7a4862f35), compose project shop, "
        f"service redis ({COMPOSE_FILE}): 6379/tcp: Redis not published (reachable on its "
        "container networks only)",
    ]


PODAPP = "podapp (localhost/lab-sleep:1), engine podman"


def test_the_podman_container_beside_docker_is_read_and_named_with_its_engine(
    report: dict[str, Any],
) -> None:
    (host,) = report["hosts"]
    assert host["notes"] == []
    found = finding(report, "ctr.non-root")
    assert found["status"] == "pass"
    (line,) = [line for line in found["evidence"] if line.startswith("podapp ")]
    assert re.fullmatch(
        rf"{re.escape(PODAPP)} pid \d+: process runs as uid 1000; Config.User '1000:1000'", line
    ), line
    assert len(found["evidence"]) == len(SERVICES) + 1  # docker's six and podman's one
    for check in ("ctr.privileged", "ctr.capabilities", "ctr.host-namespaces"):
        assert any(e.startswith(f"{PODAPP}: ") for e in finding(report, check)["evidence"])


def _edited(tmp_path: Path, section: str, body: str, rc: int, err: str, tools: str = "") -> Path:
    """stack1's capture with one section's output, exit status and stderr replaced (and its
    `tools=` line, when given), as the facts script would print it on such a host."""
    data = json.loads((CAPTURES / "stack1.json").read_text())
    nonce, stdout = data["nonce"], data["stdout"]
    if tools:
        assert " docker podman " in stdout
        stdout = stdout.replace(" docker podman ", f" {tools} ", 1)
    pattern = re.compile(
        rf"(@@{nonce} BEGIN {section} cap=\d+\n).*?(\n@@{nonce} END {section}) rc=0", re.S
    )
    stdout, replaced = pattern.subn(lambda m: f"{m[1]}{body}{m[2]} rc={rc}", stdout)
    assert replaced == 1
    marker = f"@@{nonce} BEGIN {section}\n"
    assert marker in data["stderr"]
    stderr = data["stderr"].replace(marker, f"{marker}{err}\n", 1)
    captures = tmp_path / "captures"
    captures.mkdir()
    (captures / "stack1.json").write_text(json.dumps({**data, "stdout": stdout, "stderr": stderr}))
    return captures


READS_CONTAINERS = {c for c in EXPECTED if c.startswith("ctr.") and c != "ctr.daemon-tcp"} | {
    "fw.container-bypass",
    "net.db-exposed",
}


def test_podman_that_sudo_refuses_leaves_every_container_check_unknown(tmp_path: Path) -> None:
    """Docker's six containers alone are not every container: unknown, never pass."""
    refused = "sudo: a password is required"
    _, report = replay(tmp_path, _edited(tmp_path, "podman_containers", "", 1, refused))
    (host,) = report["hosts"]
    assert host["status"] == "ok"
    run = AuditRun(0, "", "", 0.0, report)
    expected = {**EXPECTED, **dict.fromkeys(READS_CONTAINERS, "U")}
    assert status_differences(run, HOSTS, expected) == {}
    assert (
        finding(report, "ctr.non-root")["reason"] == f"podman ps/inspect: exit status 1: {refused}"
    )


def test_the_same_host_without_docker_judges_podmans_container(tmp_path: Path) -> None:
    """stack1's capture as the facts script prints it where `docker` is not installed and
    podman is: podman's container alone is judged (before, every container check was
    unknown for podman's containers that were not read)."""
    captures = _edited(tmp_path, "containers", "", 127, "docker not installed", tools="podman")
    _, report = replay(tmp_path, captures)
    (host,) = report["hosts"]
    assert (host["status"], host["notes"]) == ("ok", [])
    for check in READS_CONTAINERS - {"net.db-exposed"}:  # no database runs: skip
        assert finding(report, check)["status"] == "pass", finding(report, check)
    (line,) = finding(report, "ctr.non-root")["evidence"]
    assert line.startswith(f"{PODAPP} pid "), line
