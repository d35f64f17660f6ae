"""A profile as loaded, and what one host's profiles resolve to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class ManualItem:
    """A control a machine cannot check ("MFA enforced for admin accounts"): reports list it
    as not machine-checkable, never as passed."""

    id: str
    text: str


@dataclass(frozen=True)
class Profile:
    """One profile file: `profiles/<name>.yml`.

    `checks` are id globs or family names and `tags` check tags, as written; a check is in
    the profile when it matches any of either. `variables` are check variables (name ->
    value, lists frozen to tuples) and `lines` the file line of each variable.
    """

    name: str
    description: str
    checks: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    variables: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    manual: tuple[ManualItem, ...] = ()
    source: str = ""
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def where(self, variable: str) -> str:
        """`file:line` of a variable of this profile (for errors naming both files)."""
        line = self.lines.get(variable)
        return f"{self.source}:{line}" if line else self.source
