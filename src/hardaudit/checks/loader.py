"""Load check definitions from YAML, validating every field; errors name file, line and field."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from hardaudit.checks.evaluators import EVALUATORS, FACT_NAMES, CheckSpec, ParamError
from hardaudit.checks.model import Check, Severity, Variable
from hardaudit.checks.yamlvalues import ValueMarks
from hardaudit.errors import CheckDefinitionError

_ID = re.compile(r"^[a-z0-9]+\.[a-z0-9]+(?:-[a-z0-9]+)*$")
_REQUIRED = ("id", "severity", "title", "rationale", "remediation", "evaluator", "facts")
_KNOWN = {*_REQUIRED, "params", "references", "tags", "variables", "command"}


class _LineMap(dict[Any, Any]):
    """A mapping that remembers the line/column of each key (keys are strings but for YAML
    booleans)."""

    marks: dict[str, tuple[int, int]]


# libyaml's parser when present: `audit checks list` parses every check file on start-up.
# ValueMarks: a value YAML cannot build (`2030-13-01`) is an error with its line.
class _Loader(ValueMarks, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineMap:
    # Keys become strings, except YAML booleans (`no:` unquoted), kept so that validation
    # can tell them from the quoted sshd value "no".
    mapping = _LineMap(
        {
            (k if isinstance(k, bool) else str(k)): v
            for k, v in loader.construct_mapping(node, deep=True).items()
        }
    )
    mapping.marks = {
        str(key.value): (key.start_mark.line + 1, key.start_mark.column + 1)
        for key, _value in node.value
    }
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def builtin_checks_dir() -> Path:
    """The check definitions shipped inside the package (the repo's top-level checks/)."""
    return Path(str(resources.files("hardaudit") / "builtin_checks"))


def _mark(doc: object, field: str) -> tuple[int | None, int | None]:
    """Line and column of the deepest key of a dotted `field` path that the file has
    (`params.options.permitrootlogin` -> that keyword's line under `params:`)."""
    line: int | None = None
    col: int | None = None
    node = doc
    for part in field.split("."):
        if not isinstance(node, _LineMap) or not hasattr(node, "marks"):
            break
        if part not in node.marks:
            break
        line, col = node.marks[part]
        node = node.get(part)
    return line, col


def _fail(
    path: Path, doc: _LineMap | None, field: str, message: str, hint: str
) -> CheckDefinitionError:
    line, col = _mark(doc, field) if doc is not None else (None, None)
    return CheckDefinitionError(
        message, file=str(path), line=line, column=col, field=field, hint=hint
    )


def _text(path: Path, doc: _LineMap, field: str) -> str:
    value = doc.get(field)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, doc, field, "must be a non-empty string", f"set `{field}:` to text")
    return value.strip()


def load_check_file(path: Path) -> Check:
    """Parse and validate one check file."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise CheckDefinitionError.yaml_syntax(exc, str(path), "fix the YAML syntax") from None
    except OSError as exc:
        raise CheckDefinitionError(f"cannot read: {exc.strerror}", file=str(path)) from None
    except (yaml.YAMLError, RecursionError, UnicodeDecodeError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise CheckDefinitionError(f"cannot parse: {why}", file=str(path)) from None
    if not isinstance(doc, _LineMap):
        raise CheckDefinitionError("a check file must be a YAML mapping", file=str(path))
    for field in _REQUIRED:
        if field not in doc:
            raise CheckDefinitionError(
                f"missing required field `{field}`",
                file=str(path),
                field=field,
                hint=f"every check needs: {', '.join(_REQUIRED)}",
            )
    for field in doc:
        if field not in _KNOWN:
            raise _fail(
                path,
                doc,
                str(field),
                "unknown field",
                f"known fields: {', '.join(sorted(_KNOWN))}",
            )
    check_id = _text(path, doc, "id")
    if not _ID.match(check_id):
        raise _fail(
            path, doc, "id", f"invalid id {check_id!r}", "use family.name, lower-case, hyphenated"
        )
    if path.stem != check_id:
        raise _fail(
            path,
            doc,
            "id",
            f"id {check_id!r} does not match file name {path.name!r}",
            f"name the file {check_id}.yml",
        )
    try:
        severity = Severity.parse(str(doc["severity"]))
    except KeyError:
        raise _fail(
            path,
            doc,
            "severity",
            f"unknown severity {doc['severity']!r}",
            "use critical, high, medium, low or info",
        ) from None
    evaluator_name = _text(path, doc, "evaluator")
    evaluator = EVALUATORS.get(evaluator_name)
    if evaluator is None:
        raise _fail(
            path,
            doc,
            "evaluator",
            f"unknown evaluator {evaluator_name!r}",
            f"known: {', '.join(sorted(EVALUATORS))}",
        )
    facts = doc["facts"]
    if not isinstance(facts, list) or not all(isinstance(f, str) for f in facts):
        raise _fail(
            path, doc, "facts", "must be a list of fact names", f"known: {', '.join(FACT_NAMES)}"
        )
    for fact in facts:
        if fact not in FACT_NAMES:
            raise _fail(
                path, doc, "facts", f"unknown fact {fact!r}", f"known: {', '.join(FACT_NAMES)}"
            )
    params = doc.get("params") or {}
    if not isinstance(params, dict):
        raise _fail(path, doc, "params", "must be a mapping", "see docs/writing-checks.md")
    problem = evaluator.validate(params)
    if problem:
        raise _fail(
            path, doc, "params", problem, f"see the `{evaluator_name}` evaluator's parameters"
        )
    variables = _variables(path, doc)
    if evaluator.check_params is not None:
        spec = CheckSpec(tuple(facts), frozenset(v.name for v in variables))
        try:
            evaluator.check_params(params, spec)
        except ParamError as exc:
            raise _fail(
                path,
                doc,
                exc.field,
                exc.message,
                exc.hint or f"see the `{evaluator_name}` evaluator's parameters",
            ) from None
    # Facts the evaluator always reads are gathered whether the check lists them or not.
    facts = list(dict.fromkeys([*facts, *evaluator.facts_for(params)]))
    references = doc.get("references") or {}
    if not isinstance(references, dict):
        raise _fail(
            path, doc, "references", "must be a mapping of source: id", "e.g. cis: '5.2.10'"
        )
    tags = doc.get("tags") or []
    if not isinstance(tags, list):
        raise _fail(path, doc, "tags", "must be a list", "e.g. tags: [cis, ssh]")
    command = doc.get("command", "")
    if ("command" in facts) != bool(command):
        raise _fail(
            path,
            doc,
            "command" if command else "facts",
            "`command:` and the `command` fact go together",
            "declare `facts: [command]` and a `command:` string, or neither",
        )
    if command and not isinstance(command, str):
        raise _fail(path, doc, "command", "must be a string", "a read-only shell command")
    return Check(
        id=check_id,
        severity=severity,
        title=_text(path, doc, "title"),
        rationale=_text(path, doc, "rationale"),
        remediation=_text(path, doc, "remediation"),
        evaluator=evaluator_name,
        facts=tuple(facts),
        params=MappingProxyType(dict(params)),
        references=MappingProxyType({str(k): str(v) for k, v in references.items()}),
        tags=tuple(str(t) for t in tags),
        variables=variables,
        source=str(path),
        command=str(command),
    )


def _variables(path: Path, doc: _LineMap) -> tuple[Variable, ...]:
    raw = doc.get("variables") or {}
    if not isinstance(raw, dict):
        raise _fail(path, doc, "variables", "must be a mapping of name: {default, description}", "")
    out: list[Variable] = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or "default" not in spec:
            raise _fail(path, doc, f"variables.{name}", "needs `default:` and `description:`", "")
        out.append(Variable(str(name), spec["default"], str(spec.get("description", ""))))
    return tuple(out)


def load_checks(dirs: Iterable[Path] = ()) -> tuple[Check, ...]:
    """Built-in checks plus those in `dirs`; a user check may not reuse a built-in id."""
    checks: dict[str, Check] = {}
    for index, directory in enumerate([builtin_checks_dir(), *dirs]):
        if not directory.is_dir():
            raise CheckDefinitionError(
                "checks directory not found",
                file=str(directory),
                hint="pass an existing directory to --checks-dir",
            )
        for path in sorted(directory.rglob("*.yml")):
            check = load_check_file(path)
            if check.id in checks:
                raise CheckDefinitionError(
                    f"check id {check.id!r} is already defined in {checks[check.id].source}",
                    file=str(path),
                    field="id",
                    hint="built-in ids are reserved; give your check its own family or name"
                    if index
                    else "ids must be unique",
                )
            checks[check.id] = check
    return tuple(sorted(checks.values(), key=lambda c: c.id))


def select_checks(
    checks: Sequence[Check],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    tags: Sequence[str] = (),
) -> tuple[Check, ...]:
    """Filter by id globs (`ssh.*`, or a family name) and tags; a selector matching nothing is an error."""
    include = [p if ("." in p or any(ch in p for ch in "*?[")) else f"{p}.*" for p in include]
    for tag in tags:
        if not any(tag in c.tags for c in checks):
            raise CheckDefinitionError(
                f"--tags {tag!r} matches no check", hint="see `audit checks list`"
            )
    checks = [c for c in checks if not tags or any(t in c.tags for t in tags)]
    for pattern in include:
        if not any(fnmatch.fnmatchcase(c.id, pattern) for c in checks):
            raise CheckDefinitionError(
                f"--checks {pattern!r} matches no check", hint="see `audit checks list`"
            )
    chosen = [
        c for c in checks if not include or any(fnmatch.fnmatchcase(c.id, p) for p in include)
    ]
    return tuple(c for c in chosen if not any(fnmatch.fnmatchcase(c.id, p) for p in exclude))
