"""A parser or evaluator that raises on a target's output costs only what depends on it."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.evaluators import EVALUATORS, Evaluator
from hardaudit.checks.model import Check, Outcome, Severity, Status
from hardaudit.facts import build
from hardaudit.facts.build import build_host_facts
from hardaudit.facts.model import HostFacts, ListeningSocket, Section, Unknown
from hardaudit.facts.parsers.containers import parse_containers
from hardaudit.facts.parsers.firewall import parse_iptables_save, parse_nft_json
from hardaudit.facts.parsers.listeners import parse_proc_net, parse_ss
from hardaudit.facts.parsers.services import parse_nginx, parse_redis
from hardaudit.facts.sections import split_sections

from ..checks.factories import facts


def _sections(**texts: str) -> Mapping[str, Section]:
    sections = {"meta": Section("meta", "uid=0\nuser=root\nprivilege=root\n", 0)}
    sections.update({name: Section(name, text, 0) for name, text in texts.items()})
    return MappingProxyType(sections)


def test_a_parser_that_raises_makes_only_its_fact_unknown_with_a_short_escaped_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(text: str) -> object:
        raise ValueError("\x1b[2J" + "boom\n" * 500)

    monkeypatch.setattr(build, "parse_listeners", explode)
    host = build_host_facts(
        _sections(listeners="tcp LISTEN 0 128 0.0.0.0:22 *:*\n", processes="comm=sshd\n"), "n"
    )
    assert isinstance(host.listeners, Unknown)
    reason = host.listeners.reason
    assert reason.startswith("listening sockets: could not be parsed (ValueError: ")
    assert "\n" not in reason
    assert "\x1b" not in reason
    assert len(reason) < 300
    assert not isinstance(host.processes, Unknown)  # the other facts are read


def test_a_recursion_error_in_a_parser_is_unknown_not_a_lost_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def deep(text: str, nonce: str) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(build, "parse_nginx", deep)
    host = build_host_facts(_sections(nginx="@@n FILE /etc/nginx/nginx.conf\n1:http {\n"), "n")
    assert isinstance(host.nginx, Unknown)
    assert "RecursionError" in host.nginx.reason


def test_unicode_digits_in_a_port_do_not_cost_the_host() -> None:
    host = build_host_facts(_sections(listeners="tcp LISTEN 0 128 0.0.0.0:²² *:*\n"), "n")
    assert isinstance(host, HostFacts)


def test_a_5000_digit_number_in_nft_json_makes_the_firewall_unknown() -> None:
    text = '{"nftables": [{"metainfo": {"version": ' + "9" * 5000 + "}}]}"
    host = build_host_facts(_sections(nft=text), "n")
    assert isinstance(host.firewall, Unknown)
    assert host.firewall.reason.startswith("nft -j list ruleset: unparsable JSON")
    assert len(host.firewall.reason) < 300


def _check(check_id: str, evaluator: str) -> Check:
    return Check(check_id, Severity.LOW, "t", "r", "m", evaluator, ())


def test_an_evaluator_that_raises_anything_is_unknown_for_that_check_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(check: Check, host: HostFacts, variables: Mapping[str, Any]) -> Outcome:
        raise IndexError("\x1b]0;owned\x07" + "x" * 5000)

    def fine(check: Check, host: HostFacts, variables: Mapping[str, Any]) -> Outcome:
        return Outcome(Status.PASS)

    for name, fn in (("test_broken", broken), ("test_fine", fine)):
        monkeypatch.setitem(EVALUATORS, name, Evaluator(name, fn, frozenset(), frozenset()))
    results = evaluate(
        [_check("t.broken", "test_broken"), _check("t.fine", "test_fine")], facts(), {}
    )
    assert [r.status for r in results] == [Status.UNKNOWN, Status.PASS]
    assert results[0].reason.startswith("evaluator test_broken failed: IndexError: ")
    assert "\x1b" not in results[0].reason
    assert len(results[0].reason) < 300


# --- the parsers themselves: numbers a target prints are ASCII digits of a sane length ---------


@pytest.mark.parametrize("local", ["[::]:2²", "0.0.0.0:٢٢", "*:" + "9" * 5000, "*:99999999"])
def test_ss_ports_that_are_not_ascii_port_numbers_are_skipped(local: str) -> None:
    assert parse_ss(f"tcp LISTEN 0 128 {local} *:*\ntcp LISTEN 0 128 0.0.0.0:22 *:*") == (
        ListeningSocket("tcp", "0.0.0.0", 22, ""),
    )


def test_proc_net_bad_hex_port_is_skipped() -> None:
    text = (
        "## /proc/net/tcp\n"
        "0: 00000000:zz 00000000:0000 0A\n"
        "1: 00000000:0x16 00000000:0000 0A\n"
        "2: 00000000:0016 00000000:0000 0A\n"
    )
    assert parse_proc_net(text) == (ListeningSocket("tcp", "0.0.0.0", 22),)


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "a", "pid": "12x"}',
        '{"id": "a", "pid": "' + "9" * 5000 + '"}',
        '{"id": "a", "pid": 1}\n## proc ² 0 0\n## proc 1 0 ²',
        '{"id": "a", "pid": ' + "9" * 5000 + "}",
        '{"id": "a", "ports": {"80/tcp": [{"HostPort": "0x50"}]}}',
        "[" * 100_000,
    ],
)
def test_containers_with_bad_numbers_parse_without_raising(text: str) -> None:
    parse_containers(text)


def test_redis_port_in_unicode_digits_is_not_a_port() -> None:
    (config,) = parse_redis("## file /r.conf\n/r.conf:port ²\n")  # type: ignore[misc]
    assert config.port is None


def test_nginx_line_number_in_unicode_digits_is_skipped() -> None:
    text = "@@n FILE /etc/nginx/nginx.conf\n²:http {\n1:http {\n2:server { listen 80; }\n3:}"
    servers = parse_nginx(text, "n")
    assert isinstance(servers, tuple)
    assert [s.listens for s in servers] == [("80",)]


def test_nft_json_nested_past_the_stack_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="nested too deep"):
        parse_nft_json("[" * 100_000 + "]" * 100_000)


def test_iptables_port_in_unicode_digits_matches_nothing() -> None:
    text = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport ²² -j ACCEPT\nCOMMIT\n"
    parse_iptables_save(text, "ipv4")


def test_a_section_marker_with_a_5000_digit_cap_is_not_a_marker() -> None:
    stdout = "@@n BEGIN meta cap=" + "9" * 5000 + "\nuid=0\n@@n END meta rc=0\n"
    assert "meta" not in split_sections(stdout, "", "n")


def test_a_replayed_section_with_lone_surrogates_is_measured_not_a_crash() -> None:
    stdout = "@@n BEGIN meta cap=4\n\udcff\udcff\udcff\n@@n END meta rc=0\n"
    assert split_sections(stdout, "", "n")["meta"].truncated
