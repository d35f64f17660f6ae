"""Documentation generated from check definitions: `audit checks show` and docs/checks.md."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from hardaudit.checks.model import Check
from hardaudit.printable import printable


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(
        " ".join(text.split()), width=96, initial_indent=indent, subsequent_indent=indent
    )


def render_check_text(check: Check) -> str:
    """`audit checks show ID`: every field of a check definition, for a terminal."""
    lines = [
        f"{check.id}  [{check.severity.label}]",
        f"  {check.title}",
        "",
        "Rationale:",
        _wrap(check.rationale),
        "",
        "Remediation:",
        _wrap(check.remediation),
        "",
        f"Facts: {', '.join(check.facts)}    Evaluator: {check.evaluator}",
    ]
    if check.command:
        lines.append(f"Command (runs as the login user): {check.command}")
    if check.params:
        lines.append("Parameters:")
        lines.extend(f"  {k}: {_value(v)}" for k, v in check.params.items())
    if check.variables:
        lines.append("Inventory variables:")
        lines.extend(
            f"  {v.name} (default {_value(v.default)}): {v.description}" for v in check.variables
        )
    if check.references:
        lines.append("References:")
        lines.extend(f"  {k}: {v}" for k, v in check.references.items())
    if check.tags:
        lines.append(f"Tags: {', '.join(check.tags)}")
    lines.append(f"Defined in: {display_source(check)}")
    return "\n".join(lines)


def display_source(check: Check) -> str:
    """Built-in checks by their repository path (checks/<family>/<id>.yml), others as given."""
    marker = "builtin_checks/"
    if marker in check.source:
        return "checks/" + check.source.rsplit(marker, 1)[1]
    return check.source


def _value(value: Any) -> str:
    if isinstance(value, dict) or hasattr(value, "items"):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def _md(text: str) -> str:
    """Check-file text for one Markdown line: controls and newlines escaped, so a title or
    a description cannot start a table row, a heading or a list item of its own."""
    return printable(text)


def _cell(text: str) -> str:
    """`_md` for a table cell: `|` escaped too, so the text cannot add a column."""
    return _md(text).replace("|", "\\|")


def render_catalog_markdown(checks: Sequence[Check]) -> str:
    """docs/checks.md: one section per check, generated (a test keeps the file in sync).

    Every field comes from a check file (`--checks-dir` ones too) and passes through `_md`."""
    out = [
        "# Check catalog",
        "",
        "Generated from `checks/<family>/<id>.yml` by `audit checks docs`; do not edit by hand.",
        "Results: `pass`, `fail`, `unknown` (a fact could not be read; never a pass), `skip`.",
        "",
        "| id | severity | title |",
        "|---|---|---|",
    ]
    out.extend(
        f"| [{_cell(c.id)}](#{_cell(c.id.replace('.', ''))}) | {c.severity.label} | {_cell(c.title)} |"
        for c in checks
    )
    for c in checks:
        out += ["", f"## {_md(c.id)}", "", f"**{_md(c.title)}** — severity `{c.severity.label}`"]
        out += [
            "",
            _md(" ".join(c.rationale.split())),
            "",
            f"**Remediation.** {_md(' '.join(c.remediation.split()))}",
            "",
        ]
        facts = ", ".join(f"`{_md(f)}`" for f in c.facts)
        out.append(f"- Facts: {facts}; evaluator `{_md(c.evaluator)}`")
        if c.params:
            params = "; ".join(f"`{_md(str(k))}`: {_md(_value(v))}" for k, v in c.params.items())
            out.append(f"- Parameters: {params}")
        for v in c.variables:
            out.append(
                f"- Inventory variable `{_md(v.name)}` (default `{_md(_value(v.default))}`): "
                f"{_md(v.description)}"
            )
        if c.references:
            refs = "; ".join(f"{_md(str(k))} {_md(str(v))}" for k, v in c.references.items())
            out.append(f"- References: {refs}")
        if c.tags:
            out.append(f"- Tags: {_md(', '.join(c.tags))}")
    return "\n".join(out) + "\n"
