"""ctr.privileged, ctr.runtime-socket, ctr.sensitive-mounts, ctr.host-namespaces,
ctr.capabilities and ctr.daemon-tcp: pass, fail, unknown and skip; the lab's dock2 capture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, Severity, Status
from hardaudit.checks.rules.containers import daemon_json_hosts, dockerd_hosts
from hardaudit.facts.model import (
    Absent,
    Container,
    ListeningSocket,
    Mount,
    Processes,
    Unknown,
)
from hardaudit.facts.parsers.containers import parse_containers
from hardaudit.facts.parsers.listeners import parse_ss
from hardaudit.facts.parsers.system import parse_processes

from .factories import facts

CHECKS = {c.id: c for c in load_checks()}
FIXTURES = Path(__file__).parents[2] / "fixtures" / "containers"
DOCK2 = parse_containers((FIXTURES / "lab-dock2.txt").read_text())
HANDWRITTEN = parse_containers((FIXTURES / "handwritten.txt").read_text())
CONTAINER_CHECKS = [
    "ctr.privileged",
    "ctr.runtime-socket",
    "ctr.sensitive-mounts",
    "ctr.host-namespaces",
    "ctr.capabilities",
]


def run(check_id: str, host_vars: dict[str, Any] | None = None, **overrides: Any) -> CheckResult:
    (result,) = evaluate([CHECKS[check_id]], facts(**overrides), host_vars or {})
    return result


def ctr(name: str = "app", **settings: Any) -> Container:
    return Container(name[:1], name, "img", "", 10, 1000, **settings)


def bind(source: str, destination: str, rw: bool = True, kind: str = "bind") -> Mount:
    return Mount(source, destination, rw, kind)


# common: no engine, engine unreadable, nothing running ---------------------------------------


@pytest.mark.parametrize("check_id", CONTAINER_CHECKS)
def test_no_engine_skips(check_id: str) -> None:
    result = run(check_id, containers=Absent("no container engine (docker) on this host"))
    assert (result.status, result.reason) == (
        Status.SKIP,
        "no container engine (docker) on this host",
    )


@pytest.mark.parametrize("check_id", CONTAINER_CHECKS)
def test_engine_unreadable_is_unknown(check_id: str) -> None:
    result = run(
        check_id, containers=Unknown("docker ps/inspect: exit status 1: permission denied")
    )
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "docker ps/inspect: exit status 1: permission denied",
    )


@pytest.mark.parametrize("check_id", CONTAINER_CHECKS)
def test_no_running_container_passes(check_id: str) -> None:
    result = run(check_id, containers=())
    assert (result.status, result.evidence) == (Status.PASS, ("no running containers",))


# the lab's dock2: one container per risky setting ------------------------------------------


@pytest.mark.parametrize(
    ("check_id", "evidence"),
    [
        (
            "ctr.privileged",
            "priv (hardaudit-lab-base:38c7a4862f35): runs --privileged (every capability, every host device, no seccomp)",
        ),
        (
            "ctr.runtime-socket",
            "sock (hardaudit-lab-base:38c7a4862f35): mounts /var/run/docker.sock at /var/run/docker.sock: the Docker API socket",
        ),
        (
            "ctr.sensitive-mounts",
            "etcrw (hardaudit-lab-base:38c7a4862f35): host /etc at /host-etc read-write",
        ),
        (
            "ctr.host-namespaces",
            "hostnet (hardaudit-lab-base:38c7a4862f35): shares the host's network namespace (--network host)",
        ),
        (
            "ctr.capabilities",
            "caps (hardaudit-lab-base:38c7a4862f35): adds SYS_ADMIN (--cap-add)",
        ),
    ],
)
def test_lab_dock2_fails_each_check_once(check_id: str, evidence: str) -> None:
    result = run(check_id, containers=DOCK2)
    assert (result.status, result.evidence) == (Status.FAIL, (evidence,))


# ctr.privileged ------------------------------------------------------------------------------------


def test_privileged_pass_lists_each_container() -> None:
    result = run("ctr.privileged", containers=(ctr("a"), ctr("b")))
    assert (result.status, result.evidence) == (
        Status.PASS,
        ("a (img): not privileged", "b (img): not privileged"),
    )


# ctr.runtime-socket ----------------------------------------------------------------------------


def test_socket_anywhere_and_read_only_still_fails() -> None:
    result = run("ctr.runtime-socket", containers=HANDWRITTEN)
    assert result.status == Status.FAIL
    assert result.evidence == (
        "proxy (traefik:v3): mounts /run/user/1000/docker.sock at /var/run/docker.sock: "
        "the Docker API socket, read-only (no protection for a socket)",
        "proxy (traefik:v3): mounts host / at /host: it holds /run, /var/run and the runtime "
        "sockets in them, read-only (no protection for a socket)",
        "cache (redis:7): mounts host /var/run at /host-run: it holds the runtime sockets",
    )


@pytest.mark.parametrize(
    ("source", "rw", "held"),
    [
        ("/", False, "/run, /var/run"),
        ("//", True, "/run, /var/run"),
        ("/var", True, "/var/run"),
        ("/var/", False, "/var/run"),
        ("/run/", True, ""),  # a socket dir itself: the older message
    ],
)
def test_parent_of_a_socket_dir_exposes_the_sockets(source: str, rw: bool, held: str) -> None:
    result = run("ctr.runtime-socket", containers=(ctr(mounts=(bind(source, "/host", rw=rw),)),))
    assert result.status == Status.FAIL
    if held:
        ro = "" if rw else ", read-only (no protection for a socket)"
        assert result.evidence == (
            f"app (img): mounts host {source} at /host: it holds {held} and the runtime "
            f"sockets in them{ro}",
        )


@pytest.mark.parametrize("source", ["/home", "/var/www", "/srv", "/run/user/1000/app"])
def test_mounts_that_hold_no_socket_dir_pass(source: str) -> None:
    result = run("ctr.runtime-socket", containers=(ctr(mounts=(bind(source, "/h"),)),))
    assert result.status == Status.PASS


@pytest.mark.parametrize(
    ("source", "runtime"),
    [
        ("/run/containerd/containerd.sock", "containerd"),
        ("/var/run/crio/crio.sock", "CRI-O"),
        ("/run/podman/podman.sock", "Podman"),
    ],
)
def test_other_runtime_sockets(source: str, runtime: str) -> None:
    result = run("ctr.runtime-socket", containers=(ctr(mounts=(bind(source, "/api.sock"),)),))
    assert result.evidence == (
        f"app (img): mounts {source} at /api.sock: the {runtime} API socket",
    )


def test_socket_renamed_inside_the_container_is_found_by_its_host_name() -> None:
    result = run(
        "ctr.runtime-socket", containers=(ctr(mounts=(bind("/var/run/docker.sock", "/tmp/api"),)),)
    )
    assert result.status == Status.FAIL


def test_socket_pass() -> None:
    result = run("ctr.runtime-socket", containers=(ctr(mounts=(bind("/srv/app", "/app"),)),))
    assert (result.status, result.evidence) == (
        Status.PASS,
        ("app (img): no runtime socket among 1 mount(s)",),
    )


# ctr.sensitive-mounts ------------------------------------------------------------------------


def test_sensitive_mounts_handwritten() -> None:
    result = run("ctr.sensitive-mounts", containers=HANDWRITTEN)
    assert result.status == Status.FAIL
    # db: a named volume under /var/lib/docker and a read-only /etc/localtime are fine;
    # proxy: / read-only is fine; cache: /etc/letsencrypt/ read-write is under /etc.
    assert result.evidence == (
        "cache (redis:7): host /etc/letsencrypt/ at /certs read-write (under /etc)",
    )


def test_sensitive_mounts_allowed_variable_and_read_only_pass() -> None:
    result = run(
        "ctr.sensitive-mounts", {"allowed_mounts": ["/etc/letsencrypt"]}, containers=HANDWRITTEN
    )
    assert result.status == Status.PASS
    assert result.evidence == (
        "db (postgres:16): host /etc/localtime at /etc/localtime read-only",
        "proxy (traefik:v3): host / at /host read-only",
        "cache (redis:7): host /etc/letsencrypt/ at /certs read-write, allowed by allowed_mounts",
    )


def test_parent_of_a_sensitive_path_read_write_fails() -> None:
    mounts = (bind("/var", "/host-var"), bind("/var/lib", "/l", rw=False), bind("/home", "/h"))
    result = run("ctr.sensitive-mounts", containers=(ctr(mounts=mounts),))
    assert (result.status, result.evidence) == (
        Status.FAIL,
        (
            "app (img): host /var at /host-var read-write"
            " (holds /var/lib/containerd, /var/lib/docker)",
        ),
    )


def test_parent_of_a_sensitive_path_allowed_or_read_only_passes() -> None:
    mounts = (bind("/var", "/host-var"), bind("/var/lib", "/l", rw=False))
    result = run(
        "ctr.sensitive-mounts", {"allowed_mounts": ["/var"]}, containers=(ctr(mounts=mounts),)
    )
    assert (result.status, result.evidence) == (
        Status.PASS,
        (
            "app (img): host /var at /host-var read-write, allowed by allowed_mounts; "
            "host /var/lib at /l read-only",
        ),
    )


@pytest.mark.parametrize(
    "source",
    [
        "/",
        "//",
        "/proc",
        "/sys/",
        "/root/.ssh",
        "/var/lib/docker",
        "/boot",
        "/dev",
        "/var",
        "/var/lib",
    ],
)
def test_sensitive_paths_read_write_fail(source: str) -> None:
    result = run("ctr.sensitive-mounts", containers=(ctr(mounts=(bind(source, "/h"),)),))
    assert result.status == Status.FAIL


@pytest.mark.parametrize(
    "source", ["/srv/data", "/proc/sys/../../srv", "/etcetera", "/sys/fs/cgroup"]
)
def test_ordinary_paths_pass(source: str) -> None:
    assert (
        run("ctr.sensitive-mounts", containers=(ctr(mounts=(bind(source, "/h"),)),)).status
        == Status.PASS
    )


# ctr.host-namespaces -------------------------------------------------------------------------


def test_host_namespaces_all_three() -> None:
    result = run("ctr.host-namespaces", containers=HANDWRITTEN)
    assert result.evidence == (
        "proxy (traefik:v3): shares the host's network namespace (--network host)",
        "proxy (traefik:v3): shares the host's pid namespace (--pid host)",
        "proxy (traefik:v3): shares the host's ipc namespace (--ipc host)",
    )


def test_host_namespaces_container_network_is_not_the_host() -> None:
    result = run(
        "ctr.host-namespaces",
        containers=(ctr(network_mode="container:abc", ipc_mode="shareable", pid_mode=""),),
    )
    assert (result.status, result.evidence) == (
        Status.PASS,
        ("app (img): own network, pid, ipc namespaces",),
    )


# ctr.capabilities ----------------------------------------------------------------------------


def test_capabilities_any_case_and_prefix() -> None:
    result = run("ctr.capabilities", containers=HANDWRITTEN)
    assert result.evidence == ("db (postgres:16): adds NET_ADMIN, SYS_PTRACE (--cap-add)",)


def test_capabilities_all_fails_and_narrow_ones_pass() -> None:
    assert run("ctr.capabilities", containers=(ctr(cap_add=("ALL",)),)).status == Status.FAIL
    result = run("ctr.capabilities", containers=(ctr(cap_add=("NET_BIND_SERVICE", "CHOWN")),))
    assert (result.status, result.evidence) == (
        Status.PASS,
        ("app (img): adds only NET_BIND_SERVICE, CHOWN",),
    )


# ctr.daemon-tcp ------------------------------------------------------------------------------


def procs(*cmdlines: str, daemon_json: tuple[str, ...] = ()) -> Processes:
    names = {"sshd", *(c.split()[0] for c in cmdlines)}
    return Processes(frozenset(names), tuple(cmdlines), daemon_json, frozenset(names))


SSHD = (ListeningSocket("tcp", "0.0.0.0", 22, "sshd"),)


def test_daemon_tcp_lab_dock2_daemon_json_and_listener() -> None:
    result = run(
        "ctr.daemon-tcp",
        processes=parse_processes((FIXTURES / "lab-dock2-processes.txt").read_text()),
        listeners=parse_ss((FIXTURES / "lab-dock2-listeners.txt").read_text()),
        containers=DOCK2,
    )
    assert (result.status, result.severity) == (Status.FAIL, Severity.CRITICAL)
    assert result.evidence == (
        "daemon.json host tcp://0.0.0.0:2375 without tlsverify (all)",
        "tcp *:2375 (dockerd) listens on Docker's plaintext API port (network)",
    )


def test_daemon_tcp_command_line_host_without_tlsverify() -> None:
    result = run(
        "ctr.daemon-tcp",
        processes=procs("dockerd /usr/bin/dockerd -H fd:// -H tcp://10.0.0.5:2376 --tls"),
        listeners=SSHD,
    )
    assert result.status == Status.FAIL
    assert result.evidence == ("dockerd -H tcp://10.0.0.5:2376 without --tlsverify (address)",)


def test_daemon_tcp_loopback_only_fails_at_medium() -> None:
    result = run(
        "ctr.daemon-tcp",
        processes=procs("dockerd dockerd --host=tcp://127.0.0.1:2375"),
        listeners=(*SSHD, ListeningSocket("tcp", "127.0.0.1", 2375, "dockerd")),
    )
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)
    assert result.evidence == (
        "dockerd -H tcp://127.0.0.1:2375 without --tlsverify (loopback)",
        "tcp 127.0.0.1:2375 (dockerd) listens on Docker's plaintext API port (loopback)",
    )


def test_daemon_tcp_with_tlsverify_passes() -> None:
    result = run(
        "ctr.daemon-tcp",
        processes=procs(
            "dockerd dockerd -H unix:///var/run/docker.sock -H tcp://0.0.0.0:2376 --tlsverify"
        ),
        listeners=(*SSHD, ListeningSocket("tcp", "0.0.0.0", 2376, "dockerd")),
    )
    assert (result.status, result.evidence) == (
        Status.PASS,
        ("dockerd -H tcp://0.0.0.0:2376 with --tlsverify", "nothing listens on tcp port(s) 2375"),
    )


def test_daemon_tcp_tlsverify_from_daemon_json() -> None:
    result = run(
        "ctr.daemon-tcp",
        processes=procs(
            "dockerd dockerd",
            daemon_json=(
                '"hosts": ["tcp://0.0.0.0:2376", "unix:///var/run/docker.sock"],',
                '"tlsverify": true,',
            ),
        ),
        listeners=SSHD,
    )
    assert result.status == Status.PASS
    assert result.evidence[1] == "daemon.json host tcp://0.0.0.0:2376 with tlsverify"


def test_daemon_tcp_unix_socket_only_passes() -> None:
    result = run(
        "ctr.daemon-tcp",
        processes=procs(
            "dockerd /usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock"
        ),
        listeners=SSHD,
    )
    assert (result.status, result.evidence) == (
        Status.PASS,
        ("dockerd hosts: fd://", "nothing listens on tcp port(s) 2375"),
    )


def test_daemon_tcp_engine_elsewhere_passes() -> None:
    # dock1: only the docker CLI and a mounted socket; the engine runs on another host.
    result = run("ctr.daemon-tcp", processes=procs(), listeners=SSHD)
    assert (result.status, result.evidence) == (
        Status.PASS,
        (
            "no dockerd process on this host (its engine, if any, runs elsewhere)",
            "nothing listens on tcp port(s) 2375",
        ),
    )


def test_daemon_tcp_skips_without_docker_and_dockerd() -> None:
    result = run(
        "ctr.daemon-tcp",
        processes=procs(),
        containers=Absent("no container engine (docker) on this host"),
    )
    assert (result.status, result.reason) == (
        Status.SKIP,
        "no container engine (docker) on this host; no dockerd process",
    )
    unread = run("ctr.daemon-tcp", processes=Unknown("x"), containers=Absent("no docker"))
    assert unread.status == Status.SKIP


def test_daemon_tcp_judged_when_dockerd_runs_without_the_cli() -> None:
    result = run(
        "ctr.daemon-tcp",
        processes=procs("dockerd dockerd -H tcp://0.0.0.0:2375"),
        containers=Absent("no container engine (docker) on this host"),
        listeners=SSHD,
    )
    assert result.status == Status.FAIL


def test_daemon_tcp_unknown_without_process_list() -> None:
    result = run("ctr.daemon-tcp", processes=Unknown("process list: exit status 1"))
    assert (result.status, result.reason) == (Status.UNKNOWN, "process list: exit status 1")


def test_daemon_tcp_unknown_when_dockerd_runs_and_listeners_unreadable() -> None:
    result = run(
        "ctr.daemon-tcp",
        processes=procs("dockerd dockerd -H fd://"),
        listeners=Unknown("listening sockets: exit status 1"),
    )
    assert result.status == Status.UNKNOWN
    assert (
        result.reason
        == "listeners on [2375] could not be checked: listening sockets: exit status 1"
    )


def test_dockerd_host_option_spellings() -> None:
    assert dockerd_hosts("dockerd dockerd -Htcp://:2375 -H=unix:///x --tlsverify=false") == (
        ["tcp://:2375", "unix:///x"],
        False,
    )


def test_daemon_json_tcp_urls_only_from_hosts() -> None:
    lines = (
        '"hosts": [',
        '"tcp://0.0.0.0:2375",',
        '"log-opts": {"syslog-address": "tcp://192.0.2.1:514"},',
    )
    assert daemon_json_hosts(lines) == ["tcp://0.0.0.0:2375"]


# podman: the lab's podman containers (stack1, podman 4.3.1) judged as Docker's, named with
# their engine -------------------------------------------------------------------------------

PODMAN = parse_containers((FIXTURES / "lab-stack1-podman-risky.txt").read_text(), engine="podman")


@pytest.mark.parametrize(
    ("check_id", "problem"),
    [
        ("ctr.host-namespaces", "shares the host's pid namespace (--pid host)"),
        ("ctr.capabilities", "NET_ADMIN"),
        ("ctr.runtime-socket", "/run"),
    ],
)
def test_a_risky_podman_container_fails_named_with_its_engine(check_id: str, problem: str) -> None:
    result = run(check_id, containers=PODMAN)
    assert result.status is Status.FAIL, result
    label = "podpub (localhost/lab-sleep:1), engine podman, compose project x, service y: "
    assert any(e.startswith(label) and problem in e for e in result.evidence), result.evidence
    assert [o.key for o in result.objects] == ["container:podpub@podman"]


def test_docker_and_podman_containers_of_one_name_stay_apart() -> None:
    docker = Container("a1", "app", "img", "", 10, 0)
    podman = Container("b2", "app", "img", "", 11, 0, engine="podman")
    result = run("ctr.non-root", containers=(docker, podman))
    assert result.status is Status.FAIL
    assert [o.key for o in result.objects] == ["container:app", "container:app@podman"]
    assert result.evidence[1].startswith("app (img), engine podman pid 11: process runs as uid 0")
