"""group_vars/ and host_vars/ beside an inventory, found the way Ansible's host_group_vars does."""

from __future__ import annotations

import os
from pathlib import Path

from hardaudit.errors import InventoryError
from hardaudit.inventory._events import Origin, Var
from hardaudit.inventory._yaml import MarkedDict, parse_json, parse_yaml, read_text

# Tried in this order; the first that exists wins (a directory is read whole).
_EXTENSIONS = ("", ".yml", ".yaml", ".json")


def entity_vars(base: Path, shown_base: Path, kind: str, name: str) -> dict[str, Var]:
    """Variables for group or host `name` from `base/<kind>/` (kind: group_vars|host_vars).

    Looks for `<name>`, `<name>.yml`, `<name>.yaml`, `<name>.json`; the first that exists is
    used. If it is a directory, every file in it (recursively, sorted; hidden files, `~`
    backups and other extensions skipped) is merged in order. Relative paths inside these
    files resolve against `base` (the inventory base), not against group_vars/ itself.
    """
    # Why: a name with a slash or a leading dot must never reach outside group_vars/.
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return {}
    root = base / kind
    if not root.is_dir():
        return {}
    files: list[Path] = []
    for ext in _EXTENSIONS:
        candidate = root / f"{name}{ext}"
        if candidate.is_dir():
            files = _dir_files(candidate)
            break
        if candidate.is_file():
            files = [candidate]
            break
    merged: dict[str, Var] = {}
    for path in files:
        shown = str(shown_base / path.relative_to(base))
        merged.update(_vars_file(path, shown, Path(os.path.abspath(base))))
    return merged


def _dir_files(directory: Path) -> list[Path]:
    found: list[Path] = []
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name.endswith("~"):
            continue
        if entry.is_dir() and not entry.suffix:
            found.extend(_dir_files(entry))
        elif entry.is_file() and entry.suffix in _EXTENSIONS:
            found.append(entry)
    return found


def _vars_file(path: Path, shown: str, base_dir: Path) -> dict[str, Var]:
    text = read_text(path, shown)
    data = parse_json(text, shown) if path.suffix == ".json" else parse_yaml(text, shown)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InventoryError(
            f"must be a mapping of variable names to values, got {type(data).__name__}",
            file=shown,
            line=1,
        )
    out: dict[str, Var] = {}
    for key, value in data.items():
        line, column = data.mark_of(key) if isinstance(data, MarkedDict) else (None, None)
        origin = Origin(shown, line, column, str(key), base_dir)
        if not isinstance(key, str):
            raise origin.error(f"variable names must be strings, got {key!r}")
        out[key] = Var(value, origin)
    return out
