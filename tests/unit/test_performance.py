"""What keeps a large run cheap on the client (bench/README.md has the figures)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hardaudit.runner as runner
from hardaudit.cli import main

REPLAY = Path(__file__).parents[1] / "fixtures" / "replay"


def test_judge_worker_processes_are_one_per_cpu_not_one_per_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """forks=50 on a 2-CPU machine starts 2 judge processes, not 50 (~25 MB each)."""
    asked: list[int] = []

    class Recording(runner.BoundedJudge):
        def __init__(self, *args: Any, workers: int = 2, **kwargs: Any) -> None:
            asked.append(workers)
            super().__init__(*args, workers=workers, **kwargs)

    monkeypatch.setattr(runner, "BoundedJudge", Recording)
    monkeypatch.setattr(runner.os, "cpu_count", lambda: 2)
    inventory, captures = REPLAY / "inventory.yml", REPLAY / "captures"
    argv = ["run", "-i", str(inventory), "--replay-dir", str(captures), "--forks", "50"]
    assert main([*argv, "--output-dir", str(tmp_path), "--format", "json"]) == 3
    assert asked == [2]


@pytest.mark.parametrize(
    "command", [["--help"], ["checks", "list"], ["sudoers"], ["checks", "show", "ssh.protocol"]]
)
def test_quick_commands_do_not_import_ssh_or_templates(command: list[str]) -> None:
    """`audit --help` and `audit checks list` start fast: paramiko, cryptography and Jinja2
    are imported only by the commands that use them (not a timed test)."""
    code = (
        "import sys\n"
        "from hardaudit.cli import main\n"
        "try:\n"
        f"    main({command!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'paramiko', 'cryptography', 'jinja2', 'nacl', 'bcrypt'})\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "HEAVY []"


def test_importing_the_cli_imports_no_third_party_module() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import hardaudit.cli\n"
        "print(sorted({m.split('.')[0] for m in set(sys.modules) - before} & "
        "{'paramiko', 'cryptography', 'jinja2', 'yaml', 'tabulate', 'nacl'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_default_forks_are_the_measured_fifty_in_the_cli_and_the_runner() -> None:
    from hardaudit.cli import DEFAULT_FORKS, build_parser

    args = build_parser().parse_args(["run"])
    assert args.forks == DEFAULT_FORKS == runner.RunOptions().forks == 50


def test_checks_list_prints_what_tabulate_would() -> None:
    """`audit checks list` formats its table itself (tabulate costs ~50 ms of start-up)."""
    from tabulate import tabulate

    from hardaudit.checks.loader import load_checks
    from hardaudit.cli import simple_table

    rows = [[c.id, c.severity.label, ",".join(c.tags), c.title] for c in load_checks([])]
    rows.append(["x", "low", "", "wide ｔｉｔｌｅ and \\x1b[2J escaped"])
    headers = ["id", "severity", "tags", "title"]
    assert simple_table(rows, headers) == tabulate(rows, headers=headers, disable_numparse=True)
    assert simple_table([], headers) == tabulate([], headers=headers, disable_numparse=True)
    assert simple_table([[" padded ", "", "a", "b"]], headers) == tabulate(
        [[" padded ", "", "a", "b"]], headers=headers, disable_numparse=True
    )
