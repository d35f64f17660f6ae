"""Inputs a target can print that once cost minutes of CPU or gigabytes of memory."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from fractions import Fraction
from types import MappingProxyType
from typing import TypeVar

import pytest

from hardaudit.checks.rules.ssh import MaxStartups
from hardaudit.facts.build import build_host_facts
from hardaudit.facts.model import Section, SshdContext, Unknown
from hardaudit.facts.parsers.firewall import parse_iptables_save
from hardaudit.facts.parsers.services import (
    _TOKEN,
    NGINX_MAX_DEPTH,
    NGINX_NODE_BUDGET,
    parse_nginx,
    parse_redis,
)
from hardaudit.facts.parsers.sshd import (
    SSHD_LINE_BUDGET,
    SshdIncludeError,
    fill_failed_contexts,
    parse_sshd_config,
    parse_sshd_contexts,
)

T = TypeVar("T")


def _call_budget(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """Make MaxStartups.refusal fail the test after `limit` calls, instead of running out
    of memory the way an expansion over every count would."""
    real: Callable[[MaxStartups, int], Fraction] = MaxStartups.refusal
    calls = [0]

    def counted(self: MaxStartups, unauthenticated: int) -> Fraction:
        calls[0] += 1
        assert calls[0] <= limit, "refusal() evaluated at every connection count"
        return real(self, unauthenticated)

    monkeypatch.setattr(MaxStartups, "refusal", counted)


@pytest.mark.parametrize(
    ("value", "tighter"),
    [
        ("10:30:2147483647", False),  # sshd accepts it: refuses less often above 100
        ("1:100:2147483647", True),  # refuses everything from the first connection
        ("2147483647", False),
        ("10:30:60", True),
    ],
)
def test_maxstartups_is_compared_from_its_values_not_per_connection_count(
    monkeypatch: pytest.MonkeyPatch, value: str, tighter: bool
) -> None:
    default = MaxStartups.parse("10:30:100")
    parsed = MaxStartups.parse(value)
    assert default is not None
    assert parsed is not None
    _call_budget(monkeypatch, 100)
    assert parsed.tighter_than(default) is tighter


@pytest.mark.parametrize("value", ["²", "1:٣:100", "9" * 5000, "10:30:" + "9" * 11])
def test_maxstartups_of_non_ascii_or_huge_digits_is_not_a_value(value: str) -> None:
    assert MaxStartups.parse(value) is None


# --- nginx ---------------------------------------------------------------------------------


class _OverTimeError(Exception):
    pass


def _within(seconds: float, call: Callable[[], T]) -> T:
    """Run `call`, failing the test when it takes over `seconds` of this thread's CPU time;
    a runaway (minutes, on the code before the fix) is stopped by a wall-clock alarm."""

    def stop(signum: int, frame: object) -> None:
        raise _OverTimeError(f"still running after {10 * seconds + 5:g}s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 10 * seconds + 5)
    started = time.thread_time()
    try:
        result = call()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.thread_time() - started
    assert elapsed < seconds, f"took {elapsed:.2f} CPU-s (bound {seconds}s)"
    return result


def _nginx_section(files: dict[str, list[str]]) -> str:
    out = []
    for path, lines in files.items():
        out.append(f"@@n FILE {path}")
        out.extend(f"{number}:{line}" for number, line in enumerate(lines, start=1))
    return "\n".join(out) + "\n"


MAIN = "/etc/nginx/nginx.conf"


def test_nginx_files_that_include_each_other_are_unknown_within_a_second() -> None:
    files = {MAIN: ["http {", "include /etc/nginx/conf.d/*.conf;", "}"]}
    for i in range(10):
        files[f"/etc/nginx/conf.d/{i}.conf"] = [
            "include /etc/nginx/conf.d/*.conf;",
            f"server {{ listen {8000 + i}; }}",
        ]
    result = _within(2.0, lambda: parse_nginx(_nginx_section(files), "n"))
    assert isinstance(result, Unknown)
    assert "includes nested over" in result.reason


def test_nginx_includes_that_fan_out_stop_at_the_node_budget() -> None:
    files = {MAIN: ["http {", "include /etc/nginx/d0.conf;", "}"]}
    for i in range(7):  # 20**7 servers if every path were expanded
        files[f"/etc/nginx/d{i}.conf"] = [f"include /etc/nginx/d{i + 1}.conf;"] * 20
    files["/etc/nginx/d7.conf"] = ["server { listen 80; }"]
    result = _within(2.0, lambda: parse_nginx(_nginx_section(files), "n"))
    assert isinstance(result, Unknown)
    assert f"over {NGINX_NODE_BUDGET} directives" in result.reason


def test_a_file_included_from_many_places_is_expanded_once() -> None:
    files = {MAIN: ["http {", *["include /etc/nginx/common.conf;"] * 50, "}"]}
    files["/etc/nginx/common.conf"] = ["include /etc/nginx/headers.conf;"] * 50
    files["/etc/nginx/headers.conf"] = ["add_header X-Frame-Options DENY;"]
    files["/etc/nginx/conf.d/site.conf"] = ["server { listen 80; }"]
    files[MAIN].insert(1, "include /etc/nginx/conf.d/*.conf;")
    (server,) = _within(2.0, lambda: parse_nginx(_nginx_section(files), "n"))  # type: ignore[misc]
    assert server.headers == frozenset({"x-frame-options"})


@pytest.mark.parametrize("depth", [100, 20_000])
def test_deeply_nested_nginx_blocks_are_unknown_not_a_recursion_error(depth: int) -> None:
    files = {MAIN: ["http {", "server {", *["location / {"] * depth]}
    result = _within(2.0, lambda: parse_nginx(_nginx_section(files), "n"))
    assert isinstance(result, Unknown)
    assert f"nested over {NGINX_MAX_DEPTH} deep" in result.reason


def test_a_block_that_includes_its_own_file_is_unknown_not_a_recursion_error() -> None:
    files = {
        MAIN: ["http {", "include /etc/nginx/conf.d/*.conf;", "}"],
        "/etc/nginx/conf.d/b.conf": ["server {", "include /etc/nginx/conf.d/b.conf;", "}"],
    }
    result = _within(2.0, lambda: parse_nginx(_nginx_section(files), "n"))
    assert isinstance(result, Unknown)


@pytest.mark.parametrize("word", ["${", "${a", "$"])
def test_the_nginx_tokenizer_is_linear_on_a_40kb_line(word: str) -> None:
    line = "add_header X " + word * (40_000 // len(word)) + ";"
    files = {MAIN: ["http {", "server {", line, "}", "}"]}
    (server,) = _within(1.0, lambda: parse_nginx(_nginx_section(files), "n"))  # type: ignore[misc]
    assert server.headers == frozenset({"x"})


def test_a_1mb_nginx_section_parses_in_well_under_a_second_per_megabyte() -> None:
    lines = [f"add_header X-{i} ${{host}}${{uri}}; # {'c' * 8}" for i in range(25_000)]
    files = {MAIN: ["http {", "server {", *lines, "}", "}"]}
    text = _nginx_section(files)
    assert len(text) > 1_000_000
    (server,) = _within(3.0, lambda: parse_nginx(text, "n"))  # type: ignore[misc]
    assert len(server.headers) == 25_000


def test_nginx_token_dollar_brace_splits_like_nginx() -> None:
    tokens = [m.group() for m in _TOKEN.finditer("set $x ${a{b}; add_header X-${host}-y v;")]
    assert [t for t in tokens if not t.isspace()] == [
        "set", "$x", "${a", "{", "b", "}", ";", "add_header", "X-${host}-y", "v", ";",
    ]  # fmt: skip


# --- firewall ------------------------------------------------------------------------------


def _iptables(*lines: str) -> str:
    return "\n".join(("*filter", ":INPUT DROP [0:0]", *lines, "COMMIT")) + "\n"


def test_a_goto_loop_proves_no_rate_limit_and_raises_nothing() -> None:
    text = _iptables(
        ":A - [0:0]",
        ":B - [0:0]",
        "-A INPUT -p tcp --dport 22 -m limit --limit 3/min -j A",
        "-A A -g B",
        "-A B -g A",
    )
    assert _within(2.0, lambda: parse_iptables_save(text, "ipv4")).rate_limit == ()


def test_a_3000_deep_goto_chain_raises_nothing() -> None:
    chains = [f":C{i} - [0:0]" for i in range(3000)]
    gotos = [f"-A C{i} -g C{i + 1}" for i in range(2999)]
    text = _iptables(*chains, "-A INPUT -p tcp --dport 22 -m limit --limit 1/s -j C0", *gotos)
    _within(2.0, lambda: parse_iptables_save(text, "ipv4"))


def test_many_jumps_into_a_chain_of_limited_rules_stay_bounded() -> None:
    jumps = ["-A INPUT -p tcp --dport 22 -j X"] * 2000
    limited = [f"-A X -s 10.0.{i // 250}.{i % 250} -m limit -j ACCEPT" for i in range(2000)]
    text = _iptables(":X - [0:0]", *jumps, *limited)
    _within(3.0, lambda: parse_iptables_save(text, "ipv4"))


def test_20000_limited_rules_are_judged_in_one_pass_not_one_per_rule() -> None:
    rules = [
        f"-A INPUT -p tcp --dport 22 -m limit --limit {i}/min -j ACCEPT" for i in range(20_000)
    ]
    found = _within(4.0, lambda: parse_iptables_save(_iptables(*rules), "ipv4"))
    assert found.rate_limit[0].endswith("--limit 0/min -j ACCEPT")


# --- sshd_config Includes ------------------------------------------------------------------


def _sshd_files(files: dict[str, list[str]]) -> str:
    return "\n".join(line for path, lines in files.items() for line in (f"@@n FILE {path}", *lines))


def test_sshd_drop_ins_that_include_each_other_are_refused_as_sshd_does() -> None:
    files = {"/etc/ssh/sshd_config": ["Include /etc/ssh/sshd_config.d/*.conf"]}
    for i in range(10):
        files[f"/etc/ssh/sshd_config.d/{i}.conf"] = [
            "Include /etc/ssh/sshd_config.d/*.conf",
            f"Port {i}",
        ]
    with pytest.raises(SshdIncludeError, match="again \\(a loop\\)"):
        _within(2.0, lambda: parse_sshd_config(_sshd_files(files), "n"))


def test_sshd_includes_that_fan_out_stop_at_the_line_budget() -> None:
    files = {"/etc/ssh/sshd_config": ["Include /etc/ssh/d0.conf"] * 10}
    for i in range(4):
        files[f"/etc/ssh/d{i}.conf"] = [f"Include /etc/ssh/d{i + 1}.conf"] * 10
    files["/etc/ssh/d4.conf"] = ["Port 22"] * 100
    with pytest.raises(SshdIncludeError, match=f"over {SSHD_LINE_BUDGET} lines"):
        _within(2.0, lambda: parse_sshd_config(_sshd_files(files), "n"))


def test_an_sshd_include_loop_makes_the_sshd_fact_unknown_with_the_reason() -> None:
    files = {"/etc/ssh/sshd_config": ["Include /etc/ssh/sshd_config", "PermitRootLogin no"]}
    sections = MappingProxyType(
        {
            "meta": Section("meta", "uid=1000\nprivilege=user\n", 0),
            "sshd_t": Section("sshd_t", "", 1, stderr="sshd: permission denied"),
            "sshd_config": Section("sshd_config", _sshd_files(files), 0),
        }
    )
    sshd = build_host_facts(sections, "n").sshd
    assert isinstance(sshd, Unknown)
    assert "includes /etc/ssh/sshd_config again (a loop)" in sshd.reason


# --- linear in the number of files, contexts and include patterns ---------------------------


def test_redis_lines_find_their_file_by_lookup_not_by_scanning_every_file() -> None:
    n = 6000
    files = [f"## file /etc/redis/{i}.conf" for i in range(n)]
    lines = [f"/etc/redis/{i}.conf:bind 0.0.0.0" for i in range(n)]
    configs = _within(1.0, lambda: parse_redis("\n".join(files + lines)))
    assert configs is not None
    assert len(configs) == n
    assert all(c.binds == ("0.0.0.0",) for c in configs)


def test_failed_sshd_contexts_find_their_parsed_twin_by_lookup() -> None:
    n = 3000
    contexts = parse_sshd_contexts(
        "\n".join(f"@@n CTX spec{i} Match User u{i}\nctx-failed: spec{i}" for i in range(n)), "n"
    )
    parsed = tuple(
        SshdContext(f"/etc/ssh/sshd_config:{i}", f"Match User u{n - 1 - i}", None) for i in range(n)
    )
    filled = _within(1.0, lambda: fill_failed_contexts(contexts, parsed))
    assert [c.match for c in filled] == [f"Match User u{i}" for i in range(n)]
    assert all(c.spec.startswith("/etc/ssh/sshd_config:") for c in filled)


def test_nginx_include_patterns_are_matched_once_each() -> None:
    n = 4000
    main = ["http {", *[f"include /etc/nginx/p{i}/*.conf;" for i in range(n)], "}"]
    files = {
        MAIN: main,
        **{f"/etc/nginx/f{i}.conf": [f"server {{ listen {i}; }}"] for i in range(n)},
    }
    result = _within(1.5, lambda: parse_nginx(_nginx_section(files), "n"))
    assert isinstance(result, Unknown)  # the includes were not printed: servers unknown
