"""The facts script's units/redis/nginx functions, run for real on fixture trees.

Each function is cut out of the script, its absolute paths are re-rooted under
tests/fixtures/services/<case>/, and it runs under dash (and BusyBox sh when installed).
Its output must equal the stored capture `<case>.<function>.out` that the parser tests
read; `UPDATE_SERVICE_CAPTURES=1 pytest ...` rewrites the captures.
"""

from __future__ import annotations

import atexit
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks, select_checks
from hardaudit.checks.model import Status
from hardaudit.facts.build import build_host_facts
from hardaudit.facts.model import Section, Unknown
from hardaudit.facts.parsers.services import parse_nginx, parse_redis
from hardaudit.facts.script import (
    NGINX_INCLUDE_DEPTH,
    REDIS_PATTERN,
    SCRIPT_TEMPLATE,
    build_script,
)

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


def _line(start: str) -> str:
    found = re.search(rf"^{re.escape(start)}.*$", SCRIPT_TEMPLATE, re.MULTILINE)
    return found.group(0) if found else ""


def _block(start: str, end: str) -> str:
    """The template's lines from the one starting with `start` to the next ending with `end`."""
    found = re.search(
        rf"^{re.escape(start)}\n(?:.*\n)*?.*{re.escape(end)}$", SCRIPT_TEMPLATE, re.MULTILINE
    )
    assert found, start
    return found.group(0)


def _function(name: str) -> str:
    found = re.search(rf"^{name}\(\) {{\n.*?^}}\n", SCRIPT_TEMPLATE, re.MULTILINE | re.DOTALL)
    assert found, name
    return found.group(0)


# The script's helpers the functions call: tmo without a time cap, the real cap2 and root
# (sudo only when HA_SUDO is set; tests pass their own `root` after these to override it), and
# the name escaping helpers.
PRELUDE = "\n".join(
    [
        'tmo() { "$@"; }',
        _line("HA_UID="),
        _block("HA_GD=", "fi"),
        "_nl='\n'" if "\n_nl='\n'\n" in SCRIPT_TEMPLATE else "",
        _line("has() {"),
        _line("root() {"),
        _line("oct() {"),
        _line("mark() {"),
        *(
            _function(name)
            for name in (
                "enc",
                "names0",
                "cap2",
                "stats",
                "as_owner",
                "keygrep",
                "ngx_safe",
                "ngx_path_ok",
            )
        ),
    ]
)


def capture(case: str, function: str) -> str:
    """The stored output of `function` on the fixture tree `case`."""
    return (FIXTURES / f"{case}.{function}.out").read_text()


def run_function(
    name: str,
    root: Path,
    services: tuple[str, ...] = (),
    shell: list[str] | None = None,
    path_prefix: str = "",
    root_function: str = 'root() { "$@"; }',
    user: str = "",
    extra_env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> tuple[str, int, str]:
    """(stdout with the root removed, exit status, stderr) of one script function.

    `root_function` stands for the script's sudo wrapper (empty: the script's own, which
    uses `sudo -n` when HA_SUDO is set in `extra_env`); `user` runs the shell as that
    account (setpriv, when the tests run as root).
    """
    body = re.sub(
        r"(?<![\w/.])/(etc|usr|lib|run)/", lambda m: f"{root}/{m.group(1)}/", _function(name)
    )
    body = (
        body.replace("__SERVICES__", " ".join(shlex.quote(s) for s in services))
        .replace("__REDIS_RE__", REDIS_PATTERN)
        .replace("__NGXDEPTH__", str(NGINX_INCLUDE_DEPTH))
        .replace("-v r=", f"-v r={root}")  # absolute nginx include patterns, re-rooted too
    )
    program = f"N='@@{NONCE}'\n{PRELUDE}\n{root_function}\n{body}{name}\n"
    env = {**os.environ, "LC_ALL": "C", **(extra_env or {})}
    if shell and shell[0] == "busybox":  # BusyBox's awk, grep, sed... too, as on Alpine
        path_prefix = f"{path_prefix}:{busybox_tools()}" if path_prefix else busybox_tools()
    if path_prefix:
        env["PATH"] = f"{path_prefix}:{env['PATH']}"
    command = [*(shell or ["sh"]), "-c", program]
    if user:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, check=False, cwd=cwd, timeout=timeout
    )
    return done.stdout.replace(str(root), ""), done.returncode, done.stderr.replace(str(root), "")


_BUSYBOX_BIN: list[str] = []


def busybox_tools() -> str:
    """A directory of links to BusyBox for the tools the script's functions use."""
    if not _BUSYBOX_BIN:
        bindir = Path(tempfile.mkdtemp(prefix="ha-busybox-"))
        atexit.register(shutil.rmtree, bindir, True)  # one per test process, never left behind
        for tool in (
            "awk",
            "grep",
            "sed",
            "head",
            "cut",
            "stat",
            "ls",
            "find",
            "sort",
            "tr",
            "od",
            "cat",
        ):
            (bindir / tool).symlink_to(shutil.which("busybox") or "busybox")
        bindir.chmod(0o755)
        _BUSYBOX_BIN.append(str(bindir))
    return _BUSYBOX_BIN[0]


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
        "user default on nopass",
        "user ops on ><redacted> <<redacted> !<redacted> resetpass",
        'requirepass ""',
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
        sudo_ls = (  # the NUL-separated listing through sudo (find -print0)
            'root() { if [ "$1" = find ]; then printf "%s/redis.conf\\0%s/notes.txt\\0" "$2" "$2";'
            ' else "$@"; fi; }'
        )
        out, rc, _err = run_function("redis", root, root_function=sudo_ls, user="65534")
        assert (out, rc) == (
            "## file /etc/redis/redis.conf\nbind 0.0.0.0\nrequirepass <redacted>\n",
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


def _failing_grep(tmp_path: Path, victim: str, tool: str = "grep") -> str:
    """A `grep` (or `tool`) that fails like an unreadable file for paths ending in `victim`."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    real = shutil.which(tool)
    wrapper = bindir / tool
    wrapper.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do last=$a; done\n'
        f'case $last in *{victim}) echo "{tool}: $last: Permission denied" >&2; exit 2 ;; esac\n'
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
        "nginx", tmp_path / "root", path_prefix=_failing_grep(tmp_path, "nginx.conf", "awk")
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
    assert out.splitlines()[2:] == [  # after the file's marker, on a line of its own
        "1:http",
        "2:{",
        "3:    upstream { server; }",  # arguments of other directives never leave the host
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


# --- review findings: Redis directive case and indentation, redaction that fails closed ------


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_redis_directives_indented_or_in_capitals_are_read_and_redacted(
    tmp_path: Path, shell: list[str]
) -> None:
    conf = tmp_path / "etc" / "redis" / "redis.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(
        "\tbind 0.0.0.0\nPROTECTED-MODE no\nREQUIREPASS hunter2\n  Port 6380\n"
        "User ops ON >s3cret Resetpass\nusername not-a-directive\nbindaddr x\n"
    )
    out, rc, err = run_function("redis", tmp_path, shell=shell)
    assert (rc, err) == (0, "")
    assert "hunter2" not in out
    assert "s3cret" not in out
    assert out.splitlines() == [
        "## file /etc/redis/redis.conf",
        "bind 0.0.0.0",
        "protected-mode no",
        "requirepass <redacted>",
        "port 6380",
        "user ops on ><redacted> resetpass",
    ]
    (cfg,) = parse_redis(out) or ()
    assert (cfg.binds, cfg.protected_mode, cfg.requirepass, cfg.port) == (
        ("0.0.0.0",),
        False,
        True,
        6380,
    )


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_redis_line_is_split_after_the_known_file_name_not_the_first_colon(
    tmp_path: Path, shell: list[str]
) -> None:
    conf = tmp_path / "etc" / "redis"
    conf.mkdir(parents=True)
    (conf / "a:b.conf").write_text("requirepass hunter2\nbind 10.0.0.1\n")
    out, rc, _err = run_function("redis", tmp_path, shell=shell)
    assert rc == 0
    assert "hunter2" not in out
    assert out.splitlines()[:2] == ["## file /etc/redis/a:b.conf", "requirepass <redacted>"]
    (cfg,) = parse_redis(out) or ()
    assert (cfg.path, cfg.requirepass, cfg.binds) == ("/etc/redis/a:b.conf", True, ("10.0.0.1",))


def test_redis_redaction_is_a_whitelist(tmp_path: Path) -> None:
    # whatever grep prints: a directive off the list is dropped; only the listed directives
    # come back, after the `## file` line of the one file grep was given
    conf = tmp_path / "etc" / "redis" / "redis.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("bind 127.0.0.1\n")
    fake_grep = (
        'root() { if [ "$1" = grep ]; then printf "%s\\n"'
        ' "masterauth hunter2" "## none" "/etc/other.conf:bind 0.0.0.0" "bind 1.2.3.4";'
        ' else "$@"; fi; }'
    )
    out, rc, _err = run_function("redis", tmp_path, root_function=fake_grep)
    assert rc == 0
    assert out.splitlines() == ["## file /etc/redis/redis.conf", "bind 1.2.3.4"]


def test_redis_pattern_is_the_one_in_sudoers() -> None:
    # the script's grep and the sudoers line share one pattern
    script = build_script(become=True, nonce="n").script
    assert f"_re='{REDIS_PATTERN}'" in script
    assert 'cap2 root grep $_rg -a -i -E -e "$_re" -- "$_f"' in script
    assert "_rg=$HA_GD" in script
    assert "HA_GD='-D skip'" in script


# --- review finding: a sudo refusal is not "nothing matched" -----------------------------------


def fake_sudo(tmp_path: Path, refuse: str) -> str:
    """A `sudo` that refuses (exit 1, like sudo) commands whose name is in `refuse`, for
    `-l` too, and logs each call to `calls` beside it; others run."""
    bindir = tmp_path / f"sudo-refusing-{refuse or 'nothing'}"
    bindir.mkdir()
    sudo = bindir / "sudo"
    sudo.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >>{bindir}/calls\n'
        '[ "$1" = -n ] && shift\n'
        'list=; [ "$1" = -l ] && { list=1; shift; }\n'
        '[ "$1" = -u ] && shift 2\n'
        f'case " {refuse} " in *" $1 "*) echo "sudo: a password is required" >&2; exit 1 ;; esac\n'
        '[ -n "$list" ] && exit 0\n'
        'exec "$@"\n'
    )
    sudo.chmod(0o755)
    return str(bindir)


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_redis_grep_refused_by_sudo_is_unknown_not_nothing_matched(
    tmp_path: Path, shell: list[str]
) -> None:
    conf = tmp_path / "root" / "etc" / "redis" / "redis.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("bind 0.0.0.0\nprotected-mode no\n")
    bindir = fake_sudo(tmp_path, "grep")
    out, rc, err = run_function(
        "redis",
        tmp_path / "root",
        shell=shell,
        root_function="",
        path_prefix=bindir,
        extra_env={"HA_SUDO": "sudo -n"},
    )
    assert rc == 126
    assert "sudo -n refuses grep -a -i -E -e" in err.replace("-D skip ", "")
    assert out == ""
    host = build_host_facts(
        {
            "meta": Section("meta", "uid=1000\nuser=a\nprivilege=sudo\n", 0),
            "redis": Section("redis", out, rc, stderr=err),
        },
        NONCE,
    )
    assert isinstance(host.redis, Unknown)
    # refused at the first grep: never asked twice
    calls = (Path(bindir) / "calls").read_text().splitlines()
    assert [c.replace("-D skip ", "").split()[:3] for c in calls] == [["-n", "grep", "-a"]]
    # allowed: the same run reads the file, with no `sudo -n -l` before the grep
    bindir = fake_sudo(tmp_path, "")
    out, rc, err = run_function(
        "redis",
        tmp_path / "root",
        shell=shell,
        root_function="",
        path_prefix=bindir,
        extra_env={"HA_SUDO": "sudo -n"},
    )
    assert (rc, err) == (0, "")
    assert "protected-mode no" in out.splitlines()
    calls = (Path(bindir) / "calls").read_text().splitlines()
    assert [c.replace("-D skip ", "").split()[:3] for c in calls] == [["-n", "grep", "-a"]]


# --- review findings: nginx secrets, includes outside the usual directories -------------------

NGINX_SECRETS = (
    "http {\n"
    "  server { # token=c0mment\n"
    '    listen 443 ssl; server_name "a.example.com";\n'
    '    if ($http_x_api_key != "s3cr3t") { return 403; }\n'
    "    if ($arg_token = plainsecret) { return 403; }\n"
    '    location = /config { return 200 \'{"db_password":"hunter2"}\'; }\n'
    '    location /x { proxy_set_header Authorization "Basic dXNlcjpwYXNz";\n'
    "      add_header 'X-Frame-Options' \"SAMEORIGIN\"; }\n"
    "    add_header X-Api-Key k3y always;\n"
    "    add_header Content-Security-Policy\n      \"default-src 'self' {tok3n}\";\n"
    "    set $x 'multi\n      line {s3cond}';\n"
    "  }\n"
    "}\n"
)


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_nginx_quoted_strings_and_other_arguments_never_leave_the_host(
    tmp_path: Path, shell: list[str]
) -> None:
    conf = tmp_path / "etc" / "nginx"
    conf.mkdir(parents=True)
    (conf / "nginx.conf").write_text(NGINX_SECRETS)
    out, rc, err = run_function("nginx", tmp_path, shell=shell)
    assert (rc, err) == (0, "")
    for secret in ("c0mment", "s3cr3t", "plainsecret", "hunter2", "dXNlcjpwYXNz", "SAMEORIGIN"):
        assert secret not in out
    for secret in ("k3y", "tok3n", "s3cond", "db_password"):
        assert secret not in out
    assert 'if ($http_x_api_key != "<redacted>") { return; }' in out
    # the parser still finds everything it reads: listen, server_name, add_header names
    (server,) = parse_nginx(out, NONCE) or ()
    assert (server.listens, server.names) == (("443 ssl",), ("a.example.com",))
    assert server.headers == frozenset({"x-api-key", "content-security-policy"})
    assert [(loc.path, loc.headers) for loc in server.locations] == [
        ("= /config", frozenset()),
        ("/x", frozenset({"x-frame-options"})),
    ]


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_nginx_follows_includes_outside_the_usual_directories(
    tmp_path: Path, shell: list[str]
) -> None:
    conf = tmp_path / "etc" / "nginx"
    (conf / "vhosts" / "inner").mkdir(parents=True)
    (conf / "nginx.conf").write_text(
        "http {\n include /etc/nginx/vhosts/*.conf;\n include extra/*.conf;\n}\n"
    )
    (conf / "vhosts" / "a.conf").write_text(
        "server {\n listen 80;\n server_name a;\n include vhosts/inner/*.inc;\n}\n"
    )
    (conf / "vhosts" / "inner" / "h.inc").write_text("add_header X-Frame-Options DENY;\n")
    out, rc, err = run_function("nginx", tmp_path, shell=shell)
    assert (rc, err) == (0, "")
    assert f"@@{NONCE} FILE /etc/nginx/vhosts/inner/h.inc" in out.splitlines()
    # extra/ does not exist: that include is known to be empty, not unread
    assert f"@@{NONCE} INCLUDE /etc/nginx/extra/*.conf" in out.splitlines()
    (server,) = parse_nginx(out, NONCE) or ()
    assert (server.file, server.names, server.headers) == (
        "/etc/nginx/vhosts/a.conf",
        ("a",),
        frozenset({"x-frame-options"}),
    )


def test_nginx_include_depth_is_bounded_and_what_is_beyond_is_unknown(tmp_path: Path) -> None:
    conf = tmp_path / "etc" / "nginx"
    conf.mkdir(parents=True)
    (conf / "nginx.conf").write_text("include nginx.conf;\nhttp {\n include c1.conf;\n}\n")
    for level in range(1, 12):
        (conf / f"c{level}.conf").write_text(f"include c{level + 1}.conf;\n")
    (conf / "c12.conf").write_text("server { listen 80; add_header X-Frame-Options DENY; }\n")
    out, rc, _err = run_function("nginx", tmp_path)
    assert rc == 0
    files = [line for line in out.splitlines() if " FILE " in line]
    assert len(files) == 1 + NGINX_INCLUDE_DEPTH  # nginx.conf (once: a loop), c1..c8
    parsed = parse_nginx(out, NONCE)
    assert isinstance(parsed, Unknown)
    assert f"include c{NGINX_INCLUDE_DEPTH + 1}.conf (http level) was not read" in parsed.reason


@pytest.mark.skipif(not AS_ROOT, reason="needs root and setpriv to run as another user")
def test_nginx_include_of_an_unlistable_directory_is_unknown_not_pass() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        conf = root / "etc" / "nginx"
        (conf / "sites").mkdir(parents=True)
        (conf / "nginx.conf").write_text(
            "http {\n include /etc/nginx/sites/*.conf;\n include conf.d/*.conf;\n}\n"
        )
        (conf / "sites" / "hidden.conf").write_text("server { listen 80; }\n")
        (conf / "conf.d").mkdir()
        (conf / "conf.d" / "ok.conf").write_text(
            "server { listen 81; add_header X-Frame-Options DENY; }\n"
        )
        for d in (root / "etc", conf, conf / "conf.d"):
            d.chmod(0o755)
        (conf / "sites").chmod(0o700)  # root's only: the login user cannot list it
        out, rc, _err = run_function("nginx", root, user="65534")
        assert rc == 0
        assert "INCLUDE /etc/nginx/sites/*.conf" not in out
        assert parse_nginx(out, NONCE) == Unknown(
            "nginx: include /etc/nginx/sites/*.conf (http level) was not read:"
            " the server blocks in it are unknown"
        )


# --- adversarial review (HEAD 128a31f): quoted directive names, symlinks, FIFOs, NULs ---------


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_nginx_quoted_directive_names_are_judged_unquoted_like_nginx_does(
    tmp_path: Path, shell: list[str]
) -> None:
    conf = tmp_path / "etc" / "nginx"
    conf.mkdir(parents=True)
    (conf / "nginx.conf").write_text(
        "http {\n"
        '  "map" $http_x_api_key $ok {\n    SECRETKEY-AAAA1111 1;\n    default 0;\n  }\n'
        "  'geo' $remote_addr $gate { GEOSECRET-1 1; }\n"
        '  "split_clients" "${remote_addr}" $v { 50% SPLITSECRET-2; * b; }\n'
        '  "server" { "listen" 80; server_name bare.example; }\n'
        "  server {\n    listen 81; server_name full.example;\n"
        "    add_header X-Frame-Options DENY; add_header X-Content-Type-Options nosniff;\n"
        "    add_header Referrer-Policy no-referrer;"
        " add_header Content-Security-Policy \"default-src 'self'\";\n  }\n"
        "}\n"
    )
    out, rc, err = run_function("nginx", tmp_path, shell=shell)
    assert (rc, err) == (0, "")
    for secret in ("SECRETKEY-AAAA1111", "GEOSECRET-1", "SPLITSECRET-2"):
        assert secret not in out
    # the quoted "server" is a server block, with its quoted "listen": it has no headers
    bare, full = parse_nginx(out, NONCE) or ()
    assert (bare.listens, bare.names, bare.headers) == (("80",), ("bare.example",), frozenset())
    assert full.names == ("full.example",)
    host = build_host_facts(
        {
            "meta": Section("meta", "uid=0\nuser=root\nprivilege=root\n", 0),
            "nginx": Section("nginx", out, rc),
        },
        NONCE,
    )
    (check,) = select_checks(load_checks(), ["web.security-headers"])
    (result,) = evaluate([check], host, {})
    assert result.status is Status.FAIL
    assert "bare.example" in str(result)


def _plant_redis_links(conf: Path, outside: Path) -> None:
    """What the redis user can do in its 2770 /etc/redis: links to root-only places."""
    outside.mkdir()
    (outside / "root-only.txt").write_text("bind ROOT-ONLY-SECRET\nport 1111\n")
    (outside / "x.conf").write_text("bind DIR-LINK-SECRET\n")
    (outside / "root-only.txt").chmod(0o644)  # stands for root's file: the test user reads it
    (outside / "x.conf").chmod(0o644)
    outside.chmod(0o755)
    (conf / "redis.conf").write_text("bind 127.0.0.1\nprotected-mode yes\n")
    (conf / "redis.conf").chmod(0o644)
    (conf / "ln.conf").symlink_to(outside / "root-only.txt")
    (conf / "sub").symlink_to(outside)  # /etc/redis/sub/x.conf is a file behind a link


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_redis_never_reads_through_a_symlink_in_the_config_directory(
    tmp_path: Path, shell: list[str]
) -> None:
    conf = tmp_path / "etc" / "redis"
    conf.mkdir(parents=True)
    _plant_redis_links(conf, tmp_path / "outside")
    out, rc, err = run_function("redis", tmp_path, shell=shell)
    assert (rc, err) == (0, "")
    assert out == "## file /etc/redis/redis.conf\nbind 127.0.0.1\nprotected-mode yes\n"


@pytest.mark.skipif(not AS_ROOT, reason="needs root and setpriv to run as another user")
@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_redis_listed_through_sudo_skips_symlinks_and_never_waits_on_a_fifo(
    shell: list[str],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        conf = root / "etc" / "redis"
        conf.mkdir(parents=True)
        (root / "etc").chmod(0o755)
        _plant_redis_links(conf, root / "outside")
        os.mkfifo(conf / "zz.conf")  # a plain grep of it blocks until the time cap
        os.mkfifo(root / "race.conf")
        os.chown(conf, 65534, 65534)
        conf.chmod(0o311)  # not listable by its user: the script lists it through `root`
        # `root` stands for sudo: it lists the directory for real (its owner may make it
        # readable), and its last name is a FIFO swapped in after the listing (GNU grep only)
        race = ":" if shell[0] == "busybox" else f"printf '%s\\0' {root}/race.conf"
        sudo = (
            'root() { if [ "$1" = find ]; then chmod u+r "$2"; "$@"; _r=$?; chmod u-r "$2"; '
            + race
            + '; return $_r; else "$@"; fi; }'
        )
        out, rc, err = run_function(
            "redis", root, shell=shell, root_function=sudo, user="65534", timeout=20
        )
        assert (rc, err) == (0, "")
        assert "SECRET" not in out
        assert "zz.conf" not in out
        assert "## file /etc/redis/redis.conf\nbind 127.0.0.1\nprotected-mode yes\n" in out


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_nul_byte_hides_no_redis_or_unit_line(tmp_path: Path, shell: list[str]) -> None:
    conf = tmp_path / "etc" / "redis" / "redis.conf"
    conf.parent.mkdir(parents=True)
    conf.write_bytes(b"# \x00 binary?\nbind 0.0.0.0\nprotected-mode no\n")
    out, rc, _err = run_function("redis", tmp_path, shell=shell)
    assert rc == 0
    assert out.splitlines()[1:] == ["bind 0.0.0.0", "protected-mode no"]
    units = tmp_path / "etc" / "systemd" / "system"
    (units / "app.service.d").mkdir(parents=True)
    (units / "app.service").write_text("[Service]\nUser=app\n")
    (units / "app.service.d" / "zz.conf").write_bytes(b"# \x00\n[Service]\nUser=root\n")
    out, rc, _err = run_function("units", tmp_path, shell=shell)
    assert rc == 0
    assert out.splitlines()[-2:] == ["[Service]", "User=root"]


@pytest.mark.skipif(not AS_ROOT, reason="needs root to chown a directory to another user")
@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_nginx_as_root_never_reads_a_file_another_user_can_swap(shell: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        conf = root / "etc" / "nginx"
        conf.mkdir(parents=True)
        (conf / "nginx.conf").write_text("http {\n include /run/www/*/site.conf;\n}\n")
        secret = root / "root-only.conf"
        secret.write_text("SECRET-FIRST-WORD { x; }\nlisten SECRET-LISTEN;\n")
        secret.chmod(0o600)
        www = root / "run" / "www"
        (www / "bob").mkdir(parents=True)
        (www / "bob" / "site.conf").write_text("server { listen 80; server_name bob; }\n")
        (www / "alice").mkdir()
        (www / "alice" / "site.conf").symlink_to(secret)
        os.chown(www / "alice", 65534, 65534)  # alice's directory: she planted the link
        for d in (root / "etc", conf, root / "run", www, www / "bob"):
            d.chmod(0o755)
        out, rc, err = run_function("nginx", root, shell=shell)
        assert rc == 0
        assert "SECRET" not in out
        assert "not read (another user can swap it" in err
        assert "/run/www/alice/site.conf" in err
        assert f"@@{NONCE} FILE /run/www/bob/site.conf" in out.splitlines()
        # what was not read leaves its include unknown, never "read in full"
        assert "INCLUDE /run/www/*/site.conf" not in out
        parsed = parse_nginx(out, NONCE)
        assert isinstance(parsed, Unknown)
        assert "include /run/www/*/site.conf (http level) was not read" in parsed.reason
        # a top-level file in a directory another user can write: the section fails
        (conf / "conf.d").mkdir()
        (conf / "conf.d" / "x.conf").symlink_to(secret)
        os.chown(conf / "conf.d", 65534, 65534)
        out, rc, err = run_function("nginx", root, shell=shell)
        assert rc == 1
        assert "SECRET" not in out
        assert "/etc/nginx/conf.d/x.conf" in err


@pytest.mark.skipif(not AS_ROOT, reason="needs root to chown a directory to another user")
@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_nginx_as_root_checks_every_link_of_a_chain_not_only_its_ends(shell: list[str]) -> None:
    # root's sites-enabled links into a user's directory, where the user links on to a
    # root-only file: both ends of the chain are root's, the middle is hers (review 3, defect 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        conf = root / "etc" / "nginx"
        (conf / "sites-enabled").mkdir(parents=True)
        (conf / "nginx.conf").write_text("http {\n include /etc/nginx/sites-enabled/*;\n}\n")
        vault = root / "vault"
        vault.mkdir(mode=0o700)
        secret = vault / "secret.conf"
        secret.write_text("server { listen 80; server_name SECRET-NAME.example; }\n")
        secret.chmod(0o600)
        app = root / "home" / "alice" / "app"
        app.mkdir(parents=True)
        (app / "site.conf").symlink_to(secret)  # hers, swapped in after the admin's link
        os.chown(root / "home" / "alice", 65534, 65534)
        os.chown(app, 65534, 65534)
        (conf / "sites-enabled" / "app").symlink_to(f"{app}/site.conf")
        for d in (root / "etc", conf, conf / "sites-enabled", root / "home"):
            d.chmod(0o755)
        out, _rc, err = run_function("nginx", root, shell=shell)
        assert "SECRET" not in out
        assert "/etc/nginx/sites-enabled/app" in err
        parsed = parse_nginx(out, NONCE)
        assert isinstance(parsed, Unknown)


def _argv_logger(tmp_path: Path, tools: tuple[str, ...]) -> tuple[Path, Path]:
    """A directory of `tools` that append their argv to a log, then run the real program."""
    bindir, log = tmp_path / "logbin", tmp_path / "argv.log"
    bindir.mkdir()
    for tool in tools:
        real = shutil.which(tool)
        assert real, tool
        wrapper = bindir / tool
        wrapper.write_text(
            f'#!/bin/sh\nprintf "%s\\n" "$0 $*" >>{shlex.quote(str(log))}\nexec {real} "$@"\n'
        )
        wrapper.chmod(0o755)
    return bindir, log


@pytest.mark.parametrize(("case", "function"), [("nginx-app", "nginx"), ("redis-acl", "redis")])
def test_the_nonce_never_reaches_a_programs_command_line(
    tmp_path: Path, case: str, function: str
) -> None:
    # /proc/PID/cmdline is world-readable: a local user who reads the nonce off `ps` can
    # forge section markers in output it controls (a later BEGIN/END pair replaces a section)
    bindir, log = _argv_logger(tmp_path, ("awk", "grep", "sed", "od", "head", "cat"))
    out, rc, err = run_function(function, FIXTURES / case, path_prefix=str(bindir))
    assert (rc, err) == (0, "")
    assert out == capture(case, function)
    assert log.read_text().strip(), "no program was logged: the test cannot see argv"
    assert NONCE not in log.read_text()
