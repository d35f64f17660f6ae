"""`audit run --shard K/N` + `audit merge`: the merged report is the unsharded run's."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from hardaudit.cli import main
from hardaudit.errors import ReportError
from hardaudit.merge import ShardReport, merge_reports, split_selection
from hardaudit.model import HostStatus
from hardaudit.report.load import load_report
from hardaudit.report.model import HostReport, RunReport, WaiverRecord, WaiverState
from hardaudit.shard import ShardSpec

REPLAY = Path(__file__).parents[2] / "fixtures" / "replay"
CAPTURED = ("db1", "gold", "svc1", "dock1")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A replayed fleet of 30 hosts (lab captures under new names), a third of them behind
    two bastions, plus one host that never answers."""
    root = tmp_path_factory.mktemp("fleet")
    captures = root / "captures"
    captures.mkdir()
    lines = ["all:", "  vars:", "    allowed_ports: [22]", "    ansible_become: true", "  hosts:"]
    lines.append("    silent.example.com:")  # no capture: unreachable; first, so not sorted
    for i in range(30):
        name = f"node{i:02d}.example.com"
        shutil.copy(REPLAY / "captures" / f"{CAPTURED[i % 4]}.json", captures / f"{name}.json")
        lines.append(f"    {name}:")
        if i % 3 == 1:
            lines.append(f"      audit_jump: ['jump@bastion{i % 2}.example.com:22']")
    (root / "inventory.yml").write_text("\n".join(lines) + "\n")
    return root


def _run(fleet: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "run",
            "-i",
            str(fleet / "inventory.yml"),
            "--replay-dir",
            str(fleet / "captures"),
            "--output-dir",
            str(out),
            "--format",
            "json",
            "--forks",
            "2",  # fewer judge processes: the box is shared
            *extra,
        ]
    )


def _timeless(report: RunReport) -> RunReport:
    hosts = tuple(dataclasses.replace(h, duration_s=0.0) for h in report.hosts)
    return dataclasses.replace(report, started_at="", duration_s=0.0, hosts=hosts)


def test_merged_shards_equal_the_unsharded_run(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(fleet, tmp_path / "all", "--no-history") == 3
    whole = load_report(tmp_path / "all" / "report.json")
    shard_files = []
    for k in (1, 2, 3):
        assert _run(fleet, tmp_path / f"s{k}", "--shard", f"{k}/3") in (0, 1, 3)
        shard_files.append(str(tmp_path / f"s{k}" / "report.json"))
    shards = [load_report(Path(f)) for f in shard_files]
    assert all(8 <= len(s.hosts) <= 14 for s in shards)  # balanced, bastions kept together
    for bastion in ("bastion0", "bastion1"):
        holding = {i for i, s in enumerate(shards) for h in s.hosts if bastion in "".join(h.jump)}
        assert len(holding) == 1
    assert [split_selection(s.selection) for s in shards] == [
        ("all", ShardSpec(k, 3)) for k in (1, 2, 3)
    ]
    capsys.readouterr()
    merged_file = tmp_path / "out" / "fleet.json"
    code = main(
        [
            "merge",
            *reversed(shard_files),
            "-o",
            str(merged_file),
            "-i",
            str(fleet / "inventory.yml"),
            "--no-history",
        ]
    )
    assert code == 3  # the unreachable host: exactly the unsharded run's exit code
    merged = load_report(merged_file)
    assert _timeless(merged) == _timeless(whole)
    assert [h.name for h in merged.hosts] == [h.name for h in whole.hosts]  # inventory order
    assert merged.started_at == min(s.started_at for s in shards)
    assert "31 host(s) from 3 shard(s)" in capsys.readouterr().out
    assert merged_file.stat().st_mode & 0o777 == 0o600
    # Without the inventory: the same report, hosts sorted by name.
    assert main(["merge", *shard_files, "--format", "json", "--no-history"]) == 3
    printed_text = capsys.readouterr().out
    printed = json.loads(printed_text)
    assert [h["name"] for h in printed["hosts"]] == sorted(h.name for h in whole.hosts)
    # With -o and --format json: the file streamed once, stdout a copy of it.
    again = tmp_path / "out" / "again.json"
    assert main(["merge", *shard_files, "--format", "json", "-o", str(again), "--no-history"]) == 3
    assert capsys.readouterr().out == again.read_text(encoding="utf-8") == printed_text


def test_shards_are_not_recorded_and_the_merge_is_recorded_once(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history.sqlite"
    files = []
    for k in (1, 2):
        code = _run(fleet, tmp_path / f"s{k}", "--shard", f"{k}/2", "--history", str(history))
        assert code in (0, 1, 3)
        files.append(str(tmp_path / f"s{k}" / "report.json"))
    assert not history.exists()  # a shard alone is not a run of the fleet
    out = tmp_path / "fleet.json"
    assert main(["merge", *files, "-o", str(out), "--history", str(history)]) == 3
    capsys.readouterr()
    assert main(["history", "--history", str(history), "--format", "json"]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert run["hosts"] == 31
    assert run["selection"] == "all"
    merged = json.loads(out.read_text())
    assert merged["run"]["id"] == run["id"]  # the merged report is the recorded, annotated run
    seen = [
        o["first_seen"]
        for h in merged["hosts"]
        for f in h["findings"]
        for o in f.get("objects", [])
        if f["status"] == "fail"
    ]
    assert seen
    assert set(seen) == {merged["run"]["started_at"]}


def test_a_shard_run_reports_only_its_hosts_and_names_its_shard(
    fleet: Path, tmp_path: Path
) -> None:
    assert _run(fleet, tmp_path / "s", "--shard", "2/2", "--limit", "node0*") in (0, 1)
    report = json.loads((tmp_path / "s" / "report.json").read_text())
    assert report["run"]["selection"] == "limit node0*; shard 2/2"
    assert 0 < len(report["hosts"]) < 10


@pytest.mark.parametrize("spec", ["0/3", "4/3", "3", "x/y"])
def test_a_bad_shard_is_a_usage_error(
    spec: str, fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(fleet, tmp_path / "s", "--shard", spec) == 2
    err = capsys.readouterr().err
    assert "--shard" in err
    assert "e.g. --shard" in err or "numbered 1 to" in err
    assert not (tmp_path / "s").exists()


def _shard(source: str, index: int, count: int, *hosts: str, **changes: object) -> ShardReport:
    report = RunReport(
        tool_version="1.0",
        started_at="2026-12-07T01:00:00+00:00",
        duration_s=10.0,
        inventory="inv.yml",
        selection=f"all; shard {index}/{count}",
        checks=("ssh.a", "ssh.b"),
        hosts=tuple(HostReport(h, h, (), HostStatus.OK, "", 1.0) for h in hosts),
    )
    return ShardReport(source, dataclasses.replace(report, **changes))  # type: ignore[arg-type]


def test_the_fleet_run_starts_with_the_first_shard_and_lasts_until_the_last_ends() -> None:
    merged = merge_reports(
        [
            _shard("a.json", 1, 2, "x", started_at="2026-12-07T01:00:30+00:00", duration_s=60.0),
            _shard("b.json", 2, 2, "y", started_at="2026-12-07T01:00:00+00:00", duration_s=20.0),
        ]
    )
    assert merged.started_at == "2026-12-07T01:00:00+00:00"
    assert merged.duration_s == 90.0
    assert merged.selection == "all"
    assert [h.name for h in merged.hosts] == ["x", "y"]


@pytest.mark.parametrize(
    ("shards", "message"),
    [
        (
            [_shard("a.json", 1, 2, "x"), _shard("b.json", 2, 2, "y", checks=("ssh.a",))],
            "a.json and b.json ran different checks (only in the first: ssh.b",
        ),
        (
            [_shard("a.json", 1, 2, "x", "z"), _shard("b.json", 2, 2, "y", "z")],
            "host 'z' is in both a.json and b.json",
        ),
        ([_shard("a.json", 1, 3, "x"), _shard("b.json", 2, 3, "y")], "shard 3 of 3 is missing"),
        (
            [_shard("a.json", 1, 2, "x"), _shard("b.json", 1, 2, "y")],
            "a.json and b.json are both shard 1/2",
        ),
        ([_shard("a.json", 1, 2, "x"), _shard("b.json", 2, 3, "y")], "b.json is shard 2/3"),
        (
            [
                _shard("a.json", 1, 2, "x"),
                _shard("b.json", 2, 2, "y", selection="limit web; shard 2/2"),
            ],
            "of 'limit web'",
        ),
        (
            [_shard("a.json", 1, 2, "x"), _shard("b.json", 2, 2, "y", tool_version="0.9")],
            "a.json and b.json differ in tool version",
        ),
        ([_shard("a.json", 1, 1, "x", selection="all")], "a.json is not the report of a shard"),
        (
            [
                _shard("a.json", 1, 2, "x", started_at="2026-12-05T01:00:00+00:00"),
                _shard("b.json", 2, 2, "y", started_at="2026-12-06T01:00:01+00:00"),
            ],
            "a.json started at 2026-12-05T01:00:00+00:00 and b.json at 2026-12-06T01:00:01",
        ),
        ([], "no report to merge"),
    ],
)
def test_shards_of_different_runs_are_refused_naming_the_files(
    shards: list[ShardReport], message: str
) -> None:
    with pytest.raises(ReportError) as caught:
        merge_reports(shards)
    assert message in str(caught.value)


def test_an_inventory_order_that_names_other_hosts_is_refused() -> None:
    shards = [_shard("a.json", 1, 2, "x"), _shard("b.json", 2, 2, "y")]
    assert [h.name for h in merge_reports(shards, ["y", "x"]).hosts] == ["y", "x"]
    with pytest.raises(ReportError, match="in no shard: w"):
        merge_reports(shards, ["y", "x", "w"])
    with pytest.raises(ReportError, match="not in the inventory: y"):
        merge_reports(shards, ["x"])


def _waiver(state: WaiverState, matched: int) -> WaiverRecord:
    return WaiverRecord("ssh.a", "all", "CHG-1", "ops", "", "", "w.yml:2", state, matched)


def test_waivers_add_up_across_shards() -> None:
    active = _shard("a.json", 1, 3, "x", waivers=(_waiver(WaiverState.ACTIVE, 2),))
    stale = _shard("b.json", 2, 3, "y", waivers=(_waiver(WaiverState.STALE, 0),))
    also_stale = _shard("c.json", 3, 3, "z", waivers=(_waiver(WaiverState.STALE, 0),))
    (record,) = merge_reports([stale, active, also_stale]).waivers
    assert (record.state, record.matched) == (WaiverState.ACTIVE, 2)
    unused = (_waiver(WaiverState.STALE, 0),)
    (record,) = merge_reports(
        [_shard("b.json", 1, 2, "y", waivers=unused), _shard("c.json", 2, 2, "z", waivers=unused)]
    ).waivers
    assert (record.state, record.matched) == (WaiverState.STALE, 0)
    expired = _shard("c.json", 3, 3, "z", waivers=(_waiver(WaiverState.EXPIRED, 0),))
    (record,) = merge_reports([stale, active, expired]).waivers
    assert record.state == WaiverState.EXPIRED


def test_merge_errors_are_exit_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["merge", str(bad), "--no-history"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "Traceback" not in err
    assert main(["merge", str(tmp_path / "none.json"), "--no-history"]) == 2
    assert "none.json" in capsys.readouterr().err


def _shard_files(tmp_path: Path) -> list[str]:
    from hardaudit.report.json import render_json

    files = []
    for index, host in ((1, "x"), (2, "y")):
        path = tmp_path / f"s{index}.json"
        path.write_text(render_json(_shard(str(path), index, 2, host).report))
        files.append(str(path))
    return files


def test_the_merged_report_is_private_and_its_directory_left_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _shard_files(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    assert main(["merge", *files, "-o", str(shared / "fleet.json"), "--no-history"]) == 0
    assert (shared / "fleet.json").stat().st_mode & 0o777 == 0o600
    assert shared.stat().st_mode & 0o777 == 0o755  # an existing directory is not chmod-ed
    assert load_report(shared / "fleet.json").selection == "all"
    assert (
        main(["merge", *files, "-o", str(tmp_path / "new" / "deep" / "f.json"), "--no-history"])
        == 0
    )
    assert (tmp_path / "new" / "deep").stat().st_mode & 0o777 == 0o700
    capsys.readouterr()
    shared.chmod(0o777)
    assert main(["merge", *files, "-o", str(shared / "other.json"), "--no-history"]) == 2
    assert "cannot write the merged report" in capsys.readouterr().err
    assert not (shared / "other.json").exists()
