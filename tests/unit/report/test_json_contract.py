"""report.json (schema hardaudit.report/1): the documented fields, their names and types."""

from __future__ import annotations

import json
from typing import Any

from hardaudit.report.json import render_json

from .sample import REPORT

HOST_FIELDS = {
    "name",
    "address",
    "groups",
    "status",
    "reason",
    "duration_s",
    "jump",
    "privilege",
    "os",
    "notes",
    "summary",
    "score",
    "worst_failed_severity",
    "findings",
}
FINDING_FIELDS = {"check", "status", "severity", "title", "evidence", "reason"}


def _doc() -> dict[str, Any]:
    return json.loads(render_json(REPORT))  # type: ignore[no-any-return]


def test_top_level_fields_and_schema() -> None:
    doc = _doc()
    assert doc["schema"] == "hardaudit.report/1"
    assert doc["tool"] == {"name": "hardaudit", "version": "0.1.0"}
    assert {"started_at", "duration_s", "inventory", "selection", "checks"} <= doc["run"].keys()
    assert doc["run"]["started_at"] == "2025-01-02T03:04:05+00:00"


def test_every_host_carries_the_documented_fields() -> None:
    hosts = _doc()["hosts"]
    assert [h["name"] for h in hosts] == ["web1", "db1", "cache1"]
    for host in hosts:
        assert host.keys() >= HOST_FIELDS
        assert isinstance(host["groups"], list)
        assert isinstance(host["duration_s"], float)
    web1, db1, cache1 = hosts
    assert (web1["address"], web1["groups"], web1["status"], web1["reason"]) == (
        "10.0.0.11",
        ["web", "prod"],
        "ok",
        "",
    )
    assert web1["duration_s"] == 1.234
    assert (db1["status"], cache1["status"]) == ("hostkey-mismatch", "unreachable")
    assert cache1["reason"] == "bastion -> cache1 (10.0.1.5:22): connection refused"
    assert db1["findings"] == cache1["findings"] == []
    assert db1["score"] is None


def test_findings_carry_the_documented_fields() -> None:
    findings = _doc()["hosts"][0]["findings"]
    for finding in findings:
        assert finding.keys() >= FINDING_FIELDS
        assert isinstance(finding["evidence"], list)
    by_check = {f["check"]: f for f in findings}
    assert by_check["ssh.permit-root-login"]["severity"] == "medium"
    assert by_check["ssh.password-auth"] == {
        "check": "ssh.password-auth",
        "status": "fail",
        "severity": "high",
        "title": "sshd accepts neither passwords nor keyboard-interactive logins",
        "evidence": ["passwordauthentication yes (/etc/ssh/sshd_config.d/50-cloud-init.conf:1)"],
        "reason": "",
        # A failure with no object of its own is about the host as a whole: key "".
        "objects": [{"key": "", "fingerprint": "be8f1d562ba26919894a5cb08d691939"}],
    }
    assert {f["status"] for f in findings} == {"pass", "fail", "unknown", "skip"}
    assert by_check["fw.enabled"]["reason"] == "firewall: `nft list ruleset` exited 1"


def test_summary_counts_every_status() -> None:
    web1 = _doc()["hosts"][0]
    assert web1["summary"] == {"pass": 1, "fail": 3, "unknown": 1, "skip": 1, "waived": 0}
    assert web1["worst_failed_severity"] == "critical"
