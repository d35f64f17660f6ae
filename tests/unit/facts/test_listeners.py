from pathlib import Path

from hardaudit.facts.model import ListeningSocket
from hardaudit.facts.parsers.listeners import (
    parse_listeners,
    parse_proc_net,
    parse_ss,
    split_address,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "facts"


def test_ss_header_is_dropped_and_addresses_normalised() -> None:
    sockets = parse_ss((FIXTURES / "ss_with_header.txt").read_text())
    assert [(s.proto, s.address, s.port, s.process) for s in sockets] == [
        ("udp", "127.0.0.11", 45127, ""),
        ("tcp", "127.0.0.11", 37011, ""),
        ("tcp", "0.0.0.0", 6379, "redis-server"),
        ("tcp", "0.0.0.0", 22, "sshd"),
        ("tcp", "::", 22, "sshd"),
        ("tcp", "::1", 5432, ""),
        ("tcp", "127.0.0.1%lo", 53, ""),
        ("tcp", "*", 8080, ""),
    ]


def test_loopback_covers_all_of_127_slash_8_and_interface_suffix() -> None:
    assert ListeningSocket("udp", "127.0.0.11", 53).loopback
    assert ListeningSocket("tcp", "::1", 5432).loopback
    assert ListeningSocket("tcp", "127.0.0.1%lo", 53).loopback
    assert not ListeningSocket("tcp", "0.0.0.0", 22).loopback
    assert not ListeningSocket("tcp", "*", 8080).loopback
    assert not ListeningSocket("tcp", "::", 22).loopback


def test_split_address_forms() -> None:
    assert split_address("[::]:22") == ("::", 22)
    assert split_address(":::22") == ("::", 22)
    assert split_address("*:80") == ("*", 80)
    assert split_address("[fe80::1]%eth0:546") == ("fe80::1%eth0", 546)
    assert split_address("garbage") is None


def test_proc_net_fallback_listen_and_bound_udp_only() -> None:
    sockets = parse_proc_net((FIXTURES / "proc_net.txt").read_text())
    assert [(s.proto, s.address, s.port) for s in sockets] == [
        ("tcp", "0.0.0.0", 22),
        ("tcp", "127.0.0.1", 6379),
        ("tcp", "::", 22),
        ("tcp", "::1", 5432),
        ("udp", "0.0.0.0", 68),
    ]


def test_dispatch_picks_proc_dialect() -> None:
    text = (FIXTURES / "proc_net.txt").read_text()
    assert parse_listeners(text) == parse_proc_net(text)
