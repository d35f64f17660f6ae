"""Names escaped by the script's `enc` and decoded by parsers/names.py stay distinguishable."""

from __future__ import annotations

import os
import subprocess

import pytest

from hardaudit.facts.parsers.names import decode_argv, decode_name

from .test_services_script import PRELUDE, SHELLS


def enc(name: bytes, shell: list[str]) -> str:
    done = subprocess.run(
        [*shell, "-c", f'{PRELUDE}\nenc "$1"', "sh", os.fsdecode(name)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout.rstrip("\n")


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_literal_backslash_x_ff_is_not_the_byte_ff(shell: list[str]) -> None:
    literal = decode_name(enc(rb"/srv/\xff", shell))
    byte = decode_name(enc(b"/srv/\xff", shell))
    assert byte == "/srv/\\xff"
    assert literal == "/srv/\\\\xff"
    assert literal != byte


def test_argv_arguments_are_told_apart_the_same_way() -> None:
    assert decode_argv(r"\134\170\146\146\000\377\000") == ["\\\\xff", "\\xff"]
