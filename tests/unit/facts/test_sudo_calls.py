"""How many `sudo -n` a host pays: each costs ~10 ms of CPU on the target, so the script
batches what needs root (issue 11). A fake `sudo` first on PATH logs every call."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hardaudit.facts.parsers.files import parse_ssh_files
from hardaudit.facts.script import build_script

from .test_files_script import NONCE, SHELLS, passwd, run_function

# Every section of the full catalog, on a host where every tool exists: sshd -T, one stat
# for all ~/.ssh, the two walks and the .env stat, ss, nft, iptables-save, ip6tables-save,
# docker ps and inspect, the redis probe and greps. Before batching: 34 on the lab's web1.
MAX_SUDO_CALLS = 16


def _logging_sudo(tmp_path: Path) -> Path:
    """A `sudo` that logs its arguments and succeeds without running anything."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    sudo = bindir / "sudo"
    sudo.write_text(f'#!/bin/sh\necho "$*" >>{bindir}/calls\nexit 0\n')
    sudo.chmod(0o755)
    return bindir


def _calls(bindir: Path) -> list[str]:
    log = bindir / "calls"
    return log.read_text().splitlines() if log.exists() else []


def _run_script(tmp_path: Path, sudo: str) -> Path:
    bindir = _logging_sudo(tmp_path)
    script = build_script(become=True, nonce=NONCE).script
    # the fake sudo before the system's own (the script puts the system directories first)
    script = script.replace("PATH=/usr/local/sbin", f"PATH={bindir}:/usr/local/sbin", 1)
    subprocess.run(
        ["dash", "-s"],
        input=script,
        capture_output=True,
        text=True,
        env={**os.environ, "HA_PRIV": "sudo" if sudo else "root", "HA_SUDO": sudo},
        check=False,
        timeout=300,
    )
    return bindir


def test_the_whole_script_pays_a_handful_of_sudo_calls(tmp_path: Path) -> None:
    calls = _calls(_run_script(tmp_path, "sudo -n"))
    assert calls, "the fake sudo was not used"
    assert len(calls) <= MAX_SUDO_CALLS, "\n".join(calls)


def test_a_root_login_never_runs_sudo(tmp_path: Path) -> None:
    assert _calls(_run_script(tmp_path, "")) == []


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_ssh_files_asks_root_once_whatever_the_number_of_users(
    tmp_path: Path, shell: list[str]
) -> None:
    # 40 accounts (most without a ~/.ssh, 10 without their home), 2 with a ~/.ssh: one stat
    # for both directories, then per directory its listing and its names' stat.
    homes = []
    for i in range(40):
        home = tmp_path / "home" / f"u{i}"
        if i < 30:
            home.mkdir(parents=True)
        homes.append((f"u{i}", home))
    for _user, home in homes[:2]:
        (home / ".ssh").mkdir()
        (home / ".ssh" / "authorized_keys").write_text("ssh-ed25519 AAAA\n")
    passwd(tmp_path, *homes)
    bindir = tmp_path / "sudo"
    bindir.mkdir()
    (bindir / "sudo").write_text(
        f'#!/bin/sh\necho "$*" >>{bindir}/calls\n[ "$1" = -n ] && shift\nexec "$@"\n'
    )
    (bindir / "sudo").chmod(0o755)
    env = {"HA_SUDO": "sudo -n", "PATH": f"{bindir}:{os.environ['PATH']}"}
    out, rc, _err = run_function(
        "ssh_files", tmp_path, shell, root_fn="", env=env, before="HA_UID=4242"
    )
    assert rc == 0
    parsed = parse_ssh_files(out, NONCE)
    assert [d.user for d in parsed.dirs] == ["u0", "u1"]
    calls = _calls(bindir)
    assert sum(c.startswith("-n stat") for c in calls) == 1 + 2, calls  # batch + names per dir
    assert sum(c.startswith("-n find") for c in calls) == 2, calls
    # and the private-key test as each owner (asked once whether sudo allows it): 34 in all
    # before batching, one stat per account
    assert len(calls) <= 1 + 2 * 2 + 1 + 2, calls


@pytest.mark.parametrize("uid", ["1000", "0"])
def test_meta_records_sudo_version_unprivileged(tmp_path: Path, uid: str) -> None:
    # `sudo -V` (never `sudo -n`: it asks nothing and runs nothing) for a login user that is
    # not root, so the auditor can tell a sudo without sudoers regexes (before 1.9.10)
    from .test_files_script import run_function

    bindir = tmp_path / "bin"
    bindir.mkdir()
    sudo = bindir / "sudo"
    sudo.write_text(
        f'#!/bin/sh\necho "$*" >>{bindir}/calls\n'
        '[ "$1" = -V ] && printf "Sudo version 1.9.5p2\\nSudoers policy plugin version 1.9.5p2\\n"\n'
    )
    sudo.chmod(0o755)
    out, rc, _ = run_function(
        "meta", tmp_path, ["dash"], before=f"PATH={bindir}:$PATH; HA_UID={uid}"
    )
    assert rc == 0
    if uid == "0":
        assert "sudo_version=" not in out
        assert _calls(bindir) == []
    else:
        assert "sudo_version=Sudo version 1.9.5p2\n" in out
        assert _calls(bindir) == ["-V"]
