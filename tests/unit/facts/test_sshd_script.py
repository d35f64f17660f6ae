"""The facts script's sshd_contexts function, run for real on fixture trees (dash with the
system's awk, and BusyBox sh with BusyBox's awk).

`root` stands in for the sudo wrapper and prints the spec `sshd -T -C` would be given;
`getent` is absent from PATH so that groups are read from the tree's /etc/group.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from .test_services_script import SHELLS, _function

NONCE = "NONCE"
FAKE_ROOT = 'root() { printf "sshd %s\\n" "$4"; }'
AS_ROOT = os.geteuid() == 0 and shutil.which("setpriv") is not None


def run_contexts(
    root: Path,
    shell: list[str] | None = None,
    user: str = "",
    root_function: str = FAKE_ROOT,
    getent_body: str = "exit 2",
    tmo: str = 'tmo() { "$@"; }',
) -> tuple[str, int, str]:
    """(stdout, exit status, stderr) of sshd_contexts on the tree under `root`."""
    body = "".join(_function(name) for name in ("sshd_file_list", "sshd_contexts"))
    body = body.replace("/etc/", f"{root}/etc/")
    bin_dir = root / "bin"
    bin_dir.mkdir(exist_ok=True)
    getent = bin_dir / "getent"
    getent.write_text(f"#!/bin/sh\n{getent_body}\n")
    getent.chmod(0o755)
    if shell and shell[0] == "busybox":  # BusyBox's awk, cut, head and grep too (bbox1)
        for tool in ("awk", "cut", "head", "grep"):
            link = bin_dir / tool
            if not link.exists():
                link.symlink_to(shutil.which("busybox") or "busybox")
    program = f"N='@@{NONCE}'\nhas() {{ return 0; }}\n{tmo}\n{root_function}\n{body}sshd_contexts\n"
    env = {**os.environ, "LC_ALL": "C", "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    command = [*(shell or ["sh"]), "-c", program]
    if user:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=60)
    return done.stdout.replace(str(root), ""), done.returncode, done.stderr.replace(str(root), "")


def tree(root: Path, config: str, group: str = "", passwd: str = "") -> Path:
    ssh = root / "etc" / "ssh"
    ssh.mkdir(parents=True)
    (ssh / "sshd_config").write_text(config)
    (root / "etc" / "group").write_text(group or "root:x:0:\n")
    (root / "etc" / "passwd").write_text(passwd or "root:x:0:0:root:/root:/bin/sh\n")
    return ssh / "sshd_config"


def specs(out: str) -> list[str]:
    return [line.split()[2] for line in out.splitlines() if line.startswith(f"@@{NONCE} CTX ")]


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
@pytest.mark.parametrize(
    ("match", "spec"),
    [
        ("User deploy", "user=deploy,host=localhost,addr=127.0.0.1"),
        # a negated entry is excluded: never the value to evaluate
        ("User !root,*", "user=hardaudit-probe,host=localhost,addr=127.0.0.1"),
        ("User !root", "user=hardaudit-probe,host=localhost,addr=127.0.0.1"),
        ("User adm*", "user=adm1,host=localhost,addr=127.0.0.1"),
        ("User !adm1,adm*", "user=hardaudit-probe,host=localhost,addr=127.0.0.1"),
        ("Address !10.0.0.0/8,*", "user=root,host=localhost,addr=192.0.2.1"),
        ("Address !192.0.2.0/24,*", "user=root,host=localhost,addr=2001:db8::1"),
        ("Address !192.0.2.*,*", "user=root,host=localhost,addr=2001:db8::1"),
        ("Address 10.0.0.0/8", "user=root,host=localhost,addr=10.0.0.1"),
        ("Host !*.example.com,*", "user=root,host=probe.invalid,addr=127.0.0.1"),
        ("User deploy Address 198.51.100.0/24", "user=deploy,host=localhost,addr=198.51.100.1"),
    ],
)
def test_context_values_avoid_negated_and_wildcard_entries(
    tmp_path: Path, shell: list[str], match: str, spec: str
) -> None:
    tree(tmp_path, f"PermitRootLogin no\nMatch {match}\n  PermitRootLogin yes\n")
    out, rc, err = run_contexts(tmp_path, shell)
    assert (rc, err) == (0, "")
    assert out.splitlines() == [f"@@{NONCE} CTX {spec} Match {match}", f"sshd {spec}"]


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_group_member_listed_or_by_primary_gid_or_a_probe(tmp_path: Path, shell: list[str]) -> None:
    tree(
        tmp_path,
        "Match Group admins\n  X11Forwarding yes\n"
        "Match Group devs\n  X11Forwarding yes\n"
        "Match Group empty\n  X11Forwarding yes\n",
        group="root:x:0:\nadmins:x:1400:bob,carol\ndevs:x:1500:\nempty:x:1600:\n",
        passwd="root:x:0:0::/root:/bin/sh\nalice:x:1001:1500::/home/alice:/bin/sh\n",
    )
    out, rc, err = run_contexts(tmp_path, shell)
    assert (rc, err) == (0, "")
    assert specs(out) == [
        "user=bob,host=localhost,addr=127.0.0.1",
        "user=alice,host=localhost,addr=127.0.0.1",  # devs is alice's primary group
        "user=hardaudit-probe,host=localhost,addr=127.0.0.1",  # not root: nobody is in it
    ]


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_refused_context_is_marked_and_sshd_stderr_dropped(
    tmp_path: Path, shell: list[str]
) -> None:
    tree(tmp_path, "Match User deploy\n  PasswordAuthentication yes\n")
    refuse = 'root() { echo "Unable to load host key" >&2; return 1; }'
    out, rc, err = run_contexts(tmp_path, shell, root_function=refuse)
    assert (rc, err) == (0, "")
    assert out.splitlines()[-1] == "ctx-failed: user=deploy,host=localhost,addr=127.0.0.1"


def test_no_match_line_prints_nothing(tmp_path: Path) -> None:
    tree(tmp_path, "PermitRootLogin no\n")
    assert run_contexts(tmp_path) == ("", 0, "")


@pytest.mark.skipif(not AS_ROOT, reason="needs root and setpriv to run as another user")
@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_unreadable_config_fails_the_section_naming_the_file(shell: list[str]) -> None:
    # RHEL's sshd_config is root 0600: the login user's awk cannot read its Match lines.
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = tree(root, "Match User deploy\n  PasswordAuthentication yes\n")
        for directory in (root, root / "etc", root / "etc" / "ssh"):
            directory.chmod(0o755)
        config.chmod(0o600)
        out, rc, err = run_contexts(root, shell, user="65534")
    assert rc == 2
    assert out == ""
    last = err.splitlines()[-1]
    assert last.startswith("cannot read /etc/ssh/sshd_config as "), err
    assert last.endswith(": its Match lines are not seen")


def test_a_hanging_getent_is_capped(tmp_path: Path) -> None:
    # an unreachable LDAP/sssd makes `getent group` hang: tmo caps it like any other command
    tree(tmp_path, "Match Group admins\n  X11Forwarding yes\n", group="admins:x:1500:ops\n")
    started = time.monotonic()
    out, rc, _err = run_contexts(
        tmp_path, getent_body="exec sleep 30", tmo='tmo() { timeout 1 "$@"; }'
    )
    assert time.monotonic() - started < 15
    assert rc == 0
    # getent timed out: the group is read from /etc/group instead
    assert specs(out) == ["user=ops,host=localhost,addr=127.0.0.1"]
