"""The Markdown run summary ($GITHUB_STEP_SUMMARY): golden file, escaping, row caps."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest

from hardaudit.checks.model import FindingObject, Severity, Status
from hardaudit.report.markdown import ROWS, md_text, render_markdown
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

from .sample import CACHE1, DB1, REPORT, WEB1, with_evidence

GOLDEN = Path(__file__).parents[2] / "golden"


def _drift_object(check: str, key: str, change: ObjectChange, severity: Severity) -> ObjectDrift:
    return ObjectDrift("web1", check, severity, f"title of {check}", FindingObject(key), change)


ANNOTATED = replace(
    REPORT,
    waivers=(
        WaiverRecord(
            check="ctr.non-root",
            hosts="web*",
            reason="vendor image runs as root until v3",
            owner="alice",
            ticket="OPS-42",
            expires="2025-06-30",
            source="waivers.yml:3",
            state=WaiverState.ACTIVE,
            matched=1,
        ),
        WaiverRecord(
            check="fw.enabled",
            hosts="db1",
            reason="cloud firewall instead",
            owner="bob",
            ticket="",
            expires="2024-12-31",
            source="waivers.yml:9",
            state=WaiverState.EXPIRED,
            matched=0,
        ),
    ),
    annotations=RunAnnotations(
        run_id="20250102T030405-a1b2c3",
        first_seen=MappingProxyType(
            {
                fingerprint("web1", "ssh.password-auth", ""): ObjectHistory(
                    "2024-11-02T02:00:00+00:00", 35
                ),
                fingerprint("web1", "ssh.permit-root-login", "/etc/ssh/sshd_config"): ObjectHistory(
                    "2025-01-01T03:00:00+00:00", 2
                ),
            }
        ),
        trend=(("2025-01-01T03:00:00+00:00", 40.0), ("2025-01-02T03:04:05+00:00", 33.3)),
        drift=Drift(
            baseline="latest",
            baseline_started_at="2025-01-01T03:00:00+00:00",
            objects=(
                _drift_object(
                    "net.exposed-ports", "tcp/0.0.0.0:6379", ObjectChange.NEW, Severity.CRITICAL
                ),
                _drift_object(
                    "net.exposed-ports", "tcp/[::]:5432", ObjectChange.STILL, Severity.CRITICAL
                ),
                _drift_object("ssh.password-auth", "", ObjectChange.STILL, Severity.HIGH),
                _drift_object(
                    "ssh.permit-root-login",
                    "/etc/ssh/sshd_config",
                    ObjectChange.STILL,
                    Severity.MEDIUM,
                ),
                _drift_object(
                    "file.ssh-privkey", "/root/.ssh/id_rsa", ObjectChange.FIXED, Severity.MEDIUM
                ),
            ),
            hosts=(HostDrift("db1", HostChange.NOT_AUDITED, "ok", "hostkey-mismatch"),),
            checks_added=("ctr.non-root",),
        ),
    ),
)


@pytest.mark.parametrize(
    ("name", "report"), [("report.md", REPORT), ("report-annotated.md", ANNOTATED)]
)
def test_markdown_summary_matches_golden_file(name: str, report: RunReport) -> None:
    actual = render_markdown(report)
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_bytes(actual.encode("utf-8"))
        return
    assert actual == path.read_bytes().decode("utf-8"), f"UPDATE_GOLDEN=1 rewrites {path}"


HOSTILE = "x|y\n| forged | row |`code`<script>alert(1)</script>[a](https://evil.example) www.e.x *b* a@b.c"


def test_hostile_text_stays_inert_in_one_cell() -> None:
    cell = md_text(HOSTILE)
    assert "\n" not in cell
    assert "<" not in cell
    assert ">" not in cell
    # every such character is escaped (the @ of an address sits in a code span of its own)
    assert re.search(r"(?<!\\)[|`\[\]*]", cell.replace("`@`", "")) is None
    assert "https://" not in cell
    assert "www." not in cell
    assert "a@b" not in cell


def test_github_renders_hostile_text_as_one_cell_without_links_or_html() -> None:
    cmarkgfm = pytest.importorskip("cmarkgfm")  # GitHub's own renderer (cmark-gfm)
    table = f"| a | b |\n|---|---|\n| {md_text(HOSTILE)} | end |\n"
    unsafe = 1 << 17  # CMARK_OPT_UNSAFE: raw HTML would pass through, were there any
    html = cmarkgfm.github_flavored_markdown_to_html(table, options=unsafe)
    assert html.count("<tr>") == 2  # header and one row
    assert html.count("<td>") == 2
    assert "<a " not in html
    assert "<script" not in html
    assert "<em>" not in html
    assert "<code>@</code>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;[a](https://evil.example)" in html


def test_a_hostile_host_name_and_reason_cannot_add_rows_or_html() -> None:
    hostile = replace(CACHE1, name="cache|1\n| evil |", reason="refused <b>now</b>\n# heading")
    text = render_markdown(replace(REPORT, hosts=(WEB1, DB1, hostile)))
    worst = [line for line in text.splitlines() if "evil" in line]
    assert len(worst) == 1
    assert worst[0].count("|") - worst[0].count("\\|") == 7  # six cells
    assert "<b>" not in text
    assert "\n# heading" not in text


def test_long_tables_are_capped_with_how_many_more() -> None:
    hosts = tuple(replace(WEB1, name=f"web{i:03}") for i in range(ROWS + 25))
    text = render_markdown(replace(REPORT, hosts=hosts))
    assert f"... {25} more" in text
    assert "web009" in text
    assert "web010" not in text
    assert len(text) < 4000


def test_the_summary_is_link_free() -> None:
    text = render_markdown(ANNOTATED)
    assert "](" not in text
    assert "http" not in text


def test_waived_results_show_in_the_worst_hosts_table() -> None:
    waived = replace(
        WEB1.findings[5], status=Status.WAIVED, waived_from=Status.FAIL, waiver_reason="r"
    )
    web1 = replace(WEB1, findings=(*WEB1.findings[:5], waived))
    text = render_markdown(replace(REPORT, hosts=(web1,)))
    assert "| web1 | ok | " in text
    assert text.split("| web1 | ok | ")[1].split(" | ")[2] == "1"  # the waived column


def test_evidence_is_not_in_the_summary() -> None:
    # The summary is short: evidence (hostile or not) stays in the full reports.
    assert "forged" not in render_markdown(with_evidence("forged | row"))


def test_a_stored_reports_drift_host_states_cannot_add_rows_or_html() -> None:
    # `audit report FILE --format markdown` reads drift.hosts[].before/after from the file
    drift = ANNOTATED.annotations.drift
    assert drift is not None
    hostile = HostDrift("db1", HostChange.NOT_AUDITED, "ok |\n| <img src=x> |", "<b>x</b>\n# h")
    report = replace(
        ANNOTATED,
        annotations=replace(ANNOTATED.annotations, drift=replace(drift, hosts=(hostile,))),
    )
    text = render_markdown(report)
    row = [line for line in text.splitlines() if line.startswith("| db1 | newly-not-audited")]
    assert len(row) == 1
    assert row[0].count("|") - row[0].count("\\|") == 5  # four cells
    assert "<img" not in text
    assert "<b>" not in text
    assert "\n# h" not in text


def test_no_issue_merge_request_or_label_reference_is_left_outside_a_code_span() -> None:
    # GitHub and GitLab turn #12, GH-12, !12, ~label, $12, &12, %milestone and @user into
    # links (and backlinks on the issue) AFTER Markdown, from the text it left: a backslash
    # escape does not stop them, a code span does. Targets name files and listeners freely.
    cmarkgfm = pytest.importorskip("cmarkgfm")
    hostile = "/srv/#12 GH-13 org/repo#14 !15 ~bug $16 &17 %m1 a@b ##@@ \\#18 `#19"
    html = cmarkgfm.github_flavored_markdown_to_html(
        f"| a | b |\n|---|---|\n| {md_text(hostile)} | end |\n", options=1 << 17
    )
    outside = re.sub(r"<code>.*?</code>", " ", html)
    assert re.search(r"#\d|GH-\d|!\d|~\w|\$\d|&amp;\d|%\w|@\w", outside) is None, outside
    assert html.count("<td>") == 2
    shown = re.sub(r"</?code>|</?t[dr]>|</?tbody>|\n", "", html.split("<tbody>")[1])
    assert shown.startswith(
        "/srv/#12 GH-13 org/repo#14 !15 ~bug $16 &amp;17 %m1 a@b ##@@ \\#18 `#19"
    )
