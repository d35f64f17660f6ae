"""Generated files stay in sync with their source: the check catalog and the sudoers example."""

from pathlib import Path

from hardaudit.checks.docs import render_catalog_markdown
from hardaudit.checks.loader import load_checks
from hardaudit.facts.script import sudoers_example

ROOT = Path(__file__).parents[2]


def test_docs_checks_md_matches_definitions() -> None:
    expected = render_catalog_markdown(load_checks())
    actual = (ROOT / "docs" / "checks.md").read_text()
    assert actual == expected, "docs/checks.md is stale: run `audit checks docs > docs/checks.md`"


def test_sudoers_example_matches_the_script() -> None:
    actual = (ROOT / "docs" / "sudoers.example").read_text()
    assert actual == sudoers_example(), "run `audit sudoers > docs/sudoers.example`"


def test_security_md_lists_every_root_command() -> None:
    security = (ROOT / "SECURITY.md").read_text()
    for line in sudoers_example().splitlines():
        if line.startswith("    /"):
            assert line.rstrip(", \\") in security, line


def test_root_helper_examples_match_the_script() -> None:
    from hardaudit.facts.script import root_helper_text

    helper = (ROOT / "docs" / "root-facts.example").read_text()
    assert helper == root_helper_text(), "run `audit root-helper > docs/root-facts.example`"
    actual = (ROOT / "docs" / "sudoers-root-helper.example").read_text()
    assert actual == sudoers_example(root_helper=True), (
        "run `audit sudoers --root-helper > docs/sudoers-root-helper.example`"
    )
