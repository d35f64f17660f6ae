"""Command-line defects from first contact: empty selections, budget messages, start-up cost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hardaudit.cli import FORMATS, main

REPLAY = Path(__file__).parents[2] / "fixtures" / "replay"
BASE = ["run", "-i", str(REPLAY / "inventory.yml"), "--replay-dir", str(REPLAY / "captures")]


def test_a_selection_that_leaves_no_check_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = [*BASE, "--checks", "ssh.password-auth", "--skip-checks", "ssh.*"]
    assert main([*argv, "--output-dir", str(out)]) == 2
    assert "leaves no check" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("option", ["--host-timeout", "--connect-timeout"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_zero_budget_says_greater_than_0(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*BASE, option, value]) == 2
    err = capsys.readouterr().err
    assert "greater than 0" in err
    assert "between 0 and" not in err


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


HEAVY = {"paramiko", "jinja2", "invoke", "fabric", "cryptography", "yaml", "tabulate"}


def test_importing_the_cli_loads_no_heavy_dependency() -> None:
    assert _modules_after("import hardaudit.cli") & HEAVY == set()


def test_help_and_checks_list_load_no_ssh_or_template_engine() -> None:
    for argv in (["--help"], ["checks", "list"]):
        loaded = _modules_after(
            "import contextlib, io\nfrom hardaudit.cli import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()): main({argv!r})"
        )
        assert loaded & {"paramiko", "jinja2", "invoke", "fabric", "cryptography"} == set(), argv


def test_the_cli_knows_every_report_format() -> None:
    from hardaudit.report.writers import FORMATS as WRITER_FORMATS

    assert FORMATS == WRITER_FORMATS
