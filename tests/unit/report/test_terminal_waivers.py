"""The terminal's waivers section: counts, then each expired and stale waiver named."""

from __future__ import annotations

from dataclasses import replace

from hardaudit.report.model import WaiverRecord, WaiverState
from hardaudit.report.terminal import render_table

from .sample import REPORT


def record(check: str, state: WaiverState, matched: int = 0, **fields: str) -> WaiverRecord:
    values: dict[str, str] = {"hosts": "all", "reason": "r", "owner": "", "ticket": ""}
    values["expires"] = ""
    values |= {"source": f"w.yml:{len(check)}"} | fields
    return WaiverRecord(check=check, state=state, matched=matched, **values)


def test_no_waivers_no_section() -> None:
    assert "Waivers" not in render_table(REPORT)


def test_the_section_counts_and_names_expired_and_stale_waivers() -> None:
    waivers = (
        record("ssh.forwarding", WaiverState.ACTIVE, 3, hosts="bastions", owner="ops"),
        record("net.*", WaiverState.ACTIVE, 2, owner="dba"),
        record("ssh.x11-forwarding", WaiverState.STALE, owner="ops", ticket="OPS-7"),
        record("fw.enabled", WaiverState.EXPIRED, hosts="db1", expires="2026-01-01"),
    )
    text = render_table(replace(REPORT, waivers=waivers))
    assert text.endswith(
        "\nWaivers: 2 active (5 result(s) waived), 1 stale, 1 expired\n"
        "  EXPIRED  fw.enabled on db1 (w.yml:10) on 2026-01-01: it waives nothing: renew it or"
        " fix the finding; no owner\n"
        "  STALE    ssh.x11-forwarding on all (w.yml:18): it waived nothing in this run: remove"
        " it if the finding is fixed; owner ops, ticket OPS-7\n"
    )
    assert "ssh.forwarding" not in text.split("Waivers:")[1]  # active ones are only counted


def test_waiver_text_from_the_file_is_escaped() -> None:
    waivers = (record("a.b", WaiverState.STALE, owner="evil\x1b[2J\nFAIL", ticket="\u202e1"),)
    section = render_table(replace(REPORT, waivers=waivers)).split("Waivers:")[1]
    assert "\x1b" not in section
    assert "\u202e" not in section
    assert len(section.strip().splitlines()) == 2
