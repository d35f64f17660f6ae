"""The HTML report: everything a host sends is escaped, and the page stands alone."""

from __future__ import annotations

import re
from dataclasses import replace

from hardaudit.report.html import render_html
from hardaudit.transport.base import HostStatus

from .sample import CACHE1, CHECKS, REPORT, WEB1, with_evidence


def test_script_in_evidence_is_escaped() -> None:
    page = render_html(with_evidence("<script>alert(document.cookie)</script>"), CHECKS)
    assert "<script" not in page
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in page


def test_every_host_supplied_field_is_escaped() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    web1 = replace(
        WEB1,
        name=hostile,
        os=hostile,
        privilege=hostile,
        notes=(hostile,),
        findings=tuple(replace(f, reason=hostile, evidence=(hostile,)) for f in WEB1.findings),
    )
    down = replace(CACHE1, name="cache1", reason=hostile, status=HostStatus.ERROR)
    page = render_html(replace(REPORT, hosts=(web1, down), selection=hostile), CHECKS)
    assert "<img" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 8


def test_attribute_breakout_in_evidence_is_escaped() -> None:
    page = render_html(with_evidence('" onmouseover="alert(1)'), CHECKS)
    assert '" onmouseover="' not in page
    assert "&#34; onmouseover=&#34;alert(1)" in page


def test_control_characters_are_shown_not_sent_to_the_browser() -> None:
    page = render_html(with_evidence("banner\x1b[31m red\x00"), CHECKS)
    assert "\x1b" not in page
    assert "\x00" not in page
    assert "banner\\x1b[31m red\\x00" in page


def test_page_is_self_contained() -> None:
    page = render_html(REPORT, CHECKS)
    assert "<style>" in page
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page
    for forbidden in ("<script", "<link", "<img", "<iframe", "@import", "url("):
        assert forbidden not in page
    # The only hyperlinks are anchors within the page.
    assert re.findall(r'(?:href|src)="([^"]*)"', page) == ["#host-1", "#host-2", "#host-3"]


def test_summary_row_per_host_and_not_audited_hosts_with_reason() -> None:
    page = render_html(REPORT, CHECKS)
    summary = page.split('<section id="summary">', 1)[1].split("</section>", 1)[0]
    assert summary.count("<tr>") == 1 + len(REPORT.hosts)
    not_audited = page.split('<section id="not-audited">', 1)[1].split("</section>", 1)[0]
    assert "hostkey-mismatch" in not_audited
    assert "host key does not match known_hosts" in not_audited
    assert "bastion -&gt; cache1 (10.0.1.5:22): connection refused" in not_audited
    assert "web1" not in not_audited


def test_failures_worst_first_with_remediation_and_passes_collapsed() -> None:
    page = render_html(REPORT, CHECKS)
    host = page.split('<section class="host" id="host-1">', 1)[1]
    order = [host.index(f"<code>{c}</code>") for c in ("net.exposed-ports", "ssh.password-auth")]
    assert order == sorted(order)
    assert "How to fix net.exposed-ports: set it &amp; reload." in host
    passes = host.split('<details class="passes">', 1)[1].split("</details>", 1)[0]
    assert "file.ssh-privkey" in passes
    assert "ssh.password-auth" not in passes


def test_renders_without_check_definitions() -> None:
    page = render_html(REPORT)
    assert "Remediation" not in page
    assert "net.exposed-ports" in page


def test_host_with_nothing_failed_says_so() -> None:
    clean = replace(WEB1, findings=tuple(f for f in WEB1.findings if f.status == "pass"))
    page = render_html(replace(REPORT, hosts=(clean,)))
    assert "No check failed; none was unknown." in page
    assert 'id="not-audited"' not in page
