"""Issue 10's release hosts replayed from their lab captures (tests/fixtures/releases): the
parsers and checks on real OpenSSH 8.4 / sudo 1.9.5 (old1) and OpenSSH 10.0 / sudo 1.9.16
(new1) output, without the lab. tests/lab/test_releases_e2e.py pins the same letters live."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hardaudit.cli import main
from hardaudit.facts.build import build_host_facts
from hardaudit.facts.parsers.meta import parse_meta
from hardaudit.facts.sections import split_sections

RELEASES = Path(__file__).parents[1] / "fixtures" / "releases"
LETTER = {"pass": "P", "fail": "F", "unknown": "U", "skip": "S"}

# The letters of tests/lab/test_releases_e2e.py (old1, new1).
from tests.lab.test_releases_e2e import EXPECTED  # noqa: E402


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("releases")
    code = main(
        [
            "run",
            "-q",
            "-i",
            str(RELEASES / "inventory.yml"),
            "--replay-dir",
            str(RELEASES / "captures"),
            "--output-dir",
            str(out),
        ]
    )
    assert code == 1  # failed checks, every host audited
    data: dict[str, Any] = json.loads((out / "report.json").read_text())
    return data


def _host(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in report["hosts"] if h["name"] == name)


def _letters(report: dict[str, Any], hosts: tuple[str, ...]) -> dict[str, str]:
    statuses = {h: {f["check"]: f["status"] for f in _host(report, h)["findings"]} for h in hosts}
    return {c: "".join(LETTER[statuses[h][c]] for h in hosts) for c in statuses[hosts[0]]}


def test_old1_and_new1_replay_to_the_lab_letters(report: dict[str, Any]) -> None:
    assert _letters(report, ("old1", "new1")) == EXPECTED
    for name in ("old1", "new1"):
        host = _host(report, name)
        assert host["privilege"] == "sudo"
        assert host["summary"]["unknown"] == 0, name
        assert host["notes"] == [], name


def _sections(name: str) -> dict[str, Any]:
    data = json.loads((RELEASES / "captures" / f"{name}.json").read_text())
    return {"nonce": data["nonce"], **split_sections(data["stdout"], data["stderr"], data["nonce"])}


def test_meta_records_each_hosts_sudo_and_sshd() -> None:
    old = parse_meta(_sections("old1")["meta"].text)
    new = parse_meta(_sections("new1")["meta"].text)
    assert (old.sudo_version, old.sshd_version) == ("Sudo version 1.9.5p2", "OpenSSH_8.4p1")
    assert (new.sudo_version, new.sshd_version) == ("Sudo version 1.9.16p2", "OpenSSH_10.0p2")


def test_new1_match_context_is_judged_from_openssh_10(report: dict[str, Any]) -> None:
    finding = next(
        f for f in _host(report, "new1")["findings"] if f["check"] == "ssh.match-override"
    )
    text = json.dumps(finding)
    assert "Match User deploy" in text
    assert "sshd -T -C user=deploy,host=localhost,addr=127.0.0.1" in text
    assert "passwordauthentication yes" in text


def test_old1_with_the_regex_file_says_which_file_to_install(report: dict[str, Any]) -> None:
    host = _host(report, "old1-regex-sudoers")
    assert host["summary"]["unknown"] > 0
    hint = (
        "sudo refused some commands: this host's sudo 1.9.5 reads no sudoers regexes "
        "(`^...$`, sudo >= 1.9.10): install the file from `audit sudoers --sudo-version 1.9.5`"
    )
    assert hint in host["notes"]


def test_no_note_when_old_sudo_refuses_nothing() -> None:
    sections = _sections("old1")
    nonce = sections.pop("nonce")
    assert build_host_facts(sections, nonce).notes == ()


def test_become_refused_on_old_sudo_says_which_form_to_install(tmp_path: Path) -> None:
    # the wrapper's `sudo -n -l` failed (privilege=user) on a host whose sudo is 1.9.5
    data = json.loads((RELEASES / "captures" / "old1-regex-sudoers.json").read_text())
    data["stdout"] = data["stdout"].replace("privilege=sudo", "privilege=user", 1)
    captures = tmp_path / "captures"
    captures.mkdir()
    (captures / "old1-regex-sudoers.json").write_text(json.dumps(data))
    main(
        [
            "run",
            "-q",
            "-i",
            str(RELEASES / "inventory.yml"),
            "-l",
            "old1-regex-sudoers",
            "--replay-dir",
            str(captures),
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    notes = _host(report, "old1-regex-sudoers")["notes"]
    assert (
        "become requested but `sudo -n` is not allowed: root-only facts are unknown (this "
        "host's sudo 1.9.5 reads no sudoers regexes (`^...$`, sudo >= 1.9.10): install the "
        "file from `audit sudoers --sudo-version 1.9.5`; a sudoers file with regexes is a "
        "syntax error there)"
    ) in notes
