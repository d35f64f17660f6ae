"""Session-wide test settings.

No test writes the user's run history: `audit run/host` records every run into
$XDG_STATE_HOME/hardaudit/history.sqlite (default ~/.local/state), so XDG_STATE_HOME points at
a temporary directory for the whole session. It is set in os.environ at import time, before
any test runs, so the CLI subprocesses of the lab tests (tests/lab/audit_cli.py) inherit it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_STATE = Path(tempfile.mkdtemp(prefix="hardaudit-test-state-"))
os.environ["XDG_STATE_HOME"] = str(_STATE)
# Also at interpreter exit: a session that fails in collection or is interrupted leaves nothing.
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _private_state_home() -> Iterator[Path]:
    """The session's XDG_STATE_HOME; removed when the session ends."""
    yield _STATE
    shutil.rmtree(_STATE, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Lab tests run last (stable order otherwise): `make test` builds the lab's images in the
    background meanwhile (lab/labctl.py images), so a cold image cache costs less wall time."""
    items.sort(key=lambda item: item.get_closest_marker("lab") is not None)
