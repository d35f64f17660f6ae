"""The report side of profiles: the model's grouping, report.json round trip, the merge of
shards, and one golden file per format for a run with profiles (tests/golden/report-profiles.*).

After an intended change: `UPDATE_GOLDEN=1 python -m pytest tests/unit/profiles`, then review
the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import shutil
from pathlib import Path

import pytest

from hardaudit.checks.model import Status
from hardaudit.cli import main
from hardaudit.merge import ShardReport, merge_reports
from hardaudit.profiles.model import ManualItem
from hardaudit.report.json import render_json
from hardaudit.report.load import load_report, report_from_dict
from hardaudit.report.model import ProfileRecord, RunReport, manual_items, profile_groups
from hardaudit.report.writers import FORMATS, render
from tests.consumers import assert_valid_report_json
from tests.unit.report.sample import CACHE1, CHECKS, DB1, REPORT, WEB1

GOLDEN = Path(__file__).parents[2] / "golden"
REPLAY = Path(__file__).parents[2] / "fixtures" / "replay"

WEB = ProfileRecord(
    name="web-public",
    description="Internet-facing web server",
    source="profiles/web-public.yml",
    checks=("net.exposed-ports", "fw.enabled"),
    variables=(("allowed_ports", (22, 443)), ("strict", True)),
    manual=(
        ManualItem("ssh-admin-network-only", "port 22 only from the admin network"),
        ManualItem("tls-renewal", "the <TLS> certificate renews | automatically"),
    ),
)
SSH = ProfileRecord(
    name="ssh-only",
    description="sshd settings",
    source="/etc/hardaudit/profiles/ssh-only.yml",
    checks=("ssh.password-auth", "ssh.permit-root-login", "net.exposed-ports"),
)
PROFILED = dataclasses.replace(
    REPORT,
    hosts=(
        dataclasses.replace(WEB1, profiles=("web-public", "ssh-only")),
        dataclasses.replace(DB1, profiles=("web-public",)),
        CACHE1,
    ),
    profiles=(WEB, SSH),
)
EXTENSIONS = {
    "table": "report-profiles.txt",
    "json": "report-profiles.json",
    "html": "report-profiles.html",
    "junit": "report-profiles.junit.xml",
    "sarif": "report-profiles.sarif",
    "prometheus": "report-profiles.prom",
    "markdown": "report-profiles.md",
}


def test_results_are_grouped_by_profile_and_a_shared_check_is_in_both() -> None:
    web1 = PROFILED.hosts[0]
    groups = profile_groups(web1, PROFILED.profiles)
    assert [(record.name, [f.check for f in found]) for record, found in groups] == [
        ("web-public", ["net.exposed-ports", "fw.enabled"]),
        ("ssh-only", ["ssh.password-auth", "ssh.permit-root-login", "net.exposed-ports"]),
    ]
    assert [(p, i.id) for p, i in manual_items(web1, PROFILED.profiles)] == [
        ("web-public", "ssh-admin-network-only"),
        ("web-public", "tls-renewal"),
    ]
    assert manual_items(CACHE1, PROFILED.profiles) == ()
    assert PROFILED.manual_count == 4  # web1 and db1, two each
    # manual items change no count and no score
    assert web1.count(Status.PASS) == WEB1.count(Status.PASS)
    assert web1.score == WEB1.score


def test_report_json_round_trips_profiles_exactly() -> None:
    text = render_json(PROFILED)
    assert_valid_report_json(text)
    again = report_from_dict(json.loads(text))
    assert again.profiles == PROFILED.profiles
    assert [h.profiles for h in again.hosts] == [h.profiles for h in PROFILED.hosts]
    assert render_json(again) == text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(profiles={}), "profiles"),
        (
            lambda d: d["profiles"][0].update(manual=[{"id": 1, "text": "x"}]),
            "profiles[0].manual[0].id",
        ),
        (lambda d: d["profiles"][0].update(variables={"a": {"b": 1}}), "profiles[0].variables.a"),
        (lambda d: d["profiles"][0].pop("name"), "profiles[0].name"),
        (lambda d: d["hosts"][0].update(profiles="web-public"), "hosts[0].profiles"),
    ],
)
def test_a_malformed_profile_in_a_report_is_an_error_naming_the_field(change, field) -> None:  # type: ignore[no-untyped-def]
    from hardaudit.errors import ReportError

    data = json.loads(render_json(PROFILED))
    change(data)
    with pytest.raises(ReportError) as err:
        report_from_dict(data, "r.json")
    assert err.value.field == field


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_with_profiles_matches_golden_file(fmt: str) -> None:
    actual = render(PROFILED, fmt, CHECKS)
    path = GOLDEN / EXTENSIONS[fmt]
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_bytes(actual.encode("utf-8"))
        return
    expected = path.read_bytes().decode("utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{path.name}",
                tofile=f"rendered {fmt}",
            )
        )
        pytest.fail(f"{fmt} differs from {path} (UPDATE_GOLDEN=1 if intended):\n{diff}")
    # and the same from the stored report.json
    stored = report_from_dict(json.loads(render_json(PROFILED)))
    assert render(stored, fmt, CHECKS) == expected


def test_goldens_without_profiles_are_untouched_by_the_feature() -> None:
    for fmt in ("json", "junit", "sarif", "prometheus", "markdown", "table"):
        assert render(REPORT, fmt, CHECKS) == render(
            dataclasses.replace(REPORT, profiles=()), fmt, CHECKS
        )
    assert "profiles" not in render_json(REPORT)


def _timeless(report: RunReport) -> RunReport:
    hosts = tuple(dataclasses.replace(h, duration_s=0.0) for h in report.hosts)
    return dataclasses.replace(report, started_at="", duration_s=0.0, hosts=hosts)


def test_merged_shards_carry_the_profiles_as_the_unsharded_run(tmp_path: Path) -> None:
    captures = tmp_path / "captures"
    captures.mkdir()
    lines = ["all:", "  vars:", "    ansible_become: true", "  hosts:"]
    for i in range(8):
        name = f"node{i}"
        source = ("db1", "gold", "svc1", "dock1")[i % 4]
        shutil.copy(REPLAY / "captures" / f"{source}.json", captures / f"{name}.json")
        lines.append(f"    {name}:")
        if i % 3 == 1:
            lines.append("      audit_profiles: [web-public]")
        elif i == 2:  # one host: one shard has no docker-host profile
            lines.append("      audit_profiles: [docker-host]")
    (tmp_path / "inventory.yml").write_text("\n".join(lines) + "\n")

    def run(out: str, *extra: str) -> Path:
        main(
            [
                "run",
                "-i",
                str(tmp_path / "inventory.yml"),
                "--replay-dir",
                str(captures),
                "--output-dir",
                str(tmp_path / out),
                "--no-history",
                "-q",
                "--format",
                "json",
                "--profile",
                "bastion",
                *extra,
            ]
        )
        return tmp_path / out / "report.json"

    whole = load_report(run("all"))
    shards = [
        ShardReport(str(p), load_report(p))
        for p in (run(f"s{k}", "--shard", f"{k}/2") for k in (1, 2))
    ]
    for shard in shards:  # a shard lists the profiles of its own hosts only
        used = {name for host in shard.report.hosts for name in host.profiles}
        assert {p.name for p in shard.report.profiles} == used
    merged = merge_reports(shards, [h.name for h in whole.hosts])
    assert [p.name for p in whole.profiles] == ["bastion", "web-public", "docker-host"]
    assert _timeless(merged) == _timeless(whole)
    changed = dataclasses.replace(
        shards[1].report,
        profiles=tuple(dataclasses.replace(p, description="x") for p in shards[1].report.profiles),
    )
    from hardaudit.errors import ReportError

    with pytest.raises(ReportError, match="profile 'bastion' differs between"):
        merge_reports([shards[0], ShardReport("b.json", changed)])


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_profile_texts_stay_inert_in_every_format(fmt: str) -> None:
    nasty = "x\x1b[31m\u202e<script>alert(1)</script>\n| row | `c` @u #1"
    record = dataclasses.replace(
        WEB,
        name="web\x1b[2J",
        description=nasty,
        manual=(ManualItem("m\x07", nasty),),
        variables=(("allowed_ports", (nasty,)),),
    )
    web1 = dataclasses.replace(WEB1, profiles=(record.name,))
    report = dataclasses.replace(REPORT, hosts=(web1, DB1, CACHE1), profiles=(record,))
    text = render(report, fmt, CHECKS)
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in text, (fmt, raw)
    if fmt in ("html", "markdown"):  # text of a page: no tag of its own
        assert "<script>alert" not in text
