"""The HTML overview of a fleet of 200 *replayed* hosts, through the real pipeline: two
`audit run`s of captured facts (tests/fixtures/replay/captures, one capture per host name)
recorded in a history, the second with a baseline and a few hosts gone. The page a real run
writes loads in Chromium without console errors, CSP violations or requests, draws, and shows
the drift, the trend and the hosts that went down.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from hardaudit.cli import main

from .browser import Chromium, chromium_available, ink_share

pytestmark = pytest.mark.skipif(not chromium_available(), reason="chromium is not installed")

CAPTURES = Path(__file__).parents[2] / "fixtures" / "replay" / "captures"
SOURCES = ("db1", "gold", "svc1", "dock1")
HOSTS = 200
GONE = ("h007", "h042", "h123")


def _fleet(tmp_path: Path) -> tuple[Path, Path]:
    captures = tmp_path / "captures"
    captures.mkdir()
    groups: dict[str, dict[str, dict[str, None]]] = {"web": {}, "db": {}, "cache": {}}
    for index in range(HOSTS):
        name = f"h{index:03d}"
        shutil.copy(CAPTURES / f"{SOURCES[index % len(SOURCES)]}.json", captures / f"{name}.json")
        groups[("web", "db", "cache")[index % 3]][name] = None
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "vars": {"allowed_ports": [22], "ansible_become": True},
                    "children": {g: {"hosts": hosts} for g, hosts in groups.items()},
                }
            }
        )
    )
    return inventory, captures


def test_a_replayed_200_host_fleet_with_drift_renders_cleanly_in_chromium(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory, captures = _fleet(tmp_path)
    history = tmp_path / "history.sqlite"
    common = ["run", "-i", str(inventory), "--replay-dir", str(captures), "--quiet"]
    common += ["--history", str(history)]
    assert main([*common, "--output-dir", str(tmp_path / "night1")]) == 1
    for name in GONE:  # three hosts are down the next night
        (captures / f"{name}.json").unlink()
    second = [*common, "--baseline", "latest", "--format", "html"]
    assert main([*second, "--output-dir", str(tmp_path / "night2")]) == 3
    capsys.readouterr()
    report = json.loads((tmp_path / "night2" / "report.json").read_text())
    assert len(report["hosts"]) == HOSTS
    down = {h["host"] for h in report["drift"]["hosts"] if h["change"] == "newly-not-audited"}
    assert down == set(GONE)
    assert len(report["trend"]) == 2
    page = tmp_path / "night2" / "report.html"
    html = page.read_text()
    for name in GONE:
        assert name in html

    with Chromium() as browser:
        load = browser.load(page)
        assert load.errors == []
        assert load.csp_violations == []
        assert load.dialogs == []
        assert load.requests == []
        browser.evaluate("window.scrollTo(0, 0)")
        assert ink_share(browser.screenshot(scale=0.25)) > 0.05
        text = str(browser.evaluate("document.body.innerText"))
    assert "h042" in text
    assert "failing since" in text.lower() or "runs)" in text
