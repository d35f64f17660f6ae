"""The facts script's ssh_files/env_files/etc_files functions, run for real on temporary trees.

Each function is cut out of the script and runs under dash (and BusyBox sh when installed)
with /etc re-rooted under a temporary directory; `root` is the test's own function, so a
permission error can be played without dropping privileges.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from hardaudit.facts.parsers.files import parse_env_files, parse_ssh_files
from hardaudit.facts.script import SCRIPT_TEMPLATE, fill_constants

from .test_services_script import PRELUDE, fake_sudo

NONCE = "NONCE"
SHELLS = [["sh"]] + ([["busybox", "sh"]] if shutil.which("busybox") else [])
# root runs commands itself, and so does as_owner (the tests' homes are owned by the test's
# user, not by the uids in their passwd); test_ssh_files_reads_as_the_owner runs the real one.
PLAIN_ROOT = 'root() { "$@"; }\nas_owner() { shift 3; "$@"; }'


def _function(name: str) -> str:
    found = re.search(rf"^{name}\(\) {{\n.*?^}}\n", SCRIPT_TEMPLATE, re.MULTILINE | re.DOTALL)
    assert found, name
    return found.group(0)


def run_function(
    name: str,
    tmp: Path,
    shell: list[str],
    *,
    root_fn: str = PLAIN_ROOT,
    app_dirs: tuple[str, ...] = (),
    before: str = "",
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[str, int, str]:
    """(stdout, exit status, stderr) of one script function, /etc re-rooted under `tmp`."""
    # a function with the helpers only it calls
    whole = _function(name) + (_function("ssh_dir") if name == "ssh_files" else "")
    body = re.sub(r"(?<![\w/.])/etc/(passwd|shadow|gshadow)\b", rf"{tmp}/etc/\1", whole)
    body = fill_constants(body)
    args = " ".join(shlex.quote(d) for d in app_dirs)  # env_files takes the app directories
    program = f"N='@@{NONCE}'\n{PRELUDE}\n{root_fn}\n{before}\n{body}{name} {args}\n"
    done = subprocess.run(
        [*shell, "-c", program],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C", **(env or {})},
        check=False,
        cwd=cwd,
        timeout=60,
    )
    return done.stdout, done.returncode, done.stderr


def home_with_keys(tmp: Path, user: str) -> Path:
    home = tmp / "home" / user
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "authorized_keys").write_text("ssh-ed25519 AAAA test\n")
    return home


def passwd(tmp: Path, *homes: tuple[str, Path]) -> None:
    (tmp / "etc").mkdir(exist_ok=True)
    lines = [
        f"{user}:x:{1000 + i}:{1000 + i}::{home}:/bin/sh" for i, (user, home) in enumerate(homes)
    ]
    (tmp / "etc" / "passwd").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_ssh_files_lists_dirs_and_stats(tmp_path: Path, shell: list[str]) -> None:
    alice = home_with_keys(tmp_path, "alice")
    passwd(tmp_path, ("alice", alice), ("nohome", tmp_path / "missing"))
    out, _rc, _err = run_function("ssh_files", tmp_path, shell)
    parsed = parse_ssh_files(out, NONCE)
    assert [d.user for d in parsed.dirs] == ["alice"]
    assert [f.path for f in parsed.dirs[0].files] == [f"{alice}/.ssh/authorized_keys"]
    assert parsed.unreadable == ()


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_ssh_files_succeeds_when_the_last_dir_has_files_and_no_key(
    tmp_path: Path, shell: list[str]
) -> None:
    passwd(tmp_path, ("alice", home_with_keys(tmp_path, "alice")))
    assert run_function("ssh_files", tmp_path, shell)[1] == 0


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_ssh_dir_that_cannot_be_stat_is_unreadable_not_absent(
    tmp_path: Path, shell: list[str]
) -> None:
    bob = home_with_keys(tmp_path, "bob")
    passwd(tmp_path, ("bob", bob))
    denied = r"""root() {
  for _a; do :; done
  case "$1 $_a" in
    "stat "*/bob/.ssh) printf "stat: cannot statx '%s': Permission denied\n" "$_a" >&2; return 1 ;;
  esac
  "$@"
}"""
    out, _rc, _err = run_function("ssh_files", tmp_path, shell, root_fn=denied)
    parsed = parse_ssh_files(out, NONCE)
    assert parsed.unreadable == (f"{bob}/.ssh: cannot stat the directory",)


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_env_files_prints_metadata_never_contents(tmp_path: Path, shell: list[str]) -> None:
    app = tmp_path / "srv" / "app"
    app.mkdir(parents=True)
    (app / ".env").write_text("SECRET=do-not-read\n")
    (app / ".env").chmod(0o640)
    (app / "not-env").write_text("x\n")
    out, rc, err = run_function("env_files", tmp_path, shell, app_dirs=(str(tmp_path / "srv"),))
    assert (rc, err) == (0, "")
    assert "do-not-read" not in out
    parsed = parse_env_files(out)
    assert parsed.dirs == (str(tmp_path / "srv"),)
    assert [(f.path, f.mode_text) for f in parsed.files] == [(f"{app}/.env", "0640")]


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_env_files_without_any_app_dir(tmp_path: Path, shell: list[str]) -> None:
    out, rc, _err = run_function("env_files", tmp_path, shell, app_dirs=(str(tmp_path / "none"),))
    assert (out, rc) == ("## no app dir exists\n", 0)


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_env_files_ignores_the_previous_sections_status(tmp_path: Path, shell: list[str]) -> None:
    (tmp_path / "srv").mkdir()
    # run() leaves the previous section's exit status in _rc of the calling shell
    _out, rc, _err = run_function(
        "env_files", tmp_path, shell, app_dirs=(str(tmp_path / "srv"),), before="_rc=1"
    )
    assert rc == 0


# --- review findings: names are not patterns, a refused grep is not "no key" ------------------


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_file_named_star_in_ssh_is_a_name_not_a_glob(tmp_path: Path, shell: list[str]) -> None:
    alice = home_with_keys(tmp_path, "alice")
    (alice / ".ssh" / "*").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    passwd(tmp_path, ("alice", alice))
    cwd = tmp_path / "cwd"  # the auditor's current directory has files a glob would find
    cwd.mkdir()
    (cwd / "decoy").write_text("x\n")
    out, rc, err = run_function("ssh_files", tmp_path, shell, cwd=cwd)
    assert (rc, err) == (0, "")
    parsed = parse_ssh_files(out, NONCE)
    assert parsed.unreadable == ()
    assert [(f.path, f.private_key) for f in parsed.dirs[0].files] == [
        (f"{alice}/.ssh/*", True),
        (f"{alice}/.ssh/authorized_keys", False),
    ]


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_env_file_names_with_wildcards_are_names(tmp_path: Path, shell: list[str]) -> None:
    app = tmp_path / "srv" / "app"
    app.mkdir(parents=True)
    for name in (".env.*", ".env.prod"):
        (app / name).write_text("SECRET=x\n")
    out, rc, err = run_function(
        "env_files", tmp_path, shell, app_dirs=(str(tmp_path / "srv"),), cwd=tmp_path
    )
    assert (rc, err) == (0, "")
    paths = sorted(f.path for f in parse_env_files(out).files)
    assert paths == [f"{app}/.env.*", f"{app}/.env.prod"]  # each once


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_private_key_grep_refused_by_sudo_reads_with_the_login_users_rights(
    tmp_path: Path, shell: list[str]
) -> None:
    # sudo refuses `grep` as the homes' owners: the keys are then read with the (non-root)
    # login user's rights, never root's; a refusal is never taken for "no key"
    alice = home_with_keys(tmp_path, "alice")
    (alice / ".ssh" / "id_work").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    bob = home_with_keys(tmp_path, "bob")
    (bob / ".ssh").chmod(0o700)
    passwd(tmp_path, ("alice", alice), ("bob", bob))
    bindir = fake_sudo(tmp_path, "grep")  # stat and find allowed, the key grep refused
    env = {"HA_SUDO": "sudo -n", "PATH": f"{bindir}:{os.environ['PATH']}"}
    out, rc, err = run_function(
        "ssh_files", tmp_path, shell, root_fn="", env=env, before="HA_UID=4242"
    )
    assert rc == 0
    parsed = parse_ssh_files(out, NONCE)
    assert [f.path for d in parsed.dirs for f in d.files if f.private_key] == [
        f"{alice}/.ssh/id_work"
    ]
    assert err.count("sudo -n refuses grep -l -m1") == 1
    # tried once, not per directory, as the first home's owner (its refusal is the answer,
    # no `sudo -n -l` first); grep never through sudo after that, never as root
    calls = (Path(bindir) / "calls").read_text().splitlines()
    greps = [c for c in calls if " grep " in f" {c}"]
    assert greps == [c for c in calls if c.startswith("-n -u alice grep")]
    assert sum(c.startswith("-n -u alice grep") for c in calls) == 1
    assert not any(c.startswith("-n -l") for c in calls)


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_without_sudo_keys_are_read_with_the_login_users_rights(
    tmp_path: Path, shell: list[str]
) -> None:
    # db1 in the lab: no sudo at all, another user's world-readable private key is still seen
    alice = home_with_keys(tmp_path, "alice")
    (alice / ".ssh" / "id_rsa").write_text("-----BEGIN RSA PRIVATE KEY-----\n")
    passwd(tmp_path, ("alice", alice))
    out, rc, _err = run_function("ssh_files", tmp_path, shell, root_fn="", before="HA_UID=4242")
    assert rc == 0
    parsed = parse_ssh_files(out, NONCE)
    assert [f.path for d in parsed.dirs for f in d.files if f.private_key] == [
        f"{alice}/.ssh/id_rsa"
    ]
    assert parsed.unreadable == ()


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_grep_sudo_refuses_as_a_later_user_is_unreadable_not_no_key(
    tmp_path: Path, shell: list[str]
) -> None:
    # sudoers whose Runas list admits some users only (`(alice) grep ...`): the first
    # user's grep runs, so sudo counts as allowed; a later refusal (exit 1 and a message,
    # like grep's "no match" but for the message) must not read as "no private key"
    alice = home_with_keys(tmp_path, "alice")
    bob = home_with_keys(tmp_path, "bob")
    (bob / ".ssh" / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    passwd(tmp_path, ("alice", alice), ("bob", bob))
    bindir = tmp_path / "sudo-runas-alice"
    bindir.mkdir()
    (bindir / "sudo").write_text(
        "#!/bin/sh\n"
        '[ "$1" = -n ] && shift\n'
        'if [ "$1" = -u ]; then\n'
        '  [ "$2" = alice ] || { echo "sudo: a password is required" >&2; exit 1; }\n'
        "  shift 2\n"
        "fi\n"
        'exec "$@"\n'
    )
    (bindir / "sudo").chmod(0o755)
    env = {"HA_SUDO": "sudo -n", "PATH": f"{bindir}:{os.environ['PATH']}"}
    out, rc, _err = run_function(
        "ssh_files", tmp_path, shell, root_fn="", env=env, before="HA_UID=4242"
    )
    assert rc == 0
    parsed = parse_ssh_files(out, NONCE)
    keys = [f.path for d in parsed.dirs for f in d.files if f.private_key]
    assert keys == [f"{bob}/.ssh/id_ed25519"] or parsed.unreadable, out


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_key_grep_sudo_refuses_as_root_is_unreadable_not_no_key(
    tmp_path: Path, shell: list[str]
) -> None:
    # root's ~/.ssh is grepped as root (`sudo -n grep`): a sudoers without that line
    # refuses with exit 1 and a message, which is not "no private key"
    home = home_with_keys(tmp_path, "root")
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN RSA PRIVATE KEY-----\n")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(f"root:x:0:0::{home}:/bin/sh\n")
    bindir = tmp_path / "sudo-no-root-grep"
    bindir.mkdir()
    (bindir / "sudo").write_text(
        "#!/bin/sh\n"
        '[ "$1" = -n ] && shift\n'
        '[ "$1" = grep ] && { echo "sudo: a password is required" >&2; exit 1; }\n'
        'exec "$@"\n'
    )
    (bindir / "sudo").chmod(0o755)
    env = {"HA_SUDO": "sudo -n", "PATH": f"{bindir}:{os.environ['PATH']}"}
    out, rc, _err = run_function(
        "ssh_files", tmp_path, shell, root_fn="", env=env, before="HA_UID=4242"
    )
    assert rc == 0
    parsed = parse_ssh_files(out, NONCE)
    assert [d.user for d in parsed.dirs] == ["root"]
    keys = [f.path for d in parsed.dirs for f in d.files if f.private_key]
    assert keys == [f"{home}/.ssh/id_rsa"] or parsed.unreadable, out


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv"
)
def test_a_home_the_login_user_cannot_see_into_is_never_taken_for_no_ssh_dir() -> None:
    # The login user's `[ -e ~bob/.ssh ]` fails on EACCES as on ENOENT: a FUSE mount on
    # ~/.ssh (other users, root too, get EACCES) or a home whose mode bob flips between 700
    # and 711 while the audit runs (-e sees 700, -x then 711) must leave bob's ~/.ssh
    # unreadable (unknown), never absent. The flipping is the one reproducible here.
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        bob = home_with_keys(root, "bob")
        for d in (root / "home", bob.parent):
            d.chmod(0o755)
        os.chown(bob, 1001, 1001)
        passwd(root, ("bob", bob))
        (root / "etc").chmod(0o755)
        flipper = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import os, sys\nwhile True:\n os.chmod(sys.argv[1], 0o700); os.chmod(sys.argv[1], 0o711)",
                str(bob),
            ]
        )
        try:
            hidden = 0
            for _ in range(60):
                out, _rc, _err = run_function(
                    "ssh_files",
                    root,
                    ["setpriv", "--reuid=4242", "--regid=4242", "--clear-groups", "sh"],
                    root_fn="",
                    before="HA_UID=4242",
                )
                parsed = parse_ssh_files(out, NONCE)
                hidden += not parsed.dirs and not parsed.unreadable
        finally:
            flipper.kill()
            flipper.wait()
        assert hidden == 0


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_home_without_ssh_dir_is_absent_whatever_its_name(
    tmp_path: Path, shell: list[str]
) -> None:
    # GNU stat quotes a name holding a quote or a control character otherwise than 'NAME'
    # in its message: such a home without ~/.ssh is still absent, not unreadable
    alice = home_with_keys(tmp_path, "alice")
    odd = tmp_path / "home" / "o'brien \x1b"
    odd.mkdir()
    passwd(tmp_path, ("alice", alice), ("obrien", odd))
    out, rc, _err = run_function("ssh_files", tmp_path, shell)
    parsed = parse_ssh_files(out, NONCE)
    assert [d.user for d in parsed.dirs] == ["alice"]
    assert (rc, parsed.unreadable) == (0, ())
