from __future__ import annotations

import time

import pytest

from hardaudit.errors import ConnectError
from hardaudit.inventory.model import Host
from hardaudit.transport import local, ssh
from hardaudit.transport.local import LocalTransport

HOST = Host("here", "localhost", connection="local")


def test_runs_sh_with_stdin_and_returns_exit_code() -> None:
    result = LocalTransport().execute(
        HOST, 'read x; echo "got $x"; echo err >&2; exit 4', b"hi\n", 5
    )
    assert result.stdout == b"got hi\n"
    assert result.stderr == b"err\n"
    assert result.exit_code == 4
    assert result.steps
    assert "exit 4" in result.steps[0].what


def test_large_stdin_and_output_do_not_deadlock() -> None:
    data = b"x" * 3_000_000
    result = LocalTransport().execute(HOST, "cat; head -c 2000000 /dev/zero >&2", data, 10)
    assert result.stdout == data
    assert len(result.stderr) == 2_000_000


def test_timeout_kills_the_whole_process_group() -> None:
    started = time.monotonic()
    with pytest.raises(ConnectError) as info:
        LocalTransport().execute(HOST, "sleep 30 & sleep 30", b"", 0.5)
    assert info.value.status == "timeout"
    assert "here" in info.value.message
    assert time.monotonic() - started < 3


def test_output_over_the_cap_kills_the_command_and_is_an_error() -> None:
    assert local.MAX_OUTPUT_BYTES == ssh.MAX_OUTPUT_BYTES == 64 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(ConnectError) as info:
        LocalTransport().execute(HOST, "head -c 70000000 /dev/zero; sleep 30", b"", 60)
    assert info.value.status == "error"
    assert info.value.hop == "local:here"
    assert (
        info.value.message == "here (local:here): output exceeds 64 MiB (a hostile or broken host?)"
    )
    with pytest.raises(ConnectError) as mixed:  # stdout and stderr count together
        LocalTransport().execute(
            HOST, "head -c 40000000 /dev/zero; head -c 40000000 /dev/zero >&2", b"", 60
        )
    assert mixed.value.status == "error"
    assert time.monotonic() - started < 20
    exact = LocalTransport().execute(HOST, f"head -c {local.MAX_OUTPUT_BYTES} /dev/zero", b"", 60)
    assert len(exact.stdout) == local.MAX_OUTPUT_BYTES


def test_stdin_not_read_does_not_block() -> None:
    result = LocalTransport().execute(HOST, "echo done", b"x" * 5_000_000, 5)
    assert (result.stdout, result.exit_code) == (b"done\n", 0)
