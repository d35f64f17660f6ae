"""Profiles through the whole pipeline on replayed lab captures: selection, variables and
their precedence, errors, and every output format (validated by its consumer, re-rendered
byte for byte by `audit report`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hardaudit.cli import main
from hardaudit.report.writers import EXTENSIONS, FORMATS
from tests.consumers import (
    assert_valid_junit,
    assert_valid_output,
    assert_valid_prometheus,
    assert_valid_report_json,
    assert_valid_sarif,
)

REPLAY = Path(__file__).parents[2] / "fixtures" / "replay"
CAPTURES = str(REPLAY / "captures")

# The replay inventory without its fleet-wide allowed_ports (so a profile's value shows).
INVENTORY = """\
all:
  vars:
    ansible_become: true
  children:
    internal:
      hosts:
        db1:
        gold:
        svc1:
    containers:
      hosts:
        dock1:
"""


def run(tmp_path: Path, inventory: str | Path, *extra: str, name: str = "out") -> tuple[int, Any]:
    if isinstance(inventory, str):
        path = tmp_path / "inventory.yml"
        path.write_text(inventory)
    else:
        path = inventory
    out = tmp_path / name
    code = main(
        [
            "run",
            "-i",
            str(path),
            "--replay-dir",
            CAPTURES,
            "--output-dir",
            str(out),
            "--no-history",
            "-q",
            *extra,
        ]
    )
    report = (
        json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else None
    )
    return code, report


def results(report: Any, host: str) -> dict[str, dict[str, Any]]:
    (found,) = [h for h in report["hosts"] if h["name"] == host]
    return {f["check"]: f for f in found["findings"]}


def host_of(report: Any, name: str) -> Any:
    (found,) = [h for h in report["hosts"] if h["name"] == name]
    return found


def test_without_profiles_the_report_is_as_before(tmp_path: Path) -> None:
    code, report = run(tmp_path, INVENTORY)
    assert code == 1
    assert "profiles" not in report
    assert all("profiles" not in h for h in report["hosts"])
    assert results(report, "db1")["ssh.forwarding"]["status"] == "fail"


def test_a_profile_selects_its_checks_and_sets_its_variables(tmp_path: Path) -> None:
    code, report = run(tmp_path, INVENTORY, "--profile", "bastion")
    assert code == 1
    assert_valid_report_json(report)
    (record,) = report["profiles"]
    assert record["name"] == "bastion"
    assert record["variables"] == {"ssh_allow_forwarding": True}
    assert [m["id"] for m in record["manual"]] == [
        "mfa-admins",
        "session-logging",
        "no-private-keys-stored",
    ]
    assert report["run"]["checks"] == record["checks"]
    assert "web.security-headers" not in report["run"]["checks"]
    db1 = results(report, "db1")
    assert set(db1) == set(record["checks"])
    # ssh_allow_forwarding: true (the bastion profile) makes the forwarding check pass
    assert db1["ssh.forwarding"]["status"] == "pass"
    assert host_of(report, "db1")["profiles"] == ["bastion"]


def test_the_profile_value_applies_where_the_inventory_sets_none(tmp_path: Path) -> None:
    _code, report = run(tmp_path, INVENTORY, "--profile", "web-public")
    evidence = results(report, "svc1")["net.exposed-ports"]["evidence"]
    # svc1's redis is judged against the profile's list; its policy drop closing the port
    # is named, but the listener still fails (exposed_ports_trust_firewall is not set)
    assert evidence == [
        "tcp 0.0.0.0:6379 not in allowed_ports [22, 443]; closed by the firewall "
        "(nft inet filter input), still listening beyond loopback"
    ]
    assert host_of(report, "svc1")["notes"] == []


def test_an_inventory_value_wins_over_the_profile_and_says_so(tmp_path: Path) -> None:
    inventory = INVENTORY.replace(
        "        svc1:\n", "        svc1:\n          allowed_ports: [22, 6379]\n"
    )
    _code, report = run(tmp_path, inventory, "--profile", "web-public")
    assert results(report, "svc1")["net.exposed-ports"]["status"] == "pass"
    assert host_of(report, "svc1")["notes"][0] == (
        "allowed_ports: the inventory's [22, 6379] is used, not profile web-public's [22, 443]"
    )
    # db1 has no inventory value: the profile's applies there
    evidence = results(report, "db1")["net.exposed-ports"]["evidence"]
    assert evidence[0] == "tcp 0.0.0.0:6379 not in allowed_ports [22, 443]"
    assert evidence[1].startswith("(the firewall could not be read: nft: exit status 1")  # no sudo


def test_inventory_groups_assign_profiles_and_a_host_without_any_gets_every_check(
    tmp_path: Path,
) -> None:
    inventory = INVENTORY.replace(
        "    internal:\n", "    internal:\n      vars:\n        audit_profiles: [web-public]\n"
    ).replace("        gold:\n", "        gold:\n          audit_profiles: [bastion, web-public]\n")
    _code, report = run(tmp_path, inventory)
    assert [p["name"] for p in report["profiles"]] == ["web-public", "bastion"]
    assert host_of(report, "db1")["profiles"] == ["web-public"]
    assert host_of(report, "gold")["profiles"] == ["bastion", "web-public"]
    assert "profiles" not in host_of(report, "dock1")
    web = next(p for p in report["profiles"] if p["name"] == "web-public")
    assert set(results(report, "db1")) == set(web["checks"])
    assert "ctr.non-root" in results(report, "dock1")  # no profile: every check
    assert "ssh.forwarding" in results(report, "gold")  # from bastion
    # the run's check set is what some host judges
    assert set(report["run"]["checks"]) == {
        c for h in report["hosts"] for c in results(report, h["name"])
    }


def test_run_profiles_add_to_the_inventory_profiles(tmp_path: Path) -> None:
    inventory = INVENTORY.replace(
        "    internal:\n", "    internal:\n      vars:\n        audit_profiles: web-public\n"
    )
    _code, report = run(tmp_path, inventory, "--profile", "baseline")
    assert host_of(report, "db1")["profiles"] == ["baseline", "web-public"]
    assert host_of(report, "dock1")["profiles"] == ["baseline"]


def test_checks_and_tags_narrow_within_the_profiles(tmp_path: Path) -> None:
    _code, report = run(tmp_path, INVENTORY, "--profile", "web-public", "--checks", "ssh")
    assert report["run"]["checks"] == ["ssh.rate-limit"]
    assert report["profiles"][0]["checks"] == ["ssh.rate-limit"]
    _code, report = run(
        tmp_path, INVENTORY, "--profile", "web-public", "--tags", "headers", name="tags"
    )
    assert report["run"]["checks"] == ["web.security-headers"]


def test_a_selection_that_leaves_nothing_within_the_profiles_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run(tmp_path, INVENTORY, "--profile", "web-public", "--checks", "ctr")
    assert (code, report) == (2, None)
    assert "leaves no check to run" in capsys.readouterr().err


def test_an_unknown_profile_stops_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _report = run(tmp_path, INVENTORY, "--profile", "web-publik")
    assert code == 2
    err = capsys.readouterr().err
    assert "--profile: no profile named 'web-publik'" in err
    assert "known: baseline, bastion, db-host, docker-host, web-public" in err


def test_two_run_profiles_that_disagree_stop_the_run_naming_both_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _report = run(tmp_path, INVENTORY, "--profile", "web-public", "--profile", "db-host")
    assert code == 2
    err = capsys.readouterr().err
    assert "profiles 'web-public' and 'db-host' set allowed_ports differently" in err
    assert "web-public.yml:" in err
    assert "db-host.yml:" in err


def test_a_host_whose_profiles_disagree_is_an_error_and_the_rest_is_audited(
    tmp_path: Path,
) -> None:
    inventory = INVENTORY.replace(
        "        gold:\n", "        gold:\n          audit_profiles: [web-public, db-host]\n"
    ).replace("        svc1:\n", "        svc1:\n          audit_profiles: [web-publik]\n")
    code, report = run(tmp_path, inventory)
    assert code == 3
    gold, svc1 = host_of(report, "gold"), host_of(report, "svc1")
    assert gold["status"] == "error"
    assert "set allowed_ports differently" in gold["reason"]
    assert svc1["status"] == "error"
    assert "audit_profiles: no profile named 'web-publik'" in svc1["reason"]
    assert host_of(report, "db1")["status"] == "ok"


def test_an_audit_profiles_value_of_the_wrong_type_makes_the_host_error(tmp_path: Path) -> None:
    inventory = INVENTORY.replace(
        "        gold:\n", "        gold:\n          audit_profiles: {a: 1}\n"
    )
    _code, report = run(tmp_path, inventory)
    assert host_of(report, "gold")["status"] == "error"
    assert (
        "audit_profiles must be a profile name or a list of names"
        in host_of(report, "gold")["reason"]
    )


def test_user_profiles_come_from_profiles_dir(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "edge.yml").write_text(
        "name: edge\ndescription: edge\nchecks: [net.exposed-ports]\n"
        "variables:\n  allowed_ports: [22, 6379]\n"
        "manual:\n  - id: waf\n    text: a WAF sits in front\n"
    )
    _code, report = run(tmp_path, INVENTORY, "--profiles-dir", str(mine), "--profile", "edge")
    assert report["run"]["checks"] == ["net.exposed-ports"]
    assert results(report, "svc1")["net.exposed-ports"]["status"] == "pass"
    assert report["profiles"][0]["source"] == str(mine / "edge.yml")


def test_audit_profiles_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "list"]) == 0
    listing = capsys.readouterr().out
    for name in ("baseline", "bastion", "web-public", "docker-host", "db-host"):
        assert f"\n{name} " in listing
    assert main(["profiles", "show", "web-public"]) == 0
    shown = capsys.readouterr().out
    assert "allowed_ports: [22, 443]" in shown
    assert "manual items (not machine-checkable; never reported as passed):" in shown
    assert "  net.exposed-ports " in shown
    assert main(["profiles", "show", "nope"]) == 2
    assert "no profile named 'nope'" in capsys.readouterr().err


def _sections(script: str) -> set[str]:
    return {line.split()[1] for line in script.splitlines() if line.startswith("run ")}


def test_audit_script_sends_only_what_the_profile_needs(capsys: pytest.CaptureFixture[str]) -> None:
    inventory = str(REPLAY / "inventory.yml")
    assert main(["script", "db1", "-i", inventory, "--profile", "bastion"]) == 0
    bastion = _sections(capsys.readouterr().out)
    assert main(["script", "db1", "-i", inventory]) == 0
    everything = _sections(capsys.readouterr().out)
    assert "sshd_t" in bastion
    assert bastion < everything
    assert "env_files" in everything - bastion  # file.env-mode is not a bastion check


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One replayed run with profiles per format: the directory each wrote."""
    base = tmp_path_factory.mktemp("profiled")
    inventory = base / "inventory.yml"
    inventory.write_text(
        INVENTORY.replace(
            "    internal:\n", "    internal:\n      vars:\n        audit_profiles: [web-public]\n"
        )
        + "    missing:\n      hosts:\n        nocapture:\n"
    )
    dirs = {}
    for fmt in FORMATS:
        out = base / fmt
        code = main(
            [
                "run",
                "-i",
                str(inventory),
                "--replay-dir",
                CAPTURES,
                "--output-dir",
                str(out),
                "--format",
                fmt,
                "--history",
                str(base / f"{fmt}.sqlite"),
                "-q",
                "--profile",
                "baseline",
            ]
        )
        assert code == 3  # nocapture is not audited
        dirs[fmt] = out
    return dirs


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_lists_the_manual_items_and_re_renders_byte_identical(
    fmt: str, profiled: dict[str, Path], tmp_path: Path
) -> None:
    out = profiled[fmt]
    written = out / EXTENSIONS[fmt]
    assert_valid_output(written)
    text = written.read_text()
    # web-public's and baseline's items (Prometheus: their count per host and profile)
    markers = (
        ('hardaudit_host_manual_items{host="db1",profile="web-public"} 2',)
        if fmt == "prometheus"
        else ("ssh-admin-network-only", "security-updates")
    )
    for marker in markers:
        assert marker in text, f"{fmt} does not list manual item {marker}"
    again = tmp_path / "again"
    assert main(["report", str(out / "report.json"), "--format", fmt, "-o", str(again)]) == 0
    assert again.read_text() == text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_history_run_with_profiles_re_renders_as_audit_run_wrote_it(
    fmt: str, profiled: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = profiled[fmt]
    history = str(out.parent / f"{fmt}.sqlite")
    capsys.readouterr()
    assert main(["report", "latest", "--history", history, "--format", fmt]) == 0
    assert capsys.readouterr().out == (out / EXTENSIONS[fmt]).read_text()


def test_manual_items_are_never_a_pass(profiled: dict[str, Path]) -> None:
    report = json.loads((profiled["json"] / "report.json").read_text())
    assert_valid_report_json(report)
    db1 = host_of(report, "db1")
    assert db1["profiles"] == ["baseline", "web-public"]
    # manual items are not findings: no check result and no score for them
    assert not any(f["check"].startswith("manual") for f in db1["findings"])
    nocapture = host_of(report, "nocapture")
    assert nocapture["status"] == "unreachable"
    assert nocapture["profiles"] == ["baseline"]  # not audited: its profiles are still listed

    junit = (profiled["junit"] / "report.junit.xml").read_text()
    assert_valid_junit(junit)
    assert (
        '<testcase classname="hardaudit.db1" name="manual:web-public/ssh-admin-network-only"'
        ' time="0.000">\n      <skipped message="not machine-checkable: port 22 accepts'
    ) in junit

    sarif = assert_valid_sarif((profiled["sarif"] / "report.sarif").read_text())
    notes = [
        n
        for n in sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        if n["level"] == "note"
    ]
    assert {n["descriptor"]["id"] for n in notes} >= {
        "manual/web-public/ssh-admin-network-only",
        "manual/baseline/security-updates",
    }
    assert all(not r["ruleId"].startswith("manual") for r in sarif["runs"][0]["results"])
    assert sarif["runs"][0]["properties"]["profiles"] == ["baseline", "web-public"]

    families = assert_valid_prometheus((profiled["prometheus"] / "report.prom").read_text())
    samples = {
        (s.labels["host"], s.labels["profile"]): s.value
        for s in families["hardaudit_host_manual_items"].samples
    }
    assert samples[("db1", "web-public")] == 2
    assert samples[("db1", "baseline")] == 2
    assert samples[("dock1", "baseline")] == 2
    assert ("dock1", "web-public") not in samples

    table = (profiled["table"] / "report.txt").read_text()
    assert "\nProfiles:\n  baseline: 5 host(s); " in table
    assert "    MANUAL ssh-admin-network-only: port 22 accepts" in table
    assert "  profile web-public: " in table

    markdown = (profiled["markdown"] / "report.md").read_text()
    assert "#### Not machine-checkable (verify by hand)" in markdown
    assert "| web-public | ssh-admin-network-only | db1, gold, svc1 |" in markdown

    html = (profiled["html"] / "report.html").read_text()
    assert '<section id="profiles">' in html
    assert '<code>ssh-admin-network-only</code> <span class="badge flag">manual</span>' in html


def test_every_audit_command_in_writing_profiles_parses() -> None:
    import shlex

    from hardaudit.cli import build_parser

    doc = (Path(__file__).parents[3] / "docs" / "writing-profiles.md").read_text()
    lines = [
        line.split("#", 1)[0].strip()
        for line in doc.splitlines()
        if line.startswith("audit ") and not line.startswith("audit_")
    ]
    assert len(lines) >= 6
    for line in lines:
        build_parser().parse_args(shlex.split(line)[1:])


def test_baseline_keeps_a_hosts_own_checks_as_a_run_without_profiles_does(
    tmp_path: Path,
) -> None:
    acme = tmp_path / "acme"
    acme.mkdir()
    (acme / "acme.motd.yml").write_text(
        "id: acme.motd\nseverity: low\ntitle: t\nrationale: r\nremediation: m\n"
        "facts: [command]\ncommand: echo ok\nevaluator: command_output\n"
        "params:\n  stdout_matches: '^ok$'\n"
    )
    inventory = INVENTORY.replace(
        "        gold:\n", f"        gold:\n          audit_checks_dirs: {acme}\n"
    )
    _code, report = run(tmp_path, inventory, "--profile", "baseline")
    assert "acme.motd" in results(report, "gold")
    assert "acme.motd" not in results(report, "db1")
    assert "acme.motd" in report["profiles"][0]["checks"]
    _code, report = run(tmp_path, inventory, "--profile", "bastion", name="bastion")
    assert "acme.motd" not in results(report, "gold")


def test_profiles_show_keeps_a_hostile_pattern_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A newline inside a glob's character class matches no id character, so the pattern
    still selects its check and loads: `show` printed it raw, a line of its own that looked
    like a selected critical check."""
    mine = tmp_path / "mine"
    mine.mkdir()
    forged = "  fw.enabled               critical FORGED"
    (mine / "odd.yml").write_text(
        f'name: odd\ndescription: x\nchecks: ["net.exposed-port[s\\n{forged}]"]\n'
    )
    assert main(["profiles", "show", "odd", "--profiles-dir", str(mine)]) == 0
    out = capsys.readouterr().out
    assert not any(line.startswith("  fw.enabled") for line in out.splitlines()), out
    assert "net.exposed-port[s\\n  fw.enabled" in out


def test_a_manual_id_with_a_trailing_newline_is_invalid(tmp_path: Path) -> None:
    """`$` matches before a final newline: `id: "mfa\\n"` passed as a valid id, next to `mfa`."""
    from hardaudit.checks.loader import load_checks
    from hardaudit.errors import ProfileError
    from hardaudit.profiles.loader import load_profile_file

    path = tmp_path / "odd.yml"
    path.write_text(
        'name: odd\ndescription: x\nchecks: [net]\nmanual:\n  - id: "mfa\\n"\n    text: MFA\n'
    )
    with pytest.raises(ProfileError, match="invalid id") as err:
        load_profile_file(path, load_checks())
    assert (err.value.line, err.value.field) == (5, "manual[0].id")
