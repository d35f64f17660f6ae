"""Waivers: accepted exceptions, each with a reason, an owner and optionally a ticket and an
expiry date.

A waivers file (`--waivers FILE`) looks like::

    waivers:
      - check: ssh.forwarding        # a check id or glob
        hosts: bastions              # an inventory host pattern (default: all)
        reason: jump hosts forward TCP by design
        owner: platform-team         # who answers for it (a warning when missing)
        ticket: OPS-1234             # optional
        expires: 2027-03-31          # optional; after it the waiver no longer applies

A waived result keeps its evidence and says what it was (`waived_from`); only `fail` and
`unknown` can be waived. Waived failures do not fail the run (exit code 1). After a run,
each waiver is `active` (it waived N results), `stale` (it waived nothing in this run) or
`expired` (past its date: it waives nothing).

`owner` is not required: files written before it existed (where it was refused as an
unknown field) keep loading, since a nightly job that stops auditing at an upgrade is worse
than a waiver without an owner; each such waiver gets a warning naming its file:line, and
the reports show it without owner.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    owner: str = ""  # "" when the file names none (a warning, see missing_owner_warnings)
    ticket: str = ""

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def matches(self, check: str, host: str, hosts_of: Callable[[Waiver], frozenset[str]]) -> bool:
        """This waiver's check glob and host pattern select this result."""
        return fnmatch.fnmatchcase(check, self.check) and host in hosts_of(self)


def _error(path: Path, line: int | None, field: str, message: str) -> CheckDefinitionError:
    return CheckDefinitionError(
        message,
        file=str(path),
        line=line,
        field=field,
        hint="each waiver needs `check:`, `reason:` and `owner:`; `hosts:`, `ticket:` and"
        " `expires: YYYY-MM-DD` are optional",
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
        raise CheckDefinitionError.yaml_syntax(exc, str(path)) from None
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
        unknown = set(entry) - {"check", "hosts", "reason", "owner", "ticket", "expires"}
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
        # a datetime is a date too (YAML reads `2027-03-31 10:00:00` as one): refused, the
        # expiry is a day and compares with today's date
        if expires is not None and (
            not isinstance(expires, dt.date) or isinstance(expires, dt.datetime)
        ):
            raise _error(path, line, f"{field}.expires", "must be a date: YYYY-MM-DD")
        owner, ticket = entry.get("owner", ""), entry.get("ticket", "")
        if not isinstance(owner, str):
            raise _error(path, line, f"{field}.owner", "must be a name or a team (text)")
        if not isinstance(ticket, (str, int)) or isinstance(ticket, bool):
            raise _error(path, line, f"{field}.ticket", "must be a ticket id or URL (text)")
        waivers.append(
            Waiver(
                check.strip(),
                hosts,
                reason.strip(),
                expires,
                f"{path}:{line}",
                owner.strip(),
                str(ticket).strip(),
            )
        )
    return tuple(waivers)


def missing_owner_warnings(waivers: Iterable[Waiver]) -> tuple[str, ...]:
    """One warning per waiver that names no owner, with its file:line and the fix."""
    return tuple(
        f"{w.source}: waiver for {w.check} has no owner: add `owner: NAME` (who answers for it)"
        for w in waivers
        if not w.owner
    )


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
            if not waiver.matches(result.check, host, hosts_of):
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


def waiver_matches(
    waivers: Sequence[Waiver],
    results: Iterable[tuple[str, Sequence[CheckResult]]],
    hosts_of: Callable[[Waiver], frozenset[str]],
    today: dt.date,
) -> Mapping[int, int]:
    """How many results each waiver (by index) waived, from (host, its results) pairs.

    A waived result is credited to the waiver `apply_waivers` chose for it: the first one,
    in file order, that matches its check and host and has not expired.
    """
    counts = dict.fromkeys(range(len(waivers)), 0)
    for host, host_results in results:
        for result in host_results:
            if result.status != Status.WAIVED:
                continue
            for index, waiver in enumerate(waivers):
                if waiver.matches(result.check, host, hosts_of) and not waiver.expired(today):
                    counts[index] += 1
                    break
    return counts
