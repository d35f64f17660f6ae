"""parse_nginx: server blocks rebuilt from grep lines, with add_header inheritance."""

from __future__ import annotations

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks, select_checks
from hardaudit.checks.model import Status
from hardaudit.facts.build import build_host_facts
from hardaudit.facts.model import NginxLocation, NginxServer, Section, Unknown
from hardaudit.facts.parsers.services import parse_nginx, seen_headers, unseen_includes

from .test_services_script import NONCE, capture

FOUR = frozenset(
    {"x-frame-options", "x-content-type-options", "referrer-policy", "content-security-policy"}
)


def grep_n(files: dict[str, str]) -> str:
    """What the script prints for these files (every line kept: the parser must cope)."""
    out = []
    for path, body in files.items():
        out.append(f"@@{NONCE} FILE {path}")
        out.extend(f"{n}:{line}" for n, line in enumerate(body.splitlines(), 1))
    return "\n".join(out) + "\n"


def servers(files: dict[str, str]) -> tuple[NginxServer, ...]:
    return parse_nginx(grep_n(files), NONCE) or ()


def test_debian_default_site() -> None:
    assert parse_nginx(capture("nginx-debian", "nginx"), NONCE) == (
        NginxServer(
            file="/etc/nginx/sites-enabled/default",
            line=21,
            listens=("80 default_server", "[::]:80 default_server"),
            names=("_",),
            headers=frozenset(),
            locations=(NginxLocation("/", 48, frozenset()),),
        ),
    )


def test_app_fixture_servers_in_include_order_stream_servers_excluded() -> None:
    internal, redirect, app = parse_nginx(capture("nginx-app", "nginx"), NONCE) or ()
    # conf.d/*.conf is included before sites-enabled/*
    assert (internal.file, internal.line) == ("/etc/nginx/conf.d/internal.conf", 1)
    # the script follows the include into custom/: the snippet's headers are the server's
    assert unseen_includes(internal.headers) == ()
    assert seen_headers(internal.headers) == frozenset(
        {"x-frame-options", "x-content-type-options"}
    )
    # snippets/cors.conf does not exist: the script says it expanded the include in full
    assert f"@@{NONCE} INCLUDE /etc/nginx/snippets/cors.conf" in capture("nginx-app", "nginx")
    assert internal.locations == (
        NginxLocation("/", 6, frozenset()),
        NginxLocation("/api/", 8, frozenset()),
    )
    # no add_header of its own: the http-level ones are inherited
    assert redirect == NginxServer(
        "/etc/nginx/sites-enabled/app",
        6,
        ("80", "[::]:80"),
        ("app.example.com",),
        frozenset({"x-content-type-options", "referrer-policy"}),
    )
    # brace on the next line; options-ssl-nginx.conf and proxy_params are header-free
    assert (app.line, app.listens) == (17, ("443 ssl http2", "[::]:443 ssl http2"))
    assert app.names == ("app.example.com", "www.app.example.com")
    assert app.headers == FOUR
    assert app.locations == (
        NginxLocation("/", 32, frozenset()),
        NginxLocation("= /healthz", 37, frozenset()),
        NginxLocation("~* \\.(?:css|js|woff2)$", 39, frozenset({"cache-control"})),
        NginxLocation("~ ^/static/admin/", 42, frozenset({"x-frame-options"})),
    )


def test_server_with_own_add_header_does_not_inherit_http_ones() -> None:
    (server,) = servers(
        {
            "/etc/nginx/nginx.conf": (
                "http {\n add_header X-Frame-Options DENY;\n"
                " server { listen 80; add_header X-Test 1; }\n}\n"
            )
        }
    )
    assert server.headers == frozenset({"x-test"})


def test_unread_include_in_a_server_without_add_header_hides_nothing_known() -> None:
    (server,) = servers(
        {
            "/etc/nginx/nginx.conf": (
                "http {\n add_header X-Frame-Options DENY;\n"
                " server {\n  listen 80;\n  include /etc/nginx/default.d/*.conf;\n }\n}\n"
            )
        }
    )
    # default.d is not read by the script: its add_header lines would replace the http ones
    assert server.headers == frozenset({"include /etc/nginx/default.d/*.conf"})


def test_http_level_unread_include_makes_the_servers_unknown() -> None:
    # server blocks in the unread file would be missing: the ones found are not all there are
    files = {
        "/etc/nginx/nginx.conf": (
            "http {\n include /etc/nginx/vhosts/*.conf;\n include /etc/nginx/sites-enabled/*;\n}\n"
        ),
        "/etc/nginx/sites-enabled/a": "server { listen 80; add_header X-Frame-Options DENY; }\n",
    }
    assert parse_nginx(grep_n(files), NONCE) == Unknown(
        "nginx: include /etc/nginx/vhosts/*.conf (http level) was not read:"
        " the server blocks in it are unknown"
    )


def test_an_include_the_script_expanded_in_full_is_known() -> None:
    files = {
        "/etc/nginx/nginx.conf": "http {\n include vhosts/*.conf;\n include /etc/nginx/x.conf;\n}\n",
        "/etc/nginx/vhosts/a.conf": "server { listen 80; add_header X-Frame-Options DENY; }\n",
    }
    # x.conf does not exist: the script says so with an INCLUDE line and prints no FILE
    text = grep_n(files) + f"@@{NONCE} INCLUDE /etc/nginx/vhosts/*.conf\n"
    assert isinstance(parse_nginx(text, NONCE), Unknown)
    (server,) = parse_nginx(text + f"@@{NONCE} INCLUDE /etc/nginx/x.conf\n", NONCE) or ()
    assert (server.file, server.headers) == ("/etc/nginx/vhosts/a.conf", {"x-frame-options"})


def test_files_no_include_loads_are_not_served() -> None:
    loaded = servers(
        {
            "/etc/nginx/nginx.conf": "http {\n include /etc/nginx/conf.d/*.conf;\n}\n",
            "/etc/nginx/conf.d/a.conf": "server { listen 80; server_name a; }\n",
            "/etc/nginx/sites-enabled/old": "server { listen 80; server_name old; }\n",
        }
    )
    assert [s.names for s in loaded] == [("a",)]


def test_without_nginx_conf_every_file_is_taken_as_http() -> None:
    (server,) = servers({"/etc/nginx/sites-enabled/a": "server {\n listen 443 ssl;\n}\n"})
    assert (server.file, server.line, server.listens) == (
        "/etc/nginx/sites-enabled/a",
        1,
        ("443 ssl",),
    )


def test_quotes_comments_and_variables_do_not_break_the_structure() -> None:
    (server,) = servers(
        {
            "/etc/nginx/sites-enabled/a": (
                "server { # a comment with { and ;\n"
                "  listen 80;\n"
                "  add_header Content-Security-Policy \"default-src 'self'; img-src {x}\" always;\n"
                "  add_header 'X-Frame-Options' \"DENY\";\n"
                "  # add_header Referrer-Policy no-referrer;\n"
                "  add_header X-Request-Id ${request_id};\n"
                "  location /a { # add_header X-Hidden 1;\n"
                "  }\n"
                "}\n"
            )
        }
    )
    assert server.headers == frozenset(
        {"content-security-policy", "x-frame-options", "x-request-id"}
    )
    assert server.locations == (NginxLocation("/a", 7, frozenset()),)


def test_multi_line_directive_is_closed_at_the_end_of_its_printed_line() -> None:
    text = (
        f"@@{NONCE} FILE /etc/nginx/sites-enabled/a\n"
        "1:server {\n"
        "2:  add_header Content-Security-Policy\n"
        "5:  location /x {\n"
        "6:  }\n"
        "7:}\n"
    )
    (server,) = parse_nginx(text, NONCE) or ()
    assert server.headers == frozenset({"content-security-policy"})
    assert server.locations == (NginxLocation("/x", 5, frozenset()),)


def test_statement_ending_on_an_unprinted_line_is_dropped() -> None:
    text = (
        f"@@{NONCE} FILE /etc/nginx/nginx.conf\n"
        "1:http {\n"
        '2:  log_format main \'{ "a": "$remote_addr"\'\n'
        "5:  server {\n"
        "6:  }\n"
        "7:}\n"
    )
    (server,) = parse_nginx(text, NONCE) or ()
    assert server.line == 5


def test_if_in_location_is_its_own_header_level_and_server_if_is_ignored() -> None:
    (server,) = servers(
        {
            "/etc/nginx/sites-enabled/a": (
                "server {\n"
                "  if ($host = a) { return 301 https://$host; }\n"
                "  location / {\n"
                "    if ($request_method = OPTIONS) {\n"
                "      add_header Access-Control-Allow-Origin *;\n"
                "    }\n"
                "  }\n"
                "}\n"
            )
        }
    )
    assert server.locations == (
        NginxLocation("/", 3, frozenset()),
        NginxLocation(
            "if ($request_method = OPTIONS)", 4, frozenset({"access-control-allow-origin"})
        ),
    )


def test_conf_d_glob_that_matches_nothing_is_known_to_be_empty() -> None:
    (server,) = servers(
        {
            "/etc/nginx/nginx.conf": "http {\n server {\n  include conf.d/*.conf;\n }\n}\n",
        }
    )
    assert server.headers == frozenset()


def test_none_means_no_nginx_and_no_server_is_empty() -> None:
    assert parse_nginx("## none", NONCE) is None
    assert servers({"/etc/nginx/nginx.conf": "events {\n}\nhttp {\n}\n"}) == ()


def test_alpine_http_d_glob_that_matches_nothing_is_known_to_be_empty() -> None:
    files = {"/etc/nginx/nginx.conf": "http {\n include /etc/nginx/http.d/*.conf;\n}\n"}
    assert parse_nginx(grep_n(files), NONCE) == ()


def test_no_server_and_an_unread_http_include_is_unknown_not_no_server() -> None:
    files = {"/etc/nginx/nginx.conf": "http {\n include /opt/sites/*.conf;\n}\n"}
    assert parse_nginx(grep_n(files), NONCE) == Unknown(
        "nginx: no server block found, and include /opt/sites/*.conf (http level) was not read"
    )


def test_build_and_check_report_the_unread_include_as_unknown() -> None:
    text = grep_n({"/etc/nginx/nginx.conf": "http {\n include /opt/sites/*.conf;\n}\n"})
    host = build_host_facts(
        {
            "meta": Section("meta", "uid=0\nuser=root\nprivilege=root\n", 0),
            "nginx": Section("nginx", text, 0),
        },
        NONCE,
    )
    (check,) = select_checks(load_checks(), ["web.security-headers"])
    (result,) = evaluate([check], host, {})
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "nginx: no server block found, and include /opt/sites/*.conf (http level) was not read",
    )


def test_an_include_matching_a_file_the_script_refused_is_unread_whatever_else_it_matched() -> None:
    text = grep_n(
        {
            "/etc/nginx/nginx.conf": "http {\n include /www/*/site.conf;\n}\n",
            "/www/bob/site.conf": "server {\n listen 80;\n add_header X-Frame-Options DENY;\n}\n",
        }
    )
    text += f"@@{NONCE} INCLUDE /www/*/site.conf\n@@{NONCE} UNREAD /www/alice/site.conf\n"
    assert parse_nginx(text, NONCE) == Unknown(
        "nginx: include /www/*/site.conf (http level) was not read:"
        " the server blocks in it are unknown"
    )
    # the same include without the refused file is read in full
    (server,) = parse_nginx(text.replace("UNREAD /www/alice", "UNREAD /srv/alice"), NONCE) or ()
    assert (server.names, server.listens) == ((), ("80",))
