"""Turn the sections of one host's output into HostFacts (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from hardaudit.errors import FactError
from hardaudit.facts.model import (
    Absent,
    Container,
    EnvFiles,
    FactsTiming,
    FileStat,
    FirewallState,
    HostFacts,
    Ipv6State,
    ListeningSocket,
    NginxServer,
    Processes,
    RedisConfig,
    Section,
    ServiceUnit,
    SshdConfig,
    SshdContext,
    SshFiles,
    Unknown,
    WorldWritable,
)
from hardaudit.facts.parsers.containers import parse_containers
from hardaudit.facts.parsers.files import (
    parse_env_files,
    parse_ssh_files,
    parse_stat_lines,
    parse_world_writable,
)
from hardaudit.facts.parsers.firewall import (
    IPV4,
    IPV6,
    NO_FILTER,
    FamilyFilter,
    add_iptables,
    is_legacy_save,
    merge,
    parse_iptables_save,
    parse_nft_json,
)
from hardaudit.facts.parsers.listeners import parse_listeners
from hardaudit.facts.parsers.meta import parse_meta
from hardaudit.facts.parsers.services import parse_nginx, parse_redis, parse_units
from hardaudit.facts.parsers.sshd import (
    SshdIncludeError,
    contexts_from_files,
    fill_failed_contexts,
    parse_sshd_config,
    parse_sshd_contexts,
    parse_sshd_t,
)
from hardaudit.facts.parsers.system import parse_ipv6, parse_processes
from hardaudit.facts.script import ROOT_HELPER, WORLD_WRITABLE_CAP, old_sudo_hint
from hardaudit.facts.sections import failure_reason
from hardaudit.printable import printable, short_reason

_Fact = TypeVar("_Fact")
_REASON_CAP = 200  # characters of an exception message quoted in a reason


def parse_failure(what: str, exc: BaseException) -> str:
    """A short, one-line, escaped reason for a parser that raised on a target's output.

    >>> parse_failure("nginx configuration", ValueError("bad\\nline"))
    'nginx configuration: could not be parsed (ValueError: bad\\\\nline)'
    """
    message = str(exc).replace("\\", "\\\\").replace("\n", "\\n")
    if len(message) > _REASON_CAP:
        message = message[:_REASON_CAP] + "..."
    return printable(f"{what}: could not be parsed ({type(exc).__name__}: {message})")


def _guarded(what: str, build: Callable[[], _Fact]) -> _Fact | Unknown:
    """Run one fact's parser: any exception (a parser bug a target's output reaches, a
    RecursionError) makes only that fact Unknown, so only the checks that need it are."""
    try:
        return build()
    except MemoryError:
        raise  # the per-host bound decides what an exhausted host becomes
    except Exception as exc:  # a hostile host must not cost the other facts
        return Unknown(parse_failure(what, exc))


def _sshd(sections: Mapping[str, Section], nonce: str) -> tuple[SshdConfig | Unknown | Absent, str]:
    effective = sections.get("sshd_t")
    if effective is not None and effective.ok and effective.text.strip():
        return parse_sshd_t(effective.text), ""
    files = sections.get("sshd_config")
    if effective is not None and effective.rc == 127 and (files is None or not files.ok):
        return Absent("sshd is not installed"), ""
    why = failure_reason(effective, "sshd -T")
    if files is not None and files.ok:
        try:
            parsed = parse_sshd_config(files.text, nonce)
        except SshdIncludeError as exc:
            return Unknown(f"{why}; {exc}"), ""
        return (
            parsed,
            f"sshd settings parsed from sshd_config and its Includes ({why}); lower confidence",
        )
    return Unknown(f"{why}; {failure_reason(files, 'sshd_config')}"), ""


def _ssh_files(section: Section | None, nonce: str) -> SshFiles | Unknown:
    if section is None or not section.ok:
        return Unknown(failure_reason(section, "~/.ssh listing"))
    return parse_ssh_files(section.text, nonce)


def _listeners(section: Section | None) -> tuple[ListeningSocket, ...] | Unknown:
    # A section cut by the cap is not judged, even when only the process names after the
    # socket list were cut: checks recognise some services by name only (ClickHouse on 9000,
    # redis on another port), so a socket without its name could make them skip, not fail.
    if section is None or not section.ok:
        return Unknown(failure_reason(section, "listening sockets"))
    sockets = parse_listeners(section.text)
    if not sockets:  # an empty list is never proof: at least sshd should be listening
        return Unknown("listening sockets: the command printed no socket at all")
    return sockets


def _firewall(sections: Mapping[str, Section]) -> FirewallState | Unknown:
    """Inbound filtering from every view of the kernel's ruleset.

    nft (native tables and iptables-nft's) and the legacy x_tables backend are separate: the
    kernel passes a packet through the input chains of both, and `iptables-save` shows only
    the one the alternatives point at. The legacy rules are read on their own (or are what
    iptables-save printed: its header names no backend), judged together with nft's, and a
    host whose two backends judge inbound traffic differently says so.
    """
    nft, ipt, ip6t = sections.get("nft"), sections.get("iptables"), sections.get("ip6tables")
    legacy_sections = sections.get("iptables_legacy"), sections.get("ip6tables_legacy")
    v4, v6 = NO_FILTER, NO_FILTER  # nft's view: native tables, iptables-nft's
    legacy = [NO_FILTER, NO_FILTER]  # the legacy backend's view, per family
    legacy_read = [False, False]
    backends: list[str] = []
    notes: list[str] = []
    if nft is not None and nft.ok:
        try:
            v4, v6 = parse_nft_json(nft.text)
        except (ValueError, RecursionError) as exc:  # bad JSON, a 5,000-digit number, deep nesting
            return Unknown(parse_failure("nft -j list ruleset: unparsable JSON", exc))
        backends.append("nftables")
    if ipt is not None and ipt.ok:
        if is_legacy_save(ipt.text):
            legacy[0] = parse_iptables_save(ipt.text, IPV4, "iptables-legacy")
            legacy_read[0] = True
            backends.append("iptables-legacy")
        else:
            v4 = add_iptables(v4, parse_iptables_save(ipt.text, IPV4))
            backends.append("iptables")
        if ip6t is not None and ip6t.ok:
            if is_legacy_save(ip6t.text):
                legacy[1] = parse_iptables_save(ip6t.text, IPV6, "ip6tables-legacy")
                legacy_read[1] = True
            else:
                v6 = add_iptables(v6, parse_iptables_save(ip6t.text, IPV6))
        elif not v6.filters:  # IPv6 judged from nft alone: say what could not be read
            notes.append(failure_reason(ip6t, "ip6tables-save"))
    if not backends:
        reasons = [failure_reason(s, n) for s, n in ((nft, "nft"), (ipt, "iptables-save"))]
        if all(s is not None and s.rc == 127 for s in (nft, ipt)):
            return FirewallState("none", False, False, False, False, ("no nft or iptables-save",))
        return Unknown("; ".join(reasons))
    for index, (section, tool) in enumerate(
        zip(legacy_sections, ("iptables-legacy-save", "ip6tables-legacy-save"), strict=True)
    ):
        if legacy_read[index] or section is None or section.rc == 127:
            continue  # already read through iptables-save, not gathered, or not installed
        if not section.ok:
            return Unknown(
                f"legacy iptables rules could not be read: {failure_reason(section, tool)}"
            )
        family = IPV6 if index else IPV4
        legacy[index] = parse_iptables_save(section.text, family, tool.removesuffix("-save"))
        if legacy[index].input_chains and "iptables-legacy" not in backends:
            backends.append("iptables-legacy")
    notes.extend(_backends_disagree((v4, v6), legacy))
    v4, v6 = merge(v4, legacy[0]), merge(v6, legacy[1])
    both = merge(v4, v6)
    return FirewallState(
        backend="+".join(backends),
        ipv4_filters=v4.filters,
        ipv6_filters=v6.filters,
        ipv4_default_deny=v4.default_deny,
        ipv6_default_deny=v6.default_deny,
        evidence=both.evidence + tuple(notes),
        ssh_rate_limited=bool(both.rate_limit),
        rate_limit_evidence=both.rate_limit,
        ipv4_blocked=v4.blocked,
        ipv6_blocked=v6.blocked,
        nat=both.nat,
        ipv4_published=v4.published,
        ipv6_published=v6.published,
    )


def _judged(view: FamilyFilter) -> str:
    if view.default_deny:
        return "default deny"
    return "filtered without default deny" if view.filters else "not filtered"


def _backends_disagree(
    nft: Sequence[FamilyFilter], legacy: Sequence[FamilyFilter]
) -> tuple[str, ...]:
    """A warning when nft and the legacy backend both have input chains and judge a family
    differently: tools that read one backend (`nft list ruleset`, `iptables -L` through the
    alternatives) then show half of what the kernel applies."""
    if not any(v.input_chains for v in nft) or not any(v.input_chains for v in legacy):
        return ()
    views = [(_judged(n), _judged(g)) for n, g in zip(nft, legacy, strict=True)]
    if all(a == b for a, b in views):
        return (
            "nft and iptables-legacy both hold input chains (the kernel applies both); "
            "they agree: "
            + ", ".join(f"{f} {a}" for f, (a, _) in zip(("IPv4", "IPv6"), views, strict=True)),
        )
    text = "; ".join(
        f"{f}: nft {a}, iptables-legacy {b}"
        for f, (a, b) in zip(("IPv4", "IPv6"), views, strict=True)
        if a != b
    )
    return (
        f"warning: nft and iptables-legacy rulesets disagree ({text}); the kernel applies "
        "both, a packet must pass each: judged on both together, but `nft list ruleset` or "
        "`iptables -L` alone shows only half",
    )


_ENGINES = ("dockerd", "containerd")


# conmon supervises each podman (and CRI-O) container: where it runs and podman was not read,
# containers run that nothing listed, and "no container" would be a pass for what was not read.
_CONMON_NOTE = "conmon runs: CRI-O (or podman) containers run, and they are not read"


def _docker_containers(
    section: Section | None, processes: Processes | Unknown
) -> tuple[Container, ...] | Unknown | Absent:
    """Docker's containers (`docker ps`/`inspect`), Absent where docker is not installed or
    its engine provably does not run."""
    if section is None:
        return Unknown(failure_reason(section, "containers"))
    if section.rc == 127:
        return Absent("docker is not installed")
    if not section.ok:
        why = failure_reason(section, "docker ps/inspect")
        if "Cannot connect to the Docker daemon" in section.stderr and "permission denied" not in (
            section.stderr.lower()
        ):
            # The CLI may only be looking at the wrong socket (-H, DOCKER_HOST, rootless):
            # "not running" needs the process list to show no engine.
            if isinstance(processes, Unknown):
                return Unknown(f"{why}; whether dockerd runs is unknown ({processes.reason})")
            running = [name for name in _ENGINES if name in processes.names]
            if not running:
                return Absent("docker is installed but its engine is not running")
            return Unknown(f"{why}, though {' and '.join(running)} run(s) on this host")
        return Unknown(why)
    return parse_containers(section.text)


def _podman_containers(
    section: Section | None, tools: frozenset[str]
) -> tuple[Container, ...] | Unknown | Absent:
    """Rootful podman's containers (`podman ps`/`inspect` as root), Absent where podman is
    not installed. A capture from before this section existed has none: where podman is
    installed that is unknown, never "no container"."""
    if section is None:
        if "podman" not in tools:
            return Absent("podman is not installed")
        return Unknown(failure_reason(section, "podman ps/inspect"))
    if section.rc == 127:
        return Absent("podman is not installed")
    if not section.ok:
        return Unknown(failure_reason(section, "podman ps/inspect"))
    return parse_containers(section.text, engine="podman")


def _containers(
    section: Section | None,
    processes: Processes | Unknown,
    tools: frozenset[str] = frozenset(),
    podman: Section | None = None,
) -> tuple[Container, ...] | Unknown | Absent:
    """Docker's and rootful podman's containers together: unknown when either engine's
    list could not be read (what was not read is never "no container"), Absent when neither
    is installed and nothing else runs containers."""
    docker = _docker_containers(section, processes)
    pod = _podman_containers(podman, tools)
    unread = [r.reason for r in (docker, pod) if isinstance(r, Unknown)]
    if unread:
        return Unknown("; ".join(unread))
    conmon = not isinstance(processes, Unknown) and "conmon" in processes.names
    if isinstance(docker, Absent) and isinstance(pod, Absent):
        if conmon:
            return Unknown(f"{docker.reason}, podman is not installed; {_CONMON_NOTE}")
        if docker.reason == "docker is not installed":
            return Absent("no container engine (docker, podman) on this host")
        return docker
    containers = (docker if isinstance(docker, tuple) else ()) + (
        pod if isinstance(pod, tuple) else ()
    )
    if not containers and conmon and isinstance(pod, Absent):
        return Unknown(f"docker runs no container; {_CONMON_NOTE}")
    return containers


def _sshd_contexts(
    section: Section | None,
    files: Section | None,
    sshd: SshdConfig | Unknown | Absent,
    nonce: str,
) -> tuple[SshdContext, ...] | Unknown | Absent:
    """`sshd -T -C` per Match line; where that could not run (no root), the Match blocks
    parsed from sshd_config laid over the global settings (lower confidence).

    The section fails (rc != 0) when a config file could not be read for its Match lines;
    any error output means the same (the script silences sshd's own per context): without
    the files to parse instead, the contexts are Unknown, never "no Match lines".
    """
    if section is not None and section.rc == 127:
        return Absent("sshd is not installed")
    parsed = None
    if files is not None and files.ok and isinstance(sshd, SshdConfig):
        parsed = contexts_from_files(files.text, nonce, sshd)
    if section is None or not section.ok or section.stderr.strip():
        if parsed is not None:
            return parsed
        what = "sshd -T -C per Match context"
        if section is not None and section.ok:
            return Unknown(f"{what}: {section.stderr.strip().splitlines()[-1]}")
        return Unknown(failure_reason(section, what))
    contexts = parse_sshd_contexts(section.text, nonce)
    return contexts if parsed is None else fill_failed_contexts(contexts, parsed)


def _etc_files(section: Section | None) -> tuple[FileStat, ...] | Unknown:
    if section is None or not section.ok:
        return Unknown(failure_reason(section, "stat of /etc files"))
    return parse_stat_lines(section.text)


def _received(section: Section) -> str:
    """The whole lines of a section's text: a cap's cut-off last line is dropped."""
    if not section.truncated:
        return section.text
    return section.text.rpartition("\n")[0]


def _world_writable(section: Section | None) -> WorldWritable | Unknown:
    # find exits 1 when some directory could not be read: the walk is then incomplete. Paths
    # received before the walk was cut (the section cap, the time cap: 124, a walk without its
    # rc= record: 255, a killed section: no rc) are found all the same: the check fails on them.
    if section is not None and not section.ok:
        found = parse_world_writable(_received(section), section.stderr, WORLD_WRITABLE_CAP)
        if found.paths:
            return replace(found, capped=True)
    if section is None or section.rc is None or section.truncated or section.rc not in (0, 1):
        return Unknown(failure_reason(section, "world-writable walk"))
    return parse_world_writable(section.text, section.stderr, WORLD_WRITABLE_CAP)


def _env_files(section: Section | None) -> EnvFiles | Unknown:
    # A search cut by the cap, an error or the time cap is judged on the files it sent: one
    # that fails stands (a user cannot hide other users' files by making the output long);
    # the check is unknown only when none fails.
    if section is None:
        return Unknown(failure_reason(section, ".env search"))
    if section.ok:
        return parse_env_files(section.text)
    found = parse_env_files(_received(section))
    why = failure_reason(section, ".env search")
    if section.truncated:
        why = ".env search: output larger than the section cap, files after the cut not judged"
    return replace(found, incomplete=(why,))


def _ipv6(section: Section | None) -> Ipv6State | Unknown:
    if section is None or not section.ok:
        return Unknown(failure_reason(section, "IPv6 state"))
    return parse_ipv6(section.text)


def _processes(section: Section | None) -> Processes | Unknown:
    if section is None or not section.ok or not section.text.strip():
        return Unknown(failure_reason(section, "process list"))
    return parse_processes(section.text)


def _units(section: Section | None, nonce: str) -> tuple[ServiceUnit, ...] | Unknown:
    if section is None or not section.ok:
        return Unknown(failure_reason(section, "systemd units"))
    return parse_units(section.text, nonce)


def _redis(section: Section | None) -> tuple[RedisConfig, ...] | Unknown | Absent:
    if section is None or section.rc is None or section.truncated:
        return Unknown(failure_reason(section, "redis configuration"))
    if section.rc not in (0, 1):  # grep exits 1 when no directive matched
        return Unknown(failure_reason(section, "redis configuration"))
    parsed = parse_redis(section.text)
    return Absent("no Redis configuration on this host") if parsed is None else parsed


def _nginx(section: Section | None, nonce: str) -> tuple[NginxServer, ...] | Unknown | Absent:
    if section is None or not section.ok:
        return Unknown(failure_reason(section, "nginx configuration"))
    parsed = parse_nginx(section.text, nonce)
    return Absent("nginx is not installed") if parsed is None else parsed


def build_host_facts(
    sections: Mapping[str, Section], nonce: str, timing: FactsTiming | None = None
) -> HostFacts:
    """Parse every section; a fact that cannot be read becomes Unknown with the reason.
    `timing` is what the script said about its own cost (parsers/timing.py)."""
    meta_section = sections.get("meta")
    if meta_section is None or meta_section.rc is None:
        raise FactError("the facts script produced no `meta` section: the script did not run")
    sshd_read = _guarded("sshd configuration", lambda: _sshd(sections, nonce))
    sshd, sshd_note = sshd_read if isinstance(sshd_read, tuple) else (sshd_read, "")
    processes = _guarded("process list", lambda: _processes(sections.get("processes")))
    meta = parse_meta(meta_section.text)
    notes = [sshd_note] if sshd_note else []
    hint = old_sudo_hint(meta.sudo_version)
    if hint and meta.privilege == "sudo" and _sudo_refused(sections):
        notes.append(f"sudo refused some commands: {hint}")
    helper_note = root_helper_note(meta.root_helper)
    if helper_note:
        notes.append(helper_note)
    return HostFacts(
        meta=meta,
        sshd=sshd,
        ssh_files=_guarded("~/.ssh listing", lambda: _ssh_files(sections.get("ssh_files"), nonce)),
        listeners=_guarded("listening sockets", lambda: _listeners(sections.get("listeners"))),
        firewall=_guarded("firewall rules", lambda: _firewall(sections)),
        containers=_guarded(
            "containers",
            lambda: _containers(
                sections.get("containers"),
                processes,
                meta.tools,
                sections.get("podman_containers"),
            ),
        ),
        sshd_contexts=_guarded(
            "sshd Match contexts",
            lambda: _sshd_contexts(
                sections.get("sshd_contexts"), sections.get("sshd_config"), sshd, nonce
            ),
        ),
        etc_files=_guarded("stat of /etc files", lambda: _etc_files(sections.get("etc_files"))),
        world_writable=_guarded(
            "world-writable walk", lambda: _world_writable(sections.get("world_writable"))
        ),
        env_files=_guarded(".env search", lambda: _env_files(sections.get("env_files"))),
        ipv6=_guarded("IPv6 state", lambda: _ipv6(sections.get("ipv6"))),
        processes=processes,
        units=_guarded("systemd units", lambda: _units(sections.get("units"), nonce)),
        redis=_guarded("redis configuration", lambda: _redis(sections.get("redis"))),
        nginx=_guarded("nginx configuration", lambda: _nginx(sections.get("nginx"), nonce)),
        sections=sections,
        notes=tuple(notes),
        timing=timing or FactsTiming(),
    )


def root_helper_note(state: str) -> str:
    """What the report says when sudoers allows the root helper but it was not used: the
    facts were then gathered with one sudo per command (complete, only slower)."""
    fix = f"install `audit root-helper`'s output as {ROOT_HELPER} (root-owned, mode 0755)"
    kind, _, detail = state.partition(" ")
    if kind == "absent":
        return f"sudoers allows the root helper, but {ROOT_HELPER} does not exist: {fix}"
    if kind == "other-version":
        return (
            f"the root helper at {ROOT_HELPER} is not this hardaudit's (cksum "
            f"{short_reason(detail, 24)}): facts were read with one sudo per command; {fix}"
        )
    if kind == "unsafe":
        return (
            f"the root helper at {ROOT_HELPER}, or a directory above it, is not root's, is a "
            "symbolic link or is writable by others than root: not used (it would run as root), "
            f"facts were read with one sudo per command; {fix} in a directory only root can "
            "write to"
        )
    if kind == "failed":
        return (
            f"the root helper failed (exit status {short_reason(detail, 8)}): facts were read "
            "with one sudo per command instead"
        )
    if kind == "stopped":
        return (
            f"the root helper was stopped (exit status {short_reason(detail, 8)}): the sections "
            "it did not finish are unknown"
        )
    return ""


def _sudo_refused(sections: Mapping[str, Section]) -> bool:
    """Whether some section's error output is sudo's own (a refusal or a sudoers error)."""
    return any(
        line.startswith("sudo:") for s in sections.values() for line in s.stderr.splitlines()
    )
