"""Which profiles apply to each host, the checks they select, the variables they set.

The rules (README "Profiles", docs/writing-profiles.md):

- A host's profiles are the run's `--profile` names, then its inventory variable
  `audit_profiles` (a name or a list; Ansible precedence decides which group or host value
  the host has), each once, in that order. A host with none is judged as before profiles
  existed: every selected check, no profile group in the reports.
- A host's checks are the union of its profiles' checks, narrowed by --checks/--tags and
  --skip-checks (those filter a run; they never add a check a profile did not select).
- Variables: the inventory's value wins over a profile's, a profile's over the check's
  default. A host exception in host_vars then needs no copy of the profile, as Ansible's
  inventory variables win over role defaults; each such override is noted on the host, so
  the report says that the profile's value was not the one used.
- Two profiles of one host that set one variable differently are an error naming both files:
  for `--profile` the run stops (exit 2), for `audit_profiles` that host is `error`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hardaudit.checks.model import Check
from hardaudit.errors import ProfileError
from hardaudit.inventory.model import Host
from hardaudit.printable import short_reason
from hardaudit.profiles.loader import (
    find_profiles,
    load_profiles,
    merged_variables,
    select_profile_checks,
)
from hardaudit.profiles.model import Profile
from hardaudit.report.model import ProfileRecord

INVENTORY_VARIABLE = "audit_profiles"


@dataclass(frozen=True)
class HostProfiles:
    """What one host's profiles resolve to. `checks` is None for a host without profiles
    (no restriction); `host` carries the merged variables, or its `error`."""

    host: Host
    profiles: tuple[str, ...] = ()
    checks: frozenset[str] | None = None
    notes: tuple[str, ...] = ()


def _inventory_names(host: Host) -> tuple[str, ...]:
    value = host.vars.get(INVENTORY_VARIABLE)
    if value is None:
        return ()
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, (list, tuple)) or not all(
        isinstance(e, str) and e.strip() for e in entries
    ):
        raise ProfileError(
            f"inventory variable {INVENTORY_VARIABLE} must be a profile name or a list of "
            f"names, not {short_reason(repr(value), 80)}"
        )
    return tuple(e.strip() for e in entries)


def _as_inventory_value(value: Any) -> Any:
    return [_as_inventory_value(v) for v in value] if isinstance(value, tuple) else value


def _show(value: Any) -> str:
    text = repr(list(value) if isinstance(value, tuple) else value)
    return short_reason(text, 120)


def resolve_host(
    host: Host,
    run_profiles: Sequence[Profile],
    profiles: Mapping[str, Profile],
    checks: Sequence[Check],
    cache: dict[tuple[str, ...], frozenset[str]] | None = None,
) -> HostProfiles:
    """`host` with its profiles applied (see the module's rules); a problem of its own
    inventory value makes it `error`, never stops the run. `cache` keeps the checks of
    each combination of profiles across the hosts of a run (a fleet has few)."""
    if host.error:
        return HostProfiles(host)
    try:
        own = find_profiles(_inventory_names(host), profiles, f"{INVENTORY_VARIABLE}")
        chosen = tuple({p.name: p for p in (*run_profiles, *own)}.values())
        variables = merged_variables(chosen)
    except ProfileError as exc:
        return HostProfiles(replace(host, error=str(exc)))
    if not chosen:
        return HostProfiles(host)
    notes = []
    merged = dict(host.vars)
    for name, value in variables.items():
        if name not in host.vars:
            merged[name] = _as_inventory_value(value)  # lists, as an inventory gives them
            continue
        mine = host.vars[name]
        same = (
            list(mine) == list(value)
            if isinstance(value, tuple) and isinstance(mine, (list, tuple))
            else mine == value
        )
        if not same:
            setter = next(p for p in chosen if name in p.variables)
            notes.append(
                f"{name}: the inventory's {_show(mine)} is used, not profile "
                f"{setter.name}'s {_show(value)}"
            )
    key = tuple(p.name for p in chosen)
    ids = None if cache is None else cache.get(key)
    if ids is None:
        ids = frozenset(c.id for p in chosen for c in select_profile_checks(p, checks))
        if cache is not None:
            cache[key] = ids
    return HostProfiles(
        replace(host, vars=MappingProxyType(merged)),
        tuple(p.name for p in chosen),
        ids,
        tuple(notes),
    )


@dataclass(frozen=True)
class ProfilePlan:
    """The run's profiles, host by host (`plan_profiles`)."""

    hosts: tuple[Host, ...]
    by_host: Mapping[str, HostProfiles]
    profiles: Mapping[str, Profile]

    @property
    def active(self) -> bool:
        return any(p.profiles for p in self.by_host.values())

    def run_allows(self, hosts: Sequence[Host]) -> frozenset[str] | None:
        """The check ids some host's profiles select (None: a host without profiles takes
        every check), computed once rather than per host and check."""
        if not self.active:
            return None
        union: set[str] = set()
        for host in hosts:
            found = self.by_host.get(host.name)
            if found is None or found.checks is None:
                return None
            union |= found.checks
        return frozenset(union)

    def allows(self, host: str, check: str) -> bool:
        """Whether the host's profiles select `check` (a host without profiles: every check)."""
        found = self.by_host.get(host)
        return found is None or found.checks is None or check in found.checks

    def host_profiles(self) -> dict[str, tuple[str, ...]]:
        return {name: p.profiles for name, p in self.by_host.items() if p.profiles}

    def host_notes(self) -> dict[str, tuple[str, ...]]:
        return {name: p.notes for name, p in self.by_host.items() if p.notes}

    def records(
        self, chosen: Sequence[Check], hosts: Sequence[Host] | None = None
    ) -> tuple[ProfileRecord, ...]:
        """Each profile some host of `hosts` (default: all) has, in first-use order, with the
        run's checks it selects (a shard lists only its own hosts' profiles)."""
        names = dict.fromkeys(
            n
            for host in (self.hosts if hosts is None else hosts)
            if host.name in self.by_host
            for n in self.by_host[host.name].profiles
        )
        out = []
        for name in names:
            profile = self.profiles[name]
            out.append(
                ProfileRecord(
                    name=profile.name,
                    description=profile.description,
                    source=profile.source,
                    checks=tuple(c.id for c in select_profile_checks(profile, chosen)),
                    variables=tuple(profile.variables.items()),
                    manual=profile.manual,
                )
            )
        return tuple(out)


def plan_profiles(
    hosts: Sequence[Host],
    run_names: Sequence[str],
    dirs: Sequence[Path],
    checks: Sequence[Check],
    selectable: Sequence[Check] | None = None,
) -> ProfilePlan:
    """Load the profiles (when the run names some, or a host's inventory does) and resolve
    each host's. A `--profile` that is unknown, or two that disagree, stop the run.

    Profiles are validated against `checks` (built-in and --checks-dir) and select from
    `selectable` (default `checks`): the run's checks with the hosts' own audit_checks_dirs,
    so that `baseline` (`*`) keeps a host's own checks as a run without profiles does."""
    selectable = checks if selectable is None else selectable
    needed = bool(run_names) or bool(dirs) or any(INVENTORY_VARIABLE in h.vars for h in hosts)
    if not needed:
        return ProfilePlan(tuple(hosts), {}, {})
    profiles = load_profiles(dirs, checks)
    run_profiles = find_profiles(run_names, profiles, "--profile")
    merged_variables(run_profiles)  # two --profile that disagree: exit 2 before any host
    by_host: dict[str, HostProfiles] = {}
    out: list[Host] = []
    cache: dict[tuple[str, ...], frozenset[str]] = {}
    for host in hosts:
        resolved = resolve_host(host, run_profiles, profiles, selectable, cache)
        if resolved.host.error and not resolved.profiles and run_profiles:
            # not audited, but its report still lists the run's profiles and manual items
            ids = frozenset(
                c.id for p in run_profiles for c in select_profile_checks(p, selectable)
            )
            resolved = HostProfiles(resolved.host, tuple(p.name for p in run_profiles), ids)
        by_host[host.name] = resolved
        out.append(resolved.host)
    return ProfilePlan(tuple(out), by_host, profiles)
