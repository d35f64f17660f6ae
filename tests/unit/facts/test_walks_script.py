"""The .env search and the world-writable walk under churn: paths vanishing during a walk.

A local user renaming a directory back and forth makes find complain "No such file or
directory", exit 1 and skip that whole subtree (another user's files in it included). The
walk is then incomplete: a file it found failing still fails, but nothing found failing is
unknown, never a pass. `root` stands in for the script's: it runs find for real, then adds
find's complaint and its exit status 1.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import Status
from hardaudit.facts.build import _env_files, _world_writable
from hardaudit.facts.model import EnvFiles, Section, WorldWritable
from hardaudit.facts.parsers.files import parse_env_files
from hardaudit.facts.script import fill_constants

from ..checks.factories import facts
from .test_files_script import SHELLS, _function, run_function
from .test_services_script import PRELUDE

ROOT = 'root() {{ "$@"; _r=$?; [ "$1" = find ] || return $_r; echo "find: \'{}\': {}" >&2; return 1; }}'
CHECKS = {c.id: c for c in load_checks()}
GONE = ROOT.format("/srv/x/tmp123", "No such file or directory")
DENIED = ROOT.format("/srv/secret", "Permission denied")


def env_tree(tmp: Path) -> Path:
    app = tmp / "srv" / "app"
    app.mkdir(parents=True)
    (app / ".env").write_text("SECRET=1\n")
    (app / ".env").chmod(0o644)
    return tmp / "srv"


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_env_search_with_a_vanished_path_is_incomplete_never_a_pass(
    tmp_path: Path, shell: list[str]
) -> None:
    srv = env_tree(tmp_path)
    out, rc, err = run_function("env_files", tmp_path, shell, root_fn=GONE, app_dirs=(str(srv),))
    assert rc == 1
    assert "No such file or directory" in err
    assert [f.path for f in parse_env_files(out).files] == [f"{srv}/app/.env"]
    env = _env_files(Section("env_files", out, rc, stderr=err))
    (result,) = evaluate([CHECKS["file.env-mode"]], facts(env_files=env), {})
    assert result.status == Status.FAIL  # the 644 .env it found still fails
    (srv / "app" / ".env").chmod(0o600)
    out, rc, err = run_function("env_files", tmp_path, shell, root_fn=GONE, app_dirs=(str(srv),))
    env = _env_files(Section("env_files", out, rc, stderr=err))
    (result,) = evaluate([CHECKS["file.env-mode"]], facts(env_files=env), {})
    assert result.status == Status.UNKNOWN  # the skipped subtree may hold a failing file


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_env_search_with_an_unreadable_dir_still_fails(tmp_path: Path, shell: list[str]) -> None:
    srv = env_tree(tmp_path)
    _out, rc, err = run_function("env_files", tmp_path, shell, root_fn=DENIED, app_dirs=(str(srv),))
    assert rc == 1
    assert "Permission denied" in err


def run_world_writable(tmp: Path, shell: list[str], root_fn: str) -> tuple[str, int, str]:
    body = _function("world_writable").replace("for _d in __WW_ROOTS__;", f"for _d in {tmp};")
    body = fill_constants(body)
    program = f"N='@@N'\n{PRELUDE}\n{root_fn}\n{body}world_writable\n"
    done = subprocess.run(
        [*shell, "-c", program],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
        check=False,
        timeout=60,
    )
    return done.stdout, done.returncode, done.stderr


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_world_writable_walk_with_a_vanished_path_is_incomplete_never_a_pass(
    tmp_path: Path, shell: list[str]
) -> None:
    out, rc, err = run_world_writable(tmp_path, shell, GONE)
    assert rc == 1
    assert "No such file or directory" in err
    (result,) = evaluate(
        [CHECKS["file.world-writable"]],
        facts(world_writable=_world_writable(Section("world_writable", out, rc, stderr=err))),
        {},
    )
    assert result.status == Status.UNKNOWN  # nothing found, but a subtree went unwalked
    (tmp_path / "open").write_text("x")
    (tmp_path / "open").chmod(0o666)
    out, rc, err = run_world_writable(tmp_path, shell, GONE)
    found = _world_writable(Section("world_writable", out, rc, stderr=err))
    assert isinstance(found, WorldWritable)
    assert found.paths == (f"{tmp_path}/open",)
    (result,) = evaluate([CHECKS["file.world-writable"]], facts(world_writable=found), {})
    assert result.status == Status.FAIL
    # a real complaint makes the walk incomplete too
    out, rc, err = run_world_writable(tmp_path, shell, DENIED)
    assert rc == 1
    assert "Permission denied" in err


def test_env_files_cut_by_the_cap_judge_the_files_received() -> None:
    text = (
        "## dirs /home\n644|root|root|regular file|/home/a/.env\n"
        "600|b|b|regular file|/home/b/.env\n600|c|c|regular file|/home/c/\\3"
    )
    env = _env_files(Section("env_files", text, rc=141, truncated=True))
    assert isinstance(env, EnvFiles)
    assert [f.path for f in env.files] == ["/home/a/.env", "/home/b/.env"]  # cut line dropped
    assert len(env.incomplete) == 1
    assert "cap" in env.incomplete[0]
    (result,) = evaluate([CHECKS["file.env-mode"]], facts(env_files=env), {})
    assert result.status == Status.FAIL
    assert result.evidence[0].startswith("/home/a/.env 0644 root:root")
    assert "cap" in result.reason
    # nothing failing among the files received: unknown, not pass
    only_good = Section("env_files", text.replace("644|", "600|", 1), rc=141, truncated=True)
    (result,) = evaluate([CHECKS["file.env-mode"]], facts(env_files=_env_files(only_good)), {})
    assert result.status == Status.UNKNOWN


def test_world_writable_paths_cut_by_the_cap_still_fail() -> None:
    text = "/srv/open\n/opt/open2\n/opt/\\1"
    found = _world_writable(Section("world_writable", text, rc=141, truncated=True))
    assert isinstance(found, WorldWritable)
    assert found.paths == ("/srv/open", "/opt/open2")
    (result,) = evaluate([CHECKS["file.world-writable"]], facts(world_writable=found), {})
    assert result.status == Status.FAIL


@pytest.mark.parametrize("rc", [124, 255, None])
def test_world_writable_paths_of_a_walk_cut_by_time_still_fail(rc: int | None) -> None:
    """SECURITY.md: a walk cut short by the time cap (124), without its rc= record (255) or
    killed with its section (no rc) fails on the paths it sent; unknown only without any."""
    found = _world_writable(Section("world_writable", "/srv/open\n", rc=rc))
    (result,) = evaluate([CHECKS["file.world-writable"]], facts(world_writable=found), {})
    assert result.status == Status.FAIL
    empty = _world_writable(Section("world_writable", "", rc=rc))
    (result,) = evaluate([CHECKS["file.world-writable"]], facts(world_writable=empty), {})
    assert result.status == Status.UNKNOWN


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_stats_reports_a_file_gone_since_the_walk(tmp_path: Path, shell: list[str]) -> None:
    # renamed away between find and stat: the search is incomplete, not silently shorter
    (tmp_path / "a").write_text("x")
    program = f"N='@@N'\n{PRELUDE}\nstats tmo '{tmp_path}/a' '{tmp_path}/gone'; echo rc=$?\n"
    done = subprocess.run(
        [*shell, "-c", program], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.stdout.splitlines()[-1] == "rc=1"
    assert "cannot stat" in done.stderr
    assert done.stdout.splitlines()[0].endswith(f"|{tmp_path}/a")


def run_world_writable_rerooted(tmp: Path, shell: list[str]) -> WorldWritable:
    """world_writable() on `tmp` as `/`: its roots and its pruned trees re-rooted there."""
    body = fill_constants(_function("world_writable"))
    body = body.replace("for _d in ", "for _d in _ ").replace("-path /", f"-path {tmp}/")
    body = re.sub(
        r"(for _d in _ )([^;]*);",
        lambda m: "for _d in " + " ".join(f"{tmp}{d}" for d in m.group(2).split()) + ";",
        body,
    )
    program = f"N='@@N'\n{PRELUDE}\nroot() {{ \"$@\"; }}\n{body}world_writable\n"
    done = subprocess.run(
        [*shell, "-c", program], capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "LC_ALL": "C"},
    )  # fmt: skip
    found = _world_writable(
        Section("world_writable", done.stdout, done.returncode, stderr=done.stderr)
    )
    assert isinstance(found, WorldWritable), found
    return found


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_message_catalog_programs_load_is_walked(tmp_path: Path, shell: list[str]) -> None:
    # gettext loads /usr/share/locale/*/LC_MESSAGES/*.mo into programs root runs (sudo's
    # own messages are printf formats): a world-writable catalog is a way to root
    catalog = tmp_path / "usr" / "share" / "locale" / "de" / "LC_MESSAGES" / "sudo.mo"
    catalog.parent.mkdir(parents=True)
    catalog.write_bytes(b"\xde\x12\x04\x95")
    catalog.chmod(0o666)
    assert run_world_writable_rerooted(tmp_path, shell).paths == (str(catalog),)


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_world_writable_pruned_tree_is_itself_reported(tmp_path: Path, shell: list[str]) -> None:
    # the documentation trees are not walked, but one anybody can write to is a finding
    docs = tmp_path / "usr" / "share" / "man"
    docs.mkdir(parents=True)
    (docs / "inside").mkdir()
    (docs / "inside").chmod(0o777)
    assert run_world_writable_rerooted(tmp_path, shell).paths == ()  # not walked: by design
    docs.chmod(0o777)
    assert str(docs) in run_world_writable_rerooted(tmp_path, shell).paths
