"""web.security-headers: pass, fail, unknown and skip, with exact evidence."""

from __future__ import annotations

from typing import Any

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import CheckResult, Severity, Status
from hardaudit.facts.model import Absent, NginxLocation, NginxServer, Unknown
from hardaudit.facts.parsers.services import parse_nginx

from ..facts.test_services_script import NONCE, capture
from .factories import facts

CHECKS = {c.id: c for c in load_checks()}
FOUR = frozenset(
    {"x-frame-options", "x-content-type-options", "referrer-policy", "content-security-policy"}
)
SITE = "/etc/nginx/sites-enabled/app"


def run(host_vars: dict[str, Any] | None = None, **overrides: Any) -> CheckResult:
    (result,) = evaluate([CHECKS["web.security-headers"]], facts(**overrides), host_vars or {})
    return result


def server(
    headers: frozenset[str] = FOUR, locations: tuple[NginxLocation, ...] = (), line: int = 1
) -> NginxServer:
    return NginxServer(SITE, line, ("443 ssl",), ("app.example.com",), headers, locations)


def test_all_four_headers_pass() -> None:
    result = run(nginx=(server(locations=(NginxLocation("/", 9, frozenset()),)),))
    assert (result.status, result.severity) == (Status.PASS, Severity.LOW)
    assert result.evidence == (
        f"{SITE}:1 server app.example.com: X-Frame-Options, X-Content-Type-Options,"
        " Referrer-Policy, Content-Security-Policy set",
    )


def test_debian_default_site_fails_with_every_header_missing() -> None:
    result = run(nginx=parse_nginx(capture("nginx-debian", "nginx"), NONCE))
    assert result.status == Status.FAIL
    assert result.evidence == (
        "/etc/nginx/sites-enabled/default:21 server _: missing X-Frame-Options,"
        " X-Content-Type-Options, Referrer-Policy, Content-Security-Policy",
    )


def test_location_add_header_hides_the_server_headers() -> None:
    result = run(nginx=parse_nginx(capture("nginx-app", "nginx"), NONCE))
    assert result.status == Status.FAIL
    assert result.evidence == (
        # the facts script follows its include of custom/security-headers.conf: two headers
        "/etc/nginx/conf.d/internal.conf:1 server internal.example.com:"
        " missing Referrer-Policy, Content-Security-Policy",
        f"{SITE}:6 server app.example.com: missing X-Frame-Options, Content-Security-Policy",
        f"{SITE}:39 location ~* \\.(?:css|js|woff2)$ in server app.example.com www.app.example.com:"
        " its add_header replaces the inherited headers; missing X-Frame-Options,"
        " X-Content-Type-Options, Referrer-Policy, Content-Security-Policy",
        f"{SITE}:42 location ~ ^/static/admin/ in server app.example.com www.app.example.com:"
        " its add_header replaces the inherited headers; missing X-Content-Type-Options,"
        " Referrer-Policy, Content-Security-Policy",
    )
    assert result.reason == ""


def test_location_repeating_every_header_passes() -> None:
    location = NginxLocation("/static/", 12, FOUR | {"cache-control"})
    assert run(nginx=(server(locations=(location,)),)).status == Status.PASS


def test_headers_from_an_unread_snippet_are_unknown_not_pass() -> None:
    snippet = server(
        headers=frozenset({"include custom/security-headers.conf"}),
    )
    good = server(line=30)
    result = run(nginx=(snippet, good))
    assert result.status == Status.UNKNOWN
    assert result.evidence == (
        f"{SITE}:30 server app.example.com: X-Frame-Options, X-Content-Type-Options,"
        " Referrer-Policy, Content-Security-Policy set",
    )
    assert result.reason == (
        f"{SITE}:1 server app.example.com: X-Frame-Options, X-Content-Type-Options,"
        " Referrer-Policy, Content-Security-Policy not seen;"
        " include custom/security-headers.conf not read"
    )


def test_known_headers_beside_an_unread_include_narrow_the_unknown() -> None:
    headers = frozenset({"x-frame-options", "content-security-policy", "include snippets/h.conf"})
    result = run(nginx=(server(headers=headers),))
    assert result.status == Status.UNKNOWN
    assert result.reason == (
        f"{SITE}:1 server app.example.com: X-Content-Type-Options, Referrer-Policy not seen;"
        " include snippets/h.conf not read"
    )


def test_location_with_own_headers_and_an_unread_include_is_unknown() -> None:
    location = NginxLocation(
        "/api/", 7, frozenset({"x-frame-options", "include snippets/cors.conf"})
    )
    result = run(nginx=(server(locations=(location,)),))
    assert result.status == Status.UNKNOWN
    assert result.reason == (
        f"{SITE}:7 location /api/ in server app.example.com: its add_header replaces the"
        " inherited headers; X-Content-Type-Options, Referrer-Policy, Content-Security-Policy"
        " not seen; include snippets/cors.conf not read"
    )


def test_required_headers_come_from_the_inventory() -> None:
    hsts = {"web_required_headers": ["Strict-Transport-Security", "X-Frame-Options"]}
    result = run(hsts, nginx=(server(),))
    assert result.status == Status.FAIL
    assert result.evidence == (
        f"{SITE}:1 server app.example.com: missing Strict-Transport-Security",
    )
    only_xfo = run(
        {"web_required_headers": "x-frame-options"}, nginx=(server(frozenset({"x-frame-options"})),)
    )
    assert only_xfo.status == Status.PASS


def test_server_without_listen_is_judged_as_serving_port_80() -> None:
    bare = NginxServer("/etc/nginx/conf.d/a.conf", 3, (), (), frozenset())
    result = run(nginx=(bare,))
    assert result.evidence == (
        "/etc/nginx/conf.d/a.conf:3 server (no server_name) (no listen: *:80): missing"
        " X-Frame-Options, X-Content-Type-Options, Referrer-Policy, Content-Security-Policy",
    )


def test_nginx_config_unreadable_is_unknown() -> None:
    reason = "nginx configuration: exit status 1: grep: /etc/nginx/nginx.conf: Permission denied"
    result = run(nginx=Unknown(reason))
    assert (result.status, result.reason) == (Status.UNKNOWN, reason)


def test_no_nginx_skips_and_no_server_block_skips() -> None:
    assert run(nginx=Absent("nginx is not installed")).status == Status.SKIP
    result = run(nginx=())
    assert (result.status, result.reason) == (
        Status.SKIP,
        "nginx configuration has no http server block",
    )
