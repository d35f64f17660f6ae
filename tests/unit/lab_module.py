"""Import lab/labctl.py (a script, not a package) for the tests of the lab's own code."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
LAB_DIR = REPO / "lab"


def load_labctl() -> ModuleType:
    """A fresh copy of lab/labctl.py, so that monkeypatched globals never leak between tests."""
    spec = importlib.util.spec_from_file_location("labctl_under_test", LAB_DIR / "labctl.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def fake_program(bin_dir: Path, name: str, body: str) -> Path:
    """An executable /bin/sh script bin_dir/name; $LOG gets one line per call."""
    path = bin_dir / name
    path.write_text(f'#!/bin/sh\necho "{name} $*" >>"$LOG"\n{body}\n')
    path.chmod(0o755)
    return path
