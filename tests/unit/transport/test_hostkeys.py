from __future__ import annotations

import base64
import os
import stat
import struct
import subprocess
from pathlib import Path

import pytest

from hardaudit.transport.hostkeys import (
    KnownHostsStore,
    Verdict,
    address_problem,
    append_known_host,
    blob_type,
    fingerprint,
    host_key_algorithms,
    host_matches,
    known_hosts_name,
    parse_known_hosts,
)

from .sshlab import keygen, ssh_keygen_fingerprint


def _sk_blob() -> str:
    name = b"sk-ssh-ed25519@openssh.com"
    raw = struct.pack(">I", len(name)) + name + struct.pack(">I", 32) + b"k" * 32
    return base64.b64encode(raw).decode()


def _blob(pub: Path) -> bytes:
    return base64.b64decode(pub.read_text().split()[1])


def test_lookup_name_follows_openssh() -> None:
    assert known_hosts_name("Web1.Example.com", 22) == "web1.example.com"
    assert known_hosts_name("10.0.0.5", 2222) == "[10.0.0.5]:2222"


def test_fingerprint_matches_ssh_keygen(tmp_path: Path) -> None:
    for key_type in ("ed25519", "ecdsa", "rsa"):
        key = keygen(tmp_path / key_type, key_type)
        pub = Path(f"{key}.pub")
        assert fingerprint(_blob(pub)) == ssh_keygen_fingerprint(pub)
        assert blob_type(_blob(pub)) == pub.read_text().split()[0]


def test_patterns_wildcards_negation_and_brackets() -> None:
    assert host_matches("[127.0.0.1]:2222", ["[127.0.0.1]:2222"])
    assert not host_matches("[127.0.0.1]:2223", ["[127.0.0.1]:2222"])
    assert not host_matches("1", ["[127.0.0.1]:2222"])  # brackets are literal, not a class
    assert host_matches("web3.example.com", ["*.example.com"])
    assert host_matches("web3.example.com", ["web?.example.com"])
    assert not host_matches("db.example.com", ["*.example.com", "!db.example.com"])
    assert host_matches("WEB1", ["web1"])


def test_hashed_entries_match(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k")
    path = tmp_path / "known_hosts"
    pub = Path(f"{key}.pub").read_text().split()
    path.write_text(f"[10.1.2.3]:2200 {pub[0]} {pub[1]}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(path)], check=True, capture_output=True)
    assert path.read_text().startswith("|1|")
    store = KnownHostsStore()
    assert store.verify("[10.1.2.3]:2200", _blob(Path(f"{key}.pub")), [path]).verdict is Verdict.OK
    verdict = store.verify("[10.1.2.3]:2201", _blob(Path(f"{key}.pub")), [path]).verdict
    assert verdict is Verdict.UNKNOWN


def test_markers_and_junk_do_not_crash(tmp_path: Path) -> None:
    good = keygen(tmp_path / "good")
    bad = keygen(tmp_path / "bad")
    g = Path(f"{good}.pub").read_text().split()
    b = Path(f"{bad}.pub").read_text().split()
    text = (
        "# comment\n\n"
        "garbage\n"
        "host ssh-ed25519 !!!notbase64\n"
        f"@cert-authority *.example.com {g[0]} {g[1]}\n"
        f"@revoked host1 {b[0]} {b[1]}\n"
        f"@bogus host1 {g[0]} {g[1]}\n"
        f"host1,host2 {g[0]} {g[1]} comment here\n"
        f"host1 sk-ssh-ed25519@openssh.com {_sk_blob()}\n"  # type paramiko cannot load
    )
    lines = parse_known_hosts(text, "kh")
    assert [line.marker.value for line in lines] == ["@cert-authority", "@revoked", "", ""]
    path = tmp_path / "kh"
    path.write_text(text)
    store = KnownHostsStore()
    assert store.verify("host2", _blob(Path(f"{good}.pub")), [path]).verdict is Verdict.OK
    assert store.verify("host1", _blob(Path(f"{bad}.pub")), [path]).verdict is Verdict.REVOKED
    # a cert-authority line is not a host key for web.example.com
    assert store.verify("web.example.com", _blob(Path(f"{good}.pub")), [path]).verdict is (
        Verdict.UNKNOWN
    )


def test_mismatch_lists_the_expected_keys(tmp_path: Path) -> None:
    known = keygen(tmp_path / "known")
    other = keygen(tmp_path / "other", "ecdsa")
    path = tmp_path / "kh"
    path.write_text("h " + " ".join(Path(f"{known}.pub").read_text().split()[:2]) + "\n")
    result = KnownHostsStore().verify("h", _blob(Path(f"{other}.pub")), [path, tmp_path / "nope"])
    assert result.verdict is Verdict.MISMATCH
    assert ssh_keygen_fingerprint(Path(f"{known}.pub")) in result.expected[0]
    assert ssh_keygen_fingerprint(Path(f"{other}.pub")) in result.presented


def test_append_creates_private_file_and_fixes_missing_newline(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k")
    blob = _blob(Path(f"{key}.pub"))
    path = tmp_path / "new" / ".ssh" / "known_hosts"
    append_known_host(path, "[h]:2", blob)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.write_text(path.read_text().rstrip("\n"))
    append_known_host(path, "h3", blob)
    lines = path.read_text().splitlines()
    assert lines[0].split()[0] == "[h]:2"
    assert lines[1].split()[0] == "h3"
    assert lines[1].split()[1] == "ssh-ed25519"
    # ssh-keygen can read what we wrote
    out = subprocess.run(
        ["ssh-keygen", "-F", "h3", "-f", str(path)], capture_output=True, text=True, check=True
    )
    assert "h3" in out.stdout


def test_store_rereads_a_changed_file(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k")
    blob = _blob(Path(f"{key}.pub"))
    path = tmp_path / "kh"
    path.write_text("")
    store = KnownHostsStore()
    assert store.verify("h", blob, [path]).verdict is Verdict.UNKNOWN
    append_known_host(path, "h", blob)
    assert store.verify("h", blob, [path]).verdict is Verdict.OK


def test_known_types_come_first_in_algorithm_order() -> None:
    available = ("ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256")
    assert host_key_algorithms([], available) == available
    assert host_key_algorithms(["ecdsa-sha2-nistp256"], available)[0] == "ecdsa-sha2-nistp256"
    assert host_key_algorithms(["ssh-rsa"], available)[:2] == ("rsa-sha2-512", "rsa-sha2-256")
    assert sorted(host_key_algorithms(["ssh-rsa", "x"], available)) == sorted(available)


# ------------------------------------------- addresses that must never become patterns

BAD_ADDRESSES = [
    "web9.corp,*",
    "*",
    "web?.corp",
    "!web9.corp",
    "web9 corp",
    "[web9.corp]",
    "web9.corp\n",
    "web9\x1b[2J",
    "web9\u202ecorp",
    "-oProxyCommand=x",
    "web9-.corp",
    "a..b",
    "",
    "x" * 64 + ".corp",
    "192.0.2.1,*",
    "192.0.2.1%eth0",
    "fe80::1%a,*",
    "[2001:db8::1]:22",
]
GOOD_ADDRESSES = [
    "web9.corp",
    "WEB-9.Example.org.",
    "db_1",
    "192.0.2.1",
    "2001:db8::1",
    "fe80::1%eth0",
    "x" * 63,
]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_pattern_characters_and_non_names_are_invalid_addresses(address: str) -> None:
    assert address_problem(address)
    with pytest.raises(ValueError, match="invalid address"):
        known_hosts_name(address, 22)


@pytest.mark.parametrize("address", GOOD_ADDRESSES)
def test_host_names_and_ip_literals_are_valid_addresses(address: str) -> None:
    assert address_problem(address) == ""
    assert known_hosts_name(address, 2222) == f"[{address.lower()}]:2222"


@pytest.mark.parametrize(
    "name", ["web9.corp,*", "[web9.corp,*]:2222", "*", "[web9.corp]:0", "[a]:2222,*", "a b"]
)
def test_accept_new_writer_refuses_a_pattern_and_writes_nothing(tmp_path: Path, name: str) -> None:
    path = tmp_path / "ssh" / "known_hosts"
    blob = _ed25519_blob()
    with pytest.raises(ValueError, match="refusing to record"):
        append_known_host(path, name, blob)
    with pytest.raises(ValueError, match="refusing to record"):
        KnownHostsStore().record(path, name, blob, [])
    assert not path.exists()


def test_accept_new_writer_records_names_and_bracketed_ports(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    blob = _ed25519_blob()
    for name in ("web9.corp", "[2001:db8::1]:2222", "[192.0.2.1]:22"):
        append_known_host(path, name, blob)
    names = [line.split()[0] for line in path.read_text().splitlines()]
    assert names == ["web9.corp", "[2001:db8::1]:2222", "[192.0.2.1]:22"]


def _ed25519_blob() -> bytes:
    name = b"ssh-ed25519"
    return struct.pack(">I", len(name)) + name + struct.pack(">I", 32) + b"k" * 32


def test_accept_new_writer_never_follows_a_symlink(tmp_path: Path) -> None:
    blob = _blob(Path(f"{keygen(tmp_path / 'k')}.pub"))
    victim = tmp_path / "authorized_keys"
    victim.write_text("ssh-ed25519 AAAA owner\n")
    link = tmp_path / "known_hosts"
    link.symlink_to(victim)
    with pytest.raises(ValueError, match="symbolic link"):
        append_known_host(link, "h", blob)
    assert victim.read_text() == "ssh-ed25519 AAAA owner\n"
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "created-through-the-link")
    with pytest.raises(ValueError, match="symbolic link"):
        append_known_host(dangling, "h", blob)
    assert not (tmp_path / "created-through-the-link").exists()


def test_accept_new_writer_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    blob = _blob(Path(f"{keygen(tmp_path / 'k')}.pub"))
    fifo = tmp_path / "known_hosts"
    os.mkfifo(fifo)
    with pytest.raises((ValueError, OSError)):
        append_known_host(fifo, "h", blob)


def test_accept_new_writer_makes_an_existing_file_private(tmp_path: Path) -> None:
    blob = _blob(Path(f"{keygen(tmp_path / 'k')}.pub"))
    path = tmp_path / "known_hosts"
    path.write_text("")
    path.chmod(0o644)
    append_known_host(path, "h", blob)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("h ssh-ed25519 ")


def test_a_fleet_sized_file_gives_each_name_its_own_lines_in_file_order(tmp_path: Path) -> None:
    """Plain names are looked up by name; patterned lines still match, in file order."""
    key_a = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + b"a" * 32).decode()
    key_b = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + b"b" * 32).decode()
    lines = [f"[127.0.0.1]:{port} ssh-ed25519 {key_a}" for port in range(20000, 23000)]
    lines.insert(5, f"[127.0.0.1]:2*,!*:20003 ssh-ed25519 {key_b}")  # wildcard, one negated
    lines.append(f"@revoked [127.0.0.1]:20007 ssh-ed25519 {key_b}")
    lines.append(f"WEB1,[127.0.0.1]:20001 ssh-ed25519 {key_b}")  # names are case-insensitive
    path = tmp_path / "known_hosts"
    path.write_text("\n".join(lines) + "\n")
    store = KnownHostsStore()
    for name in ("[127.0.0.1]:20001", "[127.0.0.1]:20003", "[127.0.0.1]:20007", "web1", "nohost"):
        expected = [
            line for line in parse_known_hosts(path.read_text(), str(path)) if line.matches(name)
        ]
        assert store.entries(name, [path]) == expected, name
    assert len(store.entries("[127.0.0.1]:20001", [path])) == 3
    assert [line.source.rsplit(":", 1)[1] for line in store.entries("web1", [path])] == ["3003"]
    assert store.verify("[127.0.0.1]:20007", base64.b64decode(key_b), [path]).verdict is (
        Verdict.REVOKED
    )
