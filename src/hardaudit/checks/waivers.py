"""Waivers: accepted exceptions, each with a reason and optionally an expiry date.

A waivers file (`--waivers FILE`) looks like::

    waivers:
      - check: ssh.forwarding        # a check id or glob
        hosts: bastions              # an inventory host pattern (default: all)
        reason: jump hosts forward TCP by design
        expires: 2027-03-31          # optional; after it the waiver no longer applies

A waived result keeps its evidence and says what it was (`waived_from`); only `fail` and
`unknown` can be waived. Waived failures do not fail the run (exit code 1).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from hardaudit.checks.model import CheckResult, Status
from hardaudit.checks.yamlvalues import SafeLoader
from hardaudit.errors import CheckDefinitionError


@dataclass(frozen=True)
class Waiver:
    check: str
    hosts: str
    reason: str
    expires: dt.date | None
    source: str  # file:line, for reports

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires


def _error(path: Path, line: int | None, field: str, message: str) -> CheckDefinitionError:
    return CheckDefinitionError(
        message,
        file=str(path),
        line=line,
        field=field,
        hint="each waiver needs `check:` and `reason:`; `hosts:` and `expires: YYYY-MM-DD` are optional",
    )


def load_waivers(path: Path) -> tuple[Waiver, ...]:
    """Parse and validate a waivers file; errors name the file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CheckDefinitionError(f"cannot read waivers file: {reason}", file=str(path)) from None
    try:
        node = yaml.compose(text, Loader=SafeLoader)
        data = yaml.load(text, Loader=SafeLoader) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise CheckDefinitionError(
            f"YAML syntax error: {exc.problem}",
            file=str(path),
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise CheckDefinitionError(
            f"cannot parse the waivers file: {problem}", file=str(path)
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("waivers"), list):
        raise _error(path, 1, "waivers", "the file must be a mapping with a `waivers:` list")
    lines = _entry_lines(node)
    waivers: list[Waiver] = []
    for index, entry in enumerate(data["waivers"]):
        line = lines[index] if index < len(lines) else None
        field = f"waivers[{index}]"
        if not isinstance(entry, dict):
            raise _error(path, line, field, "each waiver must be a mapping")
        unknown = set(entry) - {"check", "hosts", "reason", "expires"}
        if unknown:
            raise _error(path, line, f"{field}.{sorted(unknown)[0]}", "unknown field")
        check, reason = entry.get("check"), entry.get("reason")
        if not isinstance(check, str) or not check.strip():
            raise _error(path, line, f"{field}.check", "must name a check id or glob")
        if not isinstance(reason, str) or not reason.strip():
            raise _error(path, line, f"{field}.reason", "a waiver without a reason is not accepted")
        hosts = entry.get("hosts", "all")
        if not isinstance(hosts, str):
            raise _error(path, line, f"{field}.hosts", "must be a host pattern string")
        expires = entry.get("expires")
        if expires is not None and not isinstance(expires, dt.date):
            raise _error(path, line, f"{field}.expires", "must be a date: YYYY-MM-DD")
        waivers.append(Waiver(check.strip(), hosts, reason.strip(), expires, f"{path}:{line}"))
    return tuple(waivers)


def _entry_lines(node: yaml.Node | None) -> list[int]:
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "waivers" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def apply_waivers(
    results: Iterable[CheckResult],
    host: str,
    waivers: Sequence[Waiver],
    hosts_of: Callable[[Waiver], frozenset[str]],
    today: dt.date,
) -> tuple[tuple[CheckResult, ...], tuple[str, ...]]:
    """Results with matching fail/unknown turned into `waived`, plus notes on expired waivers."""
    notes: list[str] = []
    out: list[CheckResult] = []
    for result in results:
        chosen = None
        for waiver in waivers:
            if not fnmatch.fnmatchcase(result.check, waiver.check) or host not in hosts_of(waiver):
                continue
            if waiver.expired(today):
                notes.append(
                    f"waiver for {result.check} ({waiver.source}) expired on {waiver.expires}"
                )
                continue
            chosen = waiver
            break
        if chosen is not None and result.status in (Status.FAIL, Status.UNKNOWN):
            until = f" until {chosen.expires}" if chosen.expires else ""
            waived = replace(
                result,
                status=Status.WAIVED,
                waived_from=result.status,
                waiver_reason=f"{chosen.reason}{until} ({chosen.source})",
            )
            out.append(waived)
        else:
            out.append(result)
    return tuple(out), tuple(dict.fromkeys(notes))
