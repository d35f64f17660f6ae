"""What the format parsers produce: a flat, ordered list of declarations with their origins.

Every parser (YAML, INI, JSON) turns a file into these events; one builder folds them into
the group graph, so the three formats cannot drift apart in semantics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardaudit.errors import InventoryError


@dataclass(frozen=True)
class Origin:
    """Where something was written: file as shown to the user, 1-based position, field path.

    `base_dir` is the absolute directory that relative paths in this value are resolved
    against (the inventory file's directory, or the inventory base for group_vars/host_vars).
    """

    file: str
    line: int | None
    column: int | None
    field: str
    base_dir: Path

    def error(
        self, message: str, *, hint: str | None = None, kind: type[InventoryError] = InventoryError
    ) -> InventoryError:
        """An InventoryError (or subclass `kind`) pointing at this origin."""
        return kind(
            message,
            file=self.file,
            line=self.line,
            column=self.column,
            field=self.field or None,
            hint=hint,
        )


@dataclass(frozen=True)
class Var:
    """A variable value together with where it was defined."""

    value: Any
    origin: Origin


@dataclass(frozen=True)
class AddGroup:
    name: str
    origin: Origin


@dataclass(frozen=True)
class AddHost:
    name: str
    group: str  # "all" when the host was declared directly under all (→ ungrouped)
    origin: Origin


@dataclass(frozen=True)
class AddChild:
    parent: str
    child: str
    origin: Origin


@dataclass(frozen=True)
class SetHostVar:
    host: str
    key: str
    var: Var


@dataclass(frozen=True)
class SetGroupVar:
    group: str
    key: str
    var: Var


Event = AddGroup | AddHost | AddChild | SetHostVar | SetGroupVar
