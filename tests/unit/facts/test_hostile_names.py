"""Names a target chooses cannot forge, hide or split what the facts script reports (issue 8).

File and directory names holding a newline, a tab, an escape sequence, a bidi override,
invalid UTF-8, a leading `-` or `$(reboot)` are sent escaped and decoded locally: every file
is judged under its own name. In-band markers count only where the script puts them. Each
function runs for real under dash (and BusyBox sh with BusyBox's tools when installed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import Status
from hardaudit.facts.model import Section, SshdConfig
from hardaudit.facts.parsers.files import parse_env_files, parse_ssh_files, parse_world_writable
from hardaudit.facts.parsers.names import decode_name
from hardaudit.facts.parsers.services import parse_nginx, parse_redis
from hardaudit.facts.parsers.sshd import parse_sshd_config
from hardaudit.facts.script import fill_constants

from ..checks.factories import facts
from .test_files_script import passwd, run_function
from .test_services_script import PRELUDE, SHELLS, _function, busybox_tools
from .test_services_script import run_function as run_service

NONCE = "NONCE"
CHECKS = {c.id: c for c in load_checks()}
AS_ROOT = os.geteuid() == 0 and shutil.which("setpriv") is not None

# Names as bytes: what a local user can create in a directory the audit reads.
HOSTILE = {
    "newline": b"a\nb",
    "tab": b"a\tb",
    "escape": b"x\x1b[2Jy",
    "bidi": "evil\u202egnp.sh".encode(),
    "invalid-utf8": b"bad\xff\xfe",
    "dash": b"-rf",
    "subst": b"$(reboot)",
    "marker": b"x\n## none\n.conf",
    "pipes": b"a|b|c|d",
}


def _shell_env(shell: list[str]) -> dict[str, str]:
    if shell[0] == "busybox":
        return {"PATH": f"{busybox_tools()}:{os.environ['PATH']}"}
    return {}


def _expected(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def _unroot(text: str, root: Path) -> str:
    """Marker names with the test's root taken out, escaped again as the script escapes them."""
    lines = []
    for line in text.splitlines():
        head, sep, name = line.partition(" FILE ")
        if sep and head.startswith("@@"):
            name = decode_name(name).replace(str(root), "")
            lines.append(head + sep + "".join(f"\\{b:03o}" for b in name.encode()))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_every_env_file_is_judged_whatever_its_directory_or_file_is_named(
    tmp_path: Path, shell: list[str]
) -> None:
    srv = tmp_path / "srv"
    srv.mkdir()
    expected: set[str] = set()
    for raw in HOSTILE.values():
        directory = os.path.join(bytes(srv), raw)
        os.mkdir(directory)
        for name in (b".env", b".env." + raw):
            path = os.path.join(directory, name)
            Path(os.fsdecode(path)).write_text("SECRET=x\n")
            os.chmod(path, 0o644)
            expected.add(_expected(path))
    out, rc, err = run_function(
        "env_files", tmp_path, shell, app_dirs=(str(srv),), env=_shell_env(shell)
    )
    assert (rc, err) == (0, "")
    assert out.isascii()
    assert all(c not in out for c in "\t\x1b\u202e")
    parsed = parse_env_files(out)
    assert parsed.dirs == (str(srv),)
    assert {f.path for f in parsed.files} == expected
    assert {f.mode_text for f in parsed.files} == {"0644"}
    (result,) = evaluate([CHECKS["file.env-mode"]], facts(env_files=parsed), {})
    assert result.status == Status.FAIL
    assert len(result.evidence) >= len(expected)


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_ssh_files_stat_and_key_test_every_hostile_name(tmp_path: Path, shell: list[str]) -> None:
    home = tmp_path / "home" / "alice"
    ssh = home / ".ssh"
    ssh.mkdir(parents=True)
    keys = set()
    for label, raw in HOSTILE.items():
        path = os.path.join(bytes(ssh), raw)
        is_key = label in ("newline", "invalid-utf8", "dash")
        Path(os.fsdecode(path)).write_text(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n" if is_key else "ssh-ed25519 AAAA x\n"
        )
        if is_key:
            keys.add(_expected(path))
    passwd(tmp_path, ("alice", home))
    out, rc, err = run_function("ssh_files", tmp_path, shell, env=_shell_env(shell))
    assert (rc, err) == (0, "")
    assert out.isascii()
    parsed = parse_ssh_files(out, NONCE)
    assert parsed.unreadable == ()
    (found,) = parsed.dirs
    names = {f.path: f for f in found.files}
    assert set(names) == {_expected(os.path.join(bytes(ssh), raw)) for raw in HOSTILE.values()}
    assert {p for p, f in names.items() if f.private_key} == keys


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_world_writable_names_come_back_whole(tmp_path: Path, shell: list[str]) -> None:
    opt = tmp_path / "opt"
    opt.mkdir()
    for raw in HOSTILE.values():
        path = os.path.join(bytes(opt), raw)
        Path(os.fsdecode(path)).write_text("x\n")
        os.chmod(path, 0o666)
    body = _function("world_writable").replace("for _d in __WW_ROOTS__; do", f"for _d in {opt}; do")
    body = fill_constants(body)
    program = f"N='@@{NONCE}'\n{PRELUDE}\nroot() {{ \"$@\"; }}\n{body}world_writable\n"
    done = subprocess.run(
        [*shell, "-c", program],
        capture_output=True,
        env={**os.environ, "LC_ALL": "C", **_shell_env(shell)},
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    out = done.stdout.decode("ascii")  # nothing but ASCII leaves the host
    found = parse_world_writable(out, "", 50)
    assert set(found.paths) == {_expected(os.path.join(bytes(opt), r)) for r in HOSTILE.values()}


# --- item 2: `## none` counts only as the whole section --------------------------------------


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_redis_file_named_none_marker_cannot_skip_redis_auth(
    tmp_path: Path, shell: list[str]
) -> None:
    redis = tmp_path / "etc" / "redis"
    redis.mkdir(parents=True)
    (redis / "redis.conf").write_text("bind 0.0.0.0\nprotected-mode no\n")
    (redis / "x\n## none\n.conf").write_text("port 6380\n")
    out, rc, _err = run_service("redis", tmp_path, shell=shell)
    assert rc == 0
    assert "\n## none\n" not in out
    parsed = parse_redis(out)
    assert parsed is not None
    assert "/etc/redis/x\n## none\n.conf" in {c.path.replace(str(tmp_path), "") for c in parsed}
    (result,) = evaluate([CHECKS["svc.redis-auth"]], facts(redis=parsed), {})
    assert result.status == Status.FAIL


def test_none_marker_among_other_lines_is_not_a_section_of_none() -> None:
    forged = "## file /etc/redis/redis.conf\nbind 0.0.0.0\n## none\n"
    assert parse_redis(forged) is not None
    assert parse_redis("## none\n") is None
    assert parse_nginx("@@n FILE /etc/nginx/nginx.conf\n## none\n1:http {\n", "n") is not None
    assert parse_nginx("## none\n", "n") is None


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_an_nginx_file_named_none_marker_cannot_skip_security_headers(
    tmp_path: Path, shell: list[str]
) -> None:
    conf = tmp_path / "etc" / "nginx"
    (conf / "conf.d").mkdir(parents=True)
    (conf / "nginx.conf").write_text("http {\n    include /etc/nginx/conf.d/*.conf;\n}\n")
    (conf / "conf.d" / "x\n## none\n.conf").write_text("server {\n    listen 80;\n}\n")
    out, rc, err = run_service("nginx", tmp_path, shell=shell)
    assert (rc, err) == (0, "")
    servers = parse_nginx(_unroot(out, tmp_path), NONCE)
    assert isinstance(servers, tuple)
    (server,) = servers
    assert server.file == "/etc/nginx/conf.d/x\n## none\n.conf"
    (result,) = evaluate([CHECKS["web.security-headers"]], facts(nginx=servers), {})
    assert result.status == Status.FAIL


# --- item 3: a marker is on its own line whatever precedes it --------------------------------


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_drop_in_without_final_newline_cannot_swallow_the_next_file(
    tmp_path: Path, shell: list[str]
) -> None:
    ssh = tmp_path / "etc" / "ssh"
    (ssh / "sshd_config.d").mkdir(parents=True)
    (ssh / "sshd_config").write_text(
        f"Include {ssh}/sshd_config.d/*.conf\nPasswordAuthentication no\n"
    )
    # no final newline, and a Match block left open at its end
    (ssh / "sshd_config.d" / "10-match.conf").write_text("Match User backup\n  X11Forwarding no")
    (ssh / "sshd_config.d" / "20-crypto.conf").write_text("Ciphers aes256-cbc\n")
    body = "".join(_function(n) for n in ("sshd_file_list", "sshd_files"))
    body = body.replace("/etc/ssh/", f"{ssh}/")
    program = f"N='@@{NONCE}'\n{PRELUDE}\n{body}sshd_files\n"
    done = subprocess.run(
        [*shell, "-c", program],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C", **_shell_env(shell)},
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    text = done.stdout.replace(str(tmp_path), "")
    assert re.search(rf"^@@{NONCE} FILE /etc/ssh/sshd_config.d/20-crypto.conf$", text, re.M)
    config = parse_sshd_config(text, NONCE)
    assert isinstance(config, SshdConfig)
    assert config.get("ciphers") == "aes256-cbc"
    (result,) = evaluate([CHECKS["ssh.weak-crypto"]], facts(sshd=config), {})
    assert result.status == Status.FAIL


# --- item 5: root never opens what a user controls ---------------------------------------------


def _as_owner_program(body: str) -> str:
    return f"N='@@{NONCE}'\n{PRELUDE}\n_kg='-D skip'\n{body}\n"


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A directory other users can traverse (pytest's own tmp_path is root's 0700)."""
    path = Path(tempfile.mkdtemp(prefix="ha-owner-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.mark.skipif(not AS_ROOT, reason="needs root and setpriv to read as another user")
def test_key_test_reads_as_the_owner_never_following_a_swapped_symlink(open_tmp: Path) -> None:
    tmp_path = open_tmp
    secret = tmp_path / "root-only"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    secret.chmod(0o600)  # root's
    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir(parents=True)
    (tmp_path / "home").chmod(0o755)
    own = ssh / "id_own"
    own.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (ssh / "id_swapped").symlink_to(secret)  # swapped in after the stat saw a regular file
    for path in (ssh, own):
        os.chown(path, 65534, 65534)
    os.lchown(ssh / "id_swapped", 65534, 65534)
    program = _as_owner_program(
        f'keygrep nobody 65534 65534 "{own}" "{ssh}/id_swapped"; echo "rc=$?"'
    )
    done = subprocess.run(
        ["sh", "-c", program], capture_output=True, text=True, check=False, timeout=30
    )
    # the owner's own key is seen; root's file behind the symlink is not opened as root
    assert done.stdout.splitlines() == [str(own), "rc=2"]
    assert "Permission denied" in done.stderr


@pytest.mark.skipif(not AS_ROOT, reason="needs root and setpriv to read as another user")
def test_key_test_does_not_wait_on_a_fifo(open_tmp: Path) -> None:
    tmp_path = open_tmp
    ssh = tmp_path / ".ssh"
    ssh.mkdir()
    os.mkfifo(ssh / "id_rsa")  # a FIFO no one writes: an open without O_NONBLOCK waits forever
    for path in (ssh, ssh / "id_rsa"):
        os.chown(path, 65534, 65534)
    program = _as_owner_program(f'keygrep nobody 65534 65534 "{ssh}/id_rsa"; echo "rc=$?"')
    started = time.monotonic()
    done = subprocess.run(
        ["sh", "-c", program], capture_output=True, text=True, check=False, timeout=30
    )
    assert time.monotonic() - started < 5
    assert done.stdout.splitlines() == ["rc=1"]


def test_names_decode_back_to_their_bytes() -> None:
    for raw in HOSTILE.values():
        escaped = "".join(f"\\{b:03o}" for b in raw)
        assert decode_name(escaped) == _expected(raw)
    assert decode_name("/plain/name") == "/plain/name"
    assert decode_name("") == ""


def test_sections_text_stays_ascii_for_hostile_names() -> None:
    # the section splitter never sees a raw name: nothing to mis-decode or to split on
    assert Section("env_files", "## dirs /srv\n", 0).text.isascii()


def test_a_process_name_cannot_switch_the_listener_dialect() -> None:
    from hardaudit.facts.parsers.listeners import parse_listeners

    # ss prints a process name raw: a name holding "\n## /proc/net/t" must not make the
    # parser read ss's lines as /proc/net/tcp (where none would parse: sockets hidden)
    text = (
        "## ss -tuln\ntcp LISTEN 0.0.0.0:6379\ntcp LISTEN 0.0.0.0:22\n## ss -tulpn\n"
        'tcp LISTEN 0 128 0.0.0.0:6379 0.0.0.0:* users:(("x\n## /proc/net/t",pid=9,fd=3))\n'
        'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))\n'
    )
    assert {s.port for s in parse_listeners(text)} == {6379, 22}


def test_whole_script_through_the_local_transport_judges_every_hostile_env_file(
    tmp_path: Path,
) -> None:
    # the real wrapper and assembled script, run here by the local transport, its .env
    # search pointed (app_dirs) at a tree of hostile names
    from hardaudit.facts.build import build_host_facts
    from hardaudit.facts.model import EnvFiles
    from hardaudit.facts.script import build_script
    from hardaudit.facts.sections import split_sections
    from hardaudit.inventory.model import Host
    from hardaudit.transport.local import LocalTransport

    srv = tmp_path / "srv"
    srv.mkdir()
    expected = set()
    for raw in HOSTILE.values():
        directory = os.path.join(bytes(srv), raw)
        os.mkdir(directory)
        path = os.path.join(directory, b".env")
        Path(os.fsdecode(path)).write_text("SECRET=x\n")
        os.chmod(path, 0o604)
        expected.add(_expected(path))
    script = build_script(become=False, app_dirs=[str(srv)], facts={"env_files"})
    result = LocalTransport().execute(
        Host("here", "localhost", connection="local"), script.command, script.script.encode(), 60
    )
    stdout = result.stdout.decode("utf-8", errors="replace")
    assert stdout.isascii()
    sections = split_sections(stdout, result.stderr.decode("utf-8", "replace"), script.nonce)
    found = build_host_facts(sections, script.nonce).env_files
    assert isinstance(found, EnvFiles)
    assert {f.path for f in found.files} == expected
    (check,) = evaluate([CHECKS["file.env-mode"]], facts(env_files=found), {})
    assert check.status == Status.FAIL


@pytest.mark.skipif(os.geteuid() != 0, reason="plays the script running as root")
def test_root_without_setpriv_whose_sudo_refuses_says_unreadable_not_no_key(
    tmp_path: Path,
) -> None:
    from .test_services_script import fake_sudo

    home = tmp_path / "home" / "alice"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    passwd(tmp_path, ("alice", home))
    bindir = fake_sudo(tmp_path, "grep")
    out, rc, _err = run_function(
        "ssh_files",
        tmp_path,
        ["sh"],
        root_fn='root() { "$@"; }\nhas() { [ "$1" != setpriv ] && command -v "$1" >/dev/null; }',
        env={"PATH": f"{bindir}:{os.environ['PATH']}"},
    )
    assert rc == 0
    parsed = parse_ssh_files(out, NONCE)
    assert [f.private_key for d in parsed.dirs for f in d.files] == [False]
    assert parsed.unreadable == (f"{home}/.ssh: could not read the first line of some files",)


# --- item 6: map/geo/split_clients bodies never leave the host --------------------------------

MAP_CONF = """http {
    map $http_x_api_key $api_ok {
        default 0;
        sk_live_UNQUOTED_KEY 1;
        "sk_quoted_KEY" 1;
        ~^tok_REGEX_KEY 1; }
    geo $remote_addr $office { default 0; 10.9.8.0/24 GEO_SECRET_NET; }
    split_clients "${remote_addr}SALT_SECRET" $variant {
        50% SPLIT_SECRET_A;
        * SPLIT_SECRET_B;
    }
    server {
        listen 80;
        add_header X-Frame-Options DENY always;
    }
}
"""


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_nginx_map_geo_split_clients_bodies_are_dropped(tmp_path: Path, shell: list[str]) -> None:
    conf = tmp_path / "etc" / "nginx"
    conf.mkdir(parents=True)
    (conf / "nginx.conf").write_text(MAP_CONF)
    out, rc, err = run_service("nginx", tmp_path, shell=shell)
    assert (rc, err) == (0, "")
    for secret in ("UNQUOTED_KEY", "quoted_KEY", "REGEX_KEY", "GEO_SECRET", "SALT", "SPLIT_"):
        assert secret not in out
    assert "2:    map {" in out.splitlines()  # the block and its braces stay: structure intact
    servers = parse_nginx(out, NONCE)
    assert isinstance(servers, tuple)
    (server,) = servers
    assert (server.listens, server.headers) == (("80",), frozenset({"x-frame-options"}))


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_stats_pairs_each_line_with_its_own_name_when_one_fails(
    tmp_path: Path, shell: list[str]
) -> None:
    (tmp_path / "a").write_text("x")
    (tmp_path / "a").chmod(0o640)
    (tmp_path / "c\nd").write_text("x")
    (tmp_path / "c\nd").chmod(0o604)
    program = (
        f"N='@@{NONCE}'\n{PRELUDE}\n"
        # the middle name cannot be stat'ed ("Not a directory")
        f'stats tmo "{tmp_path}/a" "{tmp_path}/a/gone\n1" "{tmp_path}/c\nd"; echo "rc=$?"\n'
    )
    done = subprocess.run(
        [*shell, "-c", program],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C", **_shell_env(shell)},
        check=False,
        timeout=60,
    )
    *lines, rc = done.stdout.splitlines()
    assert rc == "rc=1"
    from hardaudit.facts.parsers.files import parse_stat_lines

    stats = parse_stat_lines("\n".join(lines))
    assert [(s.path, s.mode_text) for s in stats] == [
        (f"{tmp_path}/a", "0640"),
        (f"{tmp_path}/c\nd", "0604"),
    ]
    assert done.stderr.startswith("cannot stat \\")  # the failing name, escaped
