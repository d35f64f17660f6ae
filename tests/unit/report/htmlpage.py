"""Reading a rendered HTML report in tests: its data block and its sections."""

from __future__ import annotations

import json
import re
from typing import Any

DATA = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def data_of(page: str) -> dict[str, Any]:
    """The page's data block, parsed as the page's script parses it."""
    blocks = DATA.findall(page)
    assert len(blocks) == 1
    parsed: dict[str, Any] = json.loads(blocks[0])
    return parsed


def host_data(page: str, name: str) -> dict[str, Any]:
    return next(h for h in data_of(page)["hosts"] if h["n"] == name)


def section(page: str, name: str) -> str:
    return page.split(f'<section id="{name}">', 1)[1].split("</section>", 1)[0]


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []
