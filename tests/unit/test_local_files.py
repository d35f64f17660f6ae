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
    real_mkdir = Path.mkdir

    def planted(self: Path, mode: int = 0o777, *args: object, **kwargs: object) -> None:
        if self == target:  # someone else creates it first, world-writable
            real_mkdir(self)
            self.chmod(0o777)
        return real_mkdir(self, mode)

    monkeypatch.setattr(Path, "mkdir", planted)
    with pytest.raises(UsageError, match="writable by others"):
        prepare_private_dir(target, "output reports", "--output-dir")
