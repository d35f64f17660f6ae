"""One error hierarchy; every user-facing message names where the fault is and how to fix it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from yaml import MarkedYAMLError


class AuditError(Exception):
    """Root of every error hardaudit raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.hint = hint

    @classmethod
    def yaml_syntax(cls, exc: MarkedYAMLError, file: str, hint: str | None = None) -> Self:
        """`YAML syntax error: <problem>` at the line and column PyYAML marked (1-based)."""
        mark = exc.problem_mark
        return cls(
            f"YAML syntax error: {exc.problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint=hint,
        )

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        text = where + (f"{self.field}: " if self.field else "") + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class UsageError(AuditError):
    """Bad command-line arguments."""


class InventoryError(AuditError):
    """The inventory cannot be loaded or a pattern selects nothing."""


class CheckDefinitionError(AuditError):
    """A check YAML file is invalid."""


class ReportError(AuditError):
    """A stored report (report.json) or history reference cannot be read."""


class FactError(AuditError):
    """The facts output of a host cannot be understood at all."""


class ConnectError(AuditError):
    """A host could not be reached, authenticated or verified; carries the per-host status."""

    def __init__(self, status: str, message: str, *, hop: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.hop = hop


class ProfileError(AuditError):
    """A profile YAML file is invalid, unknown, or two profiles of a host disagree."""
