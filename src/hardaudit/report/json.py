"""report.json: the machine-readable contract (schema hardaudit.report/1).

Fields may be added; the documented ones are never renamed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hardaudit.checks.model import CheckResult, FindingObject, Status
from hardaudit.report.model import (
    SCHEMA,
    Drift,
    HostReport,
    ProfileRecord,
    RunAnnotations,
    RunReport,
    WaiverRecord,
    fingerprint,
)


def _object(
    host: str, result: CheckResult, obj: FindingObject, notes: RunAnnotations
) -> dict[str, Any]:
    data: dict[str, Any] = {"key": obj.key, "fingerprint": fingerprint(host, result.check, obj.key)}
    if obj.path:
        data["path"] = obj.path
    if obj.line:
        data["line"] = obj.line
    seen = notes.first_seen.get(data["fingerprint"]) if result.status == Status.FAIL else None
    if seen is not None:
        data["first_seen"] = seen.first_seen
        data["runs"] = seen.runs
    return data


def _objects(host: str, result: CheckResult, notes: RunAnnotations) -> list[dict[str, Any]]:
    objects = result.failing_objects or result.objects
    return [_object(host, result, obj, notes) for obj in objects]


def _finding(result: CheckResult) -> dict[str, Any]:
    finding: dict[str, Any] = {
        "check": result.check,
        "status": result.status.value,
        "severity": result.severity.label,
        "title": result.title,
        "evidence": list(result.evidence),
        "reason": result.reason,
    }
    if result.waived_from is not None:
        finding["waived_from"] = result.waived_from.value
        finding["waiver"] = result.waiver_reason
    return finding


def _host(host: HostReport, notes: RunAnnotations) -> dict[str, Any]:
    worst = host.worst_failure
    findings = []
    for result in host.findings:
        finding = _finding(result)
        objects = _objects(host.name, result, notes)
        if objects:
            finding["objects"] = objects
        findings.append(finding)
    data: dict[str, Any] = {
        "name": host.name,
        "address": host.address,
        "port": host.port,
        "groups": list(host.groups),
        "status": host.status.value,
        "reason": host.reason,
        "duration_s": round(host.duration_s, 3),
        "jump": list(host.jump),
        "privilege": host.privilege,
        "os": host.os,
        "notes": list(host.notes),
        "facts_timing": dict(host.facts_timing),
        "summary": {status.value: host.count(status) for status in Status},
        "score": host.score,
        "worst_failed_severity": worst.label if worst else None,
        "never_audited": host.name in notes.never_audited,
        "findings": findings,
    }
    if host.profiles:  # only in runs with profiles: a run without them reads as it always did
        data["profiles"] = list(host.profiles)
    return data


def _waiver(record: WaiverRecord) -> dict[str, Any]:
    return {
        "check": record.check,
        "hosts": record.hosts,
        "reason": record.reason,
        "owner": record.owner,
        "ticket": record.ticket,
        "expires": record.expires or None,
        "source": record.source,
        "state": record.state.value,
        "matched": record.matched,
    }


def _json_value(value: Any) -> Any:
    return [_json_value(v) for v in value] if isinstance(value, tuple) else value


def _profile(record: ProfileRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "description": record.description,
        "source": record.source,
        "checks": list(record.checks),
        "variables": {name: _json_value(value) for name, value in record.variables},
        "manual": [{"id": item.id, "text": item.text} for item in record.manual],
    }


def drift_to_dict(drift: Drift) -> dict[str, Any]:
    """The drift between a baseline and a run as plain data (also the body of hardaudit.diff/1)."""
    return {
        "baseline": {"ref": drift.baseline, "started_at": drift.baseline_started_at},
        "objects": [
            {
                "host": o.host,
                "check": o.check,
                "severity": o.severity.label,
                "title": o.title,
                "key": o.object.key,
                "path": o.object.path,
                "line": o.object.line,
                "fingerprint": o.fingerprint,
                "change": o.change.value,
            }
            for o in drift.objects
        ],
        "hosts": [
            {"host": h.host, "change": h.change.value, "before": h.before, "after": h.after}
            for h in drift.hosts
        ],
        "checks_added": list(drift.checks_added),
        "checks_removed": list(drift.checks_removed),
    }


def _head(report: RunReport) -> dict[str, Any]:
    """The members of report.json before `hosts`."""
    notes = report.annotations
    head: dict[str, Any] = {
        "schema": SCHEMA,
        "tool": {"name": "hardaudit", "version": report.tool_version},
        "run": {
            "id": notes.run_id or None,
            "started_at": report.started_at,
            "duration_s": round(report.duration_s, 3),
            "inventory": report.inventory,
            "selection": report.selection,
            "checks": list(report.checks),
            "fleet_score": report.fleet_score,
        },
    }
    if report.profiles:  # the profiles of the run: hosts[].profiles name them
        head["profiles"] = [_profile(p) for p in report.profiles]
    return head


def _tail(report: RunReport) -> dict[str, Any]:
    """The members of report.json after `hosts`."""
    notes = report.annotations
    data: dict[str, Any] = {"waivers": [_waiver(w) for w in report.waivers]}
    if notes.trend:
        data["trend"] = [{"started_at": at, "fleet_score": score} for at, score in notes.trend]
    if notes.drift is not None:
        data["drift"] = drift_to_dict(notes.drift)
    return data


def report_to_dict(report: RunReport) -> dict[str, Any]:
    """The report.json document as plain data (all of it in memory: `iter_json` streams)."""
    notes = report.annotations
    return {
        **_head(report),
        "hosts": [_host(h, notes) for h in report.hosts],
        **_tail(report),
    }


def iter_json(report: RunReport, *, compact: bool = False) -> Iterator[str]:
    """report.json in pieces, one host at a time: joined, exactly `render_json(report)`
    (or with `compact`, `json.dumps(report_to_dict(report), separators=(",", ":"))`), but
    only one host's document is ever in memory, not the whole fleet's (5,000 hosts: ~85 KB
    per host held at once).

    The pieces are what `json.dumps(..., indent=2)` writes: every nested value of a member
    at depth d is dumped on its own and re-indented (a JSON string never holds a raw
    newline: it is escaped), the separators are the encoder's.
    """
    if compact:
        dump = _compact
        member, open_members, close_members = ",", "{", "}"
        host_sep, open_hosts, close_hosts = ",", "[", "]"
    else:
        dump = _pretty
        member, open_members, close_members = ",\n  ", "{\n  ", "\n}\n"
        host_sep, open_hosts, close_hosts = ",\n    ", "[\n    ", "\n  ]"
    colon = ":" if compact else ": "
    yield open_members
    first = True
    for key, value in _head(report).items():
        yield ("" if first else member) + json.dumps(key) + colon + dump(value, 1)
        first = False
    yield member + json.dumps("hosts") + colon
    notes = report.annotations
    if not report.hosts:
        yield "[]"
    else:
        yield open_hosts
        for index, host in enumerate(report.hosts):
            yield ("" if index == 0 else host_sep) + dump(_host(host, notes), 2)
        yield close_hosts
    for key, value in _tail(report).items():
        yield member + json.dumps(key) + colon + dump(value, 1)
    yield close_members


def _pretty(value: Any, depth: int) -> str:
    """`value` as json.dumps(indent=2) writes it `depth` levels down."""
    return json.dumps(value, indent=2).replace("\n", "\n" + "  " * depth)


def _compact(value: Any, depth: int) -> str:
    """`value` as json.dumps(separators=(",", ":")) writes it (C encoder; depth unused)."""
    return json.dumps(value, separators=(",", ":"))


def render_json(report: RunReport) -> str:
    """Pretty, stable JSON (keys in insertion order, trailing newline).

    The whole document as one string: files and stdout are written from `iter_json`.
    """
    return "".join(iter_json(report))
