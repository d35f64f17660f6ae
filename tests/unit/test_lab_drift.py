"""`labctl.py drift apply|revert`: the one change `make demo` and the drift lab test make."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.unit.lab_module import load_labctl


@pytest.fixture
def labctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = load_labctl()
    monkeypatch.setattr(module, "STATE_DIR", tmp_path)
    monkeypatch.setattr(module, "STATE_FILE", tmp_path / "state.json")
    return module


def _state(labctl: ModuleType, complete: bool) -> None:
    state = {
        "repo": "/r",
        "tmpdir": "/t",
        "engines": [{"name": "lab", "host": "unix:///t/lab.sock", "owned": True}],
        "complete": complete,
    }
    labctl.STATE_FILE.write_text(json.dumps(state))


def test_apply_writes_a_world_readable_key_on_web1_and_revert_removes_it(
    labctl: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        labctl, "docker", lambda engine, *args, **kw: calls.append((engine.host, *args))
    )
    _state(labctl, complete=True)
    assert labctl.main(["drift", "apply"]) == 0
    assert labctl.main(["drift", "revert"]) == 0
    (host, *apply), (_, *revert) = calls
    assert host == "unix:///t/lab.sock"
    assert apply[:4] == ["exec", "web1", "sh", "-c"]
    assert "chmod 644 /home/auditor/.ssh/id_drift_demo" in apply[4]
    assert "PRIVATE KEY-----" in apply[4]
    assert revert == ["exec", "web1", "sh", "-c", "rm -f /home/auditor/.ssh/id_drift_demo"]


@pytest.mark.parametrize("state", [None, False])
def test_drift_without_a_complete_lab_is_an_error(
    labctl: ModuleType, state: bool | None, capsys: pytest.CaptureFixture[str]
) -> None:
    if state is not None:
        _state(labctl, complete=state)
    assert labctl.main(["drift", "apply"]) == 1
    assert "no complete lab is up" in capsys.readouterr().err
