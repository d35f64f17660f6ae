#!/usr/bin/env python3
"""Bring the hardaudit end-to-end lab up or down (stdlib only, run as root).

    python3 lab/labctl.py up       # tear down leftovers, build/import the image, start hosts
    python3 lab/labctl.py status   # exit 0 when the lab described by .lab/state.json is healthy
    python3 lab/labctl.py down     # remove everything `up` made; keeps the cached image tarball
    python3 lab/labctl.py drift apply|revert   # change web1 so the next audit shows drift

Topology (container name == hostname == name the bastion resolves through Docker DNS):

    127.0.0.1:42201 -> bastion  [ha-front, ha-int]
    127.0.0.1:42202 -> dock1    [ha-front]        engine "ctr"'s socket, --pid=host
                       bastion2 [ha-int, ha-deep]
                       web1, db1, stale1, bbox1, svc1, match1, hostile1 [ha-int]
                       old1 (Debian 11), new1 (Debian 13)           [ha-int]
                       ufw1, fwd1, legacy1, nat1 (firewall front-ends) [ha-int]
                       stack1 (a docker-compose application)        [ha-int]
                       gold     [ha-int]          engine "gold"'s socket, --pid=host
                       dock2    [ha-int]          runs its own dockerd (iptables on)
                       deep1    [ha-deep]
    127.0.0.1:42209    closed1: nothing listens

Every host gets NET_ADMIN (nft and iptables-save read the kernel's ruleset).

ha-int and ha-deep are `--internal`; ha-front has masquerading off and a DOCKER-USER rule
dropping anything leaving its bridge. The engines run with `--dns 127.0.0.1` and
`--ip-forward=false`, so nothing in the lab can reach an address outside this machine.
Files for clients are written to .lab/ (git-ignored); see the inventory in lab/inventory.yml.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parent.parent
LAB_DIR = REPO / "lab"
STATE_DIR = REPO / ".lab"
STATE_FILE = STATE_DIR / "state.json"
CLIENT_KEY = STATE_DIR / "id_ed25519"
ENCRYPTED_KEY = STATE_DIR / "id_encrypted"
ENCRYPTED_KEY_PASSPHRASE = "labpass"
KNOWN_HOSTS = STATE_DIR / "known_hosts"
SSH_CONFIG = STATE_DIR / "ssh_config"
SUDOERS_EXAMPLE = REPO / "docs" / "sudoers.example"
# The least-privilege sudoers each host installs from /lab-input/sudoers (`audit sudoers`, in
# the form its sudo reads: old1's sudo 1.9.5 has no regexes). Others get NOPASSWD: ALL.
# web1 and new1 also allow the root helper (`audit sudoers --root-helper`); they and most
# hosts with NOPASSWD: ALL install it from /lab-input/root-facts (`audit root-helper`): one
# sudo per audit. old1 (least-privilege sudoers), the bastions, deep1 and hostile1 keep one
# sudo per command, the path of a host without the helper.
ROOT_HELPER_SUDOERS = REPO / "docs" / "sudoers-root-helper.example"
ROOT_HELPER_FILE = REPO / "docs" / "root-facts.example"
HOST_SUDOERS = {
    "web1": ROOT_HELPER_SUDOERS,
    "new1": ROOT_HELPER_SUDOERS,
    "old1": REPO / "docs" / "sudoers-sudo-1.9.5.example",
}
ROOT_HELPER_HOSTS = ("web1", "new1", "gold", "bbox1", "svc1", "match1", "dock1", "dock2",
                     "ufw1", "fwd1", "legacy1", "nat1", "stack1")  # fmt: skip
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hardaudit-lab"
TMP_ROOT = Path(tempfile.gettempdir())
TMP_PREFIX = "hardaudit-lab-"
LOCK_FILE = TMP_ROOT / "hardaudit-lab.lock"
DEFAULT_SOCKET = "/var/run/docker.sock"

LABEL_KEY = "hardaudit-lab"
LABEL = f"{LABEL_KEY}=1"
SUITE = "bookworm"  # the release of the base image; the mirror is read from its apt source
# redis-server and nginx-light serve later checks; no init runs, so neither starts by itself.
PACKAGES = ("openssh-server", "iproute2", "nftables", "iptables", "sudo", "procps", "python3",
            "busybox", "util-linux", "redis-server", "nginx-light")  # fmt: skip
# What an older or newer release's host needs: sshd, sudo, the firewall tools, ss and ps.
RELEASE_PACKAGES = ("openssh-server", "iproute2", "nftables", "iptables", "sudo", "procps",
                    "util-linux")  # fmt: skip
RECIPE_VERSION = "1"  # bump when trim_rootfs() changes what goes into the tarball


@dataclass(frozen=True)
class Image:
    """A root filesystem for lab hosts, cached as a tarball and imported into the engine.

    Without a parent: one debootstrap of `packages`. With one: the parent's tarball plus
    `packages` installed by apt-get in a chroot (debootstrap cannot configure polkitd or
    containers-common, which firewalld and podman pull in; apt-get can, in seconds).
    """

    name: str
    suite: str
    packages: tuple[str, ...]
    parent: str = ""  # a key of IMAGES with the same suite


# Every image comes from the same debootstrap path and the host's own mirror. Only the
# images some host in HOSTS uses are built; cold, they are built side by side.
IMAGES = {
    "base": Image("base", SUITE, PACKAGES),
    "bullseye": Image("bullseye", "bullseye", RELEASE_PACKAGES),  # Debian 11: old1
    "trixie": Image("trixie", "trixie", RELEASE_PACKAGES),  # Debian 13: new1
    # Debian 12 with real firewall front-ends: ufw1, fwd1, legacy1, nat1
    "fw": Image("fw", SUITE, ("ufw", "firewalld", "dbus"), parent="base"),
    # Debian 12 with docker-compose (v1) and podman: stack1
    "stack": Image("stack", SUITE, ("docker-compose", "podman"), parent="base"),
}

BASTION_PORT = 42201
DOCK1_PORT = 42202
CLOSED_PORT = 42209
LAB_PORTS = (BASTION_PORT, DOCK1_PORT, CLOSED_PORT)
RESERVED_PORTS = Path("/proc/sys/net/ipv4/ip_local_reserved_ports")
FRONT_BRIDGE = "ha-front0"
# Whatever enters the front bridge may only leave through it (DOCKER-USER chain).
FRONT_RULE = ("DOCKER-USER", "-i", FRONT_BRIDGE, "!", "-o", FRONT_BRIDGE, "-j", "DROP")
DOCKER_CLIENT_FOR_DOCK1 = Path("/usr/bin/docker")
# A host with an engine inside (LabHost.inner: dock2, stack1) runs its own dockerd from this
# machine's binaries (the images have no docker.io): path inside -> command looked up on
# this machine. docker-init is optional.
INNER_ENGINE_BINARIES = {
    "/usr/sbin/dockerd": "dockerd",
    "/usr/bin/containerd": "containerd",
    "/usr/bin/containerd-shim-runc-v2": "containerd-shim-runc-v2",
    "/usr/sbin/runc": "runc",
    "/usr/sbin/docker-proxy": "docker-proxy",
    "/usr/bin/docker-init": "docker-init",
}
INNER_ENGINE_LIBRARIES = ("libdevmapper.so",)  # dockerd links it; minbase lacks it
# No --privileged (see docs/lab.md); the device rule lets its runc give a --privileged
# (non-root) container every device ("a *:* rwm"). With SYS_ADMIN and this machine's
# cgroupfs writable, root in such a host is root on this machine anyway: only the lab's own
# scripts run there.
INNER_ENGINE_RUN_ARGS = (
    "--cap-add=SYS_ADMIN", "--security-opt=seccomp=unconfined",
    "--security-opt=apparmor=unconfined", "--security-opt=systempaths=unconfined",
    "--device-cgroup-rule=a *:* rwm", "--volume=/sys/fs/cgroup:/sys/fs/cgroup",
)  # fmt: skip
SSHD_TIMEOUT = 60.0
STACK1_SERVICES = ("web", "api", "worker", "db", "redis", "mailcatcher")


@dataclass(frozen=True)
class Network:
    name: str
    bridge: str
    internal: bool


@dataclass(frozen=True)
class LabHost:
    """One sshd container; its setup script is lab/hosts/<name>.sh."""

    name: str
    networks: tuple[str, ...]
    published_port: int | None = None
    run_args: tuple[str, ...] = ()
    engine: str = ""  # a side engine whose socket (and the docker client) it gets mounted
    image: str = "base"  # a key of IMAGES
    # Non-empty: it runs its own engine inside (INNER_ENGINE_*), and these containers must
    # run in it once its script has started sshd.
    inner: tuple[str, ...] = ()

    @property
    def known_hosts_name(self) -> str:
        """How a client names it: [127.0.0.1]:port, or the name it asks the bastion for."""
        return f"[127.0.0.1]:{self.published_port}" if self.published_port else self.name


@dataclass(frozen=True)
class Workload:
    """A container in dock1's engine, and the uid its process must show in /proc."""

    name: str
    command: tuple[str, ...]
    uid: int
    run_args: tuple[str, ...] = ()
    engine: str = "ctr"  # the side engine it runs in; its host sees it


NETWORKS = (
    Network("ha-front", FRONT_BRIDGE, internal=False),
    Network("ha-int", "ha-int0", internal=True),
    Network("ha-deep", "ha-deep0", internal=True),
)
HOSTS = (
    LabHost("bastion", ("ha-front", "ha-int"), BASTION_PORT),
    LabHost("bastion2", ("ha-int", "ha-deep")),
    LabHost("web1", ("ha-int",)),
    LabHost("db1", ("ha-int",)),
    LabHost("stale1", ("ha-int",)),
    LabHost("deep1", ("ha-deep",)),
    LabHost("dock1", ("ha-front",), DOCK1_PORT, run_args=("--pid=host",), engine="ctr"),
    LabHost("gold", ("ha-int",), run_args=("--pid=host",), engine="gold"),
    LabHost("bbox1", ("ha-int",)),
    LabHost("svc1", ("ha-int",)),
    LabHost("hostile1", ("ha-int",)),  # hostile file names beside svc1's mistakes
    LabHost("match1", ("ha-int",), run_args=("--sysctl=net.ipv6.conf.all.disable_ipv6=0",)),
    LabHost("dock2", ("ha-int",),
            inner=("web", "priv", "sock", "hostnet", "caps", "etcrw", "rootly")),
    # issue 10: other releases, real firewall front-ends, a compose stack
    LabHost("old1", ("ha-int",), image="bullseye"),  # Debian 11: OpenSSH 8.4, sudo 1.9.5
    LabHost("new1", ("ha-int",), image="trixie"),  # Debian 13: OpenSSH 10, sudo 1.9.16
    LabHost("ufw1", ("ha-int",), image="fw"),  # ufw
    LabHost("fwd1", ("ha-int",), image="fw"),  # firewalld (with its dbus daemon)
    LabHost("legacy1", ("ha-int",), image="fw"),  # iptables-legacy, no nft rules
    LabHost("nat1", ("ha-int",), image="fw"),  # NAT rules only: not a firewall
    # a docker-compose application (lab/stack1/docker-compose.yml, project "shop")
    LabHost("stack1", ("ha-int",), image="stack", inner=tuple(
        f"shop_{service}_1" for service in STACK1_SERVICES)),
)  # fmt: skip
SIDE_ENGINES = ("ctr", "gold")  # our own dockerds beside the lab's: --bridge=none, no iptables
SLEEP = ("sleep", "infinity")
WORKLOADS = (
    Workload("ctr-root", SLEEP, uid=0),
    Workload("ctr-user", SLEEP, uid=1000, run_args=("--user=1000:1000",)),
    # starts as root, then drops: what an entrypoint using gosu/su-exec does
    Workload("ctr-drop", ("setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", *SLEEP),
             uid=1000),
    Workload("gold-app", SLEEP, uid=1000, engine="gold",
             run_args=("--user=1000:1000", "--cap-drop=ALL", "--read-only")),
)  # fmt: skip
WRONG_KEY_HOSTS = ("stale1",)  # .lab/known_hosts gets an unrelated key for these
# A developer working on a few hosts starts only those (plus the bastion):
# HARDAUDIT_LAB_HOSTS=old1,new1 python3 lab/labctl.py up. Tests of other hosts then fail.
HOSTS_ENV = "HARDAUDIT_LAB_HOSTS"


def selected_hosts() -> tuple[LabHost, ...]:
    """HOSTS, or only those HARDAUDIT_LAB_HOSTS names (always with the bastion)."""
    wanted = {name.strip() for name in os.environ.get(HOSTS_ENV, "").split(",") if name.strip()}
    if not wanted:
        return HOSTS
    unknown = wanted - {host.name for host in HOSTS}
    if unknown:
        raise LabError(f"{HOSTS_ENV} names unknown lab hosts: {', '.join(sorted(unknown))}")
    return tuple(host for host in HOSTS if host.name in wanted | {"bastion"})


class LabError(Exception):
    """A step of the lab failed; the message says which and why."""


# --------------------------------------------------------------------------- state


@dataclass
class Engine:
    """A Docker engine the lab talks to; `owned` engines were started by us."""

    name: str
    host: str  # docker -H value
    owned: bool
    root: str = ""  # our engine's directory (data, exec, socket, pidfile, log)
    pid: int = 0
    cgroup: str = ""  # parent cgroup of its containers, unique to this lab

    @property
    def socket(self) -> str:
        return self.host.removeprefix("unix://")


@dataclass
class LabState:
    """Everything `down` needs to undo `up`, written to .lab/state.json and <tmpdir>/."""

    repo: str
    tmpdir: str
    engines: list[Engine] = field(default_factory=list)
    image: str = ""  # the base image (workloads, side engines, dock2's engine)
    images: dict[str, str] = field(default_factory=dict)  # IMAGES key -> image reference
    containers: list[str] = field(default_factory=list)
    workloads: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    bridges: list[str] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    iptables_saved: dict[str, str] = field(default_factory=dict)  # family -> snapshot file
    cgroups: list[str] = field(default_factory=list)  # made by engines inside lab hosts
    ip_forward_saved: str = ""
    front_rule: list[str] = field(default_factory=list)  # iptables rule args, for -D
    client_key: str = str(CLIENT_KEY)
    encrypted_key: str = str(ENCRYPTED_KEY)
    known_hosts: str = str(KNOWN_HOSTS)
    ssh_config: str = str(SSH_CONFIG)
    inventory: str = str(REPO / "lab" / "inventory.yml")
    reserved_ports_saved: str | None = None  # ip_local_reserved_ports before the lab
    complete: bool = False

    def save(self) -> None:
        text = json.dumps(asdict(self), indent=2) + "\n"
        STATE_DIR.mkdir(exist_ok=True)
        for path in (STATE_FILE, Path(self.tmpdir) / "state.json"):
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> LabState | None:
        try:
            raw: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        raw["engines"] = [Engine(**engine) for engine in raw.get("engines", [])]
        return cls(**raw)


# --------------------------------------------------------------------------- helpers


def log(message: str) -> None:
    print(f"[lab] {message}", flush=True)


@contextlib.contextmanager
def phase(name: str, timings: dict[str, float]) -> Iterator[None]:
    start = time.monotonic()
    log(f"{name} ...")
    yield
    timings[name] = time.monotonic() - start
    log(f"{name}: {timings[name]:.1f}s")


def run(
    argv: Sequence[str | Path],
    *,
    check: bool = True,
    input_text: str | None = None,
    timeout: float | None = 120,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; raise LabError with its stderr on failure."""
    args = [str(arg) for arg in argv]
    try:
        result = subprocess.run(
            args, input=input_text, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"timed out after {timeout}s: {' '.join(args)}") from exc
    except FileNotFoundError as exc:
        raise LabError(f"{args[0]} not found on PATH (lab/ensure-deps.sh installs it)") from exc
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise LabError(f"failed ({result.returncode}): {' '.join(args)}\n{detail}")
    return result


def docker(engine: Engine, *args: str, check: bool = True, timeout: float = 120) -> str:
    return run(["docker", "-H", engine.host, *args], check=check, timeout=timeout).stdout.strip()


def engine_answers(host: str) -> bool:
    try:
        argv = ["docker", "-H", host, "info", "--format", "{{.ServerVersion}}"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (subprocess.TimeoutExpired, FileNotFoundError):
        return False
    return result.returncode == 0


def pid_alive(pid: int) -> bool:
    """True if pid runs and is not a zombie (our detached dockerds may never be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def pid_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def pids_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains text (our unique temp dir path)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and text in pid_cmdline(int(entry.name)):
            pids.append(int(entry.name))
    return [pid for pid in pids if pid != os.getpid() and pid_alive(pid)]


def stop_pids(pids: Sequence[int], timeout: float = 20) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(pid_alive(pid) for pid in pids):
            time.sleep(0.1)
        if not any(pid_alive(pid) for pid in pids):
            return


def unmount_under(path: str) -> None:
    """Unmount every mount point below path, deepest first (dead engines leave some)."""
    prefix = path.rstrip("/") + "/"
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point.startswith(prefix) or point == path:
            points.append(point)
    for point in sorted(set(points), key=len, reverse=True):
        if run(["umount", point], check=False).returncode != 0:
            run(["umount", "-l", point], check=False)


def port_state(port: int) -> str:
    """'open', 'closed' (refused) or 'silent' for 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return "open"
    except ConnectionRefusedError:
        return "closed"
    except OSError:
        return "silent"


def ssh_banner(port: int, timeout: float = 5) -> str:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(256).decode(errors="replace").strip()
    except OSError:
        return ""


@contextlib.contextmanager
def global_lock() -> Iterator[None]:
    """One up/down at a time on this machine: ports, bridge names and iptables are global."""
    with flocked(LOCK_FILE):
        yield


@contextlib.contextmanager
def flocked(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created if missing), waiting for it."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- prerequisites


def ensure_tools() -> None:
    """Install what lab/deps.txt lists and this machine lacks (a no-op when all is there)."""
    try:
        done = subprocess.run(["bash", str(LAB_DIR / "ensure-deps.sh")], check=False)
    except FileNotFoundError as exc:
        raise LabError("bash not found on PATH") from exc
    if done.returncode != 0:
        raise LabError("lab/ensure-deps.sh could not install the lab's programs (see above)")


def debian_mirror() -> str:
    """The host's Debian mirror for SUITE, from its apt sources (never hardcoded).

    The same mirror serves the other releases (bullseye, trixie) the lab's images use.
    """
    deb822 = Path("/etc/apt/sources.list.d/debian.sources")
    if deb822.exists():
        for stanza in re.split(r"\n\s*\n", deb822.read_text()):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                key, sep, value = line.partition(":")
                if sep and not line.startswith("#"):
                    fields[key.strip().lower()] = value.strip()
            if SUITE in fields.get("suites", "").split() and fields.get("uris"):
                return fields["uris"].split()[0]
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        for line in legacy.read_text().splitlines():
            words = re.sub(r"\[[^]]*\]", "", line).split()
            if len(words) >= 3 and words[0] == "deb" and words[2] == SUITE:
                return words[1]
    raise LabError(f"no Debian mirror for {SUITE} in {deb822} or {legacy}")


def ensure_client_keys() -> None:
    STATE_DIR.mkdir(exist_ok=True)
    for key, passphrase in ((CLIENT_KEY, ""), (ENCRYPTED_KEY, ENCRYPTED_KEY_PASSPHRASE)):
        if not key.exists() or not key.with_suffix(".pub").exists():
            key.unlink(missing_ok=True)
            key.with_suffix(".pub").unlink(missing_ok=True)
            comment = f"hardaudit-lab-{key.name}"
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", key])
        key.chmod(0o600)


# --------------------------------------------------------------------------- base image


def image_tag(image: Image = IMAGES["base"]) -> str:
    recipe = f"{image.suite}|minbase|{','.join(image.packages)}|{RECIPE_VERSION}"
    if image.parent:
        recipe = f"{image_tag(IMAGES[image.parent])}+apt|{','.join(image.packages)}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def image_ref(image: Image) -> str:
    return f"hardaudit-lab-{image.name}:{image_tag(image)}"


def base_tarball(image: Image = IMAGES["base"]) -> Path:
    return CACHE_DIR / f"{image.name}-{image_tag(image)}.tar"


def images_in_use() -> list[Image]:
    """The base image first, then every other image a host of the lab runs on."""
    names = dict.fromkeys(["base", *(host.image for host in selected_hosts())])
    return [IMAGES[name] for name in names]


@contextlib.contextmanager
def build_lock() -> Iterator[None]:
    """One image build at a time per cache: `make test` starts `labctl.py images` in the
    background while lint and the unit tests run, and the lab's `up` then waits here for it
    instead of debootstrapping the same images a second time."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with flocked(CACHE_DIR / "build.lock"):
        yield


def ensure_tarballs(images: Sequence[Image]) -> dict[str, Path]:
    """The cached tarball of each image; the missing ones are built side by side."""
    with build_lock():
        return _ensure_tarballs(images)


def _ensure_tarballs(images: Sequence[Image]) -> dict[str, Path]:
    tarballs: dict[str, Path] = {}

    def build_one(image: Image) -> None:
        tarballs[image.name] = ensure_base_tarball(image)

    roots = [image for image in images if not image.parent]
    in_parallel([(build_one, (image,)) for image in roots])
    derived = [image for image in images if image.parent]
    for image in derived:
        if image.parent not in tarballs:
            tarballs[image.parent] = ensure_base_tarball(IMAGES[image.parent])
    in_parallel([(build_one, (image,)) for image in derived])
    return tarballs


def ensure_base_tarball(image: Image = IMAGES["base"]) -> Path:
    """debootstrap an image's rootfs into a cached tarball unless it is cached already."""
    tarball = base_tarball(image)
    if tarball.exists():
        log(f"cached {image.name} tarball {tarball}")
        return tarball
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    rootfs = CACHE_DIR / f"rootfs-{image.name}-{image_tag(image)}"
    build_log = CACHE_DIR / f"debootstrap-{image.name}.log"
    mirror = debian_mirror()
    log(f"debootstrap {image.suite} for image {image.name} from the host's mirror (cold cache: "
        f"one to three minutes; full log in {build_log})")  # fmt: skip
    remove_rootfs(rootfs)
    try:
        if image.parent:
            install_into_parent(image, rootfs, build_log, mirror)
        else:
            include = f"--include={','.join(image.packages)}"
            argv = ["debootstrap", "--variant=minbase", include, image.suite, str(rootfs), mirror]
            label = f"debootstrap {image.name}"
            if run_with_progress(argv, build_log, label, debootstrap_progress):
                tail = build_log.read_text().splitlines()[-20:]
                raise LabError(f"debootstrap failed; see {build_log}\n" + "\n".join(tail))
        started = time.monotonic()
        kill_processes_in(rootfs)
        trim_rootfs(rootfs)
        partial = tarball.with_suffix(".partial")
        with partial.open("wb") as out:
            subprocess.run(
                ["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."], stdout=out, check=True
            )
        partial.replace(tarball)
        log(f"tarball written in {time.monotonic() - started:.1f}s")
    finally:
        remove_rootfs(rootfs)
    log(f"{image.name} tarball {tarball} ({tarball.stat().st_size // 2**20} MiB)")
    return tarball


# debootstrap's per-package lines: "I: Retrieving libc6 2.36-9", "I: Unpacking libc6:amd64..."
DEBOOTSTRAP_STEPS = {"Retrieving": "retrieved", "Validating": "validated",
                     "Extracting": "extracted", "Unpacking": "unpacked",
                     "Configuring": "configured"}  # fmt: skip
DEBOOTSTRAP_STAGE_WORDS = {"required", "base", "the", "component", "InRelease", "Release", "Packages"}


def debootstrap_progress(lines: Sequence[str]) -> str:
    """One line out of debootstrap's output so far: packages per step, and the last step.

    >>> debootstrap_progress(["I: Retrieving a 1", "I: Retrieving b 2", "I: Extracting a..."])
    'retrieved 2, extracted 1; last: Extracting a...'
    """
    counts = dict.fromkeys(DEBOOTSTRAP_STEPS.values(), 0)
    last = ""
    for line in lines:
        words = line.split()
        step = DEBOOTSTRAP_STEPS.get(words[1], "") if len(words) >= 3 and words[0] == "I:" else ""
        if step and words[2] not in DEBOOTSTRAP_STAGE_WORDS:
            counts[step] += 1
        if line.strip():
            last = line.strip().removeprefix("I: ")
    done = ", ".join(f"{step} {count}" for step, count in counts.items() if count)
    return f"{done or 'starting'}; last: {last[:80]}" if last else done or "starting"


def run_with_progress(
    argv: Sequence[str],
    log_path: Path,
    label: str,
    summarise: Callable[[Sequence[str]], str],
    interval: float = 5.0,
) -> int:
    """Run argv, its output into log_path; every `interval` s print one condensed line."""
    lines: list[str] = []
    started = time.monotonic()
    with log_path.open("w") as out:
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True, errors="replace")  # fmt: skip
        except FileNotFoundError as exc:
            raise LabError(f"{argv[0]} not found on PATH (lab/ensure-deps.sh installs it)") from exc

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                out.write(line)
                lines.append(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        while True:
            try:
                returncode = process.wait(timeout=interval)
                break
            except subprocess.TimeoutExpired:
                log(f"{label}: {time.monotonic() - started:.0f}s, {summarise(list(lines))}")
        reader.join(timeout=5)
    log(f"{label}: done in {time.monotonic() - started:.1f}s, {summarise(lines)}")
    return returncode


def install_into_parent(image: Image, rootfs: Path, build_log: Path, mirror: str) -> None:
    """rootfs = the parent image's tarball + image.packages, installed by apt-get in a chroot.

    The chroot borrows the host's resolv.conf and an apt source for the host's mirror for
    the install only; trim_rootfs() then empties both again.
    """
    rootfs.mkdir(parents=True)
    run(["tar", "--numeric-owner", "-x", "-f", base_tarball(IMAGES[image.parent]), "-C", rootfs],
        timeout=300)  # fmt: skip
    shutil.copyfile("/etc/resolv.conf", rootfs / "etc/resolv.conf")
    source = rootfs / "etc/apt/sources.list.d/hardaudit-lab.list"
    source.write_text(f"deb {mirror} {image.suite} main\n")
    log(f"apt-get install {' '.join(image.packages)} into image {image.name} (full log in {build_log})")
    script = ("apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
              f"--no-install-recommends {' '.join(image.packages)}")  # fmt: skip
    run(["mount", "-t", "proc", "proc", rootfs / "proc"])
    try:
        argv = ["chroot", str(rootfs), "sh", "-c", script]
        if run_with_progress(argv, build_log, f"apt-get {image.name}", apt_progress):
            tail = build_log.read_text().splitlines()[-20:]
            raise LabError(f"apt-get install failed; see {build_log}\n" + "\n".join(tail))
    finally:
        kill_processes_in(rootfs)
        unmount_under(str(rootfs))
        source.unlink(missing_ok=True)


def apt_progress(lines: Sequence[str]) -> str:
    """One line out of apt-get's output so far.

    >>> apt_progress(["Get:1 http://m/debian bookworm/main amd64 ufw all 0.36.2-1 [169 kB]",
    ...               "Setting up ufw (0.36.2-1) ..."])
    'fetched 1, set up 1'
    """
    fetched = sum(line.startswith("Get:") for line in lines)
    set_up = sum(line.startswith("Setting up ") for line in lines)
    return f"fetched {fetched}, set up {set_up}"


def kill_processes_in(rootfs: Path) -> None:
    """Safety net: a daemon started by a package script inside the chroot must not survive."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if Path(os.readlink(entry / "root")) == rootfs:
                    log(f"killing {pid_cmdline(int(entry.name))!r} left in the chroot")
                    os.kill(int(entry.name), signal.SIGKILL)


def trim_rootfs(rootfs: Path) -> None:
    # Host keys are regenerated per container; resolv.conf is the host's (Docker replaces it).
    junk = ("etc/ssh/ssh_host_*", "var/lib/apt/lists/*_*", "var/cache/apt/*.bin",
            "var/cache/apt/archives/*.deb")  # fmt: skip
    for pattern in junk:
        for path in rootfs.glob(pattern):
            path.unlink()
    (rootfs / "etc/resolv.conf").write_text("")
    # No init runs in the containers anyway; this also stops apt-get from starting services.
    policy = rootfs / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)


def remove_rootfs(rootfs: Path) -> None:
    if rootfs.exists():
        unmount_under(str(rootfs))
        shutil.rmtree(rootfs)


def import_image(engine: Engine, tarball: Path, image: str) -> None:
    if docker(engine, "image", "ls", "-q", image):
        return
    with tarball.open("rb") as data:
        argv = ["docker", "-H", engine.host, "import", "-", image]
        result = subprocess.run(argv, stdin=data, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LabError(f"docker import into {engine.name} failed: {result.stderr.strip()}")


# --------------------------------------------------------------------------- engines


def default_engine() -> Engine | None:
    if Path(DEFAULT_SOCKET).exists() and engine_answers(f"unix://{DEFAULT_SOCKET}"):
        return Engine("lab", f"unix://{DEFAULT_SOCKET}", owned=False)
    return None


def start_engine(tmpdir: Path, name: str, extra: Sequence[str]) -> Engine:
    """Start a private dockerd under tmpdir/name; it outlives this process (new session)."""
    root = tmpdir / name
    root.mkdir()
    (root / "daemon.json").write_text("{}\n")  # ignore /etc/docker/daemon.json
    engine = Engine(name, f"unix://{root / 'docker.sock'}", owned=True, root=str(root))
    engine.cgroup = f"/{tmpdir.name}-{name}"
    options = {
        "--config-file": root / "daemon.json",
        "--data-root": root / "data",
        "--exec-root": root / "exec",
        "--pidfile": root / "docker.pid",
        "--host": engine.host,
        "--cgroup-parent": engine.cgroup,  # so teardown finds the containers of a dead engine
        "--bridge": "none",
        "--dns": "127.0.0.1",  # the embedded DNS must never forward to the host's resolver
        "--ipv6": "false",
        "--ip6tables": "false",
        "--ip-forward": "false",  # published ports go through docker-proxy; nothing is routed
        "--log-level": "warn",
    }
    argv = ["dockerd", *(f"{flag}={value}" for flag, value in options.items()), *extra]
    # Its temp dir inside ours: what dockerd or its containerd write there (containerd's
    # containerd.<pid>.stacks.log when it is stopped while busy) goes with `down`, not /tmp.
    (root / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(root / "tmp")}
    with (root / "dockerd.log").open("w") as out:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, env=env,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    engine.pid = process.pid
    return engine


def wait_engine(engine: Engine, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if engine_answers(engine.host):
            return
        if engine.owned and not pid_alive(engine.pid):
            break
        time.sleep(0.2)
    tail = ""
    if engine.root:
        with contextlib.suppress(OSError):
            tail = "\n".join((Path(engine.root) / "dockerd.log").read_text().splitlines()[-15:])
    raise LabError(f"dockerd {engine.name} did not answer on {engine.host}\n{tail}")


def stop_engines(engines: Sequence[Engine]) -> None:
    """Stop our dockerds by pid (checked against their command line), then their leftovers."""
    owned = [engine for engine in engines if engine.owned and engine.root]
    pids = set()
    for engine in owned:
        for pid in (engine.pid, read_pidfile(Path(engine.root) / "docker.pid")):
            if pid and pid_alive(pid) and engine.root in pid_cmdline(pid):
                pids.add(pid)
    stop_pids(sorted(pids))
    for engine in owned:
        # containerd and shims of a dockerd that was killed hard, then its containers
        stop_pids(pids_mentioning(engine.root), timeout=5)
        if engine.cgroup:
            stop_pids(pids_in_cgroup(engine.cgroup), timeout=5)
            remove_cgroup(engine.cgroup)


def pids_in_cgroup(cgroup: str) -> list[int]:
    """Live processes in cgroup or below it, in any hierarchy."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for line in (entry / "cgroup").read_text().splitlines():
                path = line.split(":", 2)[2]
                if path == cgroup or path.startswith(cgroup + "/"):
                    found.append(int(entry.name))
                    break
    return [pid for pid in found if pid_alive(pid)]


def remove_cgroup(cgroup: str) -> None:
    """rmdir cgroup and its (then empty) children in every mounted hierarchy."""
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        top = hierarchy / cgroup.lstrip("/")
        if top.is_dir():
            children = [d for d in top.rglob("*") if d.is_dir()]
            for directory in [*sorted(children, key=lambda d: -len(d.parts)), top]:
                with contextlib.suppress(OSError):
                    directory.rmdir()


def read_pidfile(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return 0


# --------------------------------------------------------------------------- firewall


@dataclass(frozen=True)
class IptablesFamily:
    """The iptables programs of one address family (literal names: see ensure-deps)."""

    tool: str
    save: str
    restore: str
    nft_family: str


IPTABLES_FAMILIES = {
    "ipv4": IptablesFamily("iptables", "iptables-save", "iptables-restore", "ip"),
    "ipv6": IptablesFamily("ip6tables", "ip6tables-save", "ip6tables-restore", "ip6"),
}


def iptables_backend_is_nft() -> bool:
    return "nf_tables" in run(["iptables", "--version"], check=False).stdout


def iptables_tables(dump: str) -> set[str]:
    return {line[1:].strip() for line in dump.splitlines() if line.startswith("*")}


def normalised_rules(dump: str) -> str:
    lines = [re.sub(r"\[\d+:\d+\]", "", line) for line in dump.splitlines()]
    return "\n".join(line for line in lines if line and not line.startswith("#"))


def snapshot_firewall(state: LabState) -> None:
    for family, tools in IPTABLES_FAMILIES.items():
        path = Path(state.tmpdir) / f"{tools.tool}.rules"
        path.write_text(run([tools.save]).stdout)
        state.iptables_saved[family] = str(path)
    state.ip_forward_saved = Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()


def restore_firewall(state: LabState) -> None:
    """Put iptables back as the snapshot had it; tables that did not exist are deleted.

    Uses whichever tools this machine has: iptables-save/-restore, and `nft` only when it
    exists and iptables is its nf_tables front-end; otherwise `iptables -F/-X` empties the
    tables the lab created. Every family is tried; problems are raised together at the end.
    """
    problems: list[str] = []
    for family, saved_path in state.iptables_saved.items():
        tools = IPTABLES_FAMILIES[family]
        try:
            saved = Path(saved_path).read_text()
        except OSError:
            problems.append(f"{tools.tool} snapshot {saved_path} is gone; {family} not restored")
            continue
        try:
            restore_family(tools, saved)
        except LabError as exc:
            problems.append(str(exc))
    if state.ip_forward_saved:
        try:
            Path("/proc/sys/net/ipv4/ip_forward").write_text(state.ip_forward_saved + "\n")
        except OSError as exc:
            problems.append(f"ip_forward not restored: {exc}")
    if problems:
        raise LabError("; ".join(problems))


def restore_family(tools: IptablesFamily, saved: str) -> None:
    if shutil.which(tools.save) is None or shutil.which(tools.restore) is None:
        if shutil.which("nft") is None:
            raise LabError(f"neither {tools.restore} nor nft is installed: firewall not restored")
        restore_family_with_nft(tools, saved)
        return
    current = run([tools.save]).stdout
    if normalised_rules(current) == normalised_rules(saved):
        return
    if saved.strip():
        run([tools.restore], input_text=saved)
    created = sorted(iptables_tables(current) - iptables_tables(saved))
    use_nft = bool(created) and shutil.which("nft") is not None and iptables_backend_is_nft()
    for table in created:
        if use_nft:
            run(["nft", "delete", "table", tools.nft_family, table])
        else:  # an emptied table with ACCEPT policies filters nothing, as no table does
            run([tools.tool, "-t", table, "-F"])
            run([tools.tool, "-t", table, "-X"])
            for chain in builtin_chains(current, table):
                run([tools.tool, "-t", table, "-P", chain, "ACCEPT"])


def restore_family_with_nft(tools: IptablesFamily, saved: str) -> None:
    """Without iptables-restore: drop the nft tables the snapshot did not fill.

    A table the snapshot shows empty (only ACCEPT policies) means the same as no table, so
    it goes too; one that held rules cannot be rebuilt from iptables-save text by nft.
    """
    listing = run(["nft", "list", "tables", tools.nft_family]).stdout
    current = {line.split()[-1] for line in listing.splitlines() if line.startswith("table ")}
    kept = []
    for table in sorted(current):
        if table in iptables_tables(saved) and table_has_rules(saved, table):
            kept.append(table)
        else:
            run(["nft", "delete", "table", tools.nft_family, table])
    if kept:
        raise LabError(f"{tools.restore} is not installed: {tools.tool} tables {', '.join(kept)} "
                       "had rules before the lab and were left as they are now")  # fmt: skip


def builtin_chains(dump: str, table: str) -> list[str]:
    """Chains of table with a policy (`:INPUT DROP [0:0]`) in iptables-save text."""
    chains, inside = [], False
    for line in dump.splitlines():
        if line.startswith("*"):
            inside = line[1:].strip() == table
        elif inside and line.startswith(":") and len(line.split()) > 1 and line.split()[1] != "-":
            chains.append(line[1:].split()[0])
    return chains


def table_has_rules(dump: str, table: str) -> bool:
    """True if iptables-save text holds a rule or a non-ACCEPT policy in table."""
    inside = False
    for line in dump.splitlines():
        words = line.split()
        if line.startswith("*"):
            inside = line[1:].strip() == table
        elif inside and words and (words[0] == "-A" or
                                   (line.startswith(":") and words[1:2] not in (["ACCEPT"], ["-"]))):  # fmt: skip
            return True
    return False


def add_front_rule(state: LabState) -> None:
    run(["iptables", "-I", *FRONT_RULE])
    state.front_rule = list(FRONT_RULE)


# --------------------------------------------------------------------------- containers


def remove_labelled(engine: Engine) -> None:
    ids = docker(engine, "ps", "-aq", f"--filter=label={LABEL}").split()
    if ids:
        docker(engine, "rm", "-f", *ids)
    nets = docker(engine, "network", "ls", "-q", f"--filter=label={LABEL}").split()
    if nets:
        docker(engine, "network", "rm", *nets)


def create_networks(engine: Engine, state: LabState) -> None:
    for net in NETWORKS:
        argv = ["network", "create", "--driver=bridge", f"--label={LABEL}",
                f"--opt=com.docker.network.bridge.name={net.bridge}"]  # fmt: skip
        if net.internal:
            argv.append("--internal")
        else:
            argv.append("--opt=com.docker.network.bridge.enable_ip_masquerade=false")
        docker(engine, *argv, net.name)
        state.networks.append(net.name)
        state.bridges.append(net.bridge)


def authorized_keys() -> str:
    keys = (CLIENT_KEY.with_suffix(".pub"), ENCRYPTED_KEY.with_suffix(".pub"))
    return "\n".join(key.read_text().strip() for key in keys)


def docker_client() -> Path:
    client = DOCKER_CLIENT_FOR_DOCK1
    if not client.exists():
        client = Path(shutil.which("docker") or DOCKER_CLIENT_FOR_DOCK1)
    return client


def inner_engine_mounts() -> list[str]:
    """This machine's engine binaries (and libraries minbase lacks), read-only, for a host
    with an engine inside."""
    mounts = []
    for inside, command in INNER_ENGINE_BINARIES.items():
        found = shutil.which(command)
        if found is None:
            if command == "docker-init":
                continue
            raise LabError(f"{command} not found on PATH (dock2 and stack1 run this machine's "
                           "docker binaries)")  # fmt: skip
        mounts.append(f"--volume={Path(found).resolve()}:{inside}:ro")
    mounts.append(f"--volume={docker_client()}:/usr/bin/docker:ro")
    linked = run(["ldd", shutil.which("dockerd") or "dockerd"], check=False).stdout
    for line in linked.splitlines():
        name, _, rest = line.strip().partition(" => ")
        path = rest.split(" (")[0].strip()
        if name.startswith(INNER_ENGINE_LIBRARIES) and path.startswith("/"):
            mounts.append(f"--volume={Path(path).resolve()}:{path}:ro")
    return mounts


def host_run_args(
    host: LabHost, engines: dict[str, Engine], state: LabState, tarball: Path
) -> list[str]:
    args = ["--cap-add=NET_ADMIN", *host.run_args]  # nft/iptables-save need it, even as root
    if host.published_port:
        args.append(f"--publish=127.0.0.1:{host.published_port}:22")
    sudoers = HOST_SUDOERS.get(host.name)
    if sudoers and sudoers.exists():
        args.append(f"--volume={sudoers}:/lab-input/sudoers:ro")
    if host.name in ROOT_HELPER_HOSTS and ROOT_HELPER_FILE.exists():
        args.append(f"--volume={ROOT_HELPER_FILE}:/lab-input/root-facts:ro")
    if host.engine:
        args += [f"--volume={engines[host.engine].socket}:/var/run/docker.sock",
                 f"--volume={docker_client()}:/usr/bin/docker:ro"]  # fmt: skip
    if host.inner:
        # Its /var/lib/docker lives in the lab's temp dir (removed by down), not a volume.
        data = Path(state.tmpdir) / f"{host.name}-docker"
        data.mkdir(exist_ok=True)
        parent = inner_cgroup(state, host).lstrip("/")
        args += [*INNER_ENGINE_RUN_ARGS, f"--volume={data}:/var/lib/docker",
                 f"--volume={tarball}:/lab-input/base.tar:ro", f"--env=LAB_IMAGE={state.image}",
                 f"--env=LAB_CGROUP_PARENT={parent}", *inner_engine_mounts()]  # fmt: skip
    return args


def inner_cgroup(state: LabState, host: LabHost) -> str:
    """Where the engine inside `host` leaves cgroups on this machine, for teardown to remove.

    The host gets it without the leading slash: relative to its own cgroup, so in the v1
    hierarchies its containers nest under the host's (and go with it), but runc creates the
    cgroup2 ("unified") part of a relative parent at that hierarchy's top: /sys/fs/cgroup/
    unified/<name>, left behind when the host dies. A name unique to this lab finds it.
    """
    return f"/{Path(state.tmpdir).name}-{host.name}"


def create_host(
    engine: Engine, host: LabHost, engines: dict[str, Engine], state: LabState, tarball: Path
) -> None:
    # A name the bastion cannot resolve gets no DNS answer at all (no upstream):
    # fail in a second instead of glibc's 2 x 5 s, as NXDOMAIN would on a real network.
    dns = ["--dns=127.0.0.1", "--dns-option=timeout:1", "--dns-option=attempts:1"]
    docker(
        engine, "create", f"--name={host.name}", f"--hostname={host.name}",
        f"--label={LABEL}", f"--network={host.networks[0]}", *dns,
        f"--volume={LAB_DIR}:/lab:ro", f"--env=LAB_AUTHORIZED_KEYS={authorized_keys()}",
        *host_run_args(host, engines, state, tarball),
        "--entrypoint=/bin/sh", state.images.get(host.image, state.image),
        f"/lab/hosts/{host.name}.sh",
    )  # fmt: skip
    for network in host.networks[1:]:
        docker(engine, "network", "connect", network, host.name)
    docker(engine, "start", host.name)


def in_parallel(jobs: Sequence[tuple[Any, tuple[Any, ...]]]) -> None:
    """Run each (function, args) in its own thread; raise the first error after all end."""
    errors: list[BaseException] = []

    def call(function: Any, args: tuple[Any, ...]) -> None:
        try:
            function(*args)
        except BaseException as exc:  # re-raised below, in the caller
            errors.append(exc)

    threads = [threading.Thread(target=call, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def start_hosts(engines: dict[str, Engine], state: LabState, tarball: Path) -> None:
    engine = engines["lab"]
    # Recorded first, so that a failure part way still leaves everything for teardown.
    hosts = selected_hosts()
    state.containers.extend(host.name for host in hosts)
    state.cgroups.extend(inner_cgroup(state, host) for host in hosts if host.inner)
    state.save()
    in_parallel([(create_host, (engine, host, engines, state, tarball)) for host in hosts])


def start_workloads(engines: dict[str, Engine], state: LabState) -> None:
    def start(load: Workload) -> None:
        docker(engines[load.engine], "run", "--detach", f"--name={load.name}",
               f"--hostname={load.name}", f"--label={LABEL}", "--network=none", *load.run_args,
               state.image, *load.command)  # fmt: skip

    state.workloads.extend(load.name for load in WORKLOADS)
    in_parallel([(start, (load,)) for load in WORKLOADS])


def wait_sshd(engine: Engine, names: Sequence[str]) -> None:
    """Wait until every host's sshd wrote its pid file; show its log if it died instead."""
    deadline = time.monotonic() + SSHD_TIMEOUT
    pending = list(names)
    while pending:
        for name in list(pending):
            probe = ["docker", "-H", engine.host, "exec", name, "test", "-s", "/run/sshd.pid"]
            if run(probe, check=False).returncode == 0:
                pending.remove(name)
                continue
            running = docker(engine, "inspect", "-f", "{{.State.Running}}", name, check=False)
            if running != "true":
                logs = run(["docker", "-H", engine.host, "logs", "--tail", "30", name], check=False)
                raise LabError(f"{name} exited during setup:\n{logs.stdout}{logs.stderr}")
        if pending and time.monotonic() > deadline:
            raise LabError(f"sshd did not start on {', '.join(pending)}")
        if pending:
            time.sleep(0.2)


def write_ssh_config() -> None:
    """Client settings for every hop: `ssh -J` passes -F to the jump hops, but not -i or -o."""
    SSH_CONFIG.write_text(
        "# written by lab/labctl.py: ssh -F .lab/ssh_config -J 127.0.0.1:42201 web1\n"
        "Host *\n"
        "    User auditor\n"
        f"    IdentityFile {CLIENT_KEY}\n"
        "    IdentitiesOnly yes\n"
        f"    UserKnownHostsFile {KNOWN_HOSTS}\n"
        "    GlobalKnownHostsFile /dev/null\n"
        "    StrictHostKeyChecking yes\n"
        "    BatchMode yes\n"
        "    ConnectTimeout 10\n"
    )


def write_known_hosts(engine: Engine, tmpdir: Path) -> None:
    wrong_key = tmpdir / "wrong_hostkey"
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", wrong_key])
    lines = []
    for host in selected_hosts():
        if host.name in WRONG_KEY_HOSTS:
            key = wrong_key.with_suffix(".pub").read_text()
        else:
            key = docker(engine, "exec", host.name, "cat", "/etc/ssh/ssh_host_ed25519_key.pub")
        key_type, key_data = key.split()[:2]
        lines.append(f"{host.known_hosts_name} {key_type} {key_data}\n")
    wrong_key.unlink()
    wrong_key.with_suffix(".pub").unlink()
    partial = KNOWN_HOSTS.with_suffix(".partial")
    partial.write_text("".join(lines))
    partial.replace(KNOWN_HOSTS)


# Each check: (host, sh script run there as root, what its output must contain).
HOST_CHECKS = (
    ("bbox1", "readlink -f /bin/sh; command -v ss || echo no-ss", "/usr/bin/busybox\nno-ss"),
    ("match1", "ss -Htln 'sport = 22'", "[::]:22"),
    ("gold", "nft list chain inet filter input", "policy drop"),
    ("svc1", "ss -Htln 'sport = 6379'", "0.0.0.0:6379"),
    ("dock2", "iptables-save -t nat", "--dport 8080 -j DNAT"),
)  # fmt: skip


INNER_PS = "docker ps --format '{{.Names}}' | sort | tr '\\n' ' '"


def verify(engine: Engine) -> None:
    """Cheap checks of what the tests rely on, so a broken lab fails here, not in a test."""
    started = {host.name for host in selected_hosts()}
    for port in (BASTION_PORT, *((DOCK1_PORT,) if "dock1" in started else ())):
        deadline = time.monotonic() + 10
        while not ssh_banner(port).startswith("SSH-"):
            if time.monotonic() > deadline:
                raise LabError(f"no SSH banner on 127.0.0.1:{port}")
            time.sleep(0.2)
    if port_state(CLOSED_PORT) != "closed":
        raise LabError(f"127.0.0.1:{CLOSED_PORT} must refuse connections (closed1)")
    inner = [(host.name, INNER_PS, " ".join(sorted(host.inner)) + " ")
             for host in selected_hosts() if host.inner]  # fmt: skip
    for name, check, expected in [*HOST_CHECKS, *inner]:
        if name not in started:
            continue
        result = run(["docker", "-H", engine.host, "exec", name, "sh", "-c", check], check=False)
        if expected not in result.stdout:
            raise LabError(f"{name}: `{check}` gave {result.stdout + result.stderr!r}, "
                           f"expected {expected!r} in it")  # fmt: skip
    # From inside each host with a side engine: its pids must match /proc (--pid=host).
    script = (
        'for c in "$@"; do pid=$(docker inspect -f "{{.State.Pid}}" "$c"); '
        "echo \"$c $(awk '/^Uid:/ {print $2}' /proc/$pid/status)\"; done"
    )
    for host in selected_hosts():
        if not host.engine:
            continue
        want = {load.name: str(load.uid) for load in WORKLOADS if load.engine == host.engine}
        deadline = time.monotonic() + 10
        while True:
            out = docker(engine, "exec", host.name, "sh", "-c", script, "sh", *want)
            seen = dict(line.split(maxsplit=1) for line in out.splitlines() if " " in line)
            if seen == want:
                break
            if time.monotonic() > deadline:
                raise LabError(f"{host.name} sees workload uids {seen}, expected {want}")
            time.sleep(0.2)


# --------------------------------------------------------------------------- up / down


def other_labs() -> list[LabState]:
    """Labs recorded under the temp dir (this repo's and other clones')."""
    found = []
    for path in sorted(TMP_ROOT.glob(f"{TMP_PREFIX}*/state.json")):
        state = LabState.load(path)
        if state is not None:
            found.append(state)
    return found


def lab_is_alive(state: LabState) -> bool:
    return any(engine.owned and pid_alive(engine.pid) for engine in state.engines)


def teardown_leftovers(force: bool) -> None:
    states = [s for s in [LabState.load(STATE_FILE), *other_labs()] if s is not None]
    seen: set[str] = set()
    for state in states:
        if state.tmpdir in seen:
            continue
        seen.add(state.tmpdir)
        if state.repo != str(REPO) and lab_is_alive(state) and not force:
            raise LabError(
                f"a lab from {state.repo} is running (state in {state.tmpdir}); run its "
                "`labctl.py down`, or pass --force to tear it down"
            )
        log(f"tearing down leftover lab {state.tmpdir}")
        teardown(state)
    shared = default_engine()
    if shared is not None:
        remove_labelled(shared)
        while run(["iptables", "-D", *FRONT_RULE], check=False).returncode == 0:
            pass  # a rule left by a lab that used this shared engine


def check_ports_free() -> None:
    for port in LAB_PORTS:
        if port_state(port) == "open":
            raise LabError(f"something already listens on 127.0.0.1:{port}")


def reserve_ports(state: LabState) -> None:
    """Keep the kernel from giving the lab's ports to other sockets while the lab is up.

    They lie in the ephemeral range (32768-60999): any outgoing connection, or a test's
    bind to port 0, could take 42202 between our check and docker-proxy's listen.
    """
    # a lab that crashed without teardown may have left them there: not part of "before"
    before = without_ports(RESERVED_PORTS.read_text(), LAB_PORTS)
    state.reserved_ports_saved = before
    state.save()
    RESERVED_PORTS.write_text(",".join([*filter(None, [before]), *map(str, LAB_PORTS)]) + "\n")


def without_ports(spec: str, ports: Sequence[int]) -> str:
    """An ip_local_reserved_ports list ("8000-8010,42201-42202") minus the given ports.

    >>> without_ports("8000-8010,42201-42202,42209", [42201, 42202, 42209])
    '8000-8010'
    """
    kept = []
    for item in filter(None, spec.strip().split(",")):
        low, _, high = item.partition("-")
        start, end = int(low), int(high or low)
        for port in sorted(p for p in ports if start <= p <= end):
            if start < port:
                kept.append((start, port - 1))
            start = port + 1
        if start <= end:
            kept.append((start, end))
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in kept)


def restore_reserved_ports(state: LabState) -> None:
    if state.reserved_ports_saved is not None:
        RESERVED_PORTS.write_text(state.reserved_ports_saved + "\n")


def wait_ports_bindable(ports: Sequence[int], timeout: float = 15) -> None:
    """Wait until 127.0.0.1:port could be listened on (as docker-proxy will), for each port."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", port))
                    break
                except OSError as exc:
                    if time.monotonic() > deadline:
                        raise LabError(f"127.0.0.1:{port} stays in use ({exc.strerror}); "
                                       f"`ss -tanp | grep :{port}` shows by what") from exc  # fmt: skip
            time.sleep(0.5)


def up(force: bool) -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root (dockerd, iptables, debootstrap)")
    timings: dict[str, float] = {}
    started = time.monotonic()
    with global_lock():
        with phase("prepare", timings):
            ensure_tools()
            teardown_leftovers(force)
            check_ports_free()
            ensure_client_keys()
        with phase("image tarballs", timings):
            tarballs = ensure_tarballs(images_in_use())
        state = LabState(repo=str(REPO), tmpdir=tempfile.mkdtemp(prefix=TMP_PREFIX, dir=TMP_ROOT))
        state.image = image_ref(IMAGES["base"])
        state.images = {name: image_ref(IMAGES[name]) for name in tarballs}
        state.ports = {"bastion": BASTION_PORT, "dock1": DOCK1_PORT, "closed1": CLOSED_PORT}
        state.save()
        try:
            build(state, tarballs, timings)
        except BaseException:
            log("up failed; tearing down what was started")
            try:
                teardown(state)
            except LabError as exc:  # the failure of `up` is the error to show
                log(f"warning: {exc}")
            raise
    total = time.monotonic() - started
    summary = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings.items())
    log(f"lab is up in {total:.1f}s ({summary})")
    log(f"try: ssh -F {SSH_CONFIG} -J 127.0.0.1:{BASTION_PORT} web1")


def build(state: LabState, tarballs: dict[str, Path], timings: dict[str, float]) -> None:
    tmpdir = Path(state.tmpdir)
    tarball = tarballs["base"]
    reserve_ports(state)
    wait_ports_bindable(LAB_PORTS)
    with phase("engines", timings):
        lab_engine = default_engine()
        if lab_engine is None:
            snapshot_firewall(state)
            lab_engine = start_engine(tmpdir, "lab", [])
        side = [start_engine(tmpdir, name, ["--iptables=false", "--ip-masq=false"])
                for name in SIDE_ENGINES]  # fmt: skip
        state.engines = [lab_engine, *side]
        state.save()
        for engine in state.engines:
            wait_engine(engine)
        engines = {engine.name: engine for engine in state.engines}
    with phase("import image", timings):
        # the side engines run only base-image workloads; the lab engine runs every host
        imports = [(import_image, (engine, tarball, state.image)) for engine in state.engines[1:]]
        imports += [(import_image, (lab_engine, tarballs[name], ref))
                    for name, ref in state.images.items()]  # fmt: skip
        in_parallel(imports)
    with phase("networks", timings):
        remove_labelled(lab_engine)
        create_networks(lab_engine, state)
        add_front_rule(state)
        state.save()
    with phase("containers", timings):
        start_workloads(engines, state)
        start_hosts(engines, state, tarball)
        state.save()
        wait_sshd(lab_engine, state.containers)
    with phase("known_hosts + checks", timings):
        write_known_hosts(lab_engine, tmpdir)
        write_ssh_config()
        verify(lab_engine)
    state.complete = True
    state.save()


def teardown(state: LabState) -> None:
    """Undo everything recorded in state; safe to repeat and to run on a half-built lab.

    Every step runs even when an earlier one fails (a missing tool, a dead engine): the
    failures are collected and raised together at the end, after the temp dir and the
    state file are gone, so a second `down` never trips over the same half-undone lab.
    """
    errors: list[str] = []

    def step(what: str, action: Callable[[], object]) -> None:
        started = time.monotonic()
        try:
            action()
        except Exception as exc:  # reported below, once every other step has run
            errors.append(f"{what}: {exc}")
        if time.monotonic() - started > 2:  # say where a slow teardown spends its time
            log(f"  {what}: {time.monotonic() - started:.1f}s")

    for engine in reversed(state.engines):
        step(f"remove containers of engine {engine.name}", lambda e=engine: remove_if_answers(e))
    shared = [engine for engine in state.engines if not engine.owned]
    if shared and state.front_rule:
        step("remove the DOCKER-USER rule", lambda: run(["iptables", "-D", *state.front_rule],
                                                        check=False))  # fmt: skip
    step("stop engines", lambda: stop_engines(state.engines))
    for cgroup in state.cgroups:  # an inner engine died with its host; its cgroups stay behind
        step(f"cgroup {cgroup}", lambda c=cgroup: (stop_pids(pids_in_cgroup(c), timeout=5),
                                                   remove_cgroup(c)))  # fmt: skip
    if state.iptables_saved:
        step("restore the firewall", lambda: restore_firewall(state))
    if any(engine.owned and engine.name == "lab" for engine in state.engines):
        for bridge in state.bridges:
            step(f"bridge {bridge}", lambda b=bridge: delete_bridge(b))
    step("release the reserved ports", lambda: restore_reserved_ports(state))
    if state.tmpdir.startswith(str(TMP_ROOT / TMP_PREFIX)):
        step("stop processes using the temp dir",
             lambda: stop_pids(pids_mentioning(state.tmpdir), timeout=5))
        step("unmount under the temp dir", lambda: unmount_under(state.tmpdir))
        step("remove the temp dir", lambda: remove_tree(Path(state.tmpdir)))
    if state.repo == str(REPO):
        step("remove the state file", lambda: remove_client_state(state))
    if errors:
        raise LabError(
            f"teardown of {state.tmpdir} finished with {len(errors)} problem(s):\n  "
            + "\n  ".join(errors)
        )


def remove_if_answers(engine: Engine) -> None:
    if engine_answers(engine.host):
        remove_labelled(engine)


def delete_bridge(bridge: str) -> None:
    if Path(f"/sys/class/net/{bridge}").exists():
        run(["ip", "link", "delete", bridge])


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    if path.exists():
        raise LabError(f"{path} is still there (busy mount?)")


def remove_client_state(state: LabState) -> None:
    """.lab/state.json, known_hosts and ssh_config, unless they belong to a newer lab."""
    current = LabState.load(STATE_FILE)
    if current is None or current.tmpdir == state.tmpdir:
        for path in (STATE_FILE, Path(state.known_hosts), Path(state.ssh_config)):
            path.unlink(missing_ok=True)


def down() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root")
    started = time.monotonic()
    with global_lock():
        states = [s for s in [LabState.load(STATE_FILE), *other_labs()] if s is not None]
        mine = {s.tmpdir: s for s in states if s.repo == str(REPO)}
        if not mine:
            log("no lab state found; nothing to tear down")
        problems = []
        for state in mine.values():
            log(f"tearing down {state.tmpdir}")
            try:
                teardown(state)
            except LabError as exc:
                problems.append(str(exc))
        shared = default_engine()
        if shared is not None:
            remove_labelled(shared)
    if problems:
        raise LabError("\n".join(problems))
    log(f"lab is down in {time.monotonic() - started:.1f}s")


def status(out: TextIO) -> int:
    """Print the lab's health; 0 when the state is complete and every part answers."""
    state = LabState.load(STATE_FILE)
    if state is None:
        print("no lab (no .lab/state.json)", file=out)
        return 1
    problems = [] if state.complete else ["up did not finish"]
    for engine in state.engines:
        ok = engine_answers(engine.host)
        print(f"engine {engine.name:4} {engine.host} {'ok' if ok else 'DOWN'}", file=out)
        if not ok:
            problems.append(f"engine {engine.name} down")
            continue
        engine_of = {load.name: load.engine for load in WORKLOADS}
        names = (state.containers if engine.name == "lab" else
                 [name for name in state.workloads if engine_of.get(name) == engine.name])  # fmt: skip
        listing = docker(engine, "ps", "-a", f"--filter=label={LABEL}",
                         "--format={{.Names}} {{.State}}")  # fmt: skip
        running = dict(line.split(maxsplit=1) for line in listing.splitlines())
        for name in names:
            print(f"  {name:9} {running.get(name, 'missing')}", file=out)
            if running.get(name) != "running":
                problems.append(f"{name} not running")
    hosts = {host.name: host for host in HOSTS if host.inner}
    for name in [n for n in state.containers if n in hosts]:
        if not engine_answers(state.engines[0].host):
            break
        argv = ["docker", "-H", state.engines[0].host, "exec", name, "docker", "ps", "-q"]
        inner = len(run(argv, check=False).stdout.split())
        ok = inner == len(hosts[name].inner)
        print(f"{name}'s engine: {inner} containers running {'ok' if ok else 'BAD'}", file=out)
        if not ok:
            problems.append(f"{name}'s containers")
    for name, port in state.ports.items():
        observed = "closed" if name == "closed1" else "ssh"
        ok = port_state(port) == "closed" if name == "closed1" else bool(ssh_banner(port))
        print(f"127.0.0.1:{port} ({name}, expect {observed}) {'ok' if ok else 'BAD'}", file=out)
        if not ok:
            problems.append(f"port {port}")
    print("healthy" if not problems else "UNHEALTHY: " + "; ".join(problems), file=out)
    return 0 if not problems else 1


# --------------------------------------------------------------------------- drift demo

# `make demo` and tests/lab/test_drift_e2e.py: one change on one host between two audits.
# A private key readable by everyone in web1's auditor account is exactly one new failing
# object (file.ssh-privkey, this path); web1 has no other private key.
DRIFT_HOST = "web1"
DRIFT_KEY = "/home/auditor/.ssh/id_drift_demo"
_DRIFT_APPLY = (
    "printf '%s\\n' '-----BEGIN OPENSSH PRIVATE KEY-----' 'not a real key: labctl drift' "
    "'-----END OPENSSH PRIVATE KEY-----' >{key} && chown auditor:auditor {key} && chmod 644 {key}"
)


def drift(action: str) -> None:
    """apply: write DRIFT_KEY on DRIFT_HOST, mode 644; revert: remove it again."""
    state = LabState.load(STATE_FILE)
    engine = next((e for e in state.engines if e.name == "lab"), None) if state else None
    if state is None or not state.complete or engine is None:
        raise LabError("no complete lab is up (python3 lab/labctl.py up)")
    script = _DRIFT_APPLY.format(key=DRIFT_KEY) if action == "apply" else f"rm -f {DRIFT_KEY}"
    docker(engine, "exec", DRIFT_HOST, "sh", "-c", script)
    done = "now has" if action == "apply" else "no longer has"
    log(f"{DRIFT_HOST} {done} a world-readable private key {DRIFT_KEY}")


def images() -> None:
    """Build (or find cached) the tarballs `up` needs, and nothing else: no engine, network
    or container. `make test` runs it in the background so that a cold cache is built while
    lint and the unit tests run (the lab tests come last)."""
    if os.geteuid() != 0:
        raise LabError("building the images needs root (debootstrap, chroot)")
    started = time.monotonic()
    ensure_tools()
    tarballs = ensure_tarballs(images_in_use())
    log(f"{len(tarballs)} image tarballs ready in {time.monotonic() - started:.1f}s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    up_parser = sub.add_parser("up", help="(re)create the lab")
    up_parser.add_argument(
        "--force", action="store_true", help="also tear down a running lab of another clone"
    )
    sub.add_parser("down", help="remove the lab (keeps the cached image tarball)")
    sub.add_parser("status", help="exit 0 when the lab is healthy")
    sub.add_parser(
        "images", help="build the missing image tarballs of the hosts `up` would start, only"
    )
    drift_parser = sub.add_parser(
        "drift", help=f"change {DRIFT_HOST} so the next audit shows drift (make demo)"
    )
    drift_parser.add_argument("action", choices=("apply", "revert"))
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            up(args.force)
        elif args.command == "down":
            down()
        elif args.command == "drift":
            drift(args.action)
        elif args.command == "images":
            images()
        else:
            return status(sys.stdout)
    except LabError as exc:
        print(f"[lab] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
