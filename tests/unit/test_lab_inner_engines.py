"""labctl: hosts that run their own engine inside (LabHost.inner: dock2, stack1) get the same
run arguments, each its own data dir and cgroup parent, and teardown removes each cgroup."""

from __future__ import annotations

from pathlib import Path

import pytest

from .lab_module import load_labctl


def test_dock2_and_stack1_run_an_engine_inside_with_their_expected_containers() -> None:
    labctl = load_labctl()
    inner = {host.name: host.inner for host in labctl.HOSTS if host.inner}
    assert inner == {
        "dock2": ("web", "priv", "sock", "hostnet", "caps", "etcrw", "rootly"),
        "stack1": tuple(
            f"shop_{s}_1" for s in ("web", "api", "worker", "db", "redis", "mailcatcher")
        ),
    }


def test_each_inner_engine_host_gets_its_own_data_dir_and_cgroup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labctl = load_labctl()
    monkeypatch.setattr(labctl, "inner_engine_mounts", lambda: ["--volume=/bin/x:/bin/x:ro"])
    state = labctl.LabState(repo="", tmpdir=str(tmp_path / "hardaudit-lab-abc"), image="base:1")
    Path(state.tmpdir).mkdir()
    hosts = {host.name: host for host in labctl.HOSTS}
    args = {
        name: labctl.host_run_args(hosts[name], {}, state, tmp_path / "base.tar")
        for name in ("dock2", "stack1", "web1")
    }
    for name in ("dock2", "stack1"):
        assert set(labctl.INNER_ENGINE_RUN_ARGS) <= set(args[name])
        assert f"--volume={tmp_path}/hardaudit-lab-abc/{name}-docker:/var/lib/docker" in args[name]
        assert f"--env=LAB_CGROUP_PARENT=hardaudit-lab-abc-{name}" in args[name]
        assert "--env=LAB_IMAGE=base:1" in args[name]
        assert (Path(state.tmpdir) / f"{name}-docker").is_dir()
    assert not set(labctl.INNER_ENGINE_RUN_ARGS) & set(args["web1"])
    assert not any("LAB_CGROUP_PARENT" in a for a in args["web1"])


def test_start_hosts_records_a_cgroup_per_inner_engine_host_for_teardown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labctl = load_labctl()
    monkeypatch.setenv(labctl.HOSTS_ENV, "stack1,web1")
    monkeypatch.setattr(labctl, "STATE_DIR", tmp_path / "state")
    monkeypatch.setattr(labctl, "STATE_FILE", tmp_path / "state" / "state.json")
    monkeypatch.setattr(labctl, "in_parallel", lambda jobs: None)
    state = labctl.LabState(repo="", tmpdir=str(tmp_path / "hardaudit-lab-abc"))
    Path(state.tmpdir).mkdir()
    labctl.start_hosts({"lab": None}, state, tmp_path / "base.tar")
    assert state.cgroups == ["/hardaudit-lab-abc-stack1"]
    assert state.containers == ["bastion", "web1", "stack1"]
