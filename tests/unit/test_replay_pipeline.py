"""The whole pipeline (CLI -> runner -> replay transport -> parsers -> checks -> reports) on
outputs captured from lab hosts, without any network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hardaudit.cli import main

REPLAY = Path(__file__).parents[1] / "fixtures" / "replay"


def _run(tmp_path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    code = main(
        [
            "run",
            "-i",
            str(REPLAY / "inventory.yml"),
            "--replay-dir",
            str(REPLAY / "captures"),
            "--output-dir",
            str(tmp_path),
            *extra,
        ]
    )
    return code, json.loads((tmp_path / "report.json").read_text())


def _statuses(report: dict[str, object], host: str) -> dict[str, str]:
    hosts = {h["name"]: h for h in report["hosts"]}  # type: ignore[attr-defined]
    return {f["check"]: f["status"] for f in hosts[host]["findings"]}


def test_replayed_run_gives_the_lab_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _run(tmp_path)
    assert code == 3  # `nocapture` has no capture: unreachable, like a dead host
    hosts = {h["name"]: h for h in report["hosts"]}  # type: ignore[attr-defined]
    assert hosts["nocapture"]["status"] == "unreachable"
    gold = _statuses(report, "gold")
    assert set(gold.values()) == {"pass", "skip"}
    db1 = _statuses(report, "db1")
    assert {c for c, s in db1.items() if s == "fail"} == {
        "file.ssh-dir",
        "file.ssh-privkey",
        "net.db-exposed",
        "net.exposed-ports",
        "ssh.access-list",
        "ssh.forwarding",
        "ssh.max-auth-tries",
        "ssh.password-auth",
        "ssh.permit-root-login",
        "ssh.x11-forwarding",
    }
    assert _statuses(report, "dock1")["ctr.non-root"] == "fail"
    assert _statuses(report, "svc1")["svc.redis-auth"] == "fail"
    assert _statuses(report, "match1-nosudo")["ssh.match-override"] == "fail"
    out = capsys.readouterr().out
    assert "nocapture: unreachable" in out


def test_replay_with_a_check_selection_and_every_format(tmp_path: Path) -> None:
    for fmt in ("table", "json", "html", "junit", "sarif"):
        out = tmp_path / fmt
        code, report = _run(
            out, "--checks", "ssh.permit-root-login", "--limit", "db1:gold", "--format", fmt
        )
        assert code == 1
        assert _statuses(report, "db1") == {"ssh.permit-root-login": "fail"}
        assert _statuses(report, "gold") == {"ssh.permit-root-login": "pass"}
        assert len(list(out.iterdir())) == (1 if fmt == "json" else 2)


def test_usage_and_definition_errors_are_exit_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["checks", "show", "no.such-check"]) == 2
    assert "no check with id 'no.such-check'" in capsys.readouterr().err
    assert main(["run", "-i", str(tmp_path / "missing.yml")]) == 2
    err = capsys.readouterr().err
    assert "missing.yml" in err
    assert "Traceback" not in err
    assert (
        main(["run", "--checks-dir", str(tmp_path / "nodir"), "-i", str(REPLAY / "inventory.yml")])
        == 2
    )
    assert "checks directory not found" in capsys.readouterr().err


def test_interrupt_is_exit_130(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr("hardaudit.runner.audit_hosts", interrupted)
    assert _run_code(tmp_path) == 130


def _run_code(tmp_path: Path) -> int:
    return main(
        [
            "run",
            "-i",
            str(REPLAY / "inventory.yml"),
            "--replay-dir",
            str(REPLAY / "captures"),
            "--output-dir",
            str(tmp_path),
        ]
    )


def test_waived_failures_do_not_fail_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(
        "waivers:\n  - check: ssh.permit-root-login\n    hosts: db1\n    reason: CHG-42 console-only host\n"
    )
    code, report = _run(
        tmp_path / "out",
        "--checks",
        "ssh.permit-root-login",
        "--limit",
        "db1:gold",
        "--waivers",
        str(waivers),
    )
    assert code == 0
    (finding,) = next(h for h in report["hosts"] if h["name"] == "db1")["findings"]  # type: ignore[index]
    assert finding["status"] == "waived"
    assert finding["waived_from"] == "fail"
    assert finding["waiver"] == f"CHG-42 console-only host ({waivers}:2)"
    assert (
        "WAIVED (fail)   ssh.permit-root-login: CHG-42 console-only host" in capsys.readouterr().out
    )


def test_bad_budgets_paths_and_empty_inventories_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["run", "-i", str(REPLAY / "inventory.yml"), "--replay-dir", str(REPLAY / "captures")]
    assert main([*base, "--host-timeout", "inf", "--output-dir", str(tmp_path / "a")]) == 2
    assert main([*base, "--forks", "0", "--output-dir", str(tmp_path / "b")]) == 2
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main([*base, "--output-dir", str(blocker / "sub")]) == 2
    assert "cannot write output reports to" in capsys.readouterr().err
    assert (
        main(
            [
                "run",
                "-i",
                str(REPLAY / "inventory.yml"),
                "--replay-dir",
                str(tmp_path / "nope"),
                "--output-dir",
                str(tmp_path / "c"),
            ]
        )
        == 2
    )
    assert "replay directory" in capsys.readouterr().err
    empty = tmp_path / "empty.yml"
    empty.write_text("all:\n  hosts: {}\n")
    assert main(["run", "-i", str(empty), "--output-dir", str(tmp_path / "d")]) == 2
    assert "the inventory has no host" in capsys.readouterr().err


def test_reports_are_private_to_the_owner(tmp_path: Path) -> None:
    _run(tmp_path / "out", "--checks", "ssh.permit-root-login", "--limit", "gold")
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "out" / "report.json").stat().st_mode & 0o777 == 0o600


def test_waiver_records_say_which_waivers_are_active_stale_or_expired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(
        "waivers:\n"
        "  - check: ssh.permit-root-login\n    hosts: db1\n    reason: console-only\n"
        "    owner: ops\n    ticket: CHG-42\n"
        "  - check: ssh.permit-root-login\n    hosts: gold\n    reason: fixed long ago\n"
        "    owner: ops\n"
        "  - check: ssh.*\n    hosts: db1\n    reason: was accepted\n    expires: 2020-01-01\n"
    )
    code, report = _run(
        tmp_path / "out",
        "--checks",
        "ssh.permit-root-login",
        "--limit",
        "db1:gold",
        "--waivers",
        str(waivers),
    )
    assert code == 0
    records = [
        (w["check"], w["hosts"], w["owner"], w["ticket"], w["expires"], w["state"], w["matched"])
        for w in report["waivers"]  # type: ignore[attr-defined]
    ]
    assert records == [
        ("ssh.permit-root-login", "db1", "ops", "CHG-42", None, "active", 1),
        ("ssh.permit-root-login", "gold", "ops", "", None, "stale", 0),
        ("ssh.*", "db1", "", "", "2020-01-01", "expired", 0),
    ]
    captured = capsys.readouterr()
    assert f"{waivers}:11: waiver for ssh.* has no owner" in captured.err
    assert "Waivers: 1 active (1 result(s) waived), 1 stale, 1 expired" in captured.out
    assert f"STALE    ssh.permit-root-login on gold ({waivers}:7)" in captured.out


def test_replayed_findings_name_their_objects(tmp_path: Path) -> None:
    _, report = _run(tmp_path)
    db1 = next(h for h in report["hosts"] if h["name"] == "db1")  # type: ignore[attr-defined]
    objects = {
        f["check"]: [(o["key"], o.get("path", ""), o.get("line", 0)) for o in f["objects"]]
        for f in db1["findings"]
        if f["status"] == "fail"
    }
    assert objects["ssh.password-auth"] == [("", "/etc/ssh/sshd_config.d/50-cloud-init.conf", 1)]
    assert objects["file.ssh-privkey"] == [
        ("/home/app/.ssh/id_ed25519", "/home/app/.ssh/id_ed25519", 0)
    ]
    assert [key for key, _, _ in objects["net.db-exposed"]] == ["tcp/0.0.0.0:6379"]
