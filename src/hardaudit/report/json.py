"""report.json: the machine-readable contract (schema hardaudit.report/1).

Fields may be added; the documented ones are never renamed.
"""

from __future__ import annotations

import json
from typing import Any

from hardaudit.checks.model import CheckResult, FindingObject, Status
from hardaudit.report.model import (
    SCHEMA,
    Drift,
    HostReport,
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
    return {
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


def report_to_dict(report: RunReport) -> dict[str, Any]:
    """The report.json document as plain data."""
    notes = report.annotations
    data: dict[str, Any] = {
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
        "hosts": [_host(h, notes) for h in report.hosts],
        "waivers": [_waiver(w) for w in report.waivers],
    }
    if notes.trend:
        data["trend"] = [{"started_at": at, "fleet_score": score} for at, score in notes.trend]
    if notes.drift is not None:
        data["drift"] = drift_to_dict(notes.drift)
    return data


def render_json(report: RunReport) -> str:
    """Pretty, stable JSON (keys in insertion order, trailing newline)."""
    return json.dumps(report_to_dict(report), indent=2) + "\n"
