"""SARIF 2.1.0: failing objects as results, for code-scanning dashboards (GitHub code scanning).

GitHub rejects a result without a physical location and tracks an alert by its location and
`partialFingerprints`, so every result names an artifact: a finding about a file on a host is
located at that file, `hosts/<host>/<path>` (with a `region.startLine` where the evidence has a
line); any other finding (a listener, a container, the host as a whole) at the stable per-host
pseudo-artifact `hosts/<host>/host`. URIs are relative (GitHub resolves them against the
repository) and percent-encoded, and a dot segment is marked (`..!`), so a hostile host name or
path cannot climb out of `hosts/`, not even after RFC 3986 normalization.

One result per failing object (`CheckResult.failing_objects`): a host with three bad keys has
three alerts, and fixing one closes one. Each carries the finding's fingerprint (host + check +
object key, never evidence) as `partialFingerprints["hardaudit/v1"]`.

A failed check is `kind: fail` with a level from its severity; an unknown one is `kind: open`
("insufficient information to decide whether a problem exists", SARIF §3.27.9), whose level
must then be "none" (§3.27.10); a waived one keeps its kind and carries a suppression. Passes
and skips are not results. Each rule has `properties.security-severity` (SECURITY_SEVERITY) and
the tag `security`, which is what makes GitHub show it as a security alert with a severity.

The manual items of the hosts' profiles (controls a machine cannot check) are not results: an
alert nobody can close from a scan would never be fixed in GitHub's eyes, and a pass must
never be implied. Each is a `toolExecutionNotifications` entry of level `note` (GitHub lists
error and warning notifications as tool problems and accepts notes), one per host and item,
with `descriptor.id` `manual/<profile>/<item>` and "not machine-checkable: <text>".
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from hardaudit.checks.docs import display_source
from hardaudit.checks.model import HOST_OBJECT, Check, CheckResult, FindingObject, Severity, Status
from hardaudit.model import HostStatus
from hardaudit.report.model import HostReport, RunReport, fingerprint, manual_items

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "hardaudit/v1"  # partialFingerprints key; the value is report.model.fingerprint
HOST_ARTIFACT = "host"  # hosts/<host>/host: findings not about one file

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

# GitHub reads `security-severity` (a number 0.0-10.0 as a string) into its own bands:
# > 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. One value inside each band, so
# a check shows on GitHub with the severity it has here. Info has no band: left out, GitHub
# then shows the rule by its level (note).
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}


def sarif_level(severity: Severity) -> str:
    """SARIF level for a severity: critical/high -> error, medium -> warning, else note."""
    return _LEVEL[severity]


def rule_name(check_id: str) -> str:
    """A readable identifier for a rule (SARIF §3.49.7), e.g. ssh.password-auth -> SshPasswordAuth."""
    return "".join(part.capitalize() for part in check_id.replace("-", ".").split("."))


def _segment(text: str) -> str:
    # One URI path segment: every reserved character percent-encoded. A `.` or `..` segment
    # (a host name, or a part of a path a target reported) gets a `!` after it: %2E%2E would
    # not do, RFC 3986 normalization decodes it back to `..` before removing dot segments.
    # No input yields a bare `!` (quote writes %21), so the mark cannot collide with a name.
    encoded = quote(text, safe="", errors="backslashreplace")
    return encoded + "!" if encoded in (".", "..") else encoded


def artifact_uri(host: str, path: str = "") -> str:
    """The relative URI a finding is located at: the file on the host, else the host itself.

    >>> artifact_uri("web1", "/etc/ssh/sshd_config")
    'hosts/web1/etc/ssh/sshd_config'
    >>> artifact_uri("db 1.example")
    'hosts/db%201.example/host'
    """
    parts = [p for p in path.split("/") if p] if path else [HOST_ARTIFACT]
    return "/".join(["hosts", _segment(host), *(_segment(p) for p in parts)])


def _utc(moment: datetime) -> str:
    # SARIF wants UTC date-times written with a Z (§3.9); a naive time is taken as UTC.
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


def _reported(host: HostReport) -> list[CheckResult]:
    return [f for f in host.findings if f.status in (Status.FAIL, Status.UNKNOWN, Status.WAIVED)]


def _objects(result: CheckResult) -> tuple[FindingObject, ...]:
    """What each result of a finding is about: its failing objects; an unknown finding is
    about the host; a waived one about what it waived (its objects, else the host)."""
    if result.status == Status.FAIL:
        return result.failing_objects
    if result.status == Status.WAIVED and result.waived_from == Status.FAIL:
        return result.objects or (HOST_OBJECT,)
    return (HOST_OBJECT,)


def _tags(tags: tuple[str, ...]) -> list[str]:
    return ["security", *(t for t in dict.fromkeys(tags) if t != "security")]


def _rule(check_id: str, results: list[CheckResult], check: Check | None) -> dict[str, Any]:
    if check is None:
        # Without the definition: what the findings say (the worst severity they carry).
        worst = max(r.severity for r in results)
        properties: dict[str, Any] = {"tags": _tags(()), "severity": worst.label}
        if worst in SECURITY_SEVERITY:
            properties["security-severity"] = SECURITY_SEVERITY[worst]
        return {
            "id": check_id,
            "name": rule_name(check_id),
            "shortDescription": {"text": results[0].title},
            "defaultConfiguration": {"level": sarif_level(worst)},
            "properties": properties,
        }
    properties = {"tags": _tags(check.tags), "severity": check.severity.label}
    if check.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[check.severity]
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


def _location(host: HostReport, obj: FindingObject = HOST_OBJECT) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(host.name, obj.path)}}
    if obj.path and obj.line > 0:
        physical["region"] = {"startLine": obj.line}
    logical: list[dict[str, Any]] = [
        {
            "name": host.name,
            "fullyQualifiedName": host.name,
            "kind": "module",
            "properties": {"address": host.address},
        }
    ]
    if obj.key and obj.key != obj.path:  # a file is named by its URI already
        logical.append(
            {
                "name": obj.key,
                "fullyQualifiedName": f"{host.name}/{obj.key}",
                "kind": "object",
            }
        )
    return {"physicalLocation": physical, "logicalLocations": logical}


def _message(result: CheckResult, obj: FindingObject) -> str:
    lines = [f"{result.title}: {obj.key}" if obj.key else result.title]
    if result.status == Status.UNKNOWN:
        lines.append(f"Unknown: {result.reason}")
    lines.extend(f"- {line}" for line in result.evidence)
    return "\n".join(lines)


def _result(
    host: HostReport, result: CheckResult, obj: FindingObject, rule_index: int
) -> dict[str, Any]:
    # A waived result is reported as what it was, with a suppression carrying the reason.
    status = result.waived_from if result.status == Status.WAIVED else result.status
    failed = status == Status.FAIL
    properties: dict[str, Any] = {
        "host": host.name,
        "status": result.status.value,
        "severity": result.severity.label,
    }
    if obj.key:
        properties["object"] = obj.key
    sarif: dict[str, Any] = {
        "ruleId": result.check,
        "ruleIndex": rule_index,
        "kind": "fail" if failed else "open",
        "level": sarif_level(result.severity) if failed else "none",
        "message": {"text": _message(result, obj)},
        "locations": [_location(host, obj)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(host.name, result.check, obj.key)},
        "properties": properties,
    }
    if result.status == Status.WAIVED:
        sarif["suppressions"] = [{"kind": "external", "justification": result.waiver_reason}]
    return sarif


def _invocation(report: RunReport) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": not report.any_host_not_audited}
    try:
        started = datetime.fromisoformat(report.started_at)
        start = _utc(started)
        end = _utc(started + timedelta(seconds=round(report.duration_s, 3)))
    except (ValueError, OverflowError):
        # no usable start time, or an end past the calendar (a report.json read back may
        # say so): leave the times out rather than invent them
        pass
    else:
        invocation["startTimeUtc"] = start
        invocation["endTimeUtc"] = end
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
    invocation["toolExecutionNotifications"] += [
        {
            "level": "note",
            "descriptor": {"id": f"manual/{profile}/{item.id}"},
            "message": {"text": f"{h.name}: not machine-checkable ({profile}): {item.text}"},
            "locations": [_location(h)],
            "properties": {"host": h.name, "profile": profile, "manual": item.id},
        }
        for h in report.hosts
        for profile, item in manual_items(h, report.profiles)
    ]
    return invocation


def _rules(
    report: RunReport, checks: Mapping[str, Check] | None
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    by_rule: dict[str, list[CheckResult]] = {}
    for host in report.hosts:
        for result in _reported(host):
            by_rule.setdefault(result.check, []).append(result)
    rule_ids = sorted(by_rule)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    return [_rule(r, by_rule[r], (checks or {}).get(r)) for r in rule_ids], index


def _results(report: RunReport, index: Mapping[str, int]) -> Iterator[dict[str, Any]]:
    for host in report.hosts:
        for result in _reported(host):
            for obj in _objects(result):
                yield _result(host, result, obj, index[result.check])


def report_to_sarif(report: RunReport, checks: Mapping[str, Check] | None = None) -> dict[str, Any]:
    """The SARIF log as plain data; `checks` (by id) supplies rule descriptions."""
    rules, index = _rules(report, checks)
    return _log(report, rules, list(_results(report, index)))


def _log(report: RunReport, rules: list[dict[str, Any]], results: Any) -> dict[str, Any]:
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
                "properties": _run_properties(report),
            }
        ],
    }


def _run_properties(report: RunReport) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "inventory": report.inventory,
        "selection": report.selection,
        "checks": list(report.checks),
    }
    if report.profiles:
        properties["profiles"] = [p.name for p in report.profiles]
    return properties


def iter_sarif(report: RunReport, checks: Mapping[str, Check] | None = None) -> Iterator[str]:
    """render_sarif in pieces, one result at a time: the results (one per failing object
    of every host) are never all in memory, the rest of the log is small.

    The log is dumped with a random marker for `results`, split there, and each result is
    dumped and indented as json.dumps(indent=2) would have (a JSON string never holds a raw
    newline), so the pieces join to exactly render_sarif's text.
    """
    rules, index = _rules(report, checks)
    marker = json.dumps(f"results-{secrets.token_hex(16)}")
    text = json.dumps(_log(report, rules, json.loads(marker)), indent=2) + "\n"
    at = text.index(marker)
    line = text[text.rindex("\n", 0, at) + 1 : at]
    indent = "\n" + " " * (len(line) - len(line.lstrip(" "))) + "  "
    yield text[:at]
    first = True
    for result in _results(report, index):
        yield ("[" if first else ",") + indent + json.dumps(result, indent=2).replace("\n", indent)
        first = False
    yield "[]" if first else indent[:-2] + "]"
    yield text[at + len(marker) :]


def render_sarif(report: RunReport, checks: Mapping[str, Check] | None = None) -> str:
    """Pretty SARIF JSON with a trailing newline."""
    return "".join(iter_sarif(report, checks))
