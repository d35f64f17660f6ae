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


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_walk_killed_mid_name_is_never_complete(tmp_path: Path, shell: list[str]) -> None:
    """find killed by the time cap stops in the middle of a name (stdio writes in blocks):
    the `rc=N` record must not glue onto it. A user who names a file like that glued name
    (`.env.AAArc=124`) once made the search read as complete: a pass, a victim's file unseen."""
    srv = tmp_path / "srv"
    evil = srv / "evil"
    evil.mkdir(parents=True)
    for name in (".env.AAAAAAAA", ".env.AAArc=124"):
        (evil / name).write_text("K=v\n")
        (evil / name).chmod(0o600)
    killed = (
        'root() { if [ "$1" = find ]; then '
        f"printf '%s\\000%s' '{evil}/.env.AAAAAAAA' '{evil}/.env.AAA'; return 124; fi; \"$@\"; }}"
    )
    out, rc, err = run_function("env_files", tmp_path, shell, root_fn=killed, app_dirs=(str(srv),))
    assert rc != 0, (out, err)  # the cut name cannot be stat-ed (1), or the walk says 124
    env = _env_files(Section("env_files", out, rc, stderr=err))
    (result,) = evaluate([CHECKS["file.env-mode"]], facts(env_files=env), {})
    assert result.status == Status.UNKNOWN


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_walk_without_its_record_is_never_complete(tmp_path: Path, shell: list[str]) -> None:
    srv = tmp_path / "srv"
    (srv / "app").mkdir(parents=True)
    (srv / "app" / ".env").write_text("K=v\n")
    (srv / "app" / ".env").chmod(0o600)
    # find's output, then no `rc=` record (the pipeline cut before it)
    cut = f"root() {{ if [ \"$1\" = find ]; then printf '%s\\000' '{srv}/app/.env'; exit 0; fi; \"$@\"; }}"
    out, rc, _err = run_function("env_files", tmp_path, shell, root_fn=cut, app_dirs=(str(srv),))
    assert rc == 255, out


def test_a_full_ssh_dir_leaves_the_directory_mode_check_judged(tmp_path: Path) -> None:
    """Entries past the cap make that ~/.ssh's keys unknown, not every user's directory mode."""
    home = home_with_keys(tmp_path, "root")  # the tests' files are root's
    (home / ".ssh").chmod(0o700)
    for i in range(NAME_CAP + 5):
        (home / ".ssh" / f"k{i}").write_text("x")
    passwd(tmp_path, ("root", home))
    out, _rc, _err = run_function("ssh_files", tmp_path, SHELLS[0])
    ssh = parse_ssh_files(out, NONCE)
    (dirs,) = evaluate([CHECKS["file.ssh-dir"]], facts(ssh_files=ssh), {})
    (keys,) = evaluate([CHECKS["file.ssh-privkey"]], facts(ssh_files=ssh), {})
    assert dirs.status == Status.PASS
    assert keys.status == Status.UNKNOWN
