"""Prometheus textfile: names per the naming docs, hostile labels escaped, the exposition
format checked by prometheus_client's parser and `promtool check metrics`, written atomically."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from hardaudit.checks.model import FindingObject, Severity
from hardaudit.cli import main
from hardaudit.errors import UsageError
from hardaudit.printable import printable
from hardaudit.report.model import Drift, ObjectChange, ObjectDrift, RunAnnotations
from hardaudit.report.prometheus import label_value, render_prometheus
from hardaudit.report.writers import TEXTFILE_MODE, write_textfile
from tests.consumers import assert_valid_prometheus, parse_prometheus

from .sample import CACHE1, DB1, REPORT, WEB1

REPLAY = Path(__file__).parents[2] / "fixtures" / "replay"


def _value(families: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    family = families[name]
    (sample,) = [s for s in family.samples if s.labels == labels]
    return float(sample.value)


def _drifted(*hosts: str) -> RunAnnotations:
    objects = tuple(
        ObjectDrift(host, "net.exposed-ports", Severity.CRITICAL, "t", FindingObject(key), change)
        for host, key, change in (
            *((h, f"tcp/0.0.0.0:{i}", ObjectChange.NEW) for i, h in enumerate(hosts)),
            ("web1", "tcp/0.0.0.0:1", ObjectChange.STILL),
            ("web1", "tcp/0.0.0.0:2", ObjectChange.FIXED),
        )
    )
    return RunAnnotations(drift=Drift("latest", "2025-01-01T00:00:00+00:00", objects))


def test_sample_passes_promtool_and_the_client_parser() -> None:
    families = assert_valid_prometheus(render_prometheus(REPORT))
    assert _value(families, "hardaudit_host_up", host="web1") == 1
    assert _value(families, "hardaudit_host_up", host="db1") == 0
    assert _value(families, "hardaudit_host_score_ratio", host="web1") == pytest.approx(0.111)
    assert _value(families, "hardaudit_host_checks", host="web1", status="fail") == 3
    assert _value(families, "hardaudit_host_failed_checks", host="web1", severity="critical") == 1
    assert _value(families, "hardaudit_host_failed_checks", host="web1", severity="low") == 0
    assert _value(families, "hardaudit_host_failing_objects", host="web1") == 4
    assert _value(families, "hardaudit_hosts", status="unreachable") == 1
    assert _value(families, "hardaudit_run_timestamp_seconds") == 1735787045.0
    assert _value(families, "hardaudit_run_duration_seconds") == 2.5
    info = _value(
        families, "hardaudit_host_info", host="db1", status="hostkey-mismatch", groups="db,prod"
    )
    assert info == 1


def test_names_follow_the_prometheus_conventions() -> None:
    text = render_prometheus(replace(REPORT, annotations=_drifted("web1")))
    families = parse_prometheus(text)
    for name, family in families.items():
        assert name.startswith("hardaudit_")
        assert family.type == "gauge"  # one run per file: nothing accumulates
        assert not name.endswith("_total")  # the docs keep _total for counters
        assert family.documentation
        assert f"# HELP {name} " in text
        assert f"# TYPE {name} gauge" in text
    assert "hardaudit_host_audit_duration_seconds" in families  # units in the name
    assert all(0 <= s.value <= 1 for s in families["hardaudit_host_score_ratio"].samples)


def test_a_host_not_audited_has_up_0_and_no_score_or_check_series() -> None:
    families = parse_prometheus(render_prometheus(REPORT))
    for name in ("hardaudit_host_score_ratio", "hardaudit_host_checks"):
        assert {s.labels["host"] for s in families[name].samples} == {"web1"}
    assert _value(families, "hardaudit_host_audit_duration_seconds", host="cache1") == 0.051


def test_new_findings_come_from_the_drift_and_are_absent_without_one() -> None:
    without = parse_prometheus(render_prometheus(REPORT))
    assert "hardaudit_new_failing_objects" not in without
    assert "hardaudit_host_new_failing_objects" not in without
    text = render_prometheus(replace(REPORT, annotations=_drifted("web1", "web1", "db1")))
    families = assert_valid_prometheus(text)
    assert _value(families, "hardaudit_new_failing_objects") == 3
    assert _value(families, "hardaudit_host_new_failing_objects", host="web1") == 2
    assert _value(families, "hardaudit_host_new_failing_objects", host="db1") == 1
    assert _value(families, "hardaudit_host_new_failing_objects", host="cache1") == 0


HOSTILE = [
    'db"1',
    "db\\1",
    "db\n1 999",
    'x"} 1\nhardaudit_host_up{host="forged"} 1',
    "esc\x1b[31m\x00\x7f\u202e\ud800",
    "# HELP",
    "ünïcødé",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_host_and_group_names_are_escaped_labels(name: str) -> None:
    report = replace(
        REPORT,
        hosts=(replace(WEB1, name=name, groups=(name, "web")), replace(CACHE1, name=name + "2")),
    )
    text = render_prometheus(report)
    text.encode("utf-8")  # no lone surrogate survives
    families = assert_valid_prometheus(text)
    hosts = {s.labels["host"] for s in families["hardaudit_host_up"].samples}
    assert hosts == {printable(name), printable(name + "2")}
    assert "forged" not in {s.labels["host"] for s in families["hardaudit_host_up"].samples}
    info = families["hardaudit_host_info"].samples[0]
    assert info.labels["groups"] == printable(f"{name},web")


def test_two_hosts_printing_alike_do_not_duplicate_a_series() -> None:
    twins = (replace(WEB1, name="a\x1b"), replace(DB1, name="a\\x1b"))
    assert_valid_prometheus(render_prometheus(replace(REPORT, hosts=twins)))


def test_label_value_escapes_backslash_quote_and_newline() -> None:
    assert label_value('a"b\\c') == 'a\\"b\\\\c'
    assert "\n" not in label_value("a\nb")


def test_textfile_is_written_atomically_readable_by_node_exporter(tmp_path: Path) -> None:
    target = tmp_path / "audit.prom"
    previous = os.umask(0o077)  # as `audit run` runs
    try:
        write_textfile(REPORT, target)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == TEXTFILE_MODE == 0o644
    assert target.read_text() == render_prometheus(REPORT)
    assert [p.name for p in tmp_path.iterdir()] == ["audit.prom"]  # no temp file left


def test_textfile_replaces_a_symlink_instead_of_following_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = tmp_path / "audit.prom"
    link.symlink_to(victim)
    write_textfile(REPORT, link)
    assert victim.read_text() == "keep"
    assert not link.is_symlink()
    assert_valid_prometheus(link.read_text())


def test_textfile_in_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot write --prometheus-file"):
        write_textfile(REPORT, tmp_path / "nope" / "audit.prom")


def test_audit_run_writes_the_prometheus_file(tmp_path: Path) -> None:
    prom = tmp_path / "textfile" / "audit.prom"
    prom.parent.mkdir()
    code = main(
        [
            "run",
            "-i",
            str(REPLAY / "inventory.yml"),
            "--replay-dir",
            str(REPLAY / "captures"),
            "--output-dir",
            str(tmp_path / "out"),
            "--prometheus-file",
            str(prom),
            "--format",
            "prometheus",
        ]
    )
    assert code in (1, 3)
    families = assert_valid_prometheus(prom.read_text())
    assert _value(families, "hardaudit_host_up", host="db1") == 1
    assert stat.S_IMODE(prom.stat().st_mode) == 0o644
    assert (tmp_path / "out" / "report.prom").read_text() == prom.read_text()


def test_audit_run_refuses_a_prometheus_file_in_a_missing_directory_before_auditing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "run",
            "-i",
            str(REPLAY / "inventory.yml"),
            "--replay-dir",
            str(REPLAY / "captures"),
            "--output-dir",
            str(tmp_path / "out"),
            "--prometheus-file",
            str(tmp_path / "missing" / "audit.prom"),
        ]
    )
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
