"""`audit profiles list` and `audit profiles show NAME` as plain text."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from hardaudit.checks.model import Check
from hardaudit.profiles.loader import select_profile_checks
from hardaudit.profiles.model import Profile


def _value(value: object) -> str:
    return json.dumps(list(value) if isinstance(value, tuple) else value)


def render_profiles_table(profiles: Iterable[Profile], checks: Sequence[Check]) -> str:
    """One line per profile: name, checks selected, variables set, manual items, description."""
    rows = [
        [
            p.name,
            str(len(select_profile_checks(p, checks))),
            str(len(p.variables)),
            str(len(p.manual)),
            p.description,
        ]
        for p in sorted(profiles, key=lambda p: p.name)
    ]
    from tabulate import tabulate

    headers = ["name", "checks", "variables", "manual", "description"]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


def render_profile_text(profile: Profile, checks: Sequence[Check]) -> str:
    """Everything a profile says, with the checks it selects resolved to ids."""
    selected = select_profile_checks(profile, checks)
    lines = [f"{profile.name}: {profile.description}", f"file: {profile.source}", ""]
    selectors = [*profile.checks, *(f"tag:{t}" for t in profile.tags)]
    lines.append(f"checks ({len(selected)}, from {', '.join(selectors)}):")
    lines += [f"  {c.id:<22} {c.severity.label:<8} {c.title}" for c in selected]
    if profile.variables:
        lines += ["", "variables (the inventory's value wins where a host sets one):"]
        lines += [f"  {name}: {_value(value)}" for name, value in profile.variables.items()]
    if profile.manual:
        lines += ["", "manual items (not machine-checkable; never reported as passed):"]
        lines += [f"  [{item.id}] {item.text}" for item in profile.manual]
    return "\n".join(lines)
