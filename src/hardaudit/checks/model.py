"""Check definitions and results."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


class Severity(enum.IntEnum):
    """Ordered severities; a higher value is worse."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.strip().upper()]


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    SKIP = "skip"
    WAIVED = "waived"  # a fail or unknown that a waiver (with a reason) accepts


@dataclass(frozen=True)
class Variable:
    """An inventory variable that tunes a check, with its default."""

    name: str
    default: Any
    description: str


@dataclass(frozen=True)
class Check:
    """One check definition, loaded from checks/<family>/<id>.yml."""

    id: str
    severity: Severity
    title: str
    rationale: str
    remediation: str
    evaluator: str
    facts: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    references: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    tags: tuple[str, ...] = ()
    variables: tuple[Variable, ...] = ()
    source: str = ""
    command: str = ""  # a user check's own read-only command (the `command` fact)

    @property
    def command_fact(self) -> str:
        """Section name of this check's own command in the facts script output."""
        return f"user.{self.id}"

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class FindingObject:
    """What a failing finding is about: the one thing an operator fixes.

    `key` is its stable identity within (host, check) and is what the history fingerprints:
    a file path (`/home/bob/.ssh/id_rsa`), a listener (`tcp/0.0.0.0:6379`), a container
    (`container:web`), an sshd context (`match:User bob`), or "" for the host as a whole.
    Evidence text may change from run to run; the key must not. `path` and `line` locate it
    in a file on the host when there is one (SARIF physical locations); line 0 is unknown.
    """

    key: str
    path: str = ""
    line: int = 0


HOST_OBJECT = FindingObject("")  # a finding about the host as a whole
MAX_OBJECTS = 1000  # objects named per finding; the evidence says when more were cut


@dataclass(frozen=True)
class Outcome:
    """What an evaluator decided, before it is stamped with the check's identity."""

    status: Status
    evidence: tuple[str, ...] = ()
    reason: str = ""
    waived_from: Status | None = None  # the status a waiver replaced
    waiver_reason: str = ""
    severity: Severity | None = None  # overrides the check's severity (e.g. a lesser failure)
    objects: tuple[FindingObject, ...] = ()  # what a FAIL is about; () = the host as a whole


@dataclass(frozen=True)
class CheckResult:
    """One check's result on one host (a `findings[]` entry of report.json)."""

    check: str
    status: Status
    severity: Severity
    title: str
    evidence: tuple[str, ...] = ()
    reason: str = ""
    waived_from: Status | None = None  # the status a waiver replaced
    waiver_reason: str = ""
    objects: tuple[FindingObject, ...] = ()  # what a FAIL is about; () = the host as a whole

    @property
    def partial(self) -> bool:
        """A FAIL that judged only some of its objects: its reason says what it could not
        judge ("also not judged: ..."), or its objects were cut at MAX_OBJECTS. An object
        such a result does not name may still be failing: it is not "fixed"."""
        return self.status == Status.FAIL and (
            bool(self.reason) or len(self.objects) >= MAX_OBJECTS
        )

    @property
    def failing_objects(self) -> tuple[FindingObject, ...]:
        """The objects this result counts as failing (a waived failure is not failing)."""
        if self.status != Status.FAIL:
            return ()
        return self.objects or (HOST_OBJECT,)
