"""The assembled facts script and its wrapper are linted as the shell code they are.

shellcheck --shell=sh, `dash -n` and `busybox sh -n` run on exactly what build_script sends.
A missing tool skips its test on a workstation; under CI (env CI set) it is a failure, so CI
cannot pass by not having the linter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hardaudit.facts.script import SCRIPT_PARTS, UserFact, build_script, root_helper_text

LINTERS = {
    "shellcheck": ["shellcheck", "--shell=sh", "--severity=style", "-f", "gcc"],
    "dash": ["dash", "-n"],
    "busybox": ["busybox", "sh", "-n"],
}
SH_DIR = Path(__file__).parents[3] / "src" / "hardaudit" / "facts" / "sh"


def _tool(name: str) -> list[str]:
    if shutil.which(name) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: CI must lint the facts script with it")
        pytest.skip(f"{name} is not installed (required under CI)")
    return LINTERS[name]


def _assembled(tmp_path: Path) -> list[Path]:
    built = build_script(
        become=True,
        nonce="0123456789abcdef01234567",
        services=["nginx", "redis-server"],
        user_facts=[UserFact("user.umask", "umask")],
    )
    script = tmp_path / "facts.sh"
    script.write_text(built.script)
    # the wrapper is `/bin/sh -c '<code>'`: its code is linted on its own
    assert built.command.startswith("/bin/sh -c '")
    assert built.command.endswith("'")
    wrapper = tmp_path / "wrapper.sh"
    wrapper.write_text(built.command[len("/bin/sh -c '") : -1] + "\n")
    helper = tmp_path / "root-facts"  # the root helper, built from the same parts
    helper.write_text(root_helper_text())
    return [script, wrapper, helper]


@pytest.mark.parametrize("linter", sorted(LINTERS))
def test_assembled_script_and_wrapper_pass_the_linter(tmp_path: Path, linter: str) -> None:
    command = _tool(linter)
    for path in _assembled(tmp_path):
        done = subprocess.run(
            [*command, str(path)], capture_output=True, text=True, check=False, timeout=120
        )
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), path.name


def test_every_shell_part_is_assembled() -> None:
    assert sorted(SCRIPT_PARTS) == sorted(p.name for p in SH_DIR.glob("*.sh"))
