"""Every failing finding names its objects: the keys the history fingerprints.

For each built-in check that can fail, one hand-written host pins the object keys (and the
file and line where the facts carry one); the stability tests pin that a key survives a
change of the evidence (a mode, a process, an image) and never holds volatile data.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.evaluators import MAX_KEY, MAX_OBJECTS, finding_object
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, FindingObject, Status
from hardaudit.facts.model import (
    Container,
    EnvFiles,
    FileStat,
    FirewallState,
    Ipv6State,
    ListeningSocket,
    Meta,
    Mount,
    NginxLocation,
    NginxServer,
    Processes,
    PublishedPort,
    RedisConfig,
    Section,
    ServiceUnit,
    SshdConfig,
    SshFiles,
    Unknown,
    WorldWritable,
)
from hardaudit.facts.parsers.sshd import parse_sshd_config, parse_sshd_contexts, parse_sshd_t

from .factories import facts, key, ssh_dir, sshd

CHECKS = {c.id: c for c in load_checks()}
SSHD_FIXTURES = Path(__file__).parents[2] / "fixtures" / "sshd"
NONCE = "fixturenonce0123456789ab"
Obj = FindingObject
HOST = (Obj(""),)
OPEN_FIREWALL = FirewallState("nftables", False, False, False, False, ())
V4_ONLY = FirewallState(
    "nftables", True, False, True, False, ("nft inet filter input: policy drop",)
)
V6_ON = Ipv6State(False, ("2001:db8::5",))
NO_DAEMON = Processes(frozenset({"sshd"}), root_names=frozenset({"sshd"}))


def run(check_id: str, host_vars: dict[str, Any] | None = None, **overrides: Any) -> CheckResult:
    (result,) = evaluate([CHECKS[check_id]], facts(**overrides), host_vars or {})
    return result


def failing(
    check_id: str, host_vars: dict[str, Any] | None = None, **overrides: Any
) -> tuple[Obj, ...]:
    result = run(check_id, host_vars, **overrides)
    assert result.status == Status.FAIL, (check_id, result)
    return result.failing_objects


def parsed(*files: tuple[str, str]) -> dict[str, Any]:
    """sshd settings parsed from files (no root): (path, text) pairs, the first the main file."""
    text = "".join(f"@@{NONCE} FILE {path}\n{body}" for path, body in files)
    return {
        "sshd": parse_sshd_config(text, NONCE, files[0][0]),
        "sshd_contexts": (),
        "sections": MappingProxyType({"sshd_config": Section("sshd_config", text, 0)}),
    }


def match_files(contexts: Any = ()) -> dict[str, Any]:
    """The lab's config with Match blocks, parsed from files (`sshd -T -C` failed)."""
    text = (SSHD_FIXTURES / "openssh-9.2-match-files.txt").read_text()
    return {
        "sshd": parse_sshd_config(text, NONCE),
        "sshd_contexts": contexts,
        "sections": MappingProxyType({"sshd_config": Section("sshd_config", text, 0)}),
    }


def match_effective() -> dict[str, Any]:
    """The same config read as root: `sshd -T` and `sshd -T -C` per Match line."""
    return {
        "sshd": parse_sshd_t((SSHD_FIXTURES / "openssh-9.2-match.txt").read_text()),
        "sshd_contexts": parse_sshd_contexts(
            (SSHD_FIXTURES / "openssh-9.2-match-contexts.txt").read_text(), NONCE
        ),
    }


def stat(path: str, mode: int, owner: str = "root", group: str = "root") -> FileStat:
    return FileStat(path, mode, owner, group, "regular file")


def ctr(name: str, **settings: Any) -> Container:
    return Container(name[:1], name, "img:1", "", 10, 1000, **settings)


# ssh.* ---------------------------------------------------------------------------------------

CLOUD_INIT = "/etc/ssh/sshd_config.d/50-cloud-init.conf"


def test_a_global_setting_is_the_host_object_at_the_file_and_line_it_comes_from() -> None:
    # the drop-in's first value wins over the main file's: that line is what to fix
    host = parsed(
        (
            "/etc/ssh/sshd_config",
            "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n",
        ),
        (CLOUD_INIT, "# cloud-init\nPasswordAuthentication yes\n"),
    )
    assert failing("ssh.password-auth", **host) == (Obj("", CLOUD_INIT, 2),)


def test_both_password_keywords_failing_globally_are_one_object() -> None:
    host = parsed(
        ("/etc/ssh/sshd_config", "KbdInteractiveAuthentication yes\nPasswordAuthentication yes\n")
    )
    assert failing("ssh.password-auth", **host) == (Obj("", "/etc/ssh/sshd_config", 2),)


def test_a_match_block_is_its_own_object_located_at_its_value() -> None:
    objects = failing("ssh.password-auth", **match_files(Unknown("sshd_contexts: exit status 1")))
    assert objects == (Obj("match:User deploy", "/etc/ssh/sshd_config", 124),)


def test_match_contexts_read_with_sshd_t_have_no_file_location() -> None:
    assert failing("ssh.permit-root-login", **match_effective()) == (
        Obj("match:Address 10.0.0.0/8"),
    )


def test_the_global_context_and_a_match_context_are_two_objects() -> None:
    host = match_effective()
    host["sshd"] = SshdConfig(
        MappingProxyType({**host["sshd"].values, "permitrootlogin": ("yes",)}), "sshd -T"
    )
    assert failing("ssh.permit-root-login", **host) == (Obj(""), Obj("match:Address 10.0.0.0/8"))


@pytest.mark.parametrize(
    ("check_id", "setting"),
    [
        ("ssh.permit-root-login", "PermitRootLogin yes"),
        ("ssh.empty-passwords", "PermitEmptyPasswords yes"),
        ("ssh.pubkey-auth", "PubkeyAuthentication no"),
        ("ssh.log-level", "LogLevel QUIET"),
        ("ssh.max-auth-tries", "MaxAuthTries 10"),
        ("ssh.x11-forwarding", "X11Forwarding yes"),
        ("ssh.forwarding", "AllowTcpForwarding yes"),
        ("ssh.protocol", "Protocol 2,1"),
    ],
)
def test_each_sshd_keyword_check_names_the_global_context_and_its_line(
    check_id: str, setting: str
) -> None:
    host = parsed(("/etc/ssh/sshd_config", f"Port 22\n{setting}\nAllowAgentForwarding no\n"))
    assert failing(check_id, **host) == (Obj("", "/etc/ssh/sshd_config", 2),)


def test_protocol_by_an_old_default_is_the_host_as_a_whole() -> None:
    meta = Meta(uid=0, user="root", privilege="root", sshd_version="OpenSSH_5.3p1")
    assert failing("ssh.protocol", meta=meta, sshd=sshd(source="sshd_config")) == HOST


def test_rate_limit_and_access_list_are_about_the_host_as_a_whole() -> None:
    assert failing("ssh.rate-limit", firewall=OPEN_FIREWALL, processes=NO_DAEMON) == HOST
    assert failing("ssh.access-list") == HOST


def test_weak_crypto_is_one_object_per_weak_algorithm() -> None:
    cfg = parsed(
        (
            "/etc/ssh/sshd_config",
            "Ciphers aes128-cbc,aes256-gcm@openssh.com,3des-cbc\n"
            "MACs hmac-sha2-256,hmac-sha1\n"
            "KexAlgorithms curve25519-sha256,diffie-hellman-group14-sha1\n"
            "HostKeyAlgorithms ssh-ed25519\n"
            "HostKey /etc/ssh/ssh_host_ed25519_key\n"
            "HostKey /etc/ssh/ssh_host_dsa_key\n"
            "PubkeyAcceptedKeyTypes ssh-ed25519,ssh-rsa\n"
            "CASignatureAlgorithms ssh-ed25519,ssh-rsa-cert-v01@openssh.com\n"
            "HostbasedAuthentication yes\n"
            "HostbasedAcceptedAlgorithms ssh-dss\n",
        )
    )
    where = "/etc/ssh/sshd_config"
    assert failing("ssh.weak-crypto", **cfg) == (
        Obj("cipher:aes128-cbc", where, 1),
        Obj("cipher:3des-cbc", where, 1),
        Obj("mac:hmac-sha1", where, 2),
        Obj("kex:diffie-hellman-group14-sha1", where, 3),
        Obj("pubkey-algorithm:ssh-rsa", where, 7),
        Obj("ca-algorithm:ssh-rsa-cert-v01@openssh.com", where, 8),
        Obj("hostbased-algorithm:ssh-dss", where, 10),
        Obj("hostkey:/etc/ssh/ssh_host_dsa_key", where, 5),
    )


def test_fixing_one_weak_algorithm_leaves_the_others_failing() -> None:
    def keys(ciphers: str) -> set[str]:
        values = {"ciphers": (ciphers,), "macs": ("hmac-sha2-256",)}
        values |= {"kexalgorithms": ("curve25519-sha256",), "hostkeyalgorithms": ("ssh-ed25519",)}
        values |= {"hostkey": ("/etc/ssh/ssh_host_ed25519_key",)}
        cfg = SshdConfig(MappingProxyType(values), "sshd -T")
        return {o.key for o in failing("ssh.weak-crypto", sshd=cfg)}

    assert keys("aes128-cbc,3des-cbc") - keys("3des-cbc") == {"cipher:aes128-cbc"}


def test_a_match_override_names_the_weakening_blocks() -> None:
    assert failing("ssh.match-override", **match_effective()) == (
        Obj("match:User deploy"),
        Obj("match:Address 10.0.0.0/8"),
    )
    assert failing(
        "ssh.match-override", **match_files(Unknown("sshd_contexts: exit status 1"))
    ) == (
        Obj("match:User deploy", "/etc/ssh/sshd_config", 124),
        Obj("match:Address 10.0.0.0/8", "/etc/ssh/sshd_config", 126),
    )


# file.* --------------------------------------------------------------------------------------


def test_several_bad_key_files_are_several_objects() -> None:
    files = (
        key("/home/app/.ssh/id_rsa", 0o644),
        key("/home/app/.ssh/id_ed25519", 0o600),
        key("/home/app/.ssh/deploy", 0o640, private_key=True),
        key("/home/app/.ssh/id_rsa.pub", 0o666),
        key("/home/app/.ssh/authorized_keys", 0o664),
    )
    host = {"ssh_files": SshFiles((ssh_dir(mode=0o755, files=files),), ())}
    assert failing("file.ssh-privkey", **host) == (
        Obj("/home/app/.ssh/id_rsa", "/home/app/.ssh/id_rsa"),
        Obj("/home/app/.ssh/deploy", "/home/app/.ssh/deploy"),
    )
    assert failing("file.ssh-dir", **host) == (Obj("/home/app/.ssh", "/home/app/.ssh"),)
    assert failing("file.ssh-pubkey", **host) == (
        Obj("/home/app/.ssh/id_rsa.pub", "/home/app/.ssh/id_rsa.pub"),
        Obj("/home/app/.ssh/authorized_keys", "/home/app/.ssh/authorized_keys"),
    )


ETC = (
    stat("/etc/shadow", 0o644, group="shadow"),
    stat("/etc/gshadow", 0o640, group="shadow"),
    stat("/etc/ssh/sshd_config", 0o666),
    stat("/etc/ssh/sshd_config.d/10-lab.conf", 0o644),
    stat("/etc/ssh/ssh_host_ed25519_key", 0o644),
    stat("/etc/ssh/ssh_host_rsa_key", 0o600),
)


@pytest.mark.parametrize(
    ("check_id", "path"),
    [
        ("file.shadow", "/etc/shadow"),
        ("file.sshd-config", "/etc/ssh/sshd_config"),
        ("file.sshd-hostkeys", "/etc/ssh/ssh_host_ed25519_key"),
    ],
)
def test_etc_file_checks_name_each_bad_file(check_id: str, path: str) -> None:
    assert failing(check_id, etc_files=ETC) == (Obj(path, path),)


def test_env_files_are_objects_by_path() -> None:
    env = EnvFiles(
        ("/srv",), (stat("/srv/a/.env", 0o644, "a", "a"), stat("/srv/b/.env", 0o600, "b", "b"))
    )
    assert failing("file.env-mode", env_files=env) == (Obj("/srv/a/.env", "/srv/a/.env"),)


def test_world_writable_names_every_path_though_the_evidence_lists_ten() -> None:
    paths = tuple(f"/opt/app/tmp{i:02d}" for i in range(12))
    result = run("file.world-writable", world_writable=WorldWritable(paths, False))
    assert result.evidence[-1] == "... and 2 more"
    assert [o.key for o in result.failing_objects] == list(paths)


# fw.*, net.* ---------------------------------------------------------------------------------


def test_firewall_checks_are_host_wide_or_per_address_family() -> None:
    assert failing("fw.enabled", firewall=OPEN_FIREWALL) == HOST
    none = FirewallState("none", False, False, False, False)
    assert failing("fw.enabled", firewall=none) == HOST
    assert failing("fw.default-deny-in", firewall=none) == HOST
    assert failing("fw.default-deny-in", firewall=OPEN_FIREWALL, ipv6=V6_ON) == (
        Obj("ipv4"),
        Obj("ipv6"),
    )
    assert failing("fw.default-deny-in", firewall=V4_ONLY, ipv6=V6_ON) == (Obj("ipv6"),)
    assert failing("fw.ipv6-parity", firewall=V4_ONLY, ipv6=V6_ON) == (Obj("ipv6"),)


def test_exposed_ports_are_sockets_without_process_or_pid() -> None:
    listeners = (
        ListeningSocket("tcp", "0.0.0.0", 22, "sshd"),
        ListeningSocket("tcp", "0.0.0.0", 6379, "redis-server"),
        ListeningSocket("tcp", "::", 8080, "java"),
        ListeningSocket("udp", "*", 5353, ""),
        ListeningSocket("tcp", "127.0.0.1", 5432, "postgres"),
    )
    assert failing("net.exposed-ports", listeners=listeners) == (
        Obj("udp/*:5353"),
        Obj("tcp/0.0.0.0:6379"),
        Obj("tcp/[::]:8080"),
    )


def test_exposed_databases_are_sockets_and_published_container_ports() -> None:
    listeners = (
        ListeningSocket("tcp", "0.0.0.0", 5432, "postgres"),
        ListeningSocket("tcp", "127.0.0.1", 6379, "redis-server"),
    )
    db = ctr("db", ports=(PublishedPort("3306/tcp", "0.0.0.0", 13306),))
    assert failing("net.db-exposed", listeners=listeners, containers=(db,)) == (
        Obj("tcp/0.0.0.0:5432"),
        Obj("container:db/tcp/0.0.0.0:13306"),
    )


def test_container_bypass_names_each_published_port() -> None:
    web = ctr(
        "web",
        ports=(
            PublishedPort("80/tcp", "0.0.0.0", 8080),
            PublishedPort("80/tcp", "::", 8080),
            PublishedPort("443/tcp", "", 443),
            PublishedPort("9000/tcp", "127.0.0.1", 9000),
        ),
    )
    assert failing("fw.container-bypass", containers=(web,)) == (
        Obj("container:web/tcp/0.0.0.0:8080"),
        Obj("container:web/tcp/[::]:8080"),
        Obj("container:web/tcp/*:443"),
    )


# ctr.* ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_id", "bad"),
    [
        ("ctr.non-root", {"effective_uid": 0}),
        ("ctr.privileged", {"privileged": True}),
        ("ctr.runtime-socket", {"mounts": (Mount("/var/run/docker.sock", "/sock", True, "bind"),)}),
        ("ctr.sensitive-mounts", {"mounts": (Mount("/etc", "/host-etc", True, "bind"),)}),
        ("ctr.host-namespaces", {"network_mode": "host", "pid_mode": "host"}),
        ("ctr.capabilities", {"cap_add": ("SYS_ADMIN", "NET_ADMIN")}),
    ],
)
def test_container_checks_name_each_failing_container(check_id: str, bad: dict[str, Any]) -> None:
    containers = (
        Container("1", "web", "nginx:1", "", 10, 1000),
        Container("2", "worker", "app:2", "", 11, **{"effective_uid": 1000, **bad}),
        Container("3", "cache", "redis:7", "", 12, **{"effective_uid": 999, **bad}),
    )
    assert failing(check_id, containers=containers) == (
        Obj("container:worker"),
        Obj("container:cache"),
    )


def test_docker_daemon_tcp_names_the_api_address_and_the_listener() -> None:
    processes = Processes(
        frozenset({"sshd", "dockerd"}),
        engine_argvs=(("dockerd", "/usr/bin/dockerd", "-H", "tcp://0.0.0.0:2375"),),
        daemon_json=('"hosts": ["tcp://127.0.0.1:2376"]',),
        root_names=frozenset({"sshd", "dockerd"}),
    )
    listeners = (ListeningSocket("tcp", "0.0.0.0", 2375, "dockerd"),)
    assert failing("ctr.daemon-tcp", processes=processes, listeners=listeners) == (
        Obj("dockerd:tcp://0.0.0.0:2375"),
        Obj("dockerd:tcp://127.0.0.1:2376", "/etc/docker/daemon.json"),
        Obj("tcp/0.0.0.0:2375"),
    )


# svc.*, web.* --------------------------------------------------------------------------------


def test_service_units_are_objects_by_unit_name_at_their_file() -> None:
    units = (
        ServiceUnit("redis-server", "/etc/systemd/system/redis-server.service", ""),
        ServiceUnit("app", "/etc/systemd/system/app.service", "app"),
        ServiceUnit("worker", "/etc/systemd/system/worker.service", "root"),
    )
    assert failing("svc.non-root", units=units) == (
        Obj("unit:redis-server.service", "/etc/systemd/system/redis-server.service"),
        Obj("unit:worker.service", "/etc/systemd/system/worker.service"),
    )


def test_each_unprotected_redis_config_is_an_object() -> None:
    redis = (
        RedisConfig("/etc/redis/redis.conf", ("0.0.0.0",), None, False, False),
        RedisConfig("/etc/redis/cache.conf", ("127.0.0.1",), True, False, False),
    )
    assert failing("svc.redis-auth", redis=redis) == (
        Obj("/etc/redis/redis.conf", "/etc/redis/redis.conf"),
    )


def test_nginx_servers_and_locations_are_objects_by_names_not_lines() -> None:
    site = "/etc/nginx/sites-enabled/app"
    full = frozenset({"x-frame-options", "x-content-type-options", "referrer-policy"})
    full |= {"content-security-policy"}
    api = NginxLocation("/api/", 20, frozenset({"cache-control"}))
    servers = (
        NginxServer(site, 3, ("443 ssl",), ("app.example.com",), full, (api,)),
        NginxServer(site, 40, (), (), frozenset({"x-frame-options"})),
    )
    assert failing("web.security-headers", nginx=servers) == (
        Obj("server:app.example.com listen:443 ssl location:/api/", site, 20),
        Obj("server:_ listen:*:80", site, 40),
    )


def test_a_user_check_fails_the_host_as_a_whole() -> None:
    from hardaudit.checks.model import Check, Severity

    check = Check(
        "site.no-telnet",
        Severity.HIGH,
        "t",
        "r",
        "m",
        "command_output",
        ("command",),
        MappingProxyType({"expect_rc": 0}),
        command="true",
    )
    sections = {"user.site.no-telnet": Section("user.site.no-telnet", "", 1)}
    (result,) = evaluate([check], facts(sections=MappingProxyType(sections)), {})
    assert (result.status, result.failing_objects) == (Status.FAIL, HOST)


def test_every_builtin_check_has_its_objects_pinned_here() -> None:
    source = Path(__file__).read_text()
    assert [c for c in CHECKS if f'"{c}"' not in source] == []


# stability and bounds ------------------------------------------------------------------------


def test_a_file_object_is_the_same_whatever_its_mode_or_owner() -> None:
    def objects(mode: int, owner: str) -> tuple[Obj, ...]:
        env = EnvFiles(("/srv",), (stat("/srv/app/.env", mode, owner, owner),))
        return failing("file.env-mode", {"env_owners": ["app"]}, env_files=env)

    assert (
        objects(0o644, "app")
        == objects(0o666, "www-data")
        == (Obj("/srv/app/.env", "/srv/app/.env"),)
    )


def test_a_socket_object_is_the_same_whatever_process_holds_it() -> None:
    def objects(process: str) -> tuple[Obj, ...]:
        return failing(
            "net.exposed-ports", listeners=(ListeningSocket("tcp", "0.0.0.0", 6379, process),)
        )

    assert objects("redis-server") == objects("") == objects("valkey-server")


def test_a_container_object_is_the_same_whatever_its_image_pid_or_id() -> None:
    old = Container("a1", "web", "nginx:1.24", "", 10, 0)
    new = Container("b2", "web", "nginx:1.27", "root", 4242, 0)
    assert failing("ctr.non-root", containers=(old,)) == failing("ctr.non-root", containers=(new,))


def test_an_sshd_object_is_the_same_whatever_the_weak_value() -> None:
    def objects(value: str) -> tuple[Obj, ...]:
        return failing("ssh.permit-root-login", sshd=sshd(permitrootlogin=value))

    assert objects("yes") == objects("prohibit-password") == (Obj("", "/etc/ssh/sshd_config", 1),)


def test_objects_past_the_cap_are_counted_in_the_evidence_not_named() -> None:
    paths = tuple(f"/srv/w{i}" for i in range(MAX_OBJECTS + 5))
    result = run("file.world-writable", world_writable=WorldWritable(paths, True))
    assert len(result.failing_objects) == MAX_OBJECTS
    assert result.failing_objects[-1].key == f"/srv/w{MAX_OBJECTS - 1}"
    assert result.evidence[-1] == (
        f"{MAX_OBJECTS + 5} failing objects: the first {MAX_OBJECTS} are named in this"
        " finding, 5 more are not"
    )


def test_a_repeated_object_is_named_once_with_its_first_location() -> None:
    dup = ctr(
        "web",
        ports=(PublishedPort("80/tcp", "0.0.0.0", 80), PublishedPort("80/tcp", "0.0.0.0", 80)),
    )
    assert failing("fw.container-bypass", containers=(dup,)) == (
        Obj("container:web/tcp/0.0.0.0:80"),
    )


def test_long_keys_are_capped_and_stay_distinct() -> None:
    first = finding_object("/srv/" + "a" * 5000 + "/1", "/srv/" + "a" * 5000)
    second = finding_object("/srv/" + "a" * 5000 + "/2")
    assert len(first.key) == len(first.path) == MAX_KEY
    assert first.key != second.key
    assert first.key == finding_object("/srv/" + "a" * 5000 + "/1").key  # stable
    assert finding_object("x" * MAX_KEY).key == "x" * MAX_KEY  # at the cap: kept whole


def test_hostile_keys_are_kept_as_decoded_for_the_renderers_to_escape() -> None:
    path = "/srv/\x1b[31mred\n/.env"
    env = EnvFiles(("/srv",), (stat(path, 0o666, "app", "app"),))
    assert failing("file.env-mode", env_files=env)[0].key == path


def test_a_container_without_a_name_is_named_by_its_short_id() -> None:
    nameless = Container("0123456789abcdef", "", "img", "", 10, 0)
    assert failing("ctr.non-root", containers=(nameless,)) == (Obj("container:0123456789ab"),)
