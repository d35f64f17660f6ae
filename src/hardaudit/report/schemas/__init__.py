"""JSON Schemas (draft 2020-12) of the machine-readable documents, shipped with the package.

`report.schema.json` describes report.json (hardaudit.report/1), `diff.schema.json` the
`audit diff --format json` document (hardaudit.diff/1); `audit schema report|diff` prints
them. Both allow fields they do not name, as the contract promises (fields may be added).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SCHEMAS = ("report", "diff")


def schema_text(name: str) -> str:
    """The schema document `name` (one of SCHEMAS) as shipped; ValueError for another name."""
    if name not in SCHEMAS:
        raise ValueError(f"unknown schema {name!r}; known: {', '.join(SCHEMAS)}")
    return (resources.files(__name__) / f"{name}.schema.json").read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """The schema document `name` as data."""
    data: dict[str, Any] = json.loads(schema_text(name))
    return data
