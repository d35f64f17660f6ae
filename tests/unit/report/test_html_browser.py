"""The fleet HTML report in a real browser (headless Chromium): it draws, its script runs
under its own Content-Security-Policy without an error, nothing hostile executes, nothing is
fetched, and the filters and the host view work. Not timed; the README's figures come from
`python -m tests.unit.report.browser 2000`.

Skipped only when the `chromium` program is absent (lab/deps.txt installs it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardaudit.report.html import render_html

from .browser import Chromium, PageLoad, chromium_available, ink_share
from .fleet import HOSTILE, fleet_checks, synthetic_fleet

pytestmark = pytest.mark.skipif(not chromium_available(), reason="chromium is not installed")

FLEET = 240


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with Chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def fleet_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(synthetic_fleet(FLEET, hostile=True), fleet_checks()), "utf-8")
    return path


@pytest.fixture(scope="module")
def loaded(browser: Chromium, fleet_page: Path) -> PageLoad:
    return browser.load(fleet_page)


def clean(load: PageLoad) -> None:
    assert load.errors == []
    assert load.csp_violations == []
    assert load.dialogs == []
    assert load.requests == []


def test_fleet_page_loads_without_errors_csp_violations_or_requests(loaded: PageLoad) -> None:
    clean(loaded)


def test_fleet_overview_screenshot_is_not_blank(browser: Chromium, loaded: PageLoad) -> None:
    browser.evaluate("window.scrollTo(0, 0)")
    png = browser.screenshot(scale=0.25)
    assert ink_share(png) > 0.05
    browser.evaluate("document.getElementById('hosts').scrollIntoView()")
    grid = browser.screenshot(scale=0.25)
    assert ink_share(grid) > 0.10  # the coloured host x family grid


def test_every_host_is_a_grid_row_and_the_script_ran(browser: Chromium, loaded: PageLoad) -> None:
    assert browser.evaluate("document.querySelectorAll('#host-table tbody tr').length") == FLEET
    assert browser.evaluate("document.documentElement.classList.contains('js')")
    shown = browser.evaluate("document.querySelector('#finding-filters output').textContent")
    assert re.fullmatch(r"\d+ of \d+ findings match", shown), shown
    assert browser.evaluate("document.querySelectorAll('#finding-table tbody tr').length") == 300


def test_hostile_names_show_as_text_and_never_run(browser: Chromium, loaded: PageLoad) -> None:
    text = browser.evaluate("document.body.innerText")
    assert "</script><script>alert(1)</script>\\u2028\\u2029<img src=x onerror=alert(2)>" in text
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert browser.evaluate("document.scripts.length") == 2  # the data block and the one script


def test_findings_filter_on_new_severity_group_and_check(
    browser: Chromium, loaded: PageLoad
) -> None:
    def rows() -> list[list[str]]:
        return list(
            browser.evaluate(
                "Array.from(document.querySelectorAll('#finding-table tbody tr'))"
                ".map(r => Array.from(r.cells).map(c => c.textContent))"
            )
        )

    def choose(name: str, value: str) -> None:
        browser.evaluate(
            f"(() => {{ const f = document.getElementById('finding-filters');"
            f" const e = f.elements.namedItem({json.dumps(name)});"
            f" if (e.type === 'checkbox') e.checked = {json.dumps(value)} === '1';"
            f" else e.value = {json.dumps(value)};"
            f" e.dispatchEvent(new Event('change', {{bubbles: true}})); }})()"
        )

    choose("new", "1")
    fresh = rows()
    assert fresh
    assert all(r[3] == "fail new" for r in fresh)
    choose("sev", "3")
    assert all(r[2] in ("high", "critical") for r in rows())
    choose("new", "0")
    choose("sev", "")
    choose("check", "ssh.password-auth")
    checked = rows()
    assert checked
    assert {r[1] for r in checked} == {"ssh.password-auth"}
    choose("check", "")
    choose("group", "staging")
    staged = {r[0] for r in rows()}
    numbers = {int(m) for name in staged for m in re.findall(r"web(\d{4})", name)}
    assert numbers
    assert all(n % 4 == 0 for n in numbers)  # the fleet puts every fourth host in staging
    choose("group", "")
    clean(browser.collect(PageLoad(0, 0)))


def test_host_grid_filters_and_sorts(browser: Chromium, loaded: PageLoad) -> None:
    browser.evaluate(
        "(() => { const f = document.querySelector('form[data-for=host-table]');"
        " f.elements.namedItem('status').value = '!ok';"
        " f.elements.namedItem('status').dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    statuses = browser.evaluate(
        "Array.from(document.querySelectorAll('#host-table tbody tr:not([hidden])'))"
        ".map(r => r.dataset.status)"
    )
    assert statuses
    assert "ok" not in statuses
    browser.evaluate(
        "(() => { const f = document.querySelector('form[data-for=host-table]');"
        " f.elements.namedItem('status').value = '';"
        " f.elements.namedItem('status').dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    browser.evaluate(
        "document.querySelector('#host-table th:nth-child(4)')"
        ".dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}))"
    )  # the keyboard sorts as a click does
    scores = browser.evaluate(
        "Array.from(document.querySelectorAll('#host-table tbody tr'))"
        ".map(r => parseFloat(r.cells[3].dataset.v))"
    )
    assert scores == sorted(scores)


def test_host_view_shows_evidence_and_failing_since(browser: Chromium, loaded: PageLoad) -> None:
    anchor = browser.evaluate(
        "document.querySelector('#host-table tbody tr[data-status=ok] a').getAttribute('href')"
    )
    browser.evaluate(f"location.hash = {json.dumps(anchor)}")
    browser.evaluate("new Promise(r => setTimeout(r, 50))")
    view = browser.evaluate("document.getElementById('host-view').innerText")
    assert "failing since" in view
    assert HOSTILE[:9] in view  # the hostile evidence line, as text
    assert (
        browser.evaluate("document.querySelectorAll('#host-view img, #host-view script').length")
        == 0
    )
    clean(browser.collect(PageLoad(0, 0)))


def test_the_harness_sees_a_csp_violation_and_a_console_error(
    browser: Chromium, tmp_path: Path
) -> None:
    # Without this, a clean load above could mean the harness hears nothing.
    page = render_html(synthetic_fleet(3), fleet_checks())
    page = page.replace("</body>", "<script>alert(1)</script></body>")
    page = page.replace("<body>", "<body><img src='http://127.0.0.1:9/x.png'>")  # loopback only
    path = tmp_path / "bad.html"
    path.write_text(page, "utf-8")
    load = browser.load(path)
    assert len(load.csp_violations) >= 2  # the unhashed script and the image are refused
    assert load.dialogs == []
    assert load.requests == ["http://127.0.0.1:9/x.png"]  # attempted: the harness hears it
    browser.evaluate("console.error('heard')")
    assert "heard" in browser.collect(PageLoad(0, 0)).errors


def test_a_blank_page_measures_blank(browser: Chromium, tmp_path: Path) -> None:
    path = tmp_path / "blank.html"
    path.write_text("<!DOCTYPE html><title>blank</title>", "utf-8")
    browser.load(path)
    assert ink_share(browser.screenshot(scale=0.25)) < 0.001
