"""Documentation generated from check definitions: `audit checks show` and docs/checks.md."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from hardaudit.checks.model import Check


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


def render_catalog_markdown(checks: Sequence[Check]) -> str:
    """docs/checks.md: one section per check, generated (a test keeps the file in sync)."""
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
        f"| [{c.id}](#{c.id.replace('.', '')}) | {c.severity.label} | {c.title} |" for c in checks
    )
    for c in checks:
        out += ["", f"## {c.id}", "", f"**{c.title}** — severity `{c.severity.label}`", ""]
        out += [
            " ".join(c.rationale.split()),
            "",
            f"**Remediation.** {' '.join(c.remediation.split())}",
            "",
        ]
        out.append(f"- Facts: {', '.join(f'`{f}`' for f in c.facts)}; evaluator `{c.evaluator}`")
        if c.params:
            out.append(
                f"- Parameters: {'; '.join(f'`{k}`: {_value(v)}' for k, v in c.params.items())}"
            )
        for v in c.variables:
            out.append(
                f"- Inventory variable `{v.name}` (default `{_value(v.default)}`): {v.description}"
            )
        if c.references:
            out.append(f"- References: {'; '.join(f'{k} {v}' for k, v in c.references.items())}")
        if c.tags:
            out.append(f"- Tags: {', '.join(c.tags)}")
    return "\n".join(out) + "\n"
