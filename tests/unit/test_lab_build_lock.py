"""`make test` builds the lab images in the background while the unit tests run; the lab's
`up` must wait for that build (a file lock per cache), never debootstrap the same images twice,
and lab tests must run after the unit tests for the overlap to exist."""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import pytest_collection_modifyitems
from tests.unit.lab_module import load_labctl


def test_up_waits_for_a_build_in_progress_then_finds_the_tarballs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labctl = load_labctl()
    monkeypatch.setattr(labctl, "CACHE_DIR", tmp_path)
    image = labctl.IMAGES["base"]
    tarball = labctl.base_tarball(image)
    built: list[float] = []

    def background_build() -> None:  # what `labctl.py images` holds while it builds
        with (tmp_path / "build.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            time.sleep(0.5)
            tarball.write_bytes(b"tar")
            built.append(time.monotonic())

    builder = threading.Thread(target=background_build)
    builder.start()
    time.sleep(0.1)
    # the build proper (cached check, debootstrap) runs only once the lock is held: without
    # the lock it would start now and debootstrap the image the background build is making
    monkeypatch.setattr(labctl, "_ensure_tarballs", lambda images: {"base": tarball})
    result = labctl.ensure_tarballs([image])
    waited_until = time.monotonic()
    builder.join()
    assert result == {"base": tarball}
    assert built
    assert waited_until >= built[0]


def test_lab_tests_run_after_every_other_test_in_collection_order() -> None:
    def item(name: str, lab: bool) -> SimpleNamespace:
        return SimpleNamespace(name=name, get_closest_marker=lambda m: object() if lab else None)

    items = [item("lab1", True), item("u1", False), item("lab2", True), item("u2", False)]
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [i.name for i in items] == ["u1", "u2", "lab1", "lab2"]
