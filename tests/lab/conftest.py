"""The `lab` fixture: a running end-to-end lab (lab/labctl.py) for tests marked `lab`.

Env: HARDAUDIT_LAB_REUSE=1 reuses a healthy lab already up from this repo (and leaves it
running); HARDAUDIT_LAB_KEEP=1 leaves a lab this session started running afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from .audit_cli import AuditRun, run_audit

REPO = Path(__file__).resolve().parents[2]
LABCTL = REPO / "lab" / "labctl.py"
STATE_FILE = REPO / ".lab" / "state.json"


@dataclass(frozen=True)
class Lab:
    """Where the running lab is and how to reach it (all paths absolute)."""

    repo: Path
    inventory: Path
    key: Path
    encrypted_key: Path  # passphrase "labpass"
    known_hosts: Path
    ssh_config: Path  # -F file with key + known_hosts for every hop (see ssh_argv)
    bastion_port: int
    dock1_port: int
    closed_port: int
    docker_socket: str  # the engine running the lab hosts (unix://...)
    ctr_docker_socket: str  # dock1's engine
    gold_docker_socket: str = ""  # gold's engine (dock2 runs its own engine inside)

    def ssh_argv(
        self, host: str, *command: str, port: int = 22, jumps: Sequence[str] = ()
    ) -> list[str]:
        """OpenSSH client argv; jumps like ("127.0.0.1:42201", "bastion2").

        `ssh -J` hands -F to the jump processes but not -i/-o, hence a config file.
        """
        argv = ["ssh", "-F", str(self.ssh_config), "-p", str(port)]
        if jumps:
            argv += ["-J", ",".join(jumps)]
        return [*argv, host, *command]

    def docker_argv(self, *args: str) -> list[str]:
        """docker CLI argv against the lab engine, for ground truth (`exec web1 ...`)."""
        return ["docker", "-H", self.docker_socket, *args]


def _labctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LABCTL), *args], capture_output=True, text=True, check=False
    )


def _lab_from_state() -> Lab:
    state = json.loads(STATE_FILE.read_text())
    engines = {engine["name"]: engine["host"] for engine in state["engines"]}
    return Lab(
        repo=REPO,
        inventory=Path(state["inventory"]),
        key=Path(state["client_key"]),
        encrypted_key=Path(state["encrypted_key"]),
        known_hosts=Path(state["known_hosts"]),
        ssh_config=Path(state["ssh_config"]),
        bastion_port=state["ports"]["bastion"],
        dock1_port=state["ports"]["dock1"],
        closed_port=state["ports"]["closed1"],
        docker_socket=engines["lab"],
        ctr_docker_socket=engines["ctr"],
        gold_docker_socket=engines.get("gold", ""),
    )


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root: it runs dockerd, iptables and debootstrap")
    reuse = os.environ.get("HARDAUDIT_LAB_REUSE") == "1"
    if reuse and STATE_FILE.exists() and _labctl("status").returncode == 0:
        yield _lab_from_state()
        return
    result = _labctl("up")
    if result.returncode != 0:
        pytest.fail(f"labctl up failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
    try:
        yield _lab_from_state()
    finally:
        if os.environ.get("HARDAUDIT_LAB_KEEP") != "1":
            down = _labctl("down")
            if down.returncode != 0:
                print(f"labctl down failed:\n{down.stdout}\n{down.stderr}", file=sys.stderr)


def _started_hosts_limit(inventory: Path) -> list[str]:
    """`-l` naming the hosts a subset lab started (HARDAUDIT_LAB_HOSTS, plus the bastion),
    or nothing for the whole lab. The others are not merely down: their names do not resolve
    on the bastion, and sshd resolves a channel's name before it serves the next one, so one
    stalled lookup stalls every host tunnelled over that connection (all time out)."""
    wanted = {n.strip() for n in os.environ.get("HARDAUDIT_LAB_HOSTS", "").split(",") if n.strip()}
    if not wanted:
        return []
    wanted.add("bastion")
    import yaml

    names: list[str] = []

    def walk(group: dict[str, object]) -> None:
        hosts = group.get("hosts") or {}
        assert isinstance(hosts, dict)
        for name, values in hosts.items():
            target = (values or {}).get("ansible_host", name)
            if name in wanted or target in wanted:
                names.append(name)
        for child in (group.get("children") or {}).values():
            walk(child or {})

    walk(yaml.safe_load(inventory.read_text())["all"])
    return ["-l", ",".join(dict.fromkeys(names))]


@pytest.fixture(scope="session")
def lab_run(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditRun, Path]:
    """One `audit run` over the whole lab inventory, shared by every module that pins
    hosts' results (test_catalog_e2e and the modules of issue 10's hosts); also returns
    the --capture-dir with each host's raw facts output."""
    out = tmp_path_factory.mktemp("catalog")
    run = run_audit(
        "run",
        "-i",
        str(lab.inventory),
        *_started_hosts_limit(lab.inventory),
        "--capture-dir",
        str(out / "capture"),
        out_dir=out / "report",
        cwd=lab.repo,
    )
    return run, out / "capture"
