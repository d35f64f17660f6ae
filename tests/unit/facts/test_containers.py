"""parse_containers on the lab's dock2 capture and on hand-written inspect lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hardaudit.facts.build import PODMAN_NOTE, _containers, build_host_facts
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


# podman: its containers are not read (only docker's); a podman host must not look empty -----


def _meta(tools: str) -> Section:
    return Section("meta", f"uid=0\nuser=root\nprivilege=root\ntools= {tools}\n", 0)


def test_podman_without_docker_leaves_the_containers_unknown_not_absent() -> None:
    no_docker = Section("containers", "", 127, stderr="docker not installed")
    host = build_host_facts({"meta": _meta("ss podman"), "containers": no_docker}, "n")
    assert host.containers == Unknown(f"docker is not installed; {PODMAN_NOTE}")
    assert PODMAN_NOTE in host.notes
    host = build_host_facts({"meta": _meta("ss"), "containers": no_docker}, "n")
    assert host.containers == Absent("no container engine (docker) on this host")
    assert host.notes == ()


def test_podman_beside_docker_is_a_note_and_docker_containers_are_still_judged() -> None:
    text = (FIXTURES / "lab-dock2.txt").read_text()
    containers = Section("containers", text, 0)
    host = build_host_facts({"meta": _meta("docker podman"), "containers": containers}, "n")
    assert isinstance(host.containers, tuple)
    assert len(host.containers) == 7
    assert host.notes == (PODMAN_NOTE,)
