"""SARIF 2.1.0: failed checks as results, for code-scanning dashboards.

Hosts have no files, so each result is located by a logical location named after the host.
A failed check is `kind: fail` with a level from its severity; an unknown one is
`kind: open` ("insufficient information to decide whether a problem exists", SARIF
§3.27.9), whose level must then be "none" (§3.27.10). Passes and skips are not results.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hardaudit.checks.docs import display_source
from hardaudit.checks.model import Check, CheckResult, Severity, Status
from hardaudit.model import HostStatus
from hardaudit.report.model import HostReport, RunReport

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def sarif_level(severity: Severity) -> str:
    """SARIF level for a severity: critical/high -> error, medium -> warning, else note."""
    return _LEVEL[severity]


def rule_name(check_id: str) -> str:
    """A readable identifier for a rule (SARIF §3.49.7), e.g. ssh.password-auth -> SshPasswordAuth."""
    return "".join(part.capitalize() for part in check_id.replace("-", ".").split("."))


def _utc(moment: datetime) -> str:
    # SARIF wants UTC date-times written with a Z (§3.9); a naive time is taken as UTC.
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


def _reported(host: HostReport) -> list[CheckResult]:
    return [f for f in host.findings if f.status in (Status.FAIL, Status.UNKNOWN, Status.WAIVED)]


def _rule(check_id: str, results: list[CheckResult], check: Check | None) -> dict[str, Any]:
    if check is None:
        # Without the definition: what the findings say (the worst severity they carry).
        return {
            "id": check_id,
            "name": rule_name(check_id),
            "shortDescription": {"text": results[0].title},
            "defaultConfiguration": {"level": sarif_level(max(r.severity for r in results))},
            "properties": {"tags": []},
        }
    properties: dict[str, Any] = {
        "tags": list(check.tags),
        "severity": check.severity.label,
    }
    if check.references:
        properties["references"] = dict(check.references)
    source = display_source(check)
    if source:
        properties["definition"] = source
    return {
        "id": check.id,
        "name": rule_name(check.id),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": " ".join(check.rationale.split())},
        "help": {"text": " ".join(check.remediation.split())},
        "defaultConfiguration": {"level": sarif_level(check.severity)},
        "properties": properties,
    }


def _location(host: HostReport) -> dict[str, Any]:
    return {
        "logicalLocations": [
            {
                "name": host.name,
                "fullyQualifiedName": host.name,
                "kind": "module",
                "properties": {"address": host.address},
            }
        ]
    }


def _message(result: CheckResult) -> str:
    lines = [result.title]
    if result.status == Status.UNKNOWN:
        lines.append(f"Unknown: {result.reason}")
    lines.extend(f"- {line}" for line in result.evidence)
    return "\n".join(lines)


def _result(host: HostReport, result: CheckResult, rule_index: int) -> dict[str, Any]:
    # A waived result is reported as what it was, with a suppression carrying the reason.
    status = result.waived_from if result.status == Status.WAIVED else result.status
    failed = status == Status.FAIL
    sarif: dict[str, Any] = {
        "ruleId": result.check,
        "ruleIndex": rule_index,
        "kind": "fail" if failed else "open",
        "level": sarif_level(result.severity) if failed else "none",
        "message": {"text": _message(result)},
        "locations": [_location(host)],
        "partialFingerprints": {"hostCheck/v1": f"{host.name}:{result.check}"},
        "properties": {
            "host": host.name,
            "status": result.status.value,
            "severity": result.severity.label,
        },
    }
    if result.status == Status.WAIVED:
        sarif["suppressions"] = [{"kind": "external", "justification": result.waiver_reason}]
    return sarif


def _invocation(report: RunReport) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": not report.any_host_not_audited}
    try:
        started = datetime.fromisoformat(report.started_at)
    except ValueError:
        pass  # no usable start time: leave the times out rather than invent them
    else:
        ended = started + timedelta(seconds=round(report.duration_s, 3))
        invocation["startTimeUtc"] = _utc(started)
        invocation["endTimeUtc"] = _utc(ended)
    invocation["toolExecutionNotifications"] = [
        {
            "level": "error",
            "message": {"text": f"{h.name}: {h.status.value}: {h.reason}"},
            "locations": [_location(h)],
            "properties": {"host": h.name, "status": h.status.value},
        }
        for h in report.hosts
        if h.status != HostStatus.OK
    ]
    return invocation


def report_to_sarif(report: RunReport, checks: Mapping[str, Check] | None = None) -> dict[str, Any]:
    """The SARIF log as plain data; `checks` (by id) supplies rule descriptions."""
    by_rule: dict[str, list[CheckResult]] = {}
    for host in report.hosts:
        for result in _reported(host):
            by_rule.setdefault(result.check, []).append(result)
    rule_ids = sorted(by_rule)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules = [_rule(r, by_rule[r], (checks or {}).get(r)) for r in rule_ids]
    results = [
        _result(host, result, index[result.check])
        for host in report.hosts
        for result in _reported(host)
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hardaudit",
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "rules": rules,
                    }
                },
                "invocations": [_invocation(report)],
                "results": results,
                "properties": {
                    "inventory": report.inventory,
                    "selection": report.selection,
                    "checks": list(report.checks),
                },
            }
        ],
    }


def render_sarif(report: RunReport, checks: Mapping[str, Check] | None = None) -> str:
    """Pretty SARIF JSON with a trailing newline."""
    return json.dumps(report_to_sarif(report, checks), indent=2) + "\n"
