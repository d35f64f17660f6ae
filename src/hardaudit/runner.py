"""Fan out over hosts: one exec per host, facts parsed and checks evaluated locally.

One host's failure (unreachable, auth, host key, timeout, garbage output) becomes that
host's status; the other hosts always finish.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from hardaudit import __version__
from hardaudit.checks.model import Check
from hardaudit.checks.waivers import Waiver, apply_waivers, waiver_matches
from hardaudit.errors import ConnectError, FactError
from hardaudit.evaluate_bounded import (
    BoundedJudge,
    BoundExceededError,
    HostBound,
    Judge,
    parse_and_evaluate,
)
from hardaudit.facts.script import (
    DEFAULT_APP_DIRS,
    FactsScript,
    UserFact,
    build_script,
    old_sudo_hint,
)
from hardaudit.inventory.model import Host
from hardaudit.printable import short_reason, target_text
from hardaudit.report.model import (
    HostReport,
    ProfileRecord,
    RunReport,
    WaiverRecord,
    WaiverState,
)
from hardaudit.transport.base import HostStatus, Transport
from hardaudit.transport.replay import save_capture


@dataclass(frozen=True)
class RunOptions:
    forks: int = 50  # the CLI's DEFAULT_FORKS (see there why)
    host_timeout: float = 60.0
    capture_dir: Path | None = None
    waivers: tuple[Waiver, ...] = ()
    waiver_hosts: Mapping[str, frozenset[str]] = field(default_factory=dict)  # pattern -> names
    today: dt.date = field(default_factory=lambda: dt.datetime.now(UTC).date())
    # Host name -> the checks that apply to it (its own audit_checks_dirs); a host not
    # listed gets every check of the run.
    host_checks: Mapping[str, Sequence[Check]] = field(default_factory=dict)
    # Host name -> its profiles (names) and the notes they add (an inventory variable that
    # overrides a profile's value); hosts not listed have none.
    host_profiles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    host_notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Parse + judge each host in a worker process under this bound (None: in this process).
    bound: HostBound | None = field(default_factory=HostBound)


def judge_workers() -> int:
    """How many worker processes parse and judge hosts' output: one per CPU (at least 2).

    Judging is CPU-bound (tens of ms per host), so more processes than CPUs only add
    start-up time (~0.2 s CPU each) and ~25 MB each; the other fork threads wait for a
    free worker, which is not charged to their bound. With forks=50 this took a simulated
    100-host run from 1.3 GB to ~0.2 GB peak RSS (bench/README.md).
    """
    return max(2, os.cpu_count() or 2)


TransportFor = Callable[[Host], Transport]
Progress = Callable[[HostReport], None]


def _failed(
    host: Host,
    status: HostStatus,
    reason: str,
    started: float,
    profiles: tuple[str, ...] = (),
) -> HostReport:
    return HostReport(
        name=host.name,
        address=host.address,
        groups=host.groups,
        status=status,
        reason=short_reason(reason),  # may quote a target's stderr: escaped and capped
        duration_s=time.monotonic() - started,
        jump=tuple(h.label for h in host.jump),
        port=host.port,
        profiles=profiles,
    )


def _str_list(host: Host, name: str, default: Sequence[str]) -> tuple[str, ...]:
    """A list-of-strings inventory variable (a comma string is accepted too)."""
    value = host.vars.get(name, default)
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        raise FactError(f"inventory variable {name} of host {host.name} must be a list of strings")
    return tuple(str(v) for v in value)


def host_script(host: Host, checks: Sequence[Check], nonce: str | None = None) -> FactsScript:
    """The wrapper command and facts script `host` is sent for `checks` (its variables applied);
    `audit script` prints exactly this. Raises FactError for a malformed variable."""
    return build_script(
        become=host.become,
        nonce=nonce,
        app_dirs=_str_list(host, "app_dirs", DEFAULT_APP_DIRS),
        services=_str_list(host, "services", ()),
        user_facts=[UserFact(c.command_fact, c.command) for c in checks if c.command],
        facts={fact for check in checks for fact in check.facts},
    )


def audit_host(
    host: Host,
    checks: Sequence[Check],
    transport: Transport,
    options: RunOptions,
    judge: Judge | None = None,
) -> HostReport:
    """Connect, run the facts script once, evaluate every check; never raises for host faults.

    `judge` parses and evaluates the output (a BoundedJudge's worker); without one, this
    process does, unbounded. Only the host's own checks (`options.host_checks`, else
    `checks`) go into its script and its report.
    """
    started = time.monotonic()
    profiles = tuple(options.host_profiles.get(host.name, ()))
    if host.error:  # its inventory settings are invalid: never contacted
        return _failed(host, HostStatus.ERROR, host.error, started, profiles)
    checks = tuple(options.host_checks.get(host.name, checks))
    own = frozenset(c.id for c in checks)
    try:
        script = host_script(host, checks)
    except FactError as exc:
        return _failed(host, HostStatus.ERROR, exc.message, started, profiles)
    try:
        result = transport.execute(
            host, script.command, script.script.encode(), options.host_timeout
        )
    except ConnectError as exc:
        status = (
            HostStatus(exc.status)
            if exc.status in HostStatus.__members__.values()
            else HostStatus.ERROR
        )
        where = f"{exc.hop}: " if exc.hop and exc.hop not in exc.message else ""
        return _failed(host, status, where + exc.message, started, profiles)
    if options.capture_dir is not None:
        try:
            save_capture(options.capture_dir, host.name, script.nonce, result)
        except OSError as exc:  # e.g. the directory was made writable by others meanwhile
            reason = f"cannot save the capture in {options.capture_dir}: {exc.strerror or exc}"
            return _failed(host, HostStatus.ERROR, reason, started, profiles)
    stdout = target_text(result.stdout)
    stderr = target_text(result.stderr)
    try:
        if judge is None:
            verdict = parse_and_evaluate(stdout, stderr, script.nonce, checks, host.vars)
        else:
            verdict = judge(stdout, stderr, script.nonce, host.vars)
    except BoundExceededError as exc:
        return _failed(host, HostStatus.ERROR, exc.message, started, profiles)
    except FactError as exc:
        detail = (
            stderr.strip().splitlines()[-1] if stderr.strip() else f"exit status {result.exit_code}"
        )
        return _failed(host, HostStatus.ERROR, f"{exc.message} ({detail})", started, profiles)
    findings, waiver_notes = apply_waivers(
        # A judge shared by the run evaluates every check of the run: keep this host's.
        [f for f in verdict.findings if f.check in own],
        host.name,
        options.waivers,
        lambda waiver: options.waiver_hosts.get(waiver.hosts, frozenset()),
        options.today,
    )
    # A reason is a summary for a reader: escaped and capped whatever a parser put in it.
    findings = tuple(replace(f, reason=short_reason(f.reason)) if f.reason else f for f in findings)
    notes = [*options.host_notes.get(host.name, ()), *verdict.notes, *waiver_notes]
    if host.become and verdict.privilege == "user":
        hint = old_sudo_hint(verdict.sudo_version)
        notes.append(
            "become requested but `sudo -n` is not allowed: root-only facts are unknown"
            + (f" ({hint}; a sudoers file with regexes is a syntax error there)" if hint else "")
        )
    return HostReport(
        name=host.name,
        address=host.address,
        groups=host.groups,
        status=HostStatus.OK,
        reason="",
        duration_s=time.monotonic() - started,
        findings=findings,
        privilege=verdict.privilege,
        os=verdict.os_pretty,
        notes=tuple(notes),
        facts_timing=verdict.facts_timing,
        jump=tuple(h.label for h in host.jump),
        port=host.port,
        profiles=profiles,
    )


def audit_hosts(
    hosts: Sequence[Host],
    checks: Sequence[Check],
    transport_for: TransportFor,
    options: RunOptions,
    progress: Progress | None = None,
    *,
    judge: Judge | None = None,
    on_start: Callable[[Host], None] | None = None,
) -> tuple[HostReport, ...]:
    """Audit every host with up to `forks` in parallel; results in inventory order.

    Each host's output is parsed and judged by `judge`, by default a BoundedJudge (worker
    processes under `options.bound`) for this run; `options.bound` None judges in-process.

    Workers are daemon threads: the transport enforces each host's budget, and a worker
    that is still stuck `grace` seconds past it is reported as `timeout` and abandoned, so
    neither the run nor the process can hang on one host (ThreadPoolExecutor would join it).

    `progress` is called with each host's report as it finishes and `on_start` with each
    host as its worker starts, both from the calling thread.
    """
    grace = 5.0
    forks = max(1, options.forks)
    by_name = {h.name: h for h in hosts}
    finished: queue.Queue[tuple[str, HostReport]] = queue.Queue()
    reports: dict[str, HostReport] = {}
    running: dict[str, float] = {}  # host name -> start time

    owned = None
    if judge is None and options.bound is not None and hosts:
        workers = min(forks, len(hosts), judge_workers())
        judge = owned = BoundedJudge(checks, options.bound, workers=workers)

    def work(host: Host) -> None:
        started = time.monotonic()
        try:
            report = audit_host(host, checks, transport_for(host), options, judge)
        except Exception as exc:  # a bug on one host must not stop the run
            report = _failed(
                host,
                HostStatus.ERROR,
                f"internal error: {exc!r}",
                started,
                tuple(options.host_profiles.get(host.name, ())),
            )
        finished.put((host.name, report))

    def done(name: str, report: HostReport) -> None:
        reports[name] = report
        if progress:
            progress(report)

    queued = list(hosts)
    while len(reports) < len(hosts):
        while queued and len(running) < forks:
            host = queued.pop(0)
            running[host.name] = time.monotonic()
            if on_start:
                on_start(host)
            threading.Thread(
                target=work, args=(host,), name=f"audit {host.name}", daemon=True
            ).start()
        deadline = min(start for start in running.values()) + options.host_timeout + grace
        try:
            name, report = finished.get(timeout=max(0.05, deadline - time.monotonic()))
        except queue.Empty:
            now = time.monotonic()
            for name, start in list(running.items()):
                if now >= start + options.host_timeout + grace:
                    del running[name]
                    reason = f"no answer within {options.host_timeout:g}s (worker abandoned)"
                    profiles = tuple(options.host_profiles.get(name, ()))
                    done(name, _failed(by_name[name], HostStatus.TIMEOUT, reason, start, profiles))
            continue
        if running.pop(name, None) is not None:  # else it came back after we gave up on it
            done(name, report)
    if owned is not None:  # (workers also exit on their own when this process ends)
        owned.close()
    return tuple(reports[h.name] for h in hosts)


def waiver_records(hosts: Sequence[HostReport], options: RunOptions) -> tuple[WaiverRecord, ...]:
    """Each waiver of the run as the reports show it: `expired` (past its date), `stale` (it
    waived no result of this run: fixed, or its hosts and checks were not in the run) or
    `active`, with how many results it waived."""
    waivers = options.waivers
    matched = waiver_matches(
        waivers,
        ((h.name, h.findings) for h in hosts),
        lambda waiver: options.waiver_hosts.get(waiver.hosts, frozenset()),
        options.today,
    )
    records = []
    for index, waiver in enumerate(waivers):
        if waiver.expired(options.today):
            state = WaiverState.EXPIRED
        else:
            state = WaiverState.ACTIVE if matched[index] else WaiverState.STALE
        records.append(
            WaiverRecord(
                check=waiver.check,
                hosts=waiver.hosts,
                reason=waiver.reason,
                owner=waiver.owner,
                ticket=waiver.ticket,
                expires=waiver.expires.isoformat() if waiver.expires else "",
                source=waiver.source,
                state=state,
                matched=matched[index],
            )
        )
    return tuple(records)


def make_report(
    hosts: tuple[HostReport, ...],
    checks: Sequence[Check],
    *,
    inventory: str,
    selection: str,
    started_at: datetime,
    duration_s: float,
    waivers: tuple[WaiverRecord, ...] = (),
    profiles: tuple[ProfileRecord, ...] = (),
) -> RunReport:
    # Times to the millisecond, as report.json stores them: every format rendered now is the
    # one `audit report` renders later from the stored run (an HTML "0.75s" from 0.7451 read
    # back as 0.745 would not be).
    return RunReport(
        tool_version=__version__,
        started_at=started_at.astimezone(UTC).isoformat(timespec="seconds"),
        duration_s=round(duration_s, 3),
        inventory=inventory,
        selection=selection,
        checks=tuple(c.id for c in checks),
        hosts=tuple(replace(h, duration_s=round(h.duration_s, 3)) for h in hosts),
        waivers=waivers,
        profiles=profiles,
    )
