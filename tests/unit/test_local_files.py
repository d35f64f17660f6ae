"""Reports and captures: private, written without following links, inside their directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hardaudit.cli import main
from hardaudit.localfiles import file_name_for, write_private
from hardaudit.transport.base import ExecResult
from hardaudit.transport.replay import ReplayTransport, capture_name, save_capture

REPLAY = Path(__file__).parents[1] / "fixtures" / "replay"
BASE = ["-i", str(REPLAY / "inventory.yml"), "--replay-dir", str(REPLAY / "captures")]
ONE = ["--limit", "gold", "--checks", "ssh.permit-root-login"]


def test_existing_output_dir_and_report_are_made_private(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir(mode=0o755)
    out.chmod(0o755)
    (out / "report.json").write_text("{}")
    (out / "report.json").chmod(0o644)
    assert main(["run", *BASE, *ONE, "--output-dir", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o700
    assert (out / "report.json").stat().st_mode & 0o777 == 0o600
    assert (out / "report.txt").stat().st_mode & 0o777 == 0o600


def test_a_report_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (out / "report.json").symlink_to(victim)
    assert main(["run", *BASE, *ONE, "--output-dir", str(out)]) == 0
    assert victim.read_text() == "precious\n"
    assert not (out / "report.json").is_symlink()
    assert json.loads((out / "report.json").read_text())["schema"] == "hardaudit.report/1"
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []


def test_write_private_never_follows_a_symlinked_directory(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(OSError, match=r"symbolic links|Not a directory"):
        write_private(tmp_path / "link", "x", b"data")
    assert list(real.iterdir()) == []


@pytest.mark.parametrize("mode", [0o775, 0o757, 0o777])
def test_group_or_world_writable_output_dir_is_refused(
    tmp_path: Path, mode: int, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "shared"
    out.mkdir()
    out.chmod(mode)
    assert main(["run", *BASE, *ONE, "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert "refusing to write output reports" in err
    assert "writable by others" in err
    assert list(out.iterdir()) == []


def test_symlinked_output_dir_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    assert main(["run", *BASE, *ONE, "--output-dir", str(tmp_path / "link")]) == 2
    assert "is a symbolic link" in capsys.readouterr().err
    assert list(real.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a directory owned by another user")
def test_output_dir_owned_by_someone_else_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "theirs"
    out.mkdir(mode=0o700)
    os.chown(out, 65534, 65534)
    assert main(["run", *BASE, *ONE, "--output-dir", str(out)]) == 2
    assert "not by you" in capsys.readouterr().err


def test_interrupted_run_leaves_no_empty_report_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr("hardaudit.runner.audit_hosts", interrupted)
    out = tmp_path / "reports" / "run1"
    captures = tmp_path / "captures"
    argv = ["run", *BASE, *ONE, "--output-dir", str(out), "--capture-dir", str(captures)]
    assert main(argv) == 130
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name", ["../../escaped", "..", ".", "a/b", "/etc/passwd", "x\x00y", "nl\nx", "\x1b[2J", ""]
)
def test_host_names_map_to_one_file_inside_the_directory(name: str) -> None:
    encoded = file_name_for(name)
    assert "/" not in encoded
    assert encoded not in ("", ".", "..")
    assert not encoded.startswith(".")
    assert all(0x20 < ord(c) < 0x7F for c in encoded)


def test_distinct_names_never_share_a_file() -> None:
    names = ["a/b", "a%2Fb", "a_b", "..", "%2E.", "x" * 300, "x" * 301, "é", "%C3%A9"]
    assert len({file_name_for(n) for n in names}) == len(names)
    assert all(len(file_name_for(n).encode()) <= 200 for n in names)


def test_capture_of_a_hostile_name_stays_inside_and_replays(tmp_path: Path) -> None:
    captures = tmp_path / "deep" / "captures"
    captures.mkdir(parents=True)
    for name in ("../../escaped", "a/b", "..", "web1"):
        path = save_capture(captures, name, "n0", ExecResult(b"out\n", b"", 0))
        assert path.parent == captures
        assert path.name == capture_name(name)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        capture_name(n) for n in ("../../escaped", "a/b", "..", "web1")
    )
    assert capture_name("web1") == "web1.json"  # plain names keep their old file name
    from hardaudit.inventory.model import Host

    replay = ReplayTransport(captures)
    result = replay.execute(Host(name="../../escaped", address="x"), "sh", b"", 1.0)
    assert result.stdout == b"out\n"


def test_capture_dir_run_writes_no_file_outside(tmp_path: Path) -> None:
    name = "../../escaped"
    inventory = tmp_path / "inv.yml"
    inventory.write_text(f'all:\n  hosts:\n    "{name}":\n      ansible_host: 127.0.0.1\n')
    replay = tmp_path / "replay"
    replay.mkdir()
    (replay / capture_name(name)).write_bytes((REPLAY / "captures" / "gold.json").read_bytes())
    captures = tmp_path / "a" / "b" / "captures"
    argv = ["run", "-i", str(inventory), "--replay-dir", str(replay)]
    argv += ["--capture-dir", str(captures), "--output-dir", str(tmp_path / "out")]
    assert main([*argv, "--checks", "ssh.permit-root-login"]) == 0
    assert not (tmp_path / "a" / "escaped.json").exists()
    assert [p.name for p in captures.iterdir()] == [capture_name(name)]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["hosts"][0]["status"] == "ok"


def test_a_directory_planted_between_check_and_create_is_judged_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hardaudit.errors import UsageError
    from hardaudit.localfiles import prepare_private_dir

    target = tmp_path / "out"
    real_mkdir = os.mkdir

    def planted(name: str, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        if name == target.name:  # someone else creates it first, world-writable
            real_mkdir(target)
            target.chmod(0o777)
        return real_mkdir(name, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "mkdir", planted)
    with pytest.raises(UsageError, match="writable by others"):
        prepare_private_dir(target, "output reports", "--output-dir")


def _prepare(path: Path) -> list[Path]:
    from hardaudit.localfiles import prepare_private_dir

    return prepare_private_dir(path, "output reports", "--output-dir")


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o757])
def test_a_parent_others_may_write_without_sticky_bit_is_refused(tmp_path: Path, mode: int) -> None:
    from hardaudit.errors import UsageError

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    (shared / "existing").mkdir(mode=0o700)
    for target in (shared / "new" / "run1", shared / "existing"):
        with pytest.raises(UsageError, match="writable by others without the sticky bit"):
            _prepare(target)
    assert sorted(p.name for p in shared.iterdir()) == ["existing"]


def test_a_sticky_world_writable_parent_like_tmp_is_allowed(tmp_path: Path) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    assert _prepare(shared / "mine" / "run1") == [shared / "mine", shared / "mine" / "run1"]
    assert oct((shared / "mine" / "run1").stat().st_mode & 0o777) == "0o700"


def test_a_new_directory_is_never_created_through_a_symlinked_parent(tmp_path: Path) -> None:
    from hardaudit.errors import UsageError

    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(UsageError, match="symbolic link"):
        _prepare(tmp_path / "link" / "out")
    assert list(real.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a directory owned by another user")
def test_a_parent_owned_by_someone_else_is_refused(tmp_path: Path) -> None:
    from hardaudit.errors import UsageError

    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, 65534, 65534)
    with pytest.raises(UsageError, match="owned by uid 65534, neither you"):
        _prepare(theirs / "out")
    assert list(theirs.iterdir()) == []


@pytest.mark.parametrize("change", ["chmod", "chown"])
def test_write_private_judges_the_directory_again_at_each_write(
    tmp_path: Path, change: str
) -> None:
    out = tmp_path / "out"
    _prepare(out)
    write_private(out, "one", b"1")
    if change == "chmod":
        out.chmod(0o777)
    elif os.geteuid() == 0:
        os.chown(out, 65534, 65534)
    else:
        pytest.skip("needs a directory owned by another user")
    with pytest.raises(PermissionError, match="refusing to write into it"):
        write_private(out, "two", b"2")
    assert sorted(p.name for p in out.iterdir()) == ["one"]


def test_a_capture_dir_made_unsafe_during_the_run_is_that_hosts_error(tmp_path: Path) -> None:
    from hardaudit.checks.loader import load_checks
    from hardaudit.inventory.model import Host
    from hardaudit.runner import RunOptions, audit_host

    captures = tmp_path / "captures"
    _prepare(captures)
    captures.chmod(0o777)  # after the start-of-run check
    options = RunOptions(capture_dir=captures, bound=None)
    host = Host(name="gold", address="127.0.0.1")
    report = audit_host(host, load_checks(), ReplayTransport(REPLAY / "captures"), options)
    assert report.status.value == "error"
    assert "cannot save the capture" in report.reason
    assert "writable by others" in report.reason
    assert list(captures.iterdir()) == []
