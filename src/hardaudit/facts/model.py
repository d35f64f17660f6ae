"""Typed facts about one host, as parsed from the facts script's output.

Every fact is either its value, `Unknown` (could not be read: the reason says why) or
`Absent` (the subject does not exist on this host, e.g. no container engine).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Unknown:
    """A fact that could not be read; never to be judged as a pass."""

    reason: str


@dataclass(frozen=True)
class Absent:
    """The thing the fact describes is not on this host (no docker, no sshd)."""

    reason: str


@dataclass(frozen=True)
class Section:
    """One delimited section of the facts script's output."""

    name: str
    text: str
    rc: int | None  # None when the END marker never came
    truncated: bool = False
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.truncated


@dataclass(frozen=True)
class Meta:
    """Who ran the script, with which privilege, on what system, with which tools."""

    uid: int
    user: str
    privilege: str  # "root" | "sudo" | "user"
    os_id: str = ""
    os_version: str = ""
    os_pretty: str = ""
    kernel: str = ""
    hostname: str = ""
    tools: frozenset[str] = frozenset()
    sshd_version: str = ""  # "OpenSSH_9.2p1"
    sudo_version: str = ""  # `sudo -V`'s first line, "Sudo version 1.9.5p2" (sudo mode only)
    # sudo mode only: whether the root helper gathered the root-only facts ("used"), or why
    # not ("not-in-sudoers", "not-installed", "absent", "unsafe", "other-version <cksum>",
    # "failed <exit status>", "stopped <exit status>")
    root_helper: str = ""

    @property
    def privileged(self) -> bool:
        return self.privilege in ("root", "sudo")


@dataclass(frozen=True)
class SshdConfig:
    """sshd settings, keywords lower-cased; `values` keeps every value of repeated keywords."""

    values: Mapping[str, tuple[str, ...]]
    source: str  # "sshd -T" (effective) or "sshd_config" (parsed, lower confidence)
    origins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, keyword: str) -> str | None:
        found = self.values.get(keyword.lower())
        return found[0] if found else None

    @property
    def effective(self) -> bool:
        return self.source == "sshd -T"


@dataclass(frozen=True)
class FileStat:
    """`stat -c` of one file: octal permission bits, owner, group, kind, path."""

    path: str
    mode: int
    owner: str
    group: str
    kind: str  # "directory" | "regular file" | "symbolic link" | ...
    private_key: bool = False

    @property
    def mode_text(self) -> str:
        return f"{self.mode:04o}"


@dataclass(frozen=True)
class UserSshDir:
    """One account's ~/.ssh and the files in it."""

    user: str
    home: str
    directory: FileStat
    files: tuple[FileStat, ...]


# SshFiles.unreadable's reasons: the script's `unreadable: WHAT <dir>` lines, by WHAT. All but
# `stat` are about a directory's entries, not about the directory itself.
SSH_UNREADABLE = {
    "stat": ": cannot stat the directory",
    "list": ": cannot list its names",
    "names": ": stat failed for some of its names",
    "keys": ": could not read the first line of some files",
}
SSH_ENTRY_REASONS = tuple(reason for what, reason in SSH_UNREADABLE.items() if what != "stat")


@dataclass(frozen=True)
class SshFiles:
    """Every ~/.ssh found from /etc/passwd, and the ones that could not be read."""

    dirs: tuple[UserSshDir, ...]
    unreadable: tuple[str, ...]  # "path: reason" (a reason of SSH_UNREADABLE)


@dataclass(frozen=True)
class ListeningSocket:
    """A listening TCP socket or bound UDP socket."""

    proto: str  # "tcp" | "udp"
    address: str  # as printed, without brackets; "*" means all addresses
    port: int
    process: str = ""

    @property
    def all_addresses(self) -> bool:
        return self.address in ("*", "0.0.0.0", "::", "")

    @property
    def loopback(self) -> bool:
        addr = self.address.split("%", 1)[0]
        return (
            addr.startswith("127.")
            or addr == "::1"
            or addr.startswith("::ffff:127.")
            or ("%" in self.address and self.address.endswith("%lo"))
        )


@dataclass(frozen=True)
class FirewallState:
    """Inbound filtering as the kernel holds it, per address family."""

    backend: str  # "nftables" | "iptables" | "none"
    ipv4_filters: bool
    ipv6_filters: bool
    ipv4_default_deny: bool
    ipv6_default_deny: bool
    evidence: tuple[str, ...] = ()
    ssh_rate_limited: bool = False  # a rule limits new connections to tcp/22
    rate_limit_evidence: tuple[str, ...] = ()
    # Port ranges to which every new connection from the network is dropped or rejected by
    # some input chain: (protocol, first port, last port, that chain), per family.
    ipv4_blocked: tuple[tuple[str, int, int, str], ...] = ()
    ipv6_blocked: tuple[tuple[str, int, int, str], ...] = ()
    nat: tuple[str, ...] = ()  # NAT rules seen, per table: they translate, never filter
    # Ports a DNAT/REDIRECT rule may translate, per family: (protocol, first port, last port).
    # A published port is forwarded past the input chains: none of them proves it closed.
    ipv4_published: tuple[tuple[str, int, int], ...] = ()
    ipv6_published: tuple[tuple[str, int, int], ...] = ()

    def published(self, proto: str, port: int, family: str) -> bool:
        """Whether a DNAT or REDIRECT rule may translate new `proto`/`port` connections."""
        ranges = self.ipv6_published if family == "ipv6" else self.ipv4_published
        return any(p == proto and low <= port <= high for p, low, high in ranges)

    def blocked_by(self, proto: str, port: int, family: str) -> str:
        """An input chain that drops every new `proto`/`port` connection of `family`
        ("ipv4", "ipv6") from the network, or "" when none is proven to (a port a DNAT rule
        publishes is forwarded past the input chains, so never)."""
        if self.published(proto, port, family):
            return ""
        ranges = self.ipv6_blocked if family == "ipv6" else self.ipv4_blocked
        return next((c for p, low, high, c in ranges if p == proto and low <= port <= high), "")


@dataclass(frozen=True)
class SshdContext:
    """Effective sshd settings for one connection context named by a Match line."""

    spec: str  # "user=root,host=localhost,addr=10.0.0.1"
    match: str  # the Match line as written
    config: SshdConfig | None  # None when `sshd -T -C` failed for this context


@dataclass(frozen=True)
class WorldWritable:
    """World-writable files / non-sticky dirs found under the system directories."""

    paths: tuple[str, ...]
    capped: bool  # the walk stopped reporting at the cap
    errors: tuple[str, ...] = ()  # `find:` complaints (permission denied...)


@dataclass(frozen=True)
class EnvFiles:
    """`.env` files under the app directories: metadata only, never contents."""

    dirs: tuple[str, ...]
    files: tuple[FileStat, ...]
    incomplete: tuple[str, ...] = ()  # why the search may have missed files (cap, error)


@dataclass(frozen=True)
class Ipv6State:
    disabled: bool  # IPv6 off: no address on any interface but lo (sysctl only without if_inet6)
    global_addresses: tuple[str, ...] = ()  # non-loopback, non-link-local


@dataclass(frozen=True)
class Processes:
    names: frozenset[str]  # every process, whoever runs it
    engine_cmdlines: tuple[str, ...] = ()  # root's dockerd/containerd: "name arg0 arg1 ..."
    daemon_json: tuple[str, ...] = ()  # "hosts"/"tls" lines of /etc/docker/daemon.json
    root_names: frozenset[str] = frozenset()  # processes whose real uid is 0: only these prove
    # the same engines' argv, one argument per item: ("dockerd", arg0, arg1, ...)
    engine_argvs: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class ServiceUnit:
    """A systemd service unit's identity settings (unit file plus drop-ins)."""

    name: str
    path: str
    user: str  # "" when no User= is set
    group: str = ""
    dynamic_user: bool = False


@dataclass(frozen=True)
class RedisConfig:
    path: str
    binds: tuple[str, ...]  # empty: redis default (all addresses on redis < 6 builds)
    protected_mode: bool | None  # None: not set (redis default is yes)
    requirepass: bool
    acl_users: bool
    port: int | None = None


@dataclass(frozen=True)
class NginxLocation:
    path: str
    line: int
    headers: frozenset[str]  # lower-case add_header names set in this block


@dataclass(frozen=True)
class NginxServer:
    file: str
    line: int
    listens: tuple[str, ...]
    names: tuple[str, ...]
    headers: frozenset[str]  # effective at server level (http-level ones inherited)
    locations: tuple[NginxLocation, ...] = ()


@dataclass(frozen=True)
class Mount:
    source: str
    destination: str
    rw: bool
    kind: str


@dataclass(frozen=True)
class PublishedPort:
    container_port: str  # "8080/tcp"
    host_ip: str
    host_port: int


@dataclass(frozen=True)
class ComposeService:
    """The docker-compose project and service a container was deployed as (its labels).

    `files`: the project's compose files as the labels name them, made absolute against
    `working_dir` (compose v1 records them relative to it, v2 absolute); empty when unknown.
    """

    project: str
    service: str
    working_dir: str = ""
    files: tuple[str, ...] = ()

    def describe(self) -> str:
        """`compose project shop, service web (/srv/shop/docker-compose.yml)`."""
        where = f" ({', '.join(self.files)})" if self.files else ""
        return f"compose project {self.project}, service {self.service}{where}"


@dataclass(frozen=True)
class Container:
    """A running container, with the effective UID of its main process when readable."""

    id: str
    name: str
    image: str
    config_user: str
    pid: int
    effective_uid: int | None  # from /proc/<pid>/status; None if unreadable
    privileged: bool = False
    network_mode: str = ""
    pid_mode: str = ""
    ipc_mode: str = ""
    cap_add: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    ports: tuple[PublishedPort, ...] = ()
    compose: ComposeService | None = None  # None: not deployed by docker-compose
    exposed: tuple[str, ...] = ()  # container ports exposed but not published ("6379/tcp")
    engine: str = "docker"  # the engine that listed it: "docker" or "podman" (rootful)


def _unread() -> Unknown:
    return Unknown("not gathered")


@dataclass(frozen=True)
class FactsTiming:
    """What the facts script cost on the target, as the target reported it.

    `sections`: (section, wall seconds) in the order they ran, coarse (hundredths of a
    second from /proc/uptime, else the `date` clock); `cpu_s`: user + system CPU of the
    script's shell and every child it waited for (`times` at its end), None when the script
    did not get there (killed, timed out) or printed nothing usable.
    """

    sections: tuple[tuple[str, float], ...] = ()
    cpu_s: float | None = None


@dataclass(frozen=True)
class HostFacts:
    """Everything the checks may look at for one host."""

    meta: Meta
    sshd: SshdConfig | Unknown | Absent
    ssh_files: SshFiles | Unknown
    listeners: tuple[ListeningSocket, ...] | Unknown
    firewall: FirewallState | Unknown
    containers: tuple[Container, ...] | Unknown | Absent
    sshd_contexts: tuple[SshdContext, ...] | Unknown | Absent = field(default_factory=_unread)
    etc_files: tuple[FileStat, ...] | Unknown = field(default_factory=_unread)
    world_writable: WorldWritable | Unknown = field(default_factory=_unread)
    env_files: EnvFiles | Unknown = field(default_factory=_unread)
    ipv6: Ipv6State | Unknown = field(default_factory=_unread)
    processes: Processes | Unknown = field(default_factory=_unread)
    units: tuple[ServiceUnit, ...] | Unknown = field(default_factory=_unread)
    redis: tuple[RedisConfig, ...] | Unknown | Absent = field(default_factory=_unread)
    nginx: tuple[NginxServer, ...] | Unknown | Absent = field(default_factory=_unread)
    sections: Mapping[str, Section] = field(default_factory=lambda: MappingProxyType({}))
    notes: tuple[str, ...] = ()  # e.g. "sshd settings parsed from files: no root"
    timing: FactsTiming = field(default_factory=FactsTiming)
