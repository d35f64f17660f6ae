"""The cold base-image build shows progress: a condensed line every few seconds, not silence."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.unit.lab_module import load_labctl

# The shape of debootstrap's output (taken from a real bookworm minbase run).
DEBOOTSTRAP_OUTPUT = """\
I: Retrieving InRelease
I: Checking Release signature
I: Retrieving Packages
I: Validating Packages
I: Resolving dependencies of required packages...
I: Checking component main on http://mirror.invalid/debian...
I: Retrieving adduser 3.134
I: Validating adduser 3.134
I: Retrieving apt 2.6.1
I: Validating apt 2.6.1
I: Chosen extractor for .deb packages: dpkg-deb
I: Extracting adduser...
I: Installing core packages...
I: Unpacking required packages...
I: Unpacking adduser...
I: Configuring required packages...
I: Configuring adduser...
I: Base system installed successfully.
"""


def test_progress_counts_packages_per_step_and_names_the_last() -> None:
    labctl = load_labctl()
    lines = DEBOOTSTRAP_OUTPUT.splitlines(keepends=True)
    assert labctl.debootstrap_progress(lines[:10]) == (
        "retrieved 2, validated 2; last: Validating apt 2.6.1"
    )
    assert labctl.debootstrap_progress(lines) == (
        "retrieved 2, validated 2, extracted 1, unpacked 1, configured 1; "
        "last: Base system installed successfully."
    )
    assert labctl.debootstrap_progress([]) == "starting"


def test_a_slow_build_prints_progress_lines_and_keeps_the_full_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labctl = load_labctl()
    # stands in for debootstrap: a line every 50 ms, then quiet for a while, then done
    script = (
        "import sys, time\n"
        "for name in ['a', 'b', 'c', 'd']:\n"
        "    print(f'I: Retrieving {name} 1.0', flush=True)\n"
        "    time.sleep(0.05)\n"
        "time.sleep(0.3)\n"
        "print('I: Base system installed successfully.', flush=True)\n"
        "sys.exit(3)\n"
    )
    log = tmp_path / "build.log"
    argv = [sys.executable, "-c", script]
    status = labctl.run_with_progress(argv, log, "debootstrap", labctl.debootstrap_progress,
                                      interval=0.1)  # fmt: skip
    assert status == 3
    progress = [line for line in capsys.readouterr().out.splitlines() if "debootstrap:" in line]
    assert len(progress) >= 3  # the quiet 0.3 s still gets lines
    assert any("retrieved" in line for line in progress[:-1])
    assert progress[-1].startswith("[lab] debootstrap: done in ")
    assert "retrieved 4" in progress[-1]
    assert log.read_text().count("I: Retrieving") == 4


def test_a_missing_program_is_a_lab_error(tmp_path: Path) -> None:
    labctl = load_labctl()
    with pytest.raises(labctl.LabError, match="no-such-debootstrap not found"):
        labctl.run_with_progress(["no-such-debootstrap"], tmp_path / "log", "x", str)
