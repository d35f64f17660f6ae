"""Read a report.json back into a RunReport: the inverse of report/json.py.

`audit report FILE.json`, `audit diff A B` and the history read stored runs through this, so a
run re-renders in any format without contacting a host. A report file is not trusted more
than a target: every field is type-checked, and a wrong one is an error naming the file and
the JSON path (`hosts[3].findings[0].status`), never a traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from hardaudit.checks.model import CheckResult, FindingObject, Severity, Status
from hardaudit.errors import ReportError
from hardaudit.model import HostStatus
from hardaudit.profiles.model import ManualItem
from hardaudit.report.model import (
    SCHEMA,
    Drift,
    HostChange,
    HostDrift,
    HostReport,
    ObjectChange,
    ObjectDrift,
    ObjectHistory,
    ProfileRecord,
    RunAnnotations,
    RunReport,
    WaiverRecord,
    WaiverState,
)

T = TypeVar("T")
_MAX_BYTES = 512 * 1024 * 1024  # a fleet of 100,000 hosts is well under this
_MAX_INT = 2**53  # counts and line numbers: what every JSON reader holds exactly


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> ReportError:
        return ReportError(
            message,
            file=self.source,
            field=where or None,
            hint="give a report.json written by `audit run --format json` (schema hardaudit.report/1)",
        )

    def typed(self, data: Mapping[str, Any], key: str, kind: type[T], where: str) -> T:
        value = data.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(f"{where}.{key}" if where else key, f"expected {kind.__name__}")
        return value

    def optional(
        self, data: Mapping[str, Any], key: str, kind: type[T], default: T, where: str
    ) -> T:
        if data.get(key) is None:
            return default
        return self.typed(data, key, kind, where)

    def integer(
        self, data: Mapping[str, Any], key: str, default: int, where: str, *, low: int, high: int
    ) -> int:
        """An optional integer from `low` to `high` (the schema's bounds)."""
        value = self.optional(data, key, int, default, where)
        if not low <= value <= high:
            raise self.fail(f"{where}.{key}", f"expected an integer from {low} to {high}")
        return value

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        where: str,
        default: float = 0.0,
        high: float = math.inf,
    ) -> float:
        """A finite number from 0 to `high` (durations, scores: the schema's bounds)."""
        value = data.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{where}.{key}", "expected a number")
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            number = math.inf
        if not 0 <= number <= high or math.isinf(number):
            bound = "a finite number >= 0" if math.isinf(high) else f"a number from 0 to {high:g}"
            raise self.fail(f"{where}.{key}", f"expected {bound}")
        return number

    def strings(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{where}.{key}", "expected a list of strings")
        return tuple(value)

    def enum(self, kind: Any, text: Any, where: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            raise self.fail(where, f"unknown value {str(text)[:40]!r}") from None

    def severity(self, text: Any, where: str) -> Severity:
        if not isinstance(text, str) or text.upper() not in Severity.__members__:
            raise self.fail(where, f"unknown severity {str(text)[:40]!r}")
        return Severity.parse(text)

    def objects(self, data: Mapping[str, Any], where: str) -> tuple[FindingObject, ...]:
        raw = data.get("objects", [])
        if not isinstance(raw, list):
            raise self.fail(f"{where}.objects", "expected a list")
        out = []
        for index, item in enumerate(raw):
            at = f"{where}.objects[{index}]"
            if not isinstance(item, dict):
                raise self.fail(at, "expected an object")
            out.append(self.finding_object(item, at))
        return tuple(out)

    def finding_object(self, item: Mapping[str, Any], at: str) -> FindingObject:
        """A FindingObject from `{key, path?, line?}` (findings[].objects[] and drift objects)."""
        return FindingObject(
            self.typed(item, "key", str, at),
            self.optional(item, "path", str, "", at),
            self.integer(item, "line", 0, at, low=0, high=_MAX_INT),
        )

    def finding(self, data: Any, where: str) -> CheckResult:
        if not isinstance(data, dict):
            raise self.fail(where, "expected an object")
        waived_from = data.get("waived_from")
        objects = self.objects(data, where)
        status = self.enum(Status, data.get("status"), f"{where}.status")
        return CheckResult(
            check=self.typed(data, "check", str, where),
            status=status,
            severity=self.severity(data.get("severity"), f"{where}.severity"),
            title=self.optional(data, "title", str, "", where),
            evidence=self.strings(data, "evidence", where),
            reason=self.optional(data, "reason", str, "", where),
            waived_from=None
            if waived_from is None
            else self.enum(Status, waived_from, f"{where}.waived_from"),
            waiver_reason=self.optional(data, "waiver", str, "", where),
            # A FAIL with only the host-wide object was written from objects=().
            objects=() if objects == (FindingObject(""),) else objects,
        )

    def host(self, data: Any, where: str) -> HostReport:
        if not isinstance(data, dict):
            raise self.fail(where, "expected an object")
        findings = data.get("findings", [])
        if not isinstance(findings, list):
            raise self.fail(f"{where}.findings", "expected a list")
        timing = data.get("facts_timing") or {}
        if not isinstance(timing, dict):
            raise self.fail(f"{where}.facts_timing", "expected an object")
        return HostReport(
            name=self.typed(data, "name", str, where),
            address=self.optional(data, "address", str, "", where),
            groups=self.strings(data, "groups", where),
            status=self.enum(HostStatus, data.get("status"), f"{where}.status"),
            reason=self.optional(data, "reason", str, "", where),
            duration_s=self.number(data, "duration_s", where),
            findings=tuple(
                self.finding(f, f"{where}.findings[{i}]") for i, f in enumerate(findings)
            ),
            privilege=self.optional(data, "privilege", str, "", where),
            os=self.optional(data, "os", str, "", where),
            notes=self.strings(data, "notes", where),
            jump=self.strings(data, "jump", where),
            port=self.integer(data, "port", 22, where, low=0, high=65535),
            facts_timing=tuple(
                (str(name), self.number(timing, name, f"{where}.facts_timing")) for name in timing
            ),
            profiles=self.strings(data, "profiles", where),
        )

    def json_value(self, value: Any, where: str) -> Any:
        """A profile variable's value: text, number, true/false, null or a list of them
        (lists as tuples, as the profile loader builds them)."""
        if isinstance(value, list):
            return tuple(self.json_value(v, f"{where}[{i}]") for i, v in enumerate(value))
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        raise self.fail(where, "expected text, a number, true/false, null or a list")

    def profile(self, data: Any, where: str) -> ProfileRecord:
        if not isinstance(data, dict):
            raise self.fail(where, "expected an object")
        variables = data.get("variables") or {}
        if not isinstance(variables, dict):
            raise self.fail(f"{where}.variables", "expected an object")
        manual = data.get("manual", [])
        if not isinstance(manual, list):
            raise self.fail(f"{where}.manual", "expected a list")
        items = []
        for i, item in enumerate(manual):
            at = f"{where}.manual[{i}]"
            if not isinstance(item, dict):
                raise self.fail(at, "expected an object")
            items.append(
                ManualItem(self.typed(item, "id", str, at), self.typed(item, "text", str, at))
            )
        return ProfileRecord(
            name=self.typed(data, "name", str, where),
            description=self.optional(data, "description", str, "", where),
            source=self.optional(data, "source", str, "", where),
            checks=self.strings(data, "checks", where),
            variables=tuple(
                (str(name), self.json_value(value, f"{where}.variables.{name}"))
                for name, value in variables.items()
            ),
            manual=tuple(items),
        )

    def waiver(self, data: Any, where: str) -> WaiverRecord:
        if not isinstance(data, dict):
            raise self.fail(where, "expected an object")
        return WaiverRecord(
            check=self.typed(data, "check", str, where),
            hosts=self.optional(data, "hosts", str, "all", where),
            reason=self.optional(data, "reason", str, "", where),
            owner=self.optional(data, "owner", str, "", where),
            ticket=self.optional(data, "ticket", str, "", where),
            expires=self.optional(data, "expires", str, "", where),
            source=self.optional(data, "source", str, "", where),
            state=self.enum(WaiverState, data.get("state", "active"), f"{where}.state"),
            matched=self.integer(data, "matched", 0, where, low=0, high=_MAX_INT),
        )

    def drift(self, data: Any, where: str) -> Drift:
        if not isinstance(data, dict):
            raise self.fail(where, "expected an object")
        base = data.get("baseline") or {}
        if not isinstance(base, dict):
            raise self.fail(f"{where}.baseline", "expected an object")
        objects, hosts = data.get("objects", []), data.get("hosts", [])
        if not isinstance(objects, list) or not isinstance(hosts, list):
            raise self.fail(where, "objects and hosts must be lists")
        out_objects = []
        for i, item in enumerate(objects):
            at = f"{where}.objects[{i}]"
            if not isinstance(item, dict):
                raise self.fail(at, "expected an object")
            out_objects.append(
                ObjectDrift(
                    host=self.typed(item, "host", str, at),
                    check=self.typed(item, "check", str, at),
                    severity=self.severity(item.get("severity"), f"{at}.severity"),
                    title=self.optional(item, "title", str, "", at),
                    object=self.finding_object(item, at),
                    change=self.enum(ObjectChange, item.get("change"), f"{at}.change"),
                )
            )
        out_hosts = []
        for i, item in enumerate(hosts):
            at = f"{where}.hosts[{i}]"
            if not isinstance(item, dict):
                raise self.fail(at, "expected an object")
            out_hosts.append(
                HostDrift(
                    host=self.typed(item, "host", str, at),
                    change=self.enum(HostChange, item.get("change"), f"{at}.change"),
                    before=self.optional(item, "before", str, "", at),
                    after=self.optional(item, "after", str, "", at),
                )
            )
        return Drift(
            baseline=self.optional(base, "ref", str, "", f"{where}.baseline"),
            baseline_started_at=self.optional(base, "started_at", str, "", f"{where}.baseline"),
            objects=tuple(out_objects),
            hosts=tuple(out_hosts),
            checks_added=self.strings(data, "checks_added", where),
            checks_removed=self.strings(data, "checks_removed", where),
        )

    def annotations(self, data: Mapping[str, Any], run: Mapping[str, Any]) -> RunAnnotations:
        first_seen: dict[str, ObjectHistory] = {}
        never: set[str] = set()
        for i, host in enumerate(data["hosts"]):
            if host.get("never_audited") is True:
                never.add(host["name"])
            for j, finding in enumerate(host.get("findings", [])):
                for k, obj in enumerate(finding.get("objects", []) or []):
                    at = f"hosts[{i}].findings[{j}].objects[{k}]"
                    if obj.get("first_seen") is None:
                        continue
                    fp = self.typed(obj, "fingerprint", str, at)
                    first_seen[fp] = ObjectHistory(
                        self.typed(obj, "first_seen", str, at),
                        self.integer(obj, "runs", 1, at, low=1, high=_MAX_INT),
                    )
        trend_raw = data.get("trend", [])
        if not isinstance(trend_raw, list):
            raise self.fail("trend", "expected a list")
        trend = []
        for i, point in enumerate(trend_raw):
            if not isinstance(point, dict):
                raise self.fail(f"trend[{i}]", "expected an object")
            score = point.get("fleet_score")
            trend.append(
                (
                    self.typed(point, "started_at", str, f"trend[{i}]"),
                    None
                    if score is None
                    else self.number(point, "fleet_score", f"trend[{i}]", high=100.0),
                )
            )
        drift = data.get("drift")
        return RunAnnotations(
            run_id=self.optional(run, "id", str, "", "run"),
            first_seen=MappingProxyType(first_seen),
            never_audited=frozenset(never),
            trend=tuple(trend),
            drift=None if drift is None else self.drift(drift, "drift"),
        )

    def report(self, data: Any) -> RunReport:
        if not isinstance(data, dict):
            raise self.fail("", "expected a JSON object")
        if data.get("schema") != SCHEMA:
            raise self.fail(
                "schema", f"expected {SCHEMA!r}, found {str(data.get('schema'))[:60]!r}"
            )
        run = data.get("run")
        if not isinstance(run, dict):
            raise self.fail("run", "expected an object")
        tool = data.get("tool") or {}
        if not isinstance(tool, dict):
            raise self.fail("tool", "expected an object")
        hosts = data.get("hosts")
        if not isinstance(hosts, list):
            raise self.fail("hosts", "expected a list")
        waivers = data.get("waivers", [])
        if not isinstance(waivers, list):
            raise self.fail("waivers", "expected a list")
        profiles = data.get("profiles", [])
        if not isinstance(profiles, list):
            raise self.fail("profiles", "expected a list")
        return RunReport(
            tool_version=self.optional(tool, "version", str, "", "tool"),
            started_at=self.typed(run, "started_at", str, "run"),
            duration_s=self.number(run, "duration_s", "run"),
            inventory=self.optional(run, "inventory", str, "", "run"),
            selection=self.optional(run, "selection", str, "", "run"),
            checks=self.strings(run, "checks", "run"),
            hosts=tuple(self.host(h, f"hosts[{i}]") for i, h in enumerate(hosts)),
            waivers=tuple(self.waiver(w, f"waivers[{i}]") for i, w in enumerate(waivers)),
            annotations=self.annotations(data, run),
            profiles=tuple(self.profile(p, f"profiles[{i}]") for i, p in enumerate(profiles)),
        )


def report_from_dict(data: Any, source: str = "<report>") -> RunReport:
    """A RunReport from report.json data; ReportError names the field at fault."""
    return _Reader(source).report(data)


def _no_constant(name: str) -> Any:
    # json.loads would read NaN and Infinity, which are not JSON (RFC 8259) and would reach
    # every renderer (a NaN in report.json, "nan" in a JUnit time, an overflow in SARIF).
    raise ValueError(f"{name} is not a JSON number")


def load_report(path: Path) -> RunReport:
    """Read and validate a report.json file."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise ReportError(f"cannot read the report: {exc.strerror}", file=str(path)) from None
    if len(raw) > _MAX_BYTES:
        raise ReportError("the report is larger than 512 MiB", file=str(path))
    # Each form is dropped once the next is built (a 5,000-host report.json is ~85 MB as
    # bytes and again as text): only the parsed data and the RunReport overlap.
    try:
        text = raw.decode("utf-8")
        del raw
        data = json.loads(text, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ReportError(f"not a JSON document: {str(exc)[:200]}", file=str(path)) from None
    del text
    return report_from_dict(data, str(path))
