"""The root helper (`audit root-helper`): one `sudo -n` for every root-only section.

Run for real: the helper file as `audit root-helper` prints it, called by the facts script's
own `root_helper` through a stand-in `sudo` (the tests run as root, so it only drops `-n`),
the helper's path re-rooted under tmp. What it prints must be what the script prints without
it; a missing, changed or failing helper must leave the script gathering every section
command by command, and say why in meta.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from hardaudit.doctor import _helper_state
from hardaudit.facts.build import build_host_facts, root_helper_note
from hardaudit.facts.parsers.meta import parse_meta
from hardaudit.facts.script import (
    HELPER_ARGS_RE,
    HELPER_SECTIONS,
    ROOT_COMMANDS,
    ROOT_HELPER,
    SCRIPT_TEMPLATE,
    UserFact,
    build_script,
    posix_cksum,
    root_helper_cksum,
    root_helper_text,
    sudoers_example,
)
from hardaudit.facts.sections import split_sections
from tests.unit.facts.test_root_commands import sudo_allows

NONCE = "0123456789abcdef01234567"
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the helper runs as root only")


@pytest.mark.parametrize(
    "data", [b"", b"a", b"hello world\n", bytes(range(256)) * 3, root_helper_text().encode()]
)
def test_posix_cksum_is_what_cksum_prints(data: bytes) -> None:
    if shutil.which("cksum") is None:
        pytest.skip("no cksum")
    done = subprocess.run(["cksum"], input=data, capture_output=True, check=True)
    assert done.stdout.decode().strip() == posix_cksum(data)


def _helper(tmp_path: Path, text: str | None = None) -> Path:
    path = tmp_path / "libexec" / "root-facts"
    path.parent.mkdir(exist_ok=True)
    path.write_text(root_helper_text() if text is None else text)
    path.chmod(0o755)
    return path


def _run_helper(helper: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", str(helper), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )


@pytest.mark.parametrize(
    ("stdin", "args", "message"),
    [
        ("", ["redis"], "no nonce"),
        ("0123456789ABCDEF01234567\n", ["redis"], "no nonce"),  # hex digits in lower case only
        ("0123456789abcdef0123456\n", ["redis"], "not 24 hex digits"),
        ("0123456789abcdef012345678\n", ["redis"], "not 24 hex digits"),
        ("0123456789abcdef01234567 x\n", ["redis"], "no nonce"),
        (f"{NONCE}\n", [], "no sections"),
        (f"{NONCE}\n", ["redis,meta"], "unknown section"),  # meta is the login user's
        (f"{NONCE}\n", ["redis,,sshd_t"], "unknown section"),
        (f"{NONCE}\n", ["*"], "unknown section"),
        (f"{NONCE}\n", ["--clean-env"], "unknown section"),
        (f"{NONCE}\n", ["redis", "srv"], "not an absolute path"),
        (f"{NONCE}\n", ["redis", "/srv", "-exec"], "not an absolute path"),
    ],
)
def test_the_helper_refuses_anything_but_its_own_arguments(
    tmp_path: Path, stdin: str, args: list[str], message: str
) -> None:
    done = _run_helper(_helper(tmp_path), stdin, *args)
    assert (done.returncode, done.stdout) == (2, "")
    assert message in done.stderr


def test_the_helper_refuses_to_run_as_another_user() -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run it as nobody")
    with tempfile.TemporaryDirectory() as tmp:  # /tmp/x, not pytest's root-only tree
        Path(tmp).chmod(0o755)
        helper = _helper(Path(tmp))
        helper.parent.chmod(0o755)
        done = subprocess.run(
            [*NOBODY, "/bin/sh", str(helper), "redis"],
            input=f"{NONCE}\n",
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert (done.returncode, done.stdout) == (2, "")
    assert "run it as root" in done.stderr


# The sections this test gathers: light, read-only, and present on any Linux machine
FACTS = {"redis", "ssh_files", "firewall"}
FAKE_SUDO = """#!/bin/sh
# stands for sudo: the tests run as root; -V answers like sudo 1.9.13
[ "$1" = -n ] && shift
[ "$1" = -V ] && { echo "Sudo version 1.9.13p3"; exit 0; }
if [ "$1" = "$HELPER" ] && [ -n "${REFUSE_HELPER-}" ]; then
  echo "sudo: a password is required" >&2; exit 1
fi
exec "$@"
"""


def _gather(
    tmp_path: Path, helper: Path, *, allowed: str = "1", refuse: bool = False
) -> tuple[dict[str, tuple[str, int | None]], str, str]:
    """(section -> (text, rc), meta's root_helper, stderr) of the facts script run in sudo
    mode with the helper at `helper`; `allowed` is the wrapper's HA_RH: 1 sudo -n -l names
    the helper, 2 NOPASSWD: ALL, 0 neither."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    sudo = bindir / "sudo"
    sudo.write_text(FAKE_SUDO)
    sudo.chmod(0o755)
    built = build_script(become=True, nonce=NONCE, facts=FACTS)
    script = built.script.replace(ROOT_HELPER, str(helper))
    env = {
        "PATH": f"{bindir}:/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL": "C",
        "HA_PRIV": "sudo",
        "HA_SUDO": "sudo -n",
        "HA_UID": "1000",  # the login user the script believes it is
        "HA_TK": "1",
        "HA_RH": allowed,
        "HELPER": str(helper),
    }
    if refuse:
        env["REFUSE_HELPER"] = "1"
    done = subprocess.run(
        ["/bin/sh", "-s"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    sections = split_sections(done.stdout, done.stderr, NONCE)
    meta = parse_meta(sections["meta"].text)
    texts = {name: (s.text, s.rc) for name, s in sections.items() if name != "meta"}
    return texts, meta.root_helper, done.stderr


@needs_root
def test_the_helper_prints_what_the_script_would(tmp_path: Path) -> None:
    helper = _helper(tmp_path)
    helped, state, _err = _gather(tmp_path, helper)
    assert state == "used"
    assert _gather(tmp_path, helper, allowed="2")[:2] == (helped, "used")  # NOPASSWD: ALL
    without, state_without, _err = _gather(tmp_path, helper, allowed="0")
    assert state_without == "not-in-sudoers"
    assert {"redis", "ssh_files", "nft", "iptables", "ip6tables"} <= set(helped)
    # as root, the script's own sections and the helper's are the same text and status (the
    # firewall's too, but for packet counters that may move between the two runs)
    for name in ("redis", "ssh_files"):
        assert helped[name] == without[name], name
    for name in ("nft", "iptables", "ip6tables"):
        assert helped[name][1] == without[name][1], name


@needs_root
@pytest.mark.parametrize(
    ("how", "allowed", "state"),
    [
        ("absent", "1", "absent"),
        ("absent", "2", "not-installed"),  # NOPASSWD: ALL without the helper: no note
        ("changed", "1", "other-version"),
        ("refused", "1", "failed 1"),
        ("writable", "1", "unsafe"),  # another user could replace it: never run as root
        ("symlinked", "1", "unsafe"),  # a directory above it is a link (into anyone's tree)
    ],
)
def test_without_a_usable_helper_every_section_is_still_gathered(
    tmp_path: Path, how: str, allowed: str, state: str
) -> None:
    helper = _helper(tmp_path)
    reference, _state, _err = _gather(tmp_path, helper)
    if how == "absent":
        helper.unlink()
    elif how == "changed":
        helper.write_text(root_helper_text() + "# edited\n")
    elif how == "writable":
        helper.parent.chmod(0o777)
    elif how == "symlinked":
        helper.parent.rename(tmp_path / "elsewhere")
        helper.parent.symlink_to(tmp_path / "elsewhere")
    texts, got, _err = _gather(tmp_path, helper, allowed=allowed, refuse=how == "refused")
    assert got.split(" ", maxsplit=1)[0] == state.split(" ", maxsplit=1)[0]
    assert got == state or how == "changed"
    assert set(texts) == set(reference)
    for name in ("redis", "ssh_files"):
        assert texts[name] == reference[name], name


def test_the_script_asks_the_helper_only_for_the_sections_it_needs() -> None:
    assert "HA_HS='sshd_t'\n" in build_script(become=True, facts={"sshd"}).script
    # no root-only section selected: the helper is not called (HA_HS empty)
    assert "HA_HS=''\n" in build_script(become=True, facts={"ipv6"}).script
    full = build_script(become=True).script
    assert f"HA_HS='{','.join(HELPER_SECTIONS)}'\n" in full
    # the nonce reaches the helper on its stdin, never among its (world-readable) arguments
    assert '"${N#@@}" | sudo -n ' in full
    assert NONCE not in build_script(become=True, nonce=NONCE).command


def test_every_section_using_root_is_one_the_helper_can_gather() -> None:
    # a section calling `root` that the helper could not gather would keep its sudo calls
    from hardaudit.facts.script import SCRIPT_TEMPLATE

    runs = {
        line.split()[1]: line.split()[3]
        for line in SCRIPT_TEMPLATE.splitlines()
        if line.startswith("run ") and len(line.split()) > 3
    }
    for name, function in runs.items():
        body = SCRIPT_TEMPLATE.split(f"\n{function}() {{", 1)[1].split("\n}\n", 1)[0]
        code = [line for line in body.splitlines() if not line.lstrip().startswith("#")]
        if any(re.search(r"(^|[\s;(|&{])root [a-z]", line) for line in code):
            assert name in HELPER_SECTIONS, name


def test_sudoers_allows_the_helper_only_with_sections_and_directories() -> None:
    regex = [line.strip().rstrip(",\\ ") for line in sudoers_example(root_helper=True).splitlines()]
    lines = tuple(line.replace("\\,", ",") for line in regex if line.startswith(ROOT_HELPER))
    assert lines == (f"{ROOT_HELPER} {HELPER_ARGS_RE}",)
    assert sudo_allows(ROOT_HELPER, ["sshd_t,ssh_files,env_files", "/srv", "/home"], lines)
    assert sudo_allows(ROOT_HELPER, ["redis"], lines)
    for args in (["--clean-env"], ["redis;", "sh"], ["redis", "srv"], ["redis", "-exec"], []):
        assert not sudo_allows(ROOT_HELPER, args, lines), args
    # the helper is opt-in, and never replaces the exact commands (a host without it)
    assert ROOT_HELPER not in sudoers_example()
    plain = sudoers_example()
    assert all(line in sudoers_example(root_helper=True) for line in plain.splitlines()[:-2])
    old = sudoers_example(sudo_version=(1, 9, 5), root_helper=True)
    assert f"    {ROOT_HELPER} *\n" in old
    assert any(cmd.command.split(" ")[0] in old for cmd in ROOT_COMMANDS)


def test_meta_and_notes_say_why_the_helper_was_not_used() -> None:
    meta = parse_meta("uid=1000\nprivilege=sudo\nroot_helper=other-version 123 456\n")
    assert meta.root_helper == "other-version 123 456"
    assert "not this hardaudit's (cksum 123" in root_helper_note(meta.root_helper)
    assert "does not exist" in root_helper_note("absent")
    assert "exit status 1" in root_helper_note("failed 1")
    assert root_helper_note("used") == root_helper_note("not-in-sudoers") == ""
    assert root_helper_note("not-installed") == ""
    out = (
        f"@@{NONCE} BEGIN meta cap=999\nuid=1000\nprivilege=sudo\nroot_helper=failed 124\n"
        f"\n@@{NONCE} END meta rc=0\n"
    )
    facts = build_host_facts(split_sections(out, "", NONCE), NONCE)
    assert any("the root helper failed (exit status 124)" in n for n in facts.notes)


def test_doctor_says_what_to_do_about_the_helper() -> None:
    assert "not installed (optional" in _helper_state([])
    assert "does not exist" in _helper_state(["helper=allowed"])
    assert "another version" in _helper_state(["helper_cksum=1 2", "helper=allowed"])
    mine = f"helper_cksum={root_helper_cksum()}"
    assert "sudoers does not allow it" in _helper_state([mine])
    assert "one sudo call" in _helper_state([mine, "helper=allowed"])
    unsafe = _helper_state([mine, "helper=unsafe", "helper=allowed"])
    assert "writable by others or is a symbolic link: not used" in unsafe


def test_doctor_checks_the_helper_as_the_script_does() -> None:
    from hardaudit.doctor import doctor_script

    script = doctor_script()
    body = SCRIPT_TEMPLATE.split("\nhelper_safe() {", 1)[1].split("\n}\n", 1)[0]
    assert body.replace("__HELPER__", ROOT_HELPER) in script
    assert "helper_safe || echo helper=unsafe" in script


@needs_root
def test_the_helper_never_runs_a_program_from_the_callers_path(tmp_path: Path) -> None:
    # sudo without secure_path keeps the caller's PATH: a `podman` (or any program missing
    # from root's directories) of the caller's must not run as root
    evil = tmp_path / "evil"
    evil.mkdir()
    proof = tmp_path / "proof"
    for name in ("podman", "docker", "nft", "ss", "setpriv", "iptables-legacy-save", "id"):
        (evil / name).write_text(f"#!/bin/sh\necho ran >> {proof}\n")
        (evil / name).chmod(0o755)
    done = subprocess.run(
        ["/bin/sh", str(_helper(tmp_path)), "podman_containers,containers,nft,listeners"],
        input=f"{NONCE}\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"PATH": f"{evil}:/usr/bin:/bin", "HA_TK": "1", "HA_UID": "0", "HA_RH": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert f"@@{NONCE} END podman_containers" in done.stdout
    assert not proof.exists()


def test_no_section_command_holds_the_output_stream(tmp_path: Path) -> None:
    # fd 5 is the stream past every cap: a command (one run as another user) must not get it
    fact = UserFact("user.fds", "for f in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$f ] && echo $f; done; echo 0")
    built = build_script(become=False, nonce=NONCE, facts={"command"}, user_facts=[fact])
    done = subprocess.run(
        ["/bin/sh", "-s"], input=built.script, capture_output=True, text=True, timeout=60, check=False
    )
    fds = split_sections(done.stdout, done.stderr, NONCE)["user.fds"].text.split()
    assert "0" in fds
    assert not {"3", "4", "5"} & set(fds)


def test_a_stopped_helper_is_not_run_again() -> None:
    # exit 1, 2, 126, 127: it did not run, so every section is gathered without it; any other
    # status: it was stopped midway, its unfinished sections are unknown (not re-run beside
    # what its orphaned children may still print)
    function = SCRIPT_TEMPLATE.split("\nroot_helper() {", 1)[1].split("\n}\n", 1)[0]
    assert '1|2|126|127) HA_RHS="failed $_hrc" ;;' in function
    assert '*) HA_RHS="stopped $_hrc"; HA_HELPED=$HA_HS ;;' in function
    assert "unknown" in root_helper_note("stopped 143")
    assert "timeout" not in function  # no time cap of its own: each command in it has one
