"""The loops over names a user can multiply stop at NAME_CAP (issue 11's review): the .env
search and each ~/.ssh. Thousands of long names once took the .env loop ~25 s (its `set --`
copies the list per name: quadratic), near the host's time budget; past the cap the search
is incomplete (judged on what it sent, never a pass) and the ~/.ssh unreadable."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import Status
from hardaudit.facts.build import _env_files
from hardaudit.facts.model import Section
from hardaudit.facts.parsers.files import parse_env_files, parse_ssh_files
from hardaudit.facts.script import NAME_CAP

from ..checks.factories import facts
from .test_files_script import NONCE, SHELLS, home_with_keys, passwd, run_function

CHECKS = {c.id: c for c in load_checks()}
# a long directory name: each name the loop copies is ~200 bytes
LONG = "d" * 180


def _many_env_files(srv: Path, count: int, mode: int = 0o600) -> None:
    deep = srv / LONG
    deep.mkdir(parents=True)
    for i in range(count):
        path = deep / f".env.{i}"
        path.write_text("K=v\n")
        path.chmod(mode)


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_more_env_files_than_the_cap_are_judged_up_to_it_never_passed(
    tmp_path: Path, shell: list[str]
) -> None:
    srv = tmp_path / "srv"
    _many_env_files(srv, NAME_CAP + 300)
    started = time.monotonic()
    out, rc, err = run_function("env_files", tmp_path, shell, app_dirs=(str(srv),))
    assert time.monotonic() - started < 20
    assert rc == 3
    assert f"more than {NAME_CAP} .env files" in err
    assert len(parse_env_files(out).files) == NAME_CAP
    env = _env_files(Section("env_files", out, rc, stderr=err))
    (result,) = evaluate([CHECKS["file.env-mode"]], facts(env_files=env), {})
    assert result.status == Status.UNKNOWN  # all 600: the ones not sent may not be


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_exactly_the_cap_is_complete(tmp_path: Path, shell: list[str]) -> None:
    srv = tmp_path / "srv"
    _many_env_files(srv, NAME_CAP)
    out, rc, _err = run_function("env_files", tmp_path, shell, app_dirs=(str(srv),))
    assert rc == 0
    assert len(parse_env_files(out).files) == NAME_CAP


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_ssh_dir_with_more_entries_than_the_cap_is_unreadable(
    tmp_path: Path, shell: list[str]
) -> None:
    home = home_with_keys(tmp_path, "alice")
    for i in range(NAME_CAP + 5):
        (home / ".ssh" / f"{LONG}{i}").write_text("x")
    passwd(tmp_path, ("alice", home))
    out, _rc, err = run_function("ssh_files", tmp_path, shell)
    assert f"more than {NAME_CAP} entries" in err
    parsed = parse_ssh_files(out, NONCE)
    assert [d.user for d in parsed.dirs] == ["alice"]
    assert parsed.dirs[0].files == ()
    assert parsed.unreadable == (f"{home}/.ssh: cannot list its names",)
