"""YAML values PyYAML cannot build, reported where they are.

PyYAML's safe constructors raise a bare ValueError (no file position) for `2030-13-01` (no
month 13) and for an integer over Python's 4,300-digit limit. `ValueMarks`, mixed into a
loader, turns those into a ConstructorError carrying the node's line and column, so the
caller's usual `yaml.MarkedYAMLError` handling names file:line.
"""

from __future__ import annotations

import yaml


class ValueMarks:
    """Loader mixin (put it first): value errors become marked ConstructorErrors."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> object:
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except (ValueError, OverflowError) as exc:
            shown = str(node.value)
            shown = shown if len(shown) <= 40 else f"{shown[:40]}... ({len(shown)} characters)"
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid value {shown!r}: {exc}", node.start_mark
            ) from None


class SafeLoader(ValueMarks, yaml.SafeLoader):
    """yaml.SafeLoader with marked value errors."""
