"""report.json: the machine-readable contract (schema hardaudit.report/1).

Fields may be added; the documented ones are never renamed.
"""

from __future__ import annotations

import json
from typing import Any

from hardaudit.checks.model import CheckResult, Status
from hardaudit.report.model import SCHEMA, HostReport, RunReport


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


def _host(host: HostReport) -> dict[str, Any]:
    worst = host.worst_failure
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
        "findings": [_finding(f) for f in host.findings],
    }


def report_to_dict(report: RunReport) -> dict[str, Any]:
    """The report.json document as plain data."""
    return {
        "schema": SCHEMA,
        "tool": {"name": "hardaudit", "version": report.tool_version},
        "run": {
            "started_at": report.started_at,
            "duration_s": round(report.duration_s, 3),
            "inventory": report.inventory,
            "selection": report.selection,
            "checks": list(report.checks),
        },
        "hosts": [_host(h) for h in report.hosts],
    }


def render_json(report: RunReport) -> str:
    """Pretty, stable JSON (keys in insertion order, trailing newline)."""
    return json.dumps(report_to_dict(report), indent=2) + "\n"
