"""The HTML report: everything a host sends is escaped, the page stands alone, and the fleet
overview says what changed, since when, and what is waived."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from types import MappingProxyType

import pytest

from hardaudit.checks.model import FindingObject, Severity, Status
from hardaudit.model import HostStatus
from hardaudit.report.html import CSP, embed_json, render_html
from hardaudit.report.model import (
    Drift,
    HostChange,
    HostDrift,
    ObjectChange,
    ObjectDrift,
    ObjectHistory,
    RunAnnotations,
    RunReport,
    WaiverRecord,
    WaiverState,
    fingerprint,
)

from .fleet import HOSTILE, fleet_checks, synthetic_fleet
from .htmlpage import data_of, host_data, section, strings
from .sample import CACHE1, CHECKS, DB1, REPORT, WEB1, with_evidence

SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


# -- hostile text


def test_script_in_evidence_cannot_end_the_data_block_or_run() -> None:
    page = render_html(with_evidence("</script><script>alert(document.cookie)</script>"), CHECKS)
    assert "alert(document.cookie)" not in page.replace(
        "\\u003c/script\\u003e\\u003cscript\\u003ealert(document.cookie)", ""
    )
    assert len(re.findall(r"<script\b", page)) == 2  # the data block and the page's own script
    evidence = host_data(page, "web1")["f"][1]["ev"]  # worst first: ssh.password-auth is second
    assert evidence == ["</script><script>alert(document.cookie)</script>"]


def test_embedded_json_has_no_markup_and_no_line_separators() -> None:
    text = embed_json({"x": "</script><!-- \u2028\u2029 & <b>", "</script>": 1})
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"x": "</script><!-- \u2028\u2029 & <b>", "</script>": 1}


def test_every_host_supplied_field_is_escaped() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    web1 = replace(
        WEB1,
        name=hostile,
        os=hostile,
        privilege=hostile,
        notes=(hostile,),
        groups=(hostile,),
        findings=tuple(replace(f, reason=hostile, evidence=(hostile,)) for f in WEB1.findings),
    )
    down = replace(CACHE1, name="cache1", reason=hostile, status=HostStatus.ERROR)
    page = render_html(replace(REPORT, hosts=(web1, down), selection=hostile), CHECKS)
    assert "<img" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 4  # name, group, selection...
    shown = strings(data_of(page))
    assert shown.count(hostile) >= 10  # data: the page's script writes it as text only


def test_attribute_breakout_is_escaped() -> None:
    web1 = replace(WEB1, groups=('" onmouseover="alert(1)',))
    page = render_html(replace(REPORT, hosts=(web1, DB1)), CHECKS)
    assert '" onmouseover="' not in page
    assert 'data-groups="&#34; onmouseover=&#34;alert(1)"' in page


def test_control_characters_are_shown_not_sent_to_the_browser() -> None:
    page = render_html(with_evidence("banner\x1b[31m red\x00"), CHECKS)
    assert "\x1b" not in page
    assert "\x00" not in page
    assert "banner\\x1b[31m red\\x00" in strings(data_of(page))


def test_hostile_fleet_renders_inert() -> None:
    page = render_html(synthetic_fleet(30, hostile=True), fleet_checks())
    assert "<img" not in page
    assert "\u2028" not in page
    assert "\u202e" not in page
    assert len(re.findall(r"<script\b", page)) == 2
    assert HOSTILE.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace(
        "\u202e", "\\u202e"
    ) in "".join(strings(data_of(page)))


# -- the page stands alone


def test_page_is_self_contained_and_its_one_script_is_admitted_by_hash() -> None:
    page = render_html(REPORT, CHECKS)
    assert f'content="{CSP}"' in page
    assert "default-src 'none'" in CSP
    assert "unsafe-inline" not in CSP.split("script-src", 1)[1]
    for forbidden in ("<link", "<img", "<iframe", "@import", "url(", "http:", "https:"):
        assert forbidden not in page
    (script,) = SCRIPT.findall(page)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in CSP
    assert "innerHTML" not in script
    assert "insertAdjacentHTML" not in script
    # The only hyperlinks are anchors within the page.
    assert all(href.startswith("#") for href in re.findall(r'(?:href|src)="([^"]*)"', page))


def test_script_is_the_same_for_every_report() -> None:
    one = SCRIPT.findall(render_html(REPORT, CHECKS))
    other = SCRIPT.findall(render_html(synthetic_fleet(5, hostile=True), fleet_checks()))
    assert one == other


# -- hosts, checks, findings


def test_grid_row_per_host_with_a_cell_per_family() -> None:
    page = render_html(REPORT, CHECKS)
    grid = section(page, "hosts")
    assert grid.count('<tr data-status="') == len(REPORT.hosts)
    families = sorted({c.split(".")[0] for c in REPORT.checks})
    web1 = grid.split('href="#host-1"', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="g g-([a-z]+)">', web1)
    assert len(cells) == len(families)
    worst = dict(zip(families, cells, strict=True))
    assert worst == {
        "ctr": "none",  # skipped
        "file": "pass",
        "fw": "unknown",
        "net": "critical",
        "ssh": "high",  # high and medium failures: the worst
    }
    db1 = grid.split('href="#host-2"', 1)[1].split("</tr>", 1)[0]
    assert set(re.findall(r'<td class="g g-([a-z]+)">', db1)) == {"na"}


def test_grid_opens_on_the_worst_hosts() -> None:
    page = render_html(REPORT, CHECKS)
    order = re.findall(r'<a href="#(host-\d)">', section(page, "hosts"))
    assert order[-1] == "host-1"  # the audited host after the two not audited


def test_not_audited_hosts_carry_their_reason() -> None:
    page = render_html(REPORT, CHECKS)
    db1 = host_data(page, "db1")
    assert db1["s"] == "hostkey-mismatch"
    assert "host key does not match known_hosts" in db1["r"]
    assert db1["f"] == []
    assert host_data(page, "cache1")["r"] == "bastion -> cache1 (10.0.1.5:22): connection refused"


def test_findings_worst_first_with_remediation_once_per_check() -> None:
    page = render_html(REPORT, CHECKS)
    web1 = host_data(page, "web1")
    assert [f["c"] for f in web1["f"]] == [
        "net.exposed-ports",
        "ssh.password-auth",
        "ssh.permit-root-login",
        "fw.enabled",
    ]
    assert web1["p"] == ["file.ssh-privkey"]
    assert web1["sk"] == [["ctr.non-root", "no container engine"]]
    checks = section(page, "checks")
    assert checks.count("How to fix net.exposed-ports: set it &amp; reload.") == 1
    assert data_of(page)["checks"]["net.exposed-ports"] == [
        "No database or cache port listens on a public address",
        1,
    ]


def test_renders_without_check_definitions() -> None:
    page = render_html(REPORT)
    assert "how to fix" not in page
    assert data_of(page)["checks"]["net.exposed-ports"][1] == 0
    assert "net.exposed-ports" in section(page, "checks")


def test_per_check_view_names_the_failing_hosts() -> None:
    other = replace(WEB1, name="web2", address="10.0.0.13")
    page = render_html(replace(REPORT, hosts=(WEB1, other, DB1)), CHECKS)
    row = section(page, "checks").split('<tr id="check-ssh.password-auth">', 1)[1]
    row = row.split("</tr>", 1)[0]
    assert re.findall(r'<a href="#host-\d">([^<]*)</a>', row) == ["web1", "web2"]
    assert '<td class="num">2</td>' in row


# -- annotations: drift, trend, first_seen, waivers, never audited


def annotated() -> RunReport:
    net = WEB1.findings[2]
    web1 = replace(
        WEB1,
        findings=(
            *WEB1.findings[:2],
            replace(
                net, objects=(FindingObject("tcp/0.0.0.0:6379"), FindingObject("tcp/[::]:5432"))
            ),
            *WEB1.findings[3:],
        ),
    )
    redis = fingerprint("web1", "net.exposed-ports", "tcp/0.0.0.0:6379")
    postgres = fingerprint("web1", "net.exposed-ports", "tcp/[::]:5432")
    drift = Drift(
        "latest~1",
        "2025-01-01T03:04:05+00:00",
        objects=(
            ObjectDrift(
                "web1",
                "net.exposed-ports",
                Severity.CRITICAL,
                "t",
                FindingObject("tcp/0.0.0.0:6379"),
                ObjectChange.NEW,
            ),
            ObjectDrift(
                "web1",
                "file.ssh-privkey",
                Severity.MEDIUM,
                "t",
                FindingObject("/root/.ssh/id_rsa"),
                ObjectChange.FIXED,
            ),
        ),
        hosts=(HostDrift("db1", HostChange.NOT_AUDITED, "ok", "hostkey-mismatch"),),
    )
    notes = RunAnnotations(
        run_id="run-42",
        first_seen=MappingProxyType(
            {
                redis: ObjectHistory("2025-01-02T03:04:05+00:00", 1),
                postgres: ObjectHistory("2024-11-02T03:04:05+00:00", 35),
            }
        ),
        never_audited=frozenset({"cache1"}),
        trend=(("2024-12-31T03:04:05+00:00", 40.0), ("2025-01-01T03:04:05+00:00", 50.0)),
        drift=drift,
    )
    waivers = (
        WaiverRecord("fw.*", "web*", "migration", "alice", "OPS-1", "2025-01-10", "w.yml:1",
                     WaiverState.ACTIVE, 1),
        WaiverRecord("ctr.*", "db*", "old", "bob", "", "2024-12-01", "w.yml:5",
                     WaiverState.EXPIRED, 0),
        WaiverRecord("ssh.*", "gone*", "nothing", "carol", "", "", "w.yml:9",
                     WaiverState.STALE, 0),
    )  # fmt: skip
    return replace(REPORT, hosts=(web1, DB1, CACHE1), waivers=waivers, annotations=notes)


def test_drift_overview_counts_and_lists_what_changed() -> None:
    page = render_html(annotated(), CHECKS)
    drift = section(page, "drift")
    assert "Baseline <code>latest~1</code>" in drift
    assert '<span class="badge new">1 new</span>' in drift
    assert '<span class="badge status-ok">1 fixed</span>' in drift
    assert "1 host newly-not-audited" in drift
    assert "<code>tcp/0.0.0.0:6379</code>" in drift
    assert "/root/.ssh/id_rsa" in drift
    assert (
        '<a href="#host-2">db1</a> <span class="badge status-problem">newly-not-audited</span>'
        in drift
    )


def test_without_a_baseline_the_overview_says_how_to_get_one() -> None:
    page = render_html(REPORT, CHECKS)
    assert "No baseline: run with <code>--baseline latest</code>" in section(page, "drift")
    assert "No trend yet" in page


def test_failing_since_and_new_per_object() -> None:
    page = render_html(annotated(), CHECKS)
    net = next(f for f in host_data(page, "web1")["f"] if f["c"] == "net.exposed-ports")
    assert net["o"] == [
        ["tcp/0.0.0.0:6379", "", "2025-01-02 (1 run)", 1],
        ["tcp/[::]:5432", "", "2024-11-02 (35 runs)", 0],
    ]
    grid_row = section(page, "hosts").split('href="#host-1"', 1)[0].rsplit("<tr", 1)[1]
    assert 'data-new="1"' in grid_row


def test_trend_sparkline_ends_at_this_run() -> None:
    page = render_html(annotated(), CHECKS)
    score = section(page, "overview").split('<div class="card" id="score">', 1)[1]
    (points,) = re.findall(r'<polyline points="([^"]*)"/>', score)
    assert len(points.split()) == 3  # two earlier runs and this one
    assert "fleet score over 3 runs, from 40 to " in score
    assert "since the previous run" in score


def test_trend_gap_where_a_run_had_no_score() -> None:
    notes = RunAnnotations(trend=(("a", 10.0), ("b", None), ("c", 30.0), ("d", 40.0)))
    page = render_html(replace(REPORT, annotations=notes), CHECKS)
    assert len(re.findall(r"<polyline ", page)) == 2


def test_waiver_debt_flags_expired_stale_and_soon_due() -> None:
    page = render_html(annotated(), CHECKS)
    debt = section(page, "waivers")
    rows = re.findall(r"<tr><td><code>([^<]*)</code>.*?</tr>", debt)
    assert rows == ["ctr.*", "ssh.*", "fw.*"]  # expired, stale, then active
    assert "expired 32 days ago" in debt
    assert "expires in 8 days" in debt
    assert '<span class="badge flag">stale</span>' in debt
    assert "<td>alice</td><td>OPS-1</td>" in debt


def test_never_audited_hosts_are_flagged() -> None:
    page = render_html(annotated(), CHECKS)
    assert '<a href="#host-3">cache1</a>' in section(page, "never-audited")
    assert host_data(page, "cache1")["na"] is True
    assert "never audited" in section(page, "hosts")


@pytest.mark.parametrize("status", [Status.UNKNOWN, Status.WAIVED])
def test_family_summary_counts_hosts_by_worst_result(status: Status) -> None:
    fw = replace(WEB1.findings[4], status=status)
    web1 = replace(WEB1, findings=(*WEB1.findings[:4], fw, WEB1.findings[5]))
    page = render_html(replace(REPORT, hosts=(web1, DB1, CACHE1)), CHECKS)
    families = section(page, "families")
    fw_row = families.split("<code>fw</code>", 1)[1].split("</tr>", 1)[0]
    assert f"1 {status.value} · 2 na" in fw_row


class _CountedFindings(tuple):  # type: ignore[type-arg]
    """A host's findings that count how often a renderer walks them."""

    walks = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        type(self).walks += 1
        return super().__iter__()


def test_the_grid_walks_a_hosts_findings_once_not_once_per_check_family() -> None:
    # a stored report.json may name thousands of check families: one walk per family per
    # host made a 6.5 MB file with 20,000 families take a minute to render
    families = 300
    findings = tuple(replace(WEB1.findings[0], check=f"fam{i}.check") for i in range(families))
    counted = _CountedFindings(findings)
    host = replace(WEB1, findings=counted)
    report = replace(REPORT, hosts=(host,), checks=tuple(f.check for f in findings))
    _CountedFindings.walks = 0
    page = render_html(report)
    assert page.count('<td class="g g-') == families
    assert _CountedFindings.walks < 30


def test_a_stored_reports_start_time_and_tool_version_are_made_printable() -> None:
    # `audit report FILE --format html` takes both from the file: a bidi override there
    # would reorder the header ("Started", "Tool"), a control would reach the page raw
    report = replace(REPORT, started_at="2025-01-02\u202e\x1b[31m", tool_version="0.1.0\u2066\x07")
    page = render_html(report)
    for raw in ("\u202e", "\x1b", "\u2066", "\x07"):
        assert raw not in page
    assert "2025-01-02\\u202e\\x1b[31m" in page
    assert "hardaudit 0.1.0\\u2066\\x07" in page
