"""The facts script's units/redis/nginx functions, run for real on fixture trees.

Each function is cut out of the script, its absolute paths are re-rooted under
tests/fixtures/services/<case>/, and it runs under dash (and BusyBox sh when installed).
Its output must equal the stored capture `<case>.<function>.out` that the parser tests
read; `UPDATE_SERVICE_CAPTURES=1 pytest ...` rewrites the captures.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from hardaudit.facts.parsers.services import parse_nginx
from hardaudit.facts.script import SCRIPT_TEMPLATE

FIXTURES = Path(__file__).parents[2] / "fixtures" / "services"
NONCE = "NONCE"
SHELLS = [["sh"]] + ([["busybox", "sh"]] if shutil.which("busybox") else [])
CASES = [
    ("nginx-debian", "nginx", ()),
    ("nginx-app", "nginx", ()),
    ("redis-debian", "redis", ()),
    ("redis-exposed", "redis", ()),
    ("redis-acl", "redis", ()),
    ("units", "units", ("nginx", "ssh")),
]


def capture(case: str, function: str) -> str:
    """The stored output of `function` on the fixture tree `case`."""
    return (FIXTURES / f"{case}.{function}.out").read_text()


def _function(name: str) -> str:
    found = re.search(rf"^{name}\(\) {{\n.*?^}}\n", SCRIPT_TEMPLATE, re.MULTILINE | re.DOTALL)
    assert found, name
    return found.group(0)


def run_function(
    name: str,
    root: Path,
    services: tuple[str, ...] = (),
    shell: list[str] | None = None,
    path_prefix: str = "",
    root_function: str = 'root() { "$@"; }',
    user: str = "",
) -> tuple[str, int, str]:
    """(stdout with the root removed, exit status, stderr) of one script function.

    `root_function` stands for the script's sudo wrapper; `user` runs the shell as that
    account (setpriv, when the tests run as root).
    """
    body = re.sub(
        r"(?<![\w/.])/(etc|usr|lib|run)/", lambda m: f"{root}/{m.group(1)}/", _function(name)
    )
    body = body.replace("__SERVICES__", " ".join(shlex.quote(s) for s in services))
    program = f"N='@@{NONCE}'\n{root_function}\n{body}{name}\n"
    env = {**os.environ, "LC_ALL": "C"}
    if path_prefix:
        env["PATH"] = f"{path_prefix}:{env['PATH']}"
    command = [*(shell or ["sh"]), "-c", program]
    if user:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    return done.stdout.replace(str(root), ""), done.returncode, done.stderr.replace(str(root), "")


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
@pytest.mark.parametrize(("case", "function", "services"), CASES)
def test_function_output_matches_capture(
    case: str, function: str, services: tuple[str, ...], shell: list[str]
) -> None:
    out, rc, err = run_function(function, FIXTURES / case, services, shell)
    assert (rc, err) == (0, "")
    stored = FIXTURES / f"{case}.{function}.out"
    if os.environ.get("UPDATE_SERVICE_CAPTURES"):
        stored.write_text(out)
    assert out == stored.read_text()


@pytest.mark.parametrize(
    ("case", "secrets"),
    [
        ("redis-exposed", ("Sentinel pass w/ spaces", "Sup3r s3cret")),
        ("redis-acl", ("Qw3rty!app", "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4")),
    ],
)
def test_redis_secrets_never_leave_the_host(case: str, secrets: tuple[str, ...]) -> None:
    raw = "".join(p.read_text() for p in (FIXTURES / case).rglob("*.conf"))
    out, _rc, _err = run_function("redis", FIXTURES / case)
    for secret in secrets:
        assert secret in raw
        assert secret not in out
    assert "<redacted>" in out


def test_redis_user_line_keeps_only_name_flags_and_password_markers(tmp_path: Path) -> None:
    conf = tmp_path / "etc" / "redis" / "redis.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(
        'user default on nopass ~* &* +@all\nuser ops on ">two words" <old !'
        + "a" * 64
        + ' resetpass %R~cache:* +@read\nrequirepass ""\n'
    )
    out, rc, _err = run_function("redis", tmp_path)
    assert rc == 0
    assert out.splitlines() == [
        "## file /etc/redis/redis.conf",
        "/etc/redis/redis.conf:user default on nopass",
        "/etc/redis/redis.conf:user ops on ><redacted> <<redacted> !<redacted> resetpass",
        '/etc/redis/redis.conf:requirepass ""',
    ]


AS_ROOT = os.geteuid() == 0 and shutil.which("setpriv") is not None


@pytest.mark.skipif(not AS_ROOT, reason="needs root and setpriv to run as another user")
def test_unlistable_etc_redis_is_listed_through_sudo() -> None:
    # Debian's /etc/redis is redis:redis 2770: the login user cannot glob it.
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        conf = root / "etc" / "redis"
        conf.mkdir(parents=True)
        (conf / "redis.conf").write_text("bind 0.0.0.0\nrequirepass secret\n")
        (conf / "notes.txt").write_text("port 1\n")
        (root / "etc").chmod(0o755)
        conf.chmod(0o711)  # searchable, not listable: like 2770 for a non-member
        sudo_ls = (
            'root() { if [ "$1" = ls ]; then echo redis.conf; echo notes.txt; else "$@"; fi; }'
        )
        out, rc, _err = run_function("redis", root, root_function=sudo_ls, user="65534")
        assert (out, rc) == (
            "## file /etc/redis/redis.conf\n"
            "/etc/redis/redis.conf:bind 0.0.0.0\n"
            "/etc/redis/redis.conf:requirepass <redacted>\n",
            0,
        )
        # without sudo the listing fails: unknown, never "no redis here"
        out, rc, err = run_function("redis", root, user="65534")
        assert (out, rc) == ("", 2)  # build.py: rc 2 is unknown (1 is "no directive")
        assert "cannot list /etc/redis" in err


def test_no_redis_config_prints_none(tmp_path: Path) -> None:
    assert run_function("redis", tmp_path)[:2] == ("## none\n", 0)


def test_no_etc_nginx_prints_none(tmp_path: Path) -> None:
    assert run_function("nginx", tmp_path)[:2] == ("## none\n", 0)


def test_units_symlinked_aliases_are_skipped_and_drop_ins_printed_once() -> None:
    out = capture("units", "units")
    assert "sshd.service" not in out
    assert out.count("FILE /etc/systemd/system/app.service.d/10-debug.conf") == 1
    assert "FILE /etc/systemd/system/nginx.service.d/override.conf" in out


def _failing_grep(tmp_path: Path, victim: str) -> str:
    """A `grep` that fails like an unreadable file for paths ending in `victim`."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    real = shutil.which("grep")
    wrapper = bindir / "grep"
    wrapper.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do last=$a; done\n'
        f'case $last in *{victim}) echo "grep: $last: Permission denied" >&2; exit 2 ;; esac\n'
        f'exec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    return str(bindir)


def test_unreadable_unit_file_fails_the_section(tmp_path: Path) -> None:
    unit = tmp_path / "root" / "etc" / "systemd" / "system"
    unit.mkdir(parents=True)
    (unit / "locked.service").write_text("[Service]\nUser=app\n")
    (unit / "open.service").write_text("[Service]\nUser=app\n")
    out, rc, err = run_function(
        "units", tmp_path / "root", path_prefix=_failing_grep(tmp_path, "locked.service")
    )
    assert rc == 1
    assert "locked.service: Permission denied" in err
    assert "FILE /etc/systemd/system/open.service\n[Service]\nUser=app\n" in out


def test_unreadable_nginx_file_fails_the_section(tmp_path: Path) -> None:
    conf = tmp_path / "root" / "etc" / "nginx"
    conf.mkdir(parents=True)
    (conf / "nginx.conf").write_text("http {\n}\n")
    _out, rc, err = run_function(
        "nginx", tmp_path / "root", path_prefix=_failing_grep(tmp_path, "nginx.conf")
    )
    assert rc == 1
    assert "Permission denied" in err


def test_nginx_prints_block_headers_whose_brace_is_on_the_next_line(tmp_path: Path) -> None:
    conf = tmp_path / "etc" / "nginx"
    conf.mkdir(parents=True)
    (conf / "nginx.conf").write_text(
        "http\n{\n    upstream b { server 10.0.0.1:80; }\n    server\n    {\n"
        "        location /x\n        {\n        }\n        root /srv;\n    }\n}\n"
    )
    out, _rc, _err = run_function("nginx", tmp_path)
    assert out.splitlines()[1:] == [
        "1:http",
        "2:{",
        "3:    upstream b { server 10.0.0.1:80; }",
        "4:    server",
        "5:    {",
        "6:        location /x",
        "7:        {",
        "8:        }",
        "10:    }",
        "11:}",
    ]


ALPINE_NGINX = (
    "include /etc/nginx/modules/*.conf;\n"
    "http {\n    include /etc/nginx/mime.types;\n    include /etc/nginx/http.d/*.conf;\n}\n"
)
ALPINE_SITE = "server {\n    listen 80 default_server;\n    add_header X-Frame-Options DENY;\n}\n"


def test_nginx_reads_alpine_http_d(tmp_path: Path) -> None:
    conf = tmp_path / "etc" / "nginx"
    (conf / "http.d").mkdir(parents=True)
    (conf / "nginx.conf").write_text(ALPINE_NGINX)
    (conf / "http.d" / "default.conf").write_text(ALPINE_SITE)
    out, rc, err = run_function("nginx", tmp_path)
    assert (rc, err) == (0, "")
    assert f"@@{NONCE} FILE /etc/nginx/http.d/default.conf" in out.splitlines()
    servers = parse_nginx(out, NONCE)
    assert isinstance(servers, tuple)
    ((server),) = servers
    assert (server.file, server.listens, server.headers) == (
        "/etc/nginx/http.d/default.conf",
        ("80 default_server",),
        frozenset({"x-frame-options"}),
    )
