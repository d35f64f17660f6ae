"""YAML/JSON loading that remembers where every mapping key sits, so errors can point at it."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

from hardaudit.errors import InventoryError

# Above this size, a JSON inventory (a big `ansible-inventory --list` dump) is read
# without key positions: marking costs seconds there, and such files are generated.
_MARK_JSON_LIMIT = 2_000_000
_HUGE_NUMBER = re.compile(r"\d{4000,}")


class MarkedDict(dict[Any, Any]):
    """A mapping plus the 1-based (line, column) of itself and of each of its keys.

    Positions are None when the data did not come from a file we could mark (e.g. JSON
    that PyYAML cannot read).
    """

    def __init__(self, line: int | None = None, column: int | None = None) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.key_marks: dict[Any, tuple[int, int]] = {}

    def mark_of(self, key: Any) -> tuple[int | None, int | None]:
        """Line and column of `key`, falling back to the mapping's own position."""
        mark = self.key_marks.get(key)
        if mark is not None:
            return mark
        return self.line, self.column


@dataclass(frozen=True)
class VaultedValue:
    """Stand-in for an Ansible `!vault` value: kept opaque, never decrypted or shown.

    The position is None for a vault value read from JSON (`{"__ansible_vault": ...}`).
    """

    line: int | None
    column: int | None

    def __repr__(self) -> str:
        return "<vaulted>"


# libyaml's parser is ~10x faster (big `ansible-inventory --list` dumps) and keeps marks.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _MarkingLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """SafeLoader whose mappings are MarkedDicts (and which knows Ansible's two tags)."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        # PyYAML lets a value's own failure escape without a position: `2024-02-30`
        # (ValueError from date()), a 5000-digit integer (int max str digits), an
        # out-of-range date (OverflowError). Pin it to the innermost node's line.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(
                None, None, f"cannot read value {_shorten(node)}: {_text(exc)}", node.start_mark
            ) from exc


def _construct_mapping(loader: yaml.SafeLoader, node: Node) -> MarkedDict:
    if not isinstance(node, MappingNode):  # pragma: no cover - PyYAML only routes maps here
        raise ConstructorError(None, None, "expected a mapping", node.start_mark)
    loader.flatten_mapping(node)
    data = MarkedDict(node.start_mark.line + 1, node.start_mark.column + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError as exc:
            raise ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            ) from exc
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_marks[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    return data


def _construct_vault(loader: yaml.SafeLoader, node: Node) -> VaultedValue:
    # Why: group_vars/all.yml often holds a vaulted become password; we must still load.
    del loader
    return VaultedValue(node.start_mark.line + 1, node.start_mark.column + 1)


class UnsafeText(str):
    """A string Ansible marks `!unsafe`: kept literal, never templated (`{{ x }}` stays)."""

    __slots__ = ()


def mark_unsafe(value: Any) -> Any:
    """Every string inside `value` as UnsafeText (Ansible's `!unsafe` applies deeply)."""
    if isinstance(value, str):
        return UnsafeText(value)
    if isinstance(value, MarkedDict):
        out = MarkedDict(value.line, value.column)
        out.key_marks.update(value.key_marks)
        out.update({key: mark_unsafe(item) for key, item in value.items()})
        return out
    if isinstance(value, dict):
        return {key: mark_unsafe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mark_unsafe(item) for item in value]
    return value


def _construct_unsafe(loader: yaml.SafeLoader, node: Node) -> Any:
    # `!unsafe` tells Ansible never to template the value: `{{ x }}` stays literal text.
    if isinstance(node, ScalarNode):
        return UnsafeText(loader.construct_scalar(node))
    if isinstance(node, MappingNode):
        return mark_unsafe(_construct_mapping(loader, node))
    return mark_unsafe(loader.construct_sequence(node, deep=True))  # type: ignore[arg-type]


_MarkingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_MarkingLoader.add_constructor("!vault", _construct_vault)
_MarkingLoader.add_constructor("!unsafe", _construct_unsafe)


VAULT_HEADER = "$ANSIBLE_VAULT;"


class VaultEncryptedError(InventoryError):
    """Vault-encrypted content where hardaudit needs plain text: stops the run (exit 2),
    even when only one host's variable is concerned (the inventory needs a vault password
    hardaudit will never have)."""


def read_text(path: Path, shown: str) -> str:
    """Read a UTF-8 file, turning OS and decoding failures into InventoryError.

    A whole-file Ansible Vault (`$ANSIBLE_VAULT;1.1;AES256` ...) is refused here, so no
    parser ever reads cipher text as host names or variables.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InventoryError(
            "file not found", file=shown, hint="pass -i with an Ansible inventory file or directory"
        ) from exc
    except UnicodeDecodeError as exc:
        raise InventoryError(f"not UTF-8 text ({exc.reason})", file=shown) from exc
    except OSError as exc:
        raise InventoryError(f"cannot read: {exc.strerror}", file=shown) from exc
    if text.lstrip().startswith(VAULT_HEADER):
        raise VaultEncryptedError(
            "file is encrypted with Ansible Vault; hardaudit does not decrypt Ansible Vault",
            file=shown,
            line=text[: text.find(VAULT_HEADER)].count("\n") + 1,
            hint="export it once with your vault password: 'ansible-inventory -i FILE --list"
            " > inventory.json', and pass that",
        )
    return text


def _shorten(node: Node) -> str:
    value = node.value if isinstance(node, ScalarNode) else ""
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _text(exc: BaseException) -> str:
    text = str(exc)
    if "integer string conversion" in text:  # CPython's int max str digits
        return f"integer with more than {sys.get_int_max_str_digits()} digits"
    return text if len(text) <= 120 else text[:117] + "..."


# Nesting deeper than this is refused with the line where it happens (before Python's own
# recursion limit turns it into a RecursionError without a position).
_MAX_DEPTH = 200


def _too_deep(text: str, shown: str) -> InventoryError:
    """The error for data nested too deeply, at the first line past _MAX_DEPTH brackets
    (JSON and YAML flow style); line unknown for YAML nested by indentation alone."""
    depth = 0
    line = 1
    quote = ""
    escaped = False
    for char in text:
        if char == "\n":
            line += 1
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > _MAX_DEPTH:
                break
        elif char in "]}":
            depth -= 1
    else:
        line = 0
    return InventoryError(
        f"data nested more than {_MAX_DEPTH} levels deep",
        file=shown,
        line=line or None,
        hint="flatten the structure; an inventory never needs such nesting",
    )


def parse_yaml(text: str, shown: str) -> Any:
    """Parse YAML text into plain data with MarkedDict mappings; errors carry file:line:col."""
    try:
        return yaml.load(text, Loader=_MarkingLoader)  # a SafeLoader subclass
    except RecursionError as exc:
        raise _too_deep(text, shown) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{problem} {exc.context}"
            # The context often starts far above the problem (an unclosed quote, say).
            if exc.context_mark and mark and exc.context_mark.line != mark.line:
                problem += f" started at line {exc.context_mark.line + 1}"
        raise InventoryError(
            f"YAML syntax error: {problem}",
            file=shown,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise InventoryError(f"YAML error: {exc}", file=shown) from exc


def parse_json(text: str, shown: str) -> Any:
    """Parse JSON exactly (json module), then borrow key positions from a YAML parse."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryError(
            f"JSON syntax error: {exc.msg}", file=shown, line=exc.lineno, column=exc.colno
        ) from exc
    except RecursionError as exc:
        raise _too_deep(text, shown) from exc
    except (ValueError, OverflowError) as exc:  # e.g. an integer past int max str digits
        huge = _HUGE_NUMBER.search(text)
        raise InventoryError(
            f"cannot read value: {_text(exc)}",
            file=shown,
            line=text.count("\n", 0, huge.start()) + 1 if huge else None,
            hint="write such a value as a string",
        ) from exc
    if len(text) > _MARK_JSON_LIMIT:
        return _graft_marks(data, None)
    try:
        marked = yaml.load(text, Loader=_MarkingLoader)  # a SafeLoader subclass
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError):
        marked = None  # JSON-valid but not YAML (a >1024-char key): positions unknown
    return _graft_marks(data, marked)


def _graft_marks(data: Any, marked: Any) -> Any:
    # Values come from json (exact JSON semantics); only the positions come from YAML.
    if isinstance(data, dict):
        if set(data) == {"__ansible_vault"}:  # how `ansible-inventory --list` prints !vault
            return VaultedValue(None, None)
        if set(data) == {"__ansible_unsafe"}:  # ... and !unsafe
            return mark_unsafe(data["__ansible_unsafe"])
        source = marked if isinstance(marked, MarkedDict) else None
        out = MarkedDict(source.line if source else None, source.column if source else None)
        for key, value in data.items():
            out[key] = _graft_marks(value, source.get(key) if source else None)
            if source is not None and key in source.key_marks:
                out.key_marks[key] = source.key_marks[key]
        return out
    if isinstance(data, list):
        others = marked if isinstance(marked, list) and len(marked) == len(data) else None
        return [_graft_marks(v, others[i] if others else None) for i, v in enumerate(data)]
    return data
