"""The facts script's listeners function, run under sh and BusyBox sh with a stand-in `ss`."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import Status
from hardaudit.facts.model import ListeningSocket, Processes
from hardaudit.facts.parsers.listeners import parse_listeners

from ..checks.factories import facts
from .test_services_script import SHELLS, run_function

CHECKS = {c.id: c for c in load_checks()}

# Two processes share a UDP socket; their names (comm, 15 bytes each, set with prctl) hold
# newlines, and ss prints them raw: together they forge a whole dockerd line on tcp/2375.
FORGED_P = (
    'udp   UNCONN 0 0 0.0.0.0:40000 0.0.0.0:* users:(("x\n'
    'tcp LISTEN 0 4096 0.0.0.0:2375 0.0.0.0:* users:(("dockerd",pid=5,fd=3),("y",pid=6,fd=3))\n'
    'tcp   LISTEN 0 128  0.0.0.0:22  0.0.0.0:* users:(("sshd",pid=1,fd=3))\n'
)
REAL_N = "udp   UNCONN 0 0 0.0.0.0:40000 0.0.0.0:*\ntcp   LISTEN 0 128  0.0.0.0:22  0.0.0.0:*\n"


def fake_ss(bindir: Path) -> None:
    bindir.mkdir()
    (bindir / "p.out").write_text(FORGED_P)
    (bindir / "n.out").write_text(REAL_N)
    (bindir / "ss").write_text(
        f'#!/bin/sh\ncase "$*" in *p*) cat {bindir}/p.out ;; *) cat {bindir}/n.out ;; esac\n'
    )
    (bindir / "ss").chmod(0o755)


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_process_names_cannot_forge_a_listening_socket(tmp_path: Path, shell: list[str]) -> None:
    fake_ss(tmp_path / "bin")
    out, rc, err = run_function(
        "listeners", tmp_path, shell=shell, path_prefix=str(tmp_path / "bin")
    )
    assert (rc, err) == (0, "")
    sockets = parse_listeners(out)
    assert set(sockets) == {
        ListeningSocket("udp", "0.0.0.0", 40000, ""),
        ListeningSocket("tcp", "0.0.0.0", 22, "sshd"),
    }
    (result,) = evaluate(
        [CHECKS["ctr.daemon-tcp"]],
        facts(processes=Processes(frozenset({"sshd"}), (), ()), containers=(), listeners=sockets),
        {},
    )
    assert result.status == Status.PASS, result.evidence


def test_a_forged_line_contradicting_a_sockets_name_leaves_it_unnamed() -> None:
    text = (
        "## ss -tuln\ntcp LISTEN 0.0.0.0:5432\n## ss -tulpn\n"
        'tcp LISTEN 0 128 0.0.0.0:5432 0.0.0.0:* users:(("postgres",pid=7,fd=3))\n'
        'tcp LISTEN 0 128 0.0.0.0:5432 0.0.0.0:* users:(("sshd",pid=1,fd=3))\n'
    )
    assert parse_listeners(text) == (ListeningSocket("tcp", "0.0.0.0", 5432, ""),)


def test_ss_lines_that_are_not_whole_socket_lines_are_dropped() -> None:
    # an old capture (one raw ss -tulpn list): the pieces of a split line are not sockets
    assert {s.port for s in parse_listeners(FORGED_P)} == {2375, 22}
    assert {
        s.port for s in parse_listeners('tcp LISTEN 0 1 0.0.0.0:9 0.0.0.0:* users:(("a\n')
    } == set()


def test_a_cap_cutting_only_the_process_names_is_not_judged() -> None:
    # a user flooding udp sockets pushes the tcp lines' names past the cap: a database known
    # by its process name only would then skip instead of fail (review 3, defect 4)
    from hardaudit.checks.engine import evaluate
    from hardaudit.checks.loader import load_checks
    from hardaudit.facts.build import _listeners
    from hardaudit.facts.model import Section

    from ..checks.factories import facts

    text = (
        "## ss -tuln\ntcp LISTEN 0.0.0.0:9000\n## ss -tulpn\n"
        'tcp LISTEN 0 4096 0.0.0.0:9000 0.0.0.0:* users:(("clickhouse-serv",pid=7,fd=3))\n'
    )
    whole = _listeners(Section("listeners", text, rc=0))
    assert whole == (ListeningSocket("tcp", "0.0.0.0", 9000, "clickhouse-serv"),)
    check = next(c for c in load_checks() if c.id == "net.db-exposed")
    (result,) = evaluate([check], facts(listeners=whole), {})
    assert result.status.value == "fail"
    cut_names = text.split('users:(("clickhouse', maxsplit=1)[0]
    cut = _listeners(Section("listeners", cut_names, rc=141, truncated=True))
    assert not isinstance(cut, tuple)
    (result,) = evaluate([check], facts(listeners=cut), {})
    assert result.status.value == "unknown"
    # cut inside the socket list itself: not judged either
    cut = _listeners(
        Section("listeners", "## ss -tuln\ntcp LISTEN 0.0.0.0:2", rc=141, truncated=True)
    )
    assert not isinstance(cut, tuple)
