"""How the command line treats inventories: several -i, and hosts with invalid settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hardaudit.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CAPTURES = FIXTURES / "replay" / "captures"
MULTI = FIXTURES / "inventory" / "multi"


def _inventory(tmp_path: Path) -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text(
        "all:\n"
        "  vars:\n"
        "    ansible_become: true\n"
        "  hosts:\n"
        "    db1:\n"
        "    gold:\n"
        "    broken:\n"
        "      ansible_port: twenty-two\n"
    )
    return path


def _run(tmp_path: Path, *extra: str) -> tuple[int, dict[str, dict[str, object]]]:
    out = tmp_path / "out"
    code = main(
        [
            "run",
            "-i",
            str(_inventory(tmp_path)),
            "--replay-dir",
            str(CAPTURES),
            "--output-dir",
            str(out),
            "--format",
            "json",
            *extra,
        ]
    )
    report = json.loads((out / "report.json").read_text())
    return code, {host["name"]: host for host in report["hosts"]}


def test_host_with_invalid_setting_is_an_error_and_the_rest_are_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, hosts = _run(tmp_path)
    assert code == 3
    assert (hosts["broken"]["status"], hosts["broken"]["reason"]) == (
        "error",
        f"{tmp_path}/hosts.yml:8:7: hosts.broken.ansible_port: invalid ansible_port"
        " 'twenty-two' for host broken: expected an integer port 1..65535",
    )
    assert hosts["db1"]["status"] == hosts["gold"]["status"] == "ok"
    capsys.readouterr()


def test_limit_to_other_hosts_does_not_select_the_invalid_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, hosts = _run(tmp_path, "--limit", "gold")
    assert list(hosts) == ["gold"]
    assert hosts["gold"]["status"] == "ok"
    assert code in (0, 1)  # gold's own findings decide; not 2 or 3
    capsys.readouterr()


def test_repeated_dash_i_merges_sources_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["inventory", "list", "-i", str(MULTI / "a/hosts.ini"), "-i", str(MULTI / "b/hosts.yml")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "from-a-web@web1:2299" in out
    assert "from-b@db1:2000" in out
    assert "from-a-web@web2:2299" in out


def test_inventory_list_shows_why_a_host_cannot_be_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", "list", "-i", str(_inventory(tmp_path))]) == 0
    assert "error: " in capsys.readouterr().out


def test_doctor_reports_the_invalid_host_without_contacting_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["doctor", "-i", str(_inventory(tmp_path)), "--limit", "broken"])
    out = capsys.readouterr().out
    assert code == 3
    assert "  BAD inventory: " in out
    assert "invalid ansible_port 'twenty-two'" in out


def test_unparseable_inventory_still_stops_the_run_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text("all:\n  hosts:\n    web1:\n      ansible_user: 'unclosed\n")
    code = main(["run", "-i", str(path), "--replay-dir", str(CAPTURES)])
    assert code == 2
    assert f"{path}:5:1: YAML syntax error" in capsys.readouterr().err


def test_group_vars_date_python_cannot_build_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "hosts.yml").write_text("all:\n  hosts:\n    web1:\n")
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text("---\npatch_window: 2024-02-30\n")
    code = main(["inventory", "list", "-i", str(tmp_path / "hosts.yml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "all.yml:2:" in err
    assert "day is out of range" in err
    assert "Traceback" not in err
