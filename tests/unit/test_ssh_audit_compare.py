"""bench/ssh_audit_compare.py: ssh-audit's JSON read and compared with ssh.weak-crypto, on
ssh-audit 3.9.0 output captured from the lab's old1 and new1 (tests/fixtures/ssh-audit)
and hardaudit's verdict on the `sshd -T` captured from the same hosts (tests/fixtures/sshd).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.facts.parsers.sshd import parse_sshd_t

from .checks.factories import facts

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CHECK = next(c for c in load_checks() if c.id == "ssh.weak-crypto")


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ssh_audit_compare", ROOT / "bench" / "ssh_audit_compare.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


cmp = _module()


NAMES = {
    "old1": "openssh-8.4-debian11-old1",
    "new1": "openssh-10.0-debian13-new1",
    # old1 with the classic weak algorithms added back (tests/fixtures/ssh-audit/README.md)
    "old1-weak": "openssh-8.4-debian11-old1-weak",
}


def ssh_audit(host: str) -> dict[str, Any]:
    name = NAMES[host]
    data: dict[str, Any] = json.loads((FIXTURES / "ssh-audit" / f"{name}.json").read_text())
    return data


def finding(host: str) -> dict[str, Any]:
    """ssh.weak-crypto's finding as report.json has it, judged on the host's sshd -T."""
    name = NAMES[host]
    sshd = parse_sshd_t((FIXTURES / "sshd" / f"{name}.txt").read_text())
    (result,) = evaluate([CHECK], facts(sshd=sshd), {})
    return {
        "check": CHECK.id,
        "status": result.status.value,
        "objects": [{"key": o.key} for o in result.objects],
    }


def test_ssh_audit_json_gives_one_verdict_per_algorithm() -> None:
    found = {(f.kind, f.algorithm): f for f in cmp.parse_ssh_audit(ssh_audit("old1"))}
    assert found["hostkey-algorithm", "ssh-rsa"].verdict == "fail"
    assert found["hostkey-algorithm", "ssh-rsa"].notes == ("using broken SHA-1 hash algorithm",)
    assert found["hostkey-algorithm", "rsa-sha2-512"].keysize == 3072
    assert found["hostkey-algorithm", "ecdsa-sha2-nistp256"].verdict == "fail"
    assert found["kex", "curve25519-sha256"].verdict == "warn"
    assert found["kex", "diffie-hellman-group-exchange-sha256"].keysize == 3072
    assert found["mac", "umac-64-etm@openssh.com"].verdict == "warn"
    assert found["mac", "hmac-sha2-256-etm@openssh.com"].verdict == "ok"  # info notes only
    assert found["cipher", "chacha20-poly1305@openssh.com"].verdict == "ok"
    # the strict-kex marker is a pseudo-algorithm, not something to judge
    assert ("kex", "kex-strict-s-v00@openssh.com") not in found
    assert len(found) == 9 + 5 + 6 + 10


def test_a_malformed_section_is_an_error_not_an_empty_host() -> None:
    with pytest.raises(ValueError, match="'kex' is not a list"):
        cmp.parse_ssh_audit({"kex": "curve25519-sha256"})


def rows_by_verdicts(host: str) -> dict[tuple[str, str], tuple[str, str, bool, str]]:
    return {
        (r.kind, r.algorithm): (r.ssh_audit, r.hardaudit, r.agree, r.policy)
        for r in cmp.compare(host, ssh_audit(host), finding(host))
    }


def test_debian_11_both_fail_ssh_rsa_and_sha1_macs() -> None:
    rows = rows_by_verdicts("old1")
    assert rows["hostkey-algorithm", "ssh-rsa"] == ("fail", "weak", True, "")
    assert rows["mac", "hmac-sha1"] == ("fail", "weak", True, "")
    assert rows["mac", "hmac-sha1-etm@openssh.com"] == ("fail", "weak", True, "")
    assert rows["hostkey-algorithm", "ssh-ed25519"] == ("ok", "ok", True, "")


def test_debian_11_differences_are_each_a_documented_policy() -> None:
    rows = rows_by_verdicts("old1")
    differ = {k: v[3] for k, v in rows.items() if not v[2]}
    assert differ == {
        ("kex", "curve25519-sha256"): "post-quantum",
        ("kex", "curve25519-sha256@libssh.org"): "post-quantum",
        ("kex", "ecdh-sha2-nistp256"): "nist-curves",
        ("kex", "ecdh-sha2-nistp384"): "nist-curves",
        ("kex", "ecdh-sha2-nistp521"): "nist-curves",
        ("kex", "diffie-hellman-group-exchange-sha256"): "post-quantum",
        ("kex", "diffie-hellman-group16-sha512"): "post-quantum",
        ("kex", "diffie-hellman-group18-sha512"): "post-quantum",
        ("kex", "diffie-hellman-group14-sha256"): "group14-sha256",
        ("hostkey-algorithm", "ecdsa-sha2-nistp256"): "nist-curves",
        ("mac", "umac-64-etm@openssh.com"): "umac-64",
        ("mac", "umac-64@openssh.com"): "umac-64",
        ("mac", "umac-128@openssh.com"): "encrypt-and-mac",
        ("mac", "hmac-sha2-256"): "encrypt-and-mac",
        ("mac", "hmac-sha2-512"): "encrypt-and-mac",
        # what ssh-audit cannot see: a certificate algorithm with no certificate behind it,
        # and the user key algorithms
        ("hostkey-algorithm", "ssh-rsa-cert-v01@openssh.com"): "configured-not-offered",
        ("pubkey-algorithm", "ssh-rsa"): "hidden-lists",
        ("pubkey-algorithm", "ssh-rsa-cert-v01@openssh.com"): "hidden-lists",
    }
    assert rows["pubkey-algorithm", "ssh-rsa"][:2] == ("absent", "weak")


def test_debian_13_post_quantum_kex_agree_and_nothing_is_unexplained() -> None:
    rows = rows_by_verdicts("new1")
    assert rows["kex", "mlkem768x25519-sha256"] == ("ok", "ok", True, "")
    assert rows["kex", "sntrup761x25519-sha512"] == ("ok", "ok", True, "")
    assert "UNEXPLAINED" not in {v[3] for v in rows.values()}
    assert ("hostkey-algorithm", "ssh-rsa") not in rows


def test_cbc_and_dsa_host_keys_on_a_weakened_debian_11() -> None:
    rows = rows_by_verdicts("old1-weak")
    # 3DES: both fail; AES-CBC: ssh-audit only warns ("using weak cipher mode")
    assert rows["cipher", "3des-cbc"] == ("fail", "weak", True, "")
    assert rows["cipher", "aes128-cbc"] == ("warn", "weak", False, "cbc")
    assert rows["cipher", "aes256-cbc"] == ("warn", "weak", False, "cbc")
    # DSA: both fail the algorithm; hardaudit names the key file too
    assert rows["hostkey-algorithm", "ssh-dss"] == ("fail", "weak", True, "")
    dsa_file = ("absent", "weak", False, "host-key-files")
    assert rows["hostkey", "/etc/ssh/ssh_host_dsa_key"] == dsa_file
    for kex in ("diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1",
                "diffie-hellman-group-exchange-sha1"):  # fmt: skip
        assert rows["kex", kex] == ("fail", "weak", True, "")
    assert rows["mac", "hmac-md5"] == ("fail", "weak", True, "")
    assert rows["mac", "hmac-sha1-96"] == ("fail", "weak", True, "")
    assert "UNEXPLAINED" not in {v[3] for v in rows.values()}


def test_cbc_policy_does_not_cover_hardaudit_passing_cbc() -> None:
    # the policy is "hardaudit stricter"; hardaudit passing CBC would be a regression
    passed = {"check": CHECK.id, "status": "pass", "objects": []}
    rows = {(r.kind, r.algorithm): r for r in cmp.compare("h", ssh_audit("old1-weak"), passed)}
    assert rows["cipher", "aes128-cbc"].policy == "UNEXPLAINED"
    assert rows["cipher", "3des-cbc"].policy == "UNEXPLAINED"


def test_a_difference_no_policy_covers_is_unexplained() -> None:
    # hardaudit passing an algorithm ssh-audit fails for SHA-1 is a bug, never a policy.
    passed = {"check": CHECK.id, "status": "pass", "objects": []}
    rows = {(r.kind, r.algorithm): r for r in cmp.compare("old1", ssh_audit("old1"), passed)}
    assert rows["hostkey-algorithm", "ssh-rsa"].policy == "UNEXPLAINED"
    assert rows["mac", "hmac-sha1"].policy == "UNEXPLAINED"
    # ... and hardaudit failing a cipher ssh-audit finds fine is unexplained too
    weak = {"check": CHECK.id, "status": "fail", "objects": [{"key": "cipher:aes128-ctr"}]}
    rows = {(r.kind, r.algorithm): r for r in cmp.compare("old1", ssh_audit("old1"), weak)}
    assert rows["cipher", "aes128-ctr"].policy == "UNEXPLAINED"


def test_an_unknown_check_decides_nothing() -> None:
    unknown = {"check": CHECK.id, "status": "unknown", "objects": []}
    rows = cmp.compare("db1", ssh_audit("old1"), unknown)
    assert {r.hardaudit for r in rows} == {"unknown"}
    assert {r.policy for r in rows} == {""}


def test_the_table_groups_hosts_and_puts_unexplained_first() -> None:
    rows = cmp.compare("old1", ssh_audit("old1"), finding("old1"))
    rows += cmp.compare("new1", ssh_audit("new1"), finding("new1"))
    result = {
        "generated": "2026-12-07T00:00:00Z",
        "ssh_audit_version": "ssh-audit v3.9.0",
        "hardaudit_version": "x",
        "summary": {},
        "hosts": {"old1": {"target": "t", "status": "fail"}},
    }
    table = cmp.markdown(result, rows)
    assert (
        "| mac | `hmac-sha1` | fail | weak | yes |  | using broken SHA-1 hash algorithm;"
        " using encrypt-and-MAC mode | new1, old1 |"
    ) in table
    assert "| hostkey-algorithm | `ssh-rsa` | fail | weak | yes |  |" in table
    assert "UNEXPLAINED" not in table


def test_a_host_off_loopback_without_a_jump_is_refused() -> None:
    host = {"name": "far", "address": "198.51.100.7", "port": 22, "jump": []}
    with pytest.raises(SystemExit, match="not loopback"), cmp.loopback_target(host, Path("x")):
        pass


def test_what_a_target_names_is_escaped_in_the_table() -> None:
    hostile = {"kex": [{"algorithm": "x|`\x1b[2J\u202eevil", "notes": {"fail": ["a|b"]}}]}
    rows = cmp.compare("h", hostile, {"check": CHECK.id, "status": "pass", "objects": []})
    result = {"generated": "g", "ssh_audit_version": "v", "hardaudit_version": "x",
              "summary": {}, "hosts": {"h": {"target": "t", "status": "pass",
              "ssh_audit": {"banner": {"software": "OpenSSH_9\n| x |"}}}}}  # fmt: skip
    table = cmp.markdown(result, rows)
    assert (
        "| kex | `x\\x7c\\x60\\x1b\\x5b2J\\x202eevil` | fail | ok | no | UNEXPLAINED | a\\x7cb | h |"
        in table
    )
    assert "| h | OpenSSH_9\\x0a\\x7c x \\x7c | t | pass |" in table
    assert "\x1b" not in table
    assert "\u202e" not in table


def test_replay_compares_stored_outputs_again_without_a_lab(tmp_path: Path) -> None:
    hosts = {
        host: {"target": "t", "status": "fail", "hardaudit": finding(host),
               "ssh_audit": ssh_audit(host)}
        for host in ("old1", "new1")
    }  # fmt: skip
    stored = tmp_path / "stored.json"
    stored.write_text(json.dumps({"ssh_audit_version": "v", "hardaudit_version": "x",
                                  "hosts": hosts}))  # fmt: skip
    code = cmp.main(["--replay", str(stored), "--out-dir", str(tmp_path), "--name", "again"])
    assert code == 0
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["summary"]["unexplained"] == 0
    assert again["summary"]["hosts"] == 2
    table = (tmp_path / "again.md").read_text()
    assert "| old1 | OpenSSH_8.4p1 Debian-5+deb11u3 | t | fail |" in table
    assert "| **unexplained** | 0 |" in table
    assert "| hidden-lists | 2 |" in table  # old1's pubkey-algorithm:ssh-rsa{,-cert-v01}
    # a hardaudit that misses SHA-1 host key signatures again is caught
    hosts["old1"]["hardaudit"] = {"check": CHECK.id, "status": "pass", "objects": []}
    stored.write_text(json.dumps({"ssh_audit_version": "v", "hardaudit_version": "x",
                                  "hosts": hosts}))  # fmt: skip
    assert cmp.main(["--replay", str(stored), "--out-dir", str(tmp_path), "--name", "b"]) == 1
