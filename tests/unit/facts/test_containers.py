"""parse_containers on the lab's dock2 capture and on hand-written inspect lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hardaudit.facts.build import _containers, build_host_facts
from hardaudit.facts.model import (
    Absent,
    ComposeService,
    Mount,
    Processes,
    PublishedPort,
    Section,
    Unknown,
)
from hardaudit.facts.parsers.containers import COMPOSE_FILES_CAP, LABEL_CAP, parse_containers
from hardaudit.facts.script import DOCKER_INSPECT_FORMAT

FIXTURES = Path(__file__).parents[2] / "fixtures" / "containers"


def test_lab_dock2_containers_with_their_risky_settings() -> None:
    found = {c.name: c for c in parse_containers((FIXTURES / "lab-dock2.txt").read_text())}
    assert sorted(found) == ["caps", "etcrw", "hostnet", "priv", "rootly", "sock", "web"]
    assert found["priv"].privileged
    assert not found["web"].privileged
    assert found["caps"].cap_add == ("SYS_ADMIN",)
    assert found["rootly"].cap_add == ()  # "cap_add":null
    assert found["hostnet"].network_mode == "host"
    assert found["web"].network_mode == "default"
    assert found["sock"].mounts == (
        Mount("/var/run/docker.sock", "/var/run/docker.sock", True, "bind"),
    )
    assert found["etcrw"].mounts == (Mount("/etc", "/host-etc", True, "bind"),)
    assert found["web"].ports == (PublishedPort("8080/tcp", "0.0.0.0", 8080),)
    assert found["rootly"].effective_uid == 0
    assert found["web"].effective_uid == 1000
    assert found["web"].id == "5ec0b7fcb1a0"


def test_handwritten_volumes_bindings_and_capabilities() -> None:
    found = {c.name: c for c in parse_containers((FIXTURES / "handwritten.txt").read_text())}
    db, proxy, cache = found["db"], found["proxy"], found["cache"]
    assert db.ports == (
        PublishedPort("5432/tcp", "0.0.0.0", 5432),
        PublishedPort("5432/tcp", "::", 5432),
    )  # 8008/tcp is exposed, not published
    assert db.cap_add == ("cap_net_admin", "CAP_SYS_PTRACE", "NET_BIND_SERVICE")
    assert db.mounts[0] == Mount(
        "/var/lib/docker/volumes/pgdata/_data", "/var/lib/postgresql/data", True, "volume"
    )
    assert db.mounts[1].rw is False
    assert (proxy.network_mode, proxy.pid_mode, proxy.ipc_mode) == ("host", "host", "host")
    assert cache.ports == (
        PublishedPort("6379/tcp", "127.0.0.1", 6379),
        PublishedPort("9121/tcp", "", 9121),
    )
    assert cache.effective_uid is None  # `## proc 4303 unreadable`
    assert proxy.effective_uid == 0


def test_malformed_lines_and_odd_values_are_skipped() -> None:
    text = "\n".join(
        [
            "## engine-ok",
            "{not json",
            '["a list"]',
            '{"id":"x","name":"/odd","pid":7,"cap_add":"SYS_ADMIN","mounts":{},'
            '"ports":{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"http"},"junk"],"81/tcp":"x"}}',
        ]
    )
    (odd,) = parse_containers(text)
    assert (odd.name, odd.cap_add, odd.mounts, odd.ports) == ("odd", (), (), ())
    assert parse_containers("## engine-ok\n") == ()


# build._containers: "Cannot connect" is "not running" only if no engine process is seen ---------

CANNOT_CONNECT = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
    "Is the docker daemon running?"
)


def _no_daemon() -> Section:
    return Section("containers", "", 1, stderr=CANNOT_CONNECT)


def test_cannot_connect_without_an_engine_process_is_absent() -> None:
    found = _containers(_no_daemon(), Processes(frozenset({"sshd", "cron"})))
    assert found == Absent("docker is installed but its engine is not running")


@pytest.mark.parametrize("engine", ["dockerd", "containerd"])
def test_cannot_connect_while_an_engine_runs_is_unknown(engine: str) -> None:
    # dockerd on another socket (-H, rootless, DOCKER_HOST): its containers still run.
    found = _containers(_no_daemon(), Processes(frozenset({"sshd", engine})))
    assert found == Unknown(
        f"docker ps/inspect: exit status 1: {CANNOT_CONNECT}, though {engine} run(s) on this host"
    )


def test_cannot_connect_without_a_process_list_is_unknown() -> None:
    found = _containers(_no_daemon(), Unknown("process list: no output"))
    assert isinstance(found, Unknown)
    assert found.reason.endswith("; whether dockerd runs is unknown (process list: no output)")


def test_build_reads_the_process_list_for_the_containers_fact() -> None:
    meta = Section("meta", "uid=1000\nuser=app\nprivilege=user\n", 0)
    processes = Section("processes", "comm=sshd\ncomm=dockerd\n", 0)
    host = build_host_facts({"meta": meta, "containers": _no_daemon(), "processes": processes}, "n")
    assert isinstance(host.containers, Unknown)
    host = build_host_facts({"meta": meta, "containers": _no_daemon()}, "n")
    assert isinstance(host.containers, Unknown)  # processes not gathered: cannot tell


# compose labels: the project and service a container was deployed as ----------------------


def _inspect_line(name: str, compose: object) -> str:
    import json

    return json.dumps({"id": "c0ffee", "name": f"/{name}", "pid": 5, "compose": compose})


def test_compose_v1_labels_name_the_compose_file_under_the_working_dir() -> None:
    labels = {
        "project": "shop",
        "service": "mailcatcher",
        "working_dir": "/srv/shop",
        "config_files": "docker-compose.yml,docker-compose.override.yml",
    }
    (c,) = parse_containers(_inspect_line("shop_mailcatcher_1", labels))
    assert c.compose == ComposeService(
        "shop",
        "mailcatcher",
        "/srv/shop",
        ("/srv/shop/docker-compose.yml", "/srv/shop/docker-compose.override.yml"),
    )
    assert c.compose.describe() == (
        "compose project shop, service mailcatcher "
        "(/srv/shop/docker-compose.yml, /srv/shop/docker-compose.override.yml)"
    )


def test_compose_v2_absolute_config_files_are_kept() -> None:
    labels = {
        "project": "shop",
        "service": "web",
        "working_dir": "/srv/shop",
        "config_files": "/srv/shop/compose.yaml",
    }
    (c,) = parse_containers(_inspect_line("shop-web-1", labels))
    assert c.compose is not None
    assert c.compose.files == ("/srv/shop/compose.yaml",)


@pytest.mark.parametrize(
    "compose",
    [
        {"project": "", "service": "", "working_dir": "", "config_files": ""},  # no labels
        {"project": "shop", "service": ""},  # a project label set by hand, no service
        {"project": ["shop"], "service": {"x": 1}},
        None,
        "shop",
    ],
)
def test_a_container_without_both_compose_labels_has_no_compose_origin(compose: object) -> None:
    (c,) = parse_containers(_inspect_line("plain", compose))
    assert c.compose is None


def test_a_capture_from_before_the_compose_labels_has_no_compose_origin() -> None:
    assert all(
        c.compose is None for c in parse_containers((FIXTURES / "lab-dock2.txt").read_text())
    )


def test_hostile_compose_labels_are_capped_and_relative_without_a_working_dir() -> None:
    labels = {
        "project": "p" * 5000,
        "service": "s\x1b[2J",
        "working_dir": "relative/dir",
        "config_files": ",".join(f"f{i}.yml" for i in range(50)),
    }
    (c,) = parse_containers(_inspect_line("x", labels))
    assert c.compose is not None
    assert c.compose.project == "p" * LABEL_CAP
    assert c.compose.service == "s\x1b[2J"  # kept as decoded: the renderers escape it
    assert c.compose.files == tuple(f"f{i}.yml" for i in range(COMPOSE_FILES_CAP))


def test_exposed_only_ports_are_kept_apart_from_published_ones() -> None:
    found = {c.name: c for c in parse_containers((FIXTURES / "handwritten.txt").read_text())}
    assert found["db"].exposed == ("8008/tcp",)
    assert [p.host_port for p in found["db"].ports] == [5432, 5432]  # published: in ports
    assert all(not c.exposed for c in parse_containers((FIXTURES / "lab-dock2.txt").read_text()))


def test_inspect_template_reads_four_compose_labels_and_no_other_label() -> None:
    # labels can hold secrets (a proxy's basic-auth hash): never `json .Config.Labels`
    assert "json .Config.Labels}}" not in DOCKER_INSPECT_FORMAT
    asked = re.findall(r'index \.Config\.Labels "([^"]+)"', DOCKER_INSPECT_FORMAT)
    assert asked == [
        "com.docker.compose.project",
        "com.docker.compose.service",
        "com.docker.compose.project.working_dir",
        "com.docker.compose.project.config_files",
    ]
    assert "'" not in DOCKER_INSPECT_FORMAT  # the script single-quotes it


def test_exposed_ports_come_from_the_config_on_an_internal_network() -> None:
    # what the engine gave for stack1's redis and web: no NetworkSettings entry on an
    # internal network, the port only in Config.ExposedPorts
    line = (
        '{"id":"r","name":"/shop_redis_1","pid":3,"ports":{},"exposed":{"6379/tcp":{}}}\n'
        '{"id":"w","name":"/shop_web_1","pid":4,'
        '"ports":{"8443/tcp":[{"HostIp":"0.0.0.0","HostPort":"443"}],"9000/tcp":null},'
        '"exposed":{"8443/tcp":{},"9000/tcp":{}}}\n'
        '{"id":"x","name":"/odd","pid":5,"ports":null,"exposed":["6379/tcp"]}'
    )
    redis, web, odd = parse_containers(line)
    assert redis.exposed == ("6379/tcp",)
    assert web.exposed == ("9000/tcp",)  # 8443 is published: in ports, not here
    assert odd.exposed == ()


# podman: rootful podman's containers are read too (podman_containers); what is not read is
# unknown, never "no container" -------------------------------------------------------------


def _meta(tools: str) -> Section:
    return Section("meta", f"uid=0\nuser=root\nprivilege=root\ntools= {tools}\n", 0)


NO_DOCKER = Section("containers", "", 127, stderr="docker not installed")
NO_PODMAN = Section("podman_containers", "", 127, stderr="podman not installed")
PODMAN_LINE = (
    '{"id":"0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0","name":"pod",'
    '"image":"localhost/app:1","user":"1000:1000","pid":77,"running":true,"privileged":false,'
    '"network_mode":"none","pid_mode":"private","ipc_mode":"shareable","cap_add":[],'
    '"mounts":[],"ports":{},"compose":{"project":"","service":"","working_dir":"",'
    '"config_files":""}}\n## proc 77 1000 1000\n'
)


def _podman(text: str = PODMAN_LINE) -> Section:
    return Section("podman_containers", "## engine-ok\n" + text, 0)


def test_podman_without_docker_is_read_and_judged() -> None:
    sections = {"meta": _meta("ss podman"), "containers": NO_DOCKER, "podman_containers": _podman()}
    host = build_host_facts(sections, "n")
    assert isinstance(host.containers, tuple), host.containers
    (pod,) = host.containers
    assert (pod.name, pod.engine, pod.effective_uid, pod.config_user) == (
        "pod",
        "podman",
        1000,
        "1000:1000",
    )
    assert host.notes == ()
    host = build_host_facts({**sections, "podman_containers": _podman("")}, "n")
    assert host.containers == ()  # podman read, none running: nothing runs


def test_docker_and_podman_containers_are_judged_together() -> None:
    docker = Section("containers", (FIXTURES / "lab-dock2.txt").read_text(), 0)
    sections = {
        "meta": _meta("docker podman"),
        "containers": docker,
        "podman_containers": _podman(),
    }
    host = build_host_facts(sections, "n")
    assert isinstance(host.containers, tuple)
    engines = [c.engine for c in host.containers]
    assert engines == ["docker"] * 7 + ["podman"], engines


@pytest.mark.parametrize(
    ("section", "reason"),
    [
        (
            Section("podman_containers", "", 1, stderr="sudo: a password is required"),
            "podman ps/inspect: exit status 1: sudo: a password is required",
        ),
        (
            Section(
                "podman_containers",
                "",
                1,
                stderr="podman lists rootful containers to uid 0 only: no sudo here",
            ),
            "podman ps/inspect: exit status 1: podman lists rootful containers to uid 0 only: "
            "no sudo here",
        ),
        (
            Section("podman_containers", "## engine-ok\n", None),
            "podman ps/inspect: command did not finish",
        ),
        (None, "podman ps/inspect: no output from the facts script (section missing)"),
    ],
)
def test_podman_that_could_not_be_read_leaves_every_container_unknown(
    section: Section | None, reason: str
) -> None:
    """Docker's list alone is not every container: an unread podman is unknown, never pass."""
    docker = Section("containers", (FIXTURES / "lab-dock2.txt").read_text(), 0)
    sections = {"meta": _meta("docker podman"), "containers": docker}
    if section is not None:
        sections["podman_containers"] = section
    host = build_host_facts(sections, "n")
    assert isinstance(host.containers, Unknown), host.containers
    assert host.containers.reason.startswith(reason), host.containers.reason
    no_docker = {**sections, "containers": NO_DOCKER}
    host = build_host_facts(no_docker, "n")
    assert isinstance(host.containers, Unknown), host.containers


def test_neither_engine_installed_is_absent() -> None:
    sections = {"meta": _meta("ss"), "containers": NO_DOCKER, "podman_containers": NO_PODMAN}
    host = build_host_facts(sections, "n")
    assert host.containers == Absent("no container engine (docker, podman) on this host")
    # an old capture without the podman section, on a host without podman: as before
    host = build_host_facts({"meta": _meta("ss"), "containers": NO_DOCKER}, "n")
    assert host.containers == Absent("no container engine (docker, podman) on this host")


def _ps(*names: str) -> Section:
    return Section("processes", "".join(f"comm={n}\n" for n in ("sshd", *names)), 0)


def test_conmon_without_podman_is_cri_o_and_never_taken_for_no_containers() -> None:
    """conmon supervises every podman and CRI-O container. Once podman's list is read, its
    containers are in it; conmon without podman is CRI-O (or a podman this script cannot
    run), whose containers nothing here lists: "no running containers" would be a pass for
    what was not read."""
    empty = Section("containers", "## engine-ok\n", 0)
    sections = {
        "meta": _meta("docker"),
        "containers": empty,
        "podman_containers": NO_PODMAN,
        "processes": _ps("conmon"),
    }
    host = build_host_facts(sections, "n")
    assert isinstance(host.containers, Unknown), host.containers
    assert "conmon" in host.containers.reason
    host = build_host_facts({**sections, "meta": _meta("ss"), "containers": NO_DOCKER}, "n")
    assert isinstance(host.containers, Unknown), host.containers
    assert "conmon" in host.containers.reason
    # podman read: its conmon no longer makes anything unknown
    podman = {**sections, "meta": _meta("docker podman"), "podman_containers": _podman()}
    host = build_host_facts(podman, "n")
    assert isinstance(host.containers, tuple), host.containers
    assert [c.engine for c in host.containers] == ["podman"]
    host = build_host_facts({**podman, "podman_containers": _podman("")}, "n")
    assert host.containers == ()
    # without conmon: as before
    host = build_host_facts({**sections, "processes": _ps("dockerd")}, "n")
    assert host.containers == ()
    host = build_host_facts(
        {**sections, "meta": _meta("ss"), "containers": NO_DOCKER, "processes": _ps()}, "n"
    )
    assert host.containers == Absent("no container engine (docker, podman) on this host")


# podman's own inspect output (the script's podman template, lab stack1, podman 4.3.1) -------


def test_lab_stack1_podman_container_as_the_audit_read_it() -> None:
    (pod,) = parse_containers((FIXTURES / "lab-stack1-podman.txt").read_text(), engine="podman")
    assert (pod.id, pod.name, pod.image, pod.engine) == (
        "bc13ec771267",
        "podapp",  # podman's names have no leading "/"
        "localhost/lab-sleep:1",
        "podman",
    )
    assert (pod.config_user, pod.pid, pod.effective_uid) == ("1000:1000", 967, 1000)
    assert (pod.privileged, pod.network_mode, pod.pid_mode, pod.ipc_mode) == (
        False,
        "none",
        "private",  # podman's word where Docker says nothing: not "host"
        "shareable",
    )
    assert (pod.cap_add, pod.mounts, pod.ports, pod.exposed, pod.compose) == ((), (), (), (), None)


def test_podman_risky_container_reads_like_dockers() -> None:
    """podman's CapAdd carries the CAP_ prefix, an unset HostIp is "" (every address), and
    the compose labels of a podman-compose deployment are read as Docker's."""
    text = (FIXTURES / "lab-stack1-podman-risky.txt").read_text()
    found = {c.name: c for c in parse_containers(text, engine="podman")}
    assert sorted(found) == ["podapp", "podpub"]
    pub = found["podpub"]
    assert pub.engine == "podman"
    assert pub.cap_add == ("CAP_NET_ADMIN",)
    assert (pub.network_mode, pub.pid_mode) == ("bridge", "host")
    assert pub.mounts == (
        Mount("/etc", "/host-etc", False, "bind"),
        Mount("/run", "/host-run", True, "bind"),
    )
    assert pub.ports == (
        PublishedPort("80/tcp", "", 8081),
        PublishedPort("9090/tcp", "127.0.0.1", 9090),
    )
    assert pub.compose == ComposeService("x", "y", "", ())
    assert pub.effective_uid is None  # no `## proc` line in this capture: unread, not root


def test_hostile_podman_output_is_bounded_and_never_crashes() -> None:
    """The real podman line, edited as a hostile host (or a container's creator) could."""
    real = (FIXTURES / "lab-stack1-podman.txt").read_text().splitlines()[1]
    record = json.loads(real)
    hostile = [
        "## engine-ok",
        real.replace('"pid":967', '"pid":"967; rm -rf /"'),
        json.dumps({**record, "name": "a\nb\x1b[2J", "user": ["0"], "cap_add": "ALL"}),
        json.dumps({**record, "ports": {"1/tcp": [{"HostPort": "99999999999999999999999"}]}}),
        json.dumps({**record, "compose": {"project": "p" * 10_000, "service": "s"}}),
        "[" * 100_000,
        "## proc 967 0 0",
        "## proc not-a-pid 0 0",
    ]
    found = parse_containers("\n".join(hostile), engine="podman")
    assert len(found) == 4
    assert found[0].pid == 0  # not a number: no /proc line can match
    assert found[0].effective_uid is None  # and never the uid 0 of pid 967's line
    assert found[1].name == "a\nb\x1b[2J"  # kept as decoded: the renderers escape it
    assert (found[1].config_user, found[1].cap_add) == ("['0']", ())
    assert found[2].ports == ()  # a 23-digit port is no number
    assert found[3].compose is not None
    assert len(found[3].compose.project) == LABEL_CAP
    assert {c.engine for c in found} == {"podman"}
