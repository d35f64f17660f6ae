"""Load profiles from YAML, validated against the checks they name; errors give file:line:field.

A profile file (`profiles/<name>.yml`, docs/writing-profiles.md)::

    name: bastion
    description: jump hosts that operators reach first
    checks: [ssh, fw, file.sshd-config]   # ids, globs or family names
    tags: [brute-force]                     # and/or check tags
    variables:
      ssh_allow_forwarding: true            # check variables (see `audit checks show ID`)
    manual:
      - id: mfa-admins
        text: MFA enforced for every admin account

Everything is checked on load: an unknown field, a pattern or tag that matches no check, a
variable no loaded check declares (or none of the profile's checks reads), a value of the
wrong kind, a manual item without id or text, two items with one id, a key given twice,
aliases that contain themselves or multiply past _MAX_VALUES.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from hardaudit.checks.model import Check
from hardaudit.checks.yamlvalues import SafeLoader
from hardaudit.errors import ProfileError
from hardaudit.profiles.model import ManualItem, Profile

_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # fullmatch: `$` would pass "a\n"
_FIELDS = ("name", "description", "checks", "tags", "variables", "manual")
_MANUAL_FIELDS = ("id", "text")
_HINT = "see docs/writing-profiles.md"
_MAX_BYTES = 1 << 20  # a profile is a page of YAML, not a megabyte

Path_ = tuple[str | int, ...]


def builtin_profiles_dir() -> Path:
    """The profiles shipped inside the package (the repo's top-level profiles/)."""
    return Path(str(resources.files("hardaudit") / "builtin_profiles"))


def display_source(profile: Profile) -> str:
    """Where a report says a profile comes from: a shipped one by its repository path
    (`profiles/bastion.yml`, as a built-in check is `checks/<family>/<id>.yml`), whatever
    directory this machine installed the package in (shards run on several machines and
    `audit merge` compares their records); a user's as loaded."""
    path = Path(profile.source)
    if path.parent == builtin_profiles_dir():
        return f"profiles/{path.name}"
    return profile.source


# A profile is a page of YAML: nesting and values past these are an alias that contains itself
# or multiplies (`b: [*a, *a, ...]`, eight values per level is a billion at ten levels).
_MAX_DEPTH = 32
_MAX_VALUES = 100_000


def _positions(node: yaml.Node | None, path: Path) -> dict[Path_, int]:
    """Line (1-based) of every key and list item of a composed document, by its path.

    A key given twice in one mapping (YAML keeps the last one silently), nesting deeper than
    _MAX_DEPTH or more than _MAX_VALUES values once aliases are expanded are refused with
    the line: the document is walked as the validation will walk the data, so both stay
    bounded whatever a profile's anchors and aliases do."""
    lines: dict[Path_, int] = {}
    count = 0

    def walk(current: yaml.Node, where: Path_) -> None:
        nonlocal count
        count += 1
        line = current.start_mark.line + 1
        if len(where) > _MAX_DEPTH:
            raise _File(path, lines).fail(
                where[:1],
                f"nested more than {_MAX_DEPTH} levels (an alias that contains itself?)",
                "a profile is flat: lists of names, variables, manual items",
            )
        if count > _MAX_VALUES:
            raise ProfileError(
                f"more than {_MAX_VALUES:,} values once its aliases are expanded",
                file=str(path),
                line=line,
                hint="write the values out; a profile needs no repeated aliases",
            )
        lines.setdefault(where, line)
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in current.value:
                name = str(key.value)
                child = (*where, name)
                key_line = key.start_mark.line + 1
                if name in seen and key.tag != "tag:yaml.org,2002:merge":
                    lines[child] = key_line
                    raise _File(path, lines).fail(
                        child,
                        f"given twice (also on line {seen[name]}): YAML would keep only "
                        "the last one",
                        "keep one, with every value it needs",
                    )
                seen[name] = key_line
                lines[child] = key_line
                walk(value, child)
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                walk(item, (*where, index))

    if node is not None:
        walk(node, ())
    return lines


class _File:
    """One profile file being validated: its errors name it, the line and the field."""

    def __init__(self, path: Path, lines: Mapping[Path_, int]) -> None:
        self.path = path
        self.lines = lines

    def fail(self, where: Path_, message: str, hint: str = _HINT) -> ProfileError:
        line = None
        for depth in range(len(where), -1, -1):  # the deepest part of the path the file has
            line = self.lines.get(where[:depth])
            if line is not None:
                break
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")
        return ProfileError(message, file=str(self.path), line=line, field=field or None, hint=hint)


def _read(path: Path) -> tuple[Any, dict[Path_, int]]:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise ProfileError(f"cannot read: {exc.strerror}", file=str(path)) from None
    if len(raw) > _MAX_BYTES:
        raise ProfileError("larger than 1 MiB: not a profile", file=str(path))
    try:
        text = raw.decode("utf-8")
        node = yaml.compose(text, Loader=SafeLoader)
        data = yaml.load(text, Loader=SafeLoader) if node is not None else None
    except UnicodeDecodeError:
        raise ProfileError("not UTF-8 text", file=str(path)) from None
    except yaml.MarkedYAMLError as exc:
        raise ProfileError.yaml_syntax(exc, str(path), "fix the YAML syntax") from None
    except (yaml.YAMLError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise ProfileError(f"cannot parse: {why}", file=str(path)) from None
    return data, _positions(node, path)


def _strings(file: _File, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise file.fail((key,), "must be a list of strings", f"e.g. {key}: [ssh, fw.enabled]")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise file.fail((key, index), "must be a non-empty string", _HINT)
    return tuple(item.strip() for item in value)


def _pattern(text: str) -> str:
    """A family name (`ssh`) means every check of it (`ssh.*`), as --checks does."""
    return text if ("." in text or any(ch in text for ch in "*?[")) else f"{text}.*"


def select_profile_checks(profile: Profile, checks: Sequence[Check]) -> tuple[Check, ...]:
    """The checks of `checks` that `profile` selects: any of its patterns or tags matches."""
    patterns = [_pattern(p) for p in profile.checks]
    return tuple(
        c
        for c in checks
        if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)
        or any(t in c.tags for t in profile.tags)
    )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a mapping"


def _freeze(file: _File, where: Path_, value: Any) -> Any:
    """A JSON-representable value, lists as tuples: report.json carries it as is."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise file.fail(where, "integer too large", "variables hold ports, names, flags")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise file.fail(where, "must be a finite number", _HINT)
        return value
    if isinstance(value, list):
        return tuple(_freeze(file, (*where, index), item) for index, item in enumerate(value))
    raise file.fail(
        where,
        f"unsupported value of type {type(value).__name__}",
        "use text, numbers, true/false or lists of them",
    )


def _variables(
    file: _File, data: Mapping[str, Any], checks: Sequence[Check], selected: Sequence[Check]
) -> tuple[dict[str, Any], dict[str, int]]:
    raw = data.get("variables")
    if raw is None:
        return {}, {}
    if not isinstance(raw, dict):
        raise file.fail(("variables",), "must be a mapping of variable: value", _HINT)
    declared = {v.name: v for c in checks for v in c.variables}
    read_by_selected = {v.name for c in selected for v in c.variables}
    out: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for name, value in raw.items():
        where: Path_ = ("variables", str(name))
        if not isinstance(name, str) or str(name) not in declared:
            raise file.fail(
                where,
                f"unknown variable {str(name)[:60]!r}: no check declares it",
                f"known: {', '.join(sorted(declared))}",
            )
        if name not in read_by_selected:
            readers = sorted(c.id for c in checks if any(v.name == name for v in c.variables))
            raise file.fail(
                where,
                f"variable {name!r} tunes no check this profile selects",
                f"select one of {', '.join(readers)}, or drop the variable",
            )
        default = declared[name].default
        if default is not None and _kind(value) != _kind(default):
            raise file.fail(
                where,
                f"must be {_kind(default)}, like its default {default!r}",
                f"see `audit checks show` for {name}",
            )
        out[name] = _freeze(file, where, value)
        lines[name] = file.lines.get(where, 0)
    return out, lines


def _manual(file: _File, data: Mapping[str, Any]) -> tuple[ManualItem, ...]:
    raw = data.get("manual")
    if raw is None:
        return ()
    hint = "each item is {id: short-id, text: what a person verifies}"
    if not isinstance(raw, list):
        raise file.fail(("manual",), "must be a list of {id, text}", hint)
    items: list[ManualItem] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        where: Path_ = ("manual", index)
        if not isinstance(entry, dict):
            raise file.fail(where, "must be a mapping with `id` and `text`", hint)
        for key in entry:
            if key not in _MANUAL_FIELDS:
                raise file.fail((*where, str(key)), "unknown field", hint)
        for key in _MANUAL_FIELDS:
            if key not in entry:
                raise file.fail(where, f"missing `{key}`", hint)
        item_id, text = entry["id"], entry["text"]
        if not isinstance(item_id, str) or not _NAME.fullmatch(item_id):
            raise file.fail(
                (*where, "id"), f"invalid id {str(item_id)[:60]!r}", "lower-case, hyphenated"
            )
        if item_id in seen:
            raise file.fail((*where, "id"), f"duplicate id {item_id!r}", "ids are unique")
        seen.add(item_id)
        if not isinstance(text, str) or not text.strip():
            raise file.fail((*where, "text"), "must be a non-empty string", hint)
        items.append(ManualItem(item_id, " ".join(text.split())))
    return tuple(items)


def load_profile_file(path: Path, checks: Sequence[Check]) -> Profile:
    """Parse one profile file and validate it against the loaded `checks`."""
    data, lines = _read(path)
    file = _File(path, lines)
    if not isinstance(data, dict):
        raise file.fail((), "a profile file must be a YAML mapping", _HINT)
    for key in data:
        if key not in _FIELDS:
            raise file.fail((str(key),), "unknown field", f"known fields: {', '.join(_FIELDS)}")
    for key in ("name", "description"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise file.fail((key,), "must be a non-empty string", f"every profile needs `{key}:`")
    name = data["name"].strip()
    if not _NAME.fullmatch(name):
        raise file.fail(("name",), f"invalid name {name[:60]!r}", "lower-case, hyphenated")
    if path.stem != name:
        raise file.fail(
            ("name",),
            f"name {name!r} does not match file name {path.name!r}",
            f"name the file {name}.yml",
        )
    patterns = _strings(file, data, "checks")
    tags = _strings(file, data, "tags")
    if not patterns and not tags:
        raise file.fail(
            ("checks",), "selects no check", "list check ids, globs or families under `checks:`"
        )
    for index, pattern in enumerate(patterns):
        if not any(fnmatch.fnmatchcase(c.id, _pattern(pattern)) for c in checks):
            raise file.fail(
                ("checks", index), f"{pattern!r} matches no check", "see `audit checks list`"
            )
    known_tags = {t for c in checks for t in c.tags}
    for index, tag in enumerate(tags):
        if tag not in known_tags:
            raise file.fail(
                ("tags", index), f"tag {tag!r} is on no check", "see `audit checks list`"
            )
    profile = Profile(
        name=name,
        description=" ".join(data["description"].split()),
        checks=patterns,
        tags=tags,
        source=str(path),
    )
    selected = select_profile_checks(profile, checks)
    variables, var_lines = _variables(file, data, checks, selected)
    return Profile(
        name=name,
        description=profile.description,
        checks=patterns,
        tags=tags,
        variables=MappingProxyType(variables),
        manual=_manual(file, data),
        source=str(path),
        lines=MappingProxyType(var_lines),
    )


def load_profiles(dirs: Iterable[Path], checks: Sequence[Check]) -> dict[str, Profile]:
    """The shipped profiles plus those in `dirs` (`--profiles-dir`), by name; a name defined
    twice is an error naming both files (an inventory must know which one it gets)."""
    profiles: dict[str, Profile] = {}
    for directory in [builtin_profiles_dir(), *dirs]:
        if not directory.is_dir():
            raise ProfileError(
                "profiles directory not found",
                file=str(directory),
                hint="pass an existing directory to --profiles-dir",
            )
        for path in sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]):
            profile = load_profile_file(path, checks)
            if profile.name in profiles:
                raise ProfileError(
                    f"profile {profile.name!r} is already defined in "
                    f"{profiles[profile.name].source}",
                    file=str(path),
                    field="name",
                    hint="give your profile its own name (copy the shipped one and rename it)",
                )
            profiles[profile.name] = profile
    return profiles


def find_profiles(
    names: Iterable[str], profiles: Mapping[str, Profile], what: str
) -> tuple[Profile, ...]:
    """The profiles `names` name, in order, once each; an unknown name is an error."""
    out: dict[str, Profile] = {}
    for name in names:
        if name not in profiles:
            raise ProfileError(
                f"{what}: no profile named {str(name)[:80]!r}",
                hint=f"known: {', '.join(sorted(profiles))} (see `audit profiles list`)",
            )
        out.setdefault(name, profiles[name])
    return tuple(out.values())


def merged_variables(profiles: Sequence[Profile]) -> dict[str, Any]:
    """The variables `profiles` set together; two that set one variable to different values
    are an error naming both files and lines (neither silently wins)."""
    merged: dict[str, Any] = {}
    owner: dict[str, Profile] = {}
    for profile in profiles:
        for name, value in profile.variables.items():
            if name in merged and merged[name] != value:
                first = owner[name]
                raise ProfileError(
                    f"profiles {first.name!r} and {profile.name!r} set {name} differently: "
                    f"{_show(merged[name])} ({first.where(name)}) and {_show(value)} "
                    f"({profile.where(name)})",
                    hint="set it in one profile only, or in the inventory for these hosts",
                )
            merged[name] = value
            owner.setdefault(name, profile)
    return merged


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)
