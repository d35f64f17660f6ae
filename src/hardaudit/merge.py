"""Combine the reports of `audit run --shard K/N` into the report of the whole fleet.

The merged RunReport is what one unsharded run over the same hosts would have produced
(a test pins it): the same checks, every host once, started at the earliest shard's start and
lasting until the last shard ended; the history records it once, at the merge (sharded runs
themselves are not recorded). Shards that cannot belong to one run are refused, naming the
files: another check set, tool version, inventory or host selection, the same host in two
shards, two reports of one shard, shards started more than a day apart (a stale report), or a
shard missing (its hosts would silently be absent from the fleet report and from every gate).

Pure: it takes loaded reports (report.load.load_report) and imports only report/ and shard.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from hardaudit.errors import ReportError
from hardaudit.report.model import (
    HostReport,
    ProfileRecord,
    RunAnnotations,
    RunReport,
    WaiverRecord,
    WaiverState,
)
from hardaudit.shard import ShardSpec

_SHARD = re.compile(r"(?P<base>.*); shard (?P<index>\d+)/(?P<count>\d+)", re.DOTALL)
# Shards of one run start within this of each other; further apart, one is a stale report.
MAX_START_SPREAD = timedelta(hours=24)
_HINT = "pass the report.json of every `audit run --shard K/N` of one nightly run, K = 1..N"


def shard_selection(selection: str, spec: ShardSpec) -> str:
    """The `run.selection` a shard's report carries: the hosts selected, then which shard.

    >>> shard_selection("limit web", ShardSpec(2, 4))
    'limit web; shard 2/4'
    """
    return f"{selection}; shard {spec}"


def split_selection(selection: str) -> tuple[str, ShardSpec | None]:
    """The inverse of shard_selection; (selection, None) for a report that is not a shard's."""
    match = _SHARD.fullmatch(selection)
    if match is None:
        return selection, None
    return match.group("base"), ShardSpec(int(match.group("index")), int(match.group("count")))


@dataclass(frozen=True)
class ShardReport:
    """One shard's report and the file it came from (for messages)."""

    source: str
    report: RunReport


def _same(shards: Sequence[ShardReport], what: str, value: object, attr: str) -> None:
    for shard in shards[1:]:
        other = getattr(shard.report, attr)
        if other != value:
            raise ReportError(
                f"{shards[0].source} and {shard.source} differ in {what}: "
                f"{str(value)[:200]!r} and {str(other)[:200]!r}",
                hint=_HINT,
            )


def _check_sets(shards: Sequence[ShardReport]) -> None:
    first = shards[0]
    for shard in shards[1:]:
        if set(shard.report.checks) != set(first.report.checks):
            only_first = sorted(set(first.report.checks) - set(shard.report.checks))
            only_other = sorted(set(shard.report.checks) - set(first.report.checks))
            raise ReportError(
                f"{first.source} and {shard.source} ran different checks "
                f"(only in the first: {', '.join(only_first) or '-'}; "
                f"only in the second: {', '.join(only_other) or '-'})",
                hint="run every shard with the same --checks/--skip-checks/--tags/--checks-dir",
            )


def _specs(shards: Sequence[ShardReport]) -> tuple[str, int]:
    """The common base selection and shard count; every shard present exactly once."""
    seen: dict[int, str] = {}
    base, count = "", 0
    for shard in shards:
        selection, spec = split_selection(shard.report.selection)
        if spec is None:
            raise ReportError(
                f"{shard.source} is not the report of a shard (its selection is "
                f"{selection[:200]!r})",
                hint="merge the reports of `audit run --shard K/N`",
            )
        if not count:
            base, count = selection, spec.count
        elif spec.count != count or selection != base:
            raise ReportError(
                f"{shards[0].source} is shard of {count} of {base[:200]!r} but "
                f"{shard.source} is shard {spec} of {selection[:200]!r}",
                hint="run every shard with the same inventory, --limit and N",
            )
        if spec.index in seen:
            raise ReportError(
                f"{seen[spec.index]} and {shard.source} are both shard {spec}", hint=_HINT
            )
        seen[spec.index] = shard.source
    missing = [str(k) for k in range(1, count + 1) if k not in seen]
    if missing:
        listed = ", ".join(missing[:20]) + (", ..." if len(missing) > 20 else "")
        raise ReportError(
            f"{'shards' if len(missing) > 1 else 'shard'} {listed} of {count} "
            f"{'are' if len(missing) > 1 else 'is'} missing: "
            f"{'their' if len(missing) > 1 else 'its'} hosts would be absent from the fleet report",
            hint="pass the report of every shard; re-run a failed one with the same --shard K/N",
        )
    return base, count


def _waivers(shards: Sequence[ShardReport]) -> tuple[WaiverRecord, ...]:
    """One record per waiver: matches added up; expired if a shard saw it expired, stale
    only if it matched nothing in any shard."""
    merged: dict[tuple[str, ...], WaiverRecord] = {}
    for shard in shards:
        for record in shard.report.waivers:
            identity = (record.check, record.hosts, record.source, record.expires, record.owner)
            known = merged.get(identity)
            if known is None:
                merged[identity] = record
                continue
            matched = known.matched + record.matched
            expired = WaiverState.EXPIRED in (known.state, record.state)
            state = (
                WaiverState.EXPIRED
                if expired
                else WaiverState.ACTIVE
                if matched or WaiverState.ACTIVE in (known.state, record.state)
                else WaiverState.STALE
            )
            merged[identity] = replace(known, matched=matched, state=state)
    return tuple(merged.values())


def _profiles(
    shards: Sequence[ShardReport], hosts: Sequence[HostReport]
) -> tuple[ProfileRecord, ...]:
    """The shards' profiles, each once, in the order the merged hosts first use them (as
    the unsharded run lists them); one name defined differently by two shards is an error."""
    known: dict[str, tuple[ProfileRecord, str]] = {}
    for shard in shards:
        for record in shard.report.profiles:
            seen = known.get(record.name)
            if seen is not None and seen[0] != record:
                raise ReportError(
                    f"profile {record.name[:80]!r} differs between {seen[1]} and {shard.source}",
                    hint="merge the shards of one run: they load the same profiles",
                )
            known.setdefault(record.name, (record, shard.source))
    used = dict.fromkeys(name for host in hosts for name in host.profiles)
    return tuple(known[name][0] for name in used if name in known)


def _instant(shard: ShardReport) -> datetime:
    try:
        started = datetime.fromisoformat(shard.report.started_at)
    except ValueError:
        raise ReportError(
            f"run.started_at {shard.report.started_at[:60]!r} is not an ISO 8601 time",
            file=shard.source,
        ) from None
    return started if started.tzinfo else started.replace(tzinfo=UTC)


def merge_reports(shards: Sequence[ShardReport], order: Sequence[str] | None = None) -> RunReport:
    """The fleet report of a complete set of shard reports (ReportError names the files).

    `order`: the selected host names in inventory order (the same inventory and --limit the
    shards ran with); the merged hosts follow it, and a host it names that no shard audited,
    or the reverse, is an error. Without it, hosts are sorted by name.
    """
    if not shards:
        raise ReportError("no report to merge", hint=_HINT)
    base, _count = _specs(shards)
    first = shards[0]
    _check_sets(shards)
    _same(shards, "tool version", first.report.tool_version, "tool_version")
    _same(shards, "inventory", first.report.inventory, "inventory")
    where: dict[str, str] = {}
    hosts = []
    for shard in shards:
        for host in shard.report.hosts:
            if host.name in where:
                raise ReportError(
                    f"host {host.name[:200]!r} is in both {where[host.name]} and {shard.source}",
                    hint="merge the shards of one run, each once; shards of one run never overlap",
                )
            where[host.name] = shard.source
            hosts.append(host)
    if order is None:
        hosts.sort(key=lambda h: h.name)
    else:
        position = {name: index for index, name in enumerate(order)}
        absent = [h.name for h in hosts if h.name not in position]
        unaudited = [name for name in order if name not in where]
        if absent or unaudited:
            raise ReportError(
                "the shards and the inventory do not select the same hosts ("
                + "; ".join(
                    part
                    for part in (
                        f"not in the inventory: {', '.join(absent[:10])}" if absent else "",
                        f"in no shard: {', '.join(unaudited[:10])}" if unaudited else "",
                    )
                    if part
                )
                + ")",
                hint="give the -i/--limit the shards ran with, or leave them out (hosts "
                "are then sorted by name)",
            )
        hosts.sort(key=lambda h: position[h.name])
    starts = [_instant(s) for s in shards]
    began = min(starts)
    latest = max(starts)
    if latest - began > MAX_START_SPREAD:  # e.g. last night's report of a shard that failed
        old, new = shards[starts.index(began)], shards[starts.index(latest)]
        raise ReportError(
            f"{old.source} started at {old.report.started_at} and {new.source} at "
            f"{new.report.started_at}: more than {MAX_START_SPREAD} apart, not one run",
            hint="merge the shards of one run; re-run the stale shard",
        )
    ended = max(
        start + timedelta(seconds=s.report.duration_s)
        for start, s in zip(starts, shards, strict=True)
    )
    return RunReport(
        tool_version=first.report.tool_version,
        started_at=began.astimezone(UTC).isoformat(timespec="seconds"),
        duration_s=(ended - began).total_seconds(),
        inventory=first.report.inventory,
        selection=base,
        checks=first.report.checks,
        hosts=tuple(hosts),
        waivers=_waivers(shards),
        profiles=_profiles(shards, hosts),
        annotations=RunAnnotations(),  # the history annotates the merged run, not the shards
    )
