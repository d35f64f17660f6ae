"""Lab teardown on a machine that lacks a tool, or where a step fails: it still finishes.

No lab runs here: iptables, docker and friends are small fake scripts on a PATH that holds
nothing else (so `nft` is absent), and the lab's temp dir, state file and lock live under
tmp_path. Nothing touches this machine's firewall or engines.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from types import ModuleType

import pytest

from tests.unit.lab_module import fake_program, load_labctl

# What the firewall looked like before the lab: a filter table, no nat table.
SNAPSHOT = """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
"""
# What dockerd left: its chains, a FORWARD DROP policy and a nat table.
AFTER_DOCKER = """*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
-A FORWARD -j DOCKER
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -j DOCKER
COMMIT
"""


@pytest.fixture
def labctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = load_labctl()
    state_dir = tmp_path / "repo-lab"
    state_dir.mkdir()
    monkeypatch.setattr(module, "TMP_ROOT", tmp_path, raising=False)
    monkeypatch.setattr(module.tempfile, "tempdir", str(tmp_path))  # older labctl read this
    monkeypatch.setattr(module, "STATE_DIR", state_dir)
    monkeypatch.setattr(module, "STATE_FILE", state_dir / "state.json")
    monkeypatch.setattr(module, "LOCK_FILE", tmp_path / "lab.lock")
    monkeypatch.setattr(module, "default_engine", lambda: None)
    monkeypatch.setattr(module.os, "geteuid", lambda: 0)
    return module


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH = only fake iptables/ip6tables/docker/ip/umount; no nft. Calls go to $LOG."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "current.rules").write_text(AFTER_DOCKER)
    save = f'while IFS= read -r line; do echo "$line"; done <"{tmp_path}/current.rules"'
    restore = 'while IFS= read -r line; do echo "  < $line" >>"$LOG"; done'
    for family in ("iptables", "ip6tables"):
        fake_program(bin_dir, family, 'echo "iptables v1.8.9 (nf_tables)"')
        fake_program(bin_dir, f"{family}-save", save)
        fake_program(bin_dir, f"{family}-restore", restore)
    fake_program(bin_dir, "docker", "exit 1")  # no engine answers
    fake_program(bin_dir, "ip", "exit 0")
    fake_program(bin_dir, "umount", "exit 0")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("LOG", str(tmp_path / "calls.log"))
    assert shutil.which("nft") is None
    return bin_dir


def half_built_lab(labctl: ModuleType, tmp_path: Path) -> object:
    """The state a failed `up` leaves: engines recorded (dead), a firewall snapshot, files."""
    tmpdir = Path(labctl.tempfile.mkdtemp(prefix=labctl.TMP_PREFIX, dir=tmp_path))
    (tmpdir / "lab" / "data").mkdir(parents=True)
    (tmpdir / "lab" / "data" / "big.layer").write_bytes(b"x" * 1024)
    snapshot = tmpdir / "iptables.rules"
    snapshot.write_text(SNAPSHOT)
    state = labctl.LabState(
        repo=str(labctl.REPO),
        tmpdir=str(tmpdir),
        engines=[labctl.Engine("lab", f"unix://{tmpdir}/lab/docker.sock", owned=True,
                               root=str(tmpdir / "lab"), cgroup=f"/{tmpdir.name}-lab")],
        bridges=["ha-nosuch0"],
        iptables_saved={"ipv4": str(snapshot)},
        known_hosts=str(labctl.STATE_DIR / "known_hosts"),
        ssh_config=str(labctl.STATE_DIR / "ssh_config"),
    )  # fmt: skip
    state.save()
    for name in ("known_hosts", "ssh_config"):
        (labctl.STATE_DIR / name).write_text("x\n")
    return state


def calls(tmp_path: Path) -> str:
    return (tmp_path / "calls.log").read_text()


def assert_cleaned(labctl: ModuleType, state: object) -> None:
    assert not Path(state.tmpdir).exists()  # type: ignore[attr-defined]
    assert not labctl.STATE_FILE.exists()
    assert not (labctl.STATE_DIR / "known_hosts").exists()
    assert not (labctl.STATE_DIR / "ssh_config").exists()


def test_teardown_without_nft_restores_the_firewall_with_iptables_and_cleans_up(
    labctl: ModuleType, fake_bin: Path, tmp_path: Path
) -> None:
    state = half_built_lab(labctl, tmp_path)
    labctl.teardown(state)
    log = calls(tmp_path)
    assert "iptables-restore" in log
    assert "  < :FORWARD ACCEPT [0:0]" in log
    # the nat table did not exist before: emptied with iptables, since nft is not there
    assert "iptables -t nat -F" in log
    assert "iptables -t nat -X" in log
    assert "iptables -t nat -P PREROUTING ACCEPT" in log
    assert not any(line.startswith("nft ") for line in log.splitlines())
    assert_cleaned(labctl, state)


def test_lab_down_after_a_failed_up_without_nft_cleans_everything(
    labctl: ModuleType, fake_bin: Path, tmp_path: Path
) -> None:
    state = half_built_lab(labctl, tmp_path)
    assert labctl.main(["down"]) == 0
    assert "iptables-restore" in calls(tmp_path)
    assert_cleaned(labctl, state)


def test_teardown_runs_every_step_when_an_earlier_one_fails(
    labctl: ModuleType, fake_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise labctl.LabError("engine would not stop")

    monkeypatch.setattr(labctl, "stop_engines", broken)
    state = half_built_lab(labctl, tmp_path)
    with pytest.raises(labctl.LabError, match="stop engines: engine would not stop"):
        labctl.teardown(state)
    assert "iptables-restore" in calls(tmp_path)  # a later step still ran
    assert_cleaned(labctl, state)


def test_teardown_reports_a_missing_tool_after_finishing(
    labctl: ModuleType, fake_bin: Path, tmp_path: Path
) -> None:
    state = half_built_lab(labctl, tmp_path)
    for name in ("iptables-restore", "iptables-save"):
        (fake_bin / name).unlink()
    with pytest.raises(labctl.LabError, match="neither iptables-restore nor nft"):
        labctl.teardown(state)
    assert_cleaned(labctl, state)


def test_teardown_without_iptables_restore_drops_the_lab_tables_with_nft(
    labctl: ModuleType, fake_bin: Path, tmp_path: Path
) -> None:
    state = half_built_lab(labctl, tmp_path)
    for name in ("iptables-restore", "iptables-save"):
        (fake_bin / name).unlink()
    fake_program(fake_bin, "nft", 'echo "table ip filter"; echo "table ip nat"')
    labctl.teardown(state)
    log = calls(tmp_path)
    assert "nft delete table ip filter" in log  # empty in the snapshot: same as no table
    assert "nft delete table ip nat" in log
    assert_cleaned(labctl, state)


def test_the_lab_ports_are_reserved_while_up_and_released_by_teardown(
    labctl: ModuleType, fake_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """42201/42202/42209 lie in the ephemeral range: another socket took 42202 mid-`up`."""
    reserved = tmp_path / "ip_local_reserved_ports"
    reserved.write_text("8000-8010,42201-42202\n")  # left behind by a crashed lab
    monkeypatch.setattr(labctl, "RESERVED_PORTS", reserved)
    state = half_built_lab(labctl, tmp_path)
    labctl.reserve_ports(state)
    assert reserved.read_text() == "8000-8010,42201,42202,42209\n"
    labctl.teardown(state)
    assert reserved.read_text() == "8000-8010\n"


def test_a_lab_port_held_by_another_socket_stops_up_with_a_clear_error(
    labctl: ModuleType,
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(labctl.LabError, match=f"127.0.0.1:{port} stays in use"):
            labctl.wait_ports_bindable([port], timeout=0.5)
    labctl.wait_ports_bindable([port], timeout=0.5)  # free again: no error


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("", ""),
        ("\n", ""),
        ("42201-42202,42209\n", ""),
        ("8000-8010,42201-42202,42209", "8000-8010"),
        ("42000-42300", "42000-42200,42203-42208,42210-42300"),
        ("42202", ""),
        ("42201-42203", "42203"),
    ],
)
def test_reserved_port_lists_lose_only_the_lab_ports(
    labctl: ModuleType, spec: str, expected: str
) -> None:
    assert labctl.without_ports(spec, labctl.LAB_PORTS) == expected
