"""ssh.weak-crypto against the releases' own defaults (issue 10): Debian 11's OpenSSH 8.4
still accepts SHA-1 `ssh-rsa` signatures for host and user keys, Debian 12 and 13 do not.

Only the algorithm objects are pinned here; the hosts' letters are pinned by their own
modules (test_catalog_e2e for web1, the releases' module for old1 and new1). ssh-audit's
view of the same hosts: bench/ssh_audit_compare.py, docs/ssh-audit-comparison.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .audit_cli import AuditRun

pytestmark = pytest.mark.lab

CHECK = "ssh.weak-crypto"
SIGNATURE_KINDS = ("hostkey-algorithm", "pubkey-algorithm", "ca-algorithm", "hostbased-algorithm")


def keys(run: AuditRun, host: str) -> list[str]:
    return [o["key"] for o in run.finding(host, CHECK).get("objects", [])]


def test_debian_11_default_sha1_signatures_are_named(lab_run: tuple[AuditRun, Path]) -> None:
    run, _ = lab_run
    finding = run.finding("old1", CHECK)
    assert finding["status"] == "fail"
    assert {
        "hostkey-algorithm:ssh-rsa",
        "hostkey-algorithm:ssh-rsa-cert-v01@openssh.com",
        "pubkey-algorithm:ssh-rsa",
        "pubkey-algorithm:ssh-rsa-cert-v01@openssh.com",
    } <= set(keys(run, "old1"))
    assert "hostkeyalgorithms ssh-rsa (sshd -T): RSA signatures with SHA-1" in finding["evidence"]
    # 8.4 prints pubkeyacceptedkeytypes; the check reads it under its 8.5 name
    assert (
        "pubkeyacceptedalgorithms ssh-rsa (sshd -T): RSA signatures with SHA-1"
        in finding["evidence"]
    )


@pytest.mark.parametrize("host", ["web1", "new1"])
def test_debian_12_and_13_accept_no_sha1_signatures(
    lab_run: tuple[AuditRun, Path], host: str
) -> None:
    run, _ = lab_run
    assert run.finding(host, CHECK)["status"] == "fail"  # their default MACs
    assert [k for k in keys(run, host) if k.split(":", 1)[0] in SIGNATURE_KINDS] == []
