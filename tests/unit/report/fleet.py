"""A synthetic fleet: an annotated RunReport of N hosts with every kind of result.

Built from the built-in check definitions, deterministic for a seed. Hosts fail by
severity, some are unknown, waived or not audited; the annotations carry a trend, first_seen
for every failing object, never-audited hosts and a drift against a baseline (new, fixed,
still failing, hosts down and back); the run has active, expiring, expired and stale
waivers. `hostile=True` puts markup, script end tags, U+2028 and bidi controls into every
text a target or the inventory supplies.
"""

from __future__ import annotations

import random
from types import MappingProxyType

from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import Check, CheckResult, FindingObject, Status
from hardaudit.model import HostStatus
from hardaudit.report.model import (
    Drift,
    HostChange,
    HostDrift,
    HostReport,
    ObjectChange,
    ObjectDrift,
    ObjectHistory,
    RunAnnotations,
    RunReport,
    WaiverRecord,
    WaiverState,
)

STARTED_AT = "2026-12-07T02:00:00+00:00"
HOSTILE = "</script><script>alert(1)</script>\u2028\u2029<img src=x onerror=alert(2)>\u202e\"'"
DOWN = (
    (HostStatus.UNREACHABLE, "bastion -> {h} ({a}:22): connection refused"),
    (HostStatus.TIMEOUT, "{h} ({a}:22): no answer in 10 s"),
    (HostStatus.HOSTKEY_MISMATCH, "{h} ({a}:22): host key does not match known_hosts"),
    (HostStatus.AUTH_FAILED, "{h} ({a}:22): publickey refused for auditor"),
)


def fleet_checks() -> dict[str, Check]:
    return {c.id: c for c in load_checks()}


def _objects(check: Check, rng: random.Random, host: str) -> tuple[FindingObject, ...]:
    family = check.family
    count = rng.choice((1, 1, 1, 2, 3))
    if family == "file":
        return tuple(
            FindingObject(f"/home/u{i}/.ssh/id_ed25519", f"/home/u{i}/.ssh/id_ed25519")
            for i in range(count)
        )
    if family == "net":
        return tuple(FindingObject(f"tcp/0.0.0.0:{port}") for port in (6379, 5432, 9200)[:count])
    if family == "ctr":
        return tuple(FindingObject(f"container:app{i}") for i in range(count))
    if family == "ssh" and rng.random() < 0.5:
        return (FindingObject("", "/etc/ssh/sshd_config", rng.randint(1, 120)),)
    return ()


def _evidence(check: Check, objects: tuple[FindingObject, ...], hostile: bool) -> tuple[str, ...]:
    lines = [
        f"{o.key or check.id}: mode 0644 owner root (seen by the facts script)" for o in objects
    ]
    if not lines:
        lines = [f"{check.id.split('.', 1)[1]} yes (/etc/ssh/sshd_config:42)"]
    if hostile:
        lines.append(HOSTILE)
    return tuple(lines)


def _host(index: int, checks: list[Check], rng: random.Random, hostile: bool) -> HostReport:
    name = f"web{index:04d}.dc{index % 3}.example.org"
    address = f"198.51.100.{index % 250}"
    if hostile and index % 7 == 0:
        name = f"{name}{HOSTILE}"
    groups = ("web", f"dc{index % 3}", "prod" if index % 4 else "staging")
    if hostile and index % 11 == 0:
        groups = (*groups, f"g{HOSTILE}")
    if index % 23 == 5:
        status, reason = DOWN[index % len(DOWN)]
        return HostReport(
            name,
            address,
            groups,
            status,
            reason.format(h=name, a=address),
            10.0,
            jump=("bastion",),
        )
    findings = []
    for check in checks:
        roll = rng.random()
        if roll < 0.22:
            objects = _objects(check, rng, name)
            findings.append(
                CheckResult(
                    check.id,
                    Status.FAIL,
                    check.severity,
                    check.title,
                    _evidence(check, objects, hostile),
                    "",
                    objects=objects,
                )
            )
        elif roll < 0.26:
            reason = f"{check.facts[0] if check.facts else 'facts'}: `command` exited 1"
            findings.append(
                CheckResult(
                    check.id,
                    Status.UNKNOWN,
                    check.severity,
                    check.title,
                    (),
                    reason + (HOSTILE if hostile else ""),
                )
            )
        elif roll < 0.28:
            findings.append(
                CheckResult(
                    check.id,
                    Status.WAIVED,
                    check.severity,
                    check.title,
                    ("waived evidence",),
                    "",
                    waived_from=Status.FAIL,
                    waiver_reason="accepted until the migration",
                )
            )
        elif roll < 0.33:
            findings.append(
                CheckResult(check.id, Status.SKIP, check.severity, check.title, (), "no engine")
            )
        else:
            findings.append(CheckResult(check.id, Status.PASS, check.severity, check.title))
    return HostReport(
        name,
        address,
        groups,
        HostStatus.OK,
        "",
        1.0 + rng.random() * 4,
        tuple(findings),
        privilege="sudo",
        os="Debian GNU/Linux 12 (bookworm)" + (HOSTILE if hostile else ""),
        notes=(f"note {HOSTILE}",) if hostile else (),
        jump=("bastion",) if index % 5 else (),
    )


def synthetic_fleet(size: int, *, seed: int = 9, hostile: bool = False) -> RunReport:
    """An annotated run of `size` hosts (see the module docstring)."""
    rng = random.Random(seed)
    checks = sorted(fleet_checks().values(), key=lambda c: c.id)
    hosts = tuple(_host(i, checks, rng, hostile) for i in range(size))
    report = RunReport(
        tool_version="0.1.0",
        started_at=STARTED_AT,
        duration_s=412.5,
        inventory="inventory/prod" + (HOSTILE if hostile else ""),
        selection="all",
        checks=tuple(c.id for c in checks),
        hosts=hosts,
    )
    failing = report.failing_objects()
    first_seen = {}
    new = []
    for i, obj in enumerate(failing):
        if i % 9 == 0:
            new.append(obj)
            first_seen[obj.fingerprint] = ObjectHistory(STARTED_AT, 1)
        else:
            runs = 2 + i % 40
            first_seen[obj.fingerprint] = ObjectHistory(
                f"2026-{10 + i % 2:02d}-{1 + i % 28:02d}T02:00:00+00:00", runs
            )
    drift_objects = (
        [ObjectDrift(o.host, o.check, o.severity, o.title, o.object, ObjectChange.NEW) for o in new]
        + [
            ObjectDrift(o.host, o.check, o.severity, o.title, o.object, ObjectChange.STILL)
            for i, o in enumerate(failing)
            if i % 9
        ]
        + [
            ObjectDrift(
                h.name,
                checks[i % len(checks)].id,
                checks[i % len(checks)].severity,
                checks[i % len(checks)].title,
                FindingObject(f"/etc/fixed{i}" + (HOSTILE if hostile else "")),
                ObjectChange.FIXED,
            )
            for i, h in enumerate(hosts[::13])
        ]
    )
    down = [h for h in hosts if h.status != HostStatus.OK]
    host_drift = (
        [HostDrift(h.name, HostChange.NOT_AUDITED, "ok", h.status.value) for h in down[::2]]
        + [
            HostDrift(h.name, HostChange.BACK, "timeout", "ok")
            for h in hosts[3::97]
            if h.status == HostStatus.OK
        ]
        + [HostDrift(f"retired{i}.example.org", HostChange.REMOVED, "ok", "") for i in range(2)]
    )
    trend = tuple(
        (f"2026-11-{day:02d}T02:00:00+00:00", None if day == 20 else 60.0 + day * 0.4 + (day % 3))
        for day in range(8, 30)
    )
    waivers = (
        WaiverRecord(
            "ssh.x11-forwarding",
            "web*",
            "legacy GUI tool",
            "alice",
            "OPS-12",
            "2027-06-30",
            "waivers.yml:3",
            WaiverState.ACTIVE,
            40,
        ),
        WaiverRecord(
            "fw.*",
            "dc1",
            "firewall migration" + (HOSTILE if hostile else ""),
            "bob" + (HOSTILE if hostile else ""),
            "",
            "2026-12-20",
            "waivers.yml:9",
            WaiverState.ACTIVE,
            12,
        ),
        WaiverRecord(
            "ctr.privileged",
            "web0001*",
            "old CI runner",
            "carol",
            "SEC-7",
            "2026-11-30",
            "waivers.yml:15",
            WaiverState.EXPIRED,
            0,
        ),
        WaiverRecord(
            "net.db-exposed",
            "db*",
            "no such hosts any more",
            "dave",
            "",
            "",
            "waivers.yml:21",
            WaiverState.STALE,
            0,
        ),
    )
    annotations = RunAnnotations(
        run_id="20261207T020000Z-9f3c",
        first_seen=MappingProxyType(first_seen),
        never_audited=frozenset(h.name for h in down[1::2]),
        trend=trend,
        drift=Drift(
            "latest~1",
            "2026-12-06T02:00:00+00:00",
            tuple(drift_objects),
            tuple(host_drift),
            checks_added=("ssh.rate-limit",),
            checks_removed=("ssh.legacy-protocol",),
        ),
    )
    return RunReport(
        report.tool_version,
        report.started_at,
        report.duration_s,
        report.inventory,
        report.selection,
        report.checks,
        hosts,
        waivers,
        annotations,
    )
