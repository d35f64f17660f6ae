import datetime as dt
from pathlib import Path

import pytest

from hardaudit.checks.model import CheckResult, Severity, Status
from hardaudit.checks.waivers import (
    Waiver,
    apply_waivers,
    load_waivers,
    missing_owner_warnings,
    waiver_matches,
)
from hardaudit.errors import CheckDefinitionError

EXAMPLE = Path(__file__).parents[3] / "docs" / "examples" / "waivers.yml"
TODAY = dt.date(2026, 11, 26)


def result(check: str, status: Status) -> CheckResult:
    return CheckResult(check, status, Severity.HIGH, "t", ("evidence",), "why")


def test_example_file_loads_with_sources() -> None:
    waivers = load_waivers(EXAMPLE)
    assert [(w.check, w.hosts, w.expires, w.owner, w.ticket) for w in waivers] == [
        ("ssh.forwarding", "bastions", None, "platform-team", ""),
        ("net.*", "db1", dt.date(2027, 3, 31), "dba-team", "CHG-1234"),
    ]
    assert waivers[0].source == f"{EXAMPLE}:8"
    assert missing_owner_warnings(waivers) == ()


def test_a_waiver_without_reason_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text("waivers:\n  - check: ssh.*\n    hosts: all\n  - check: x\n    reason: ''\n")
    with pytest.raises(CheckDefinitionError) as err:
        load_waivers(path)
    assert str(err.value).startswith(f"{path}:2: waivers[0].reason: a waiver without a reason")


def test_bad_expiry_and_unknown_field(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text("waivers:\n  - check: a.b\n    reason: r\n    expires: soon\n")
    with pytest.raises(CheckDefinitionError, match="expires: must be a date"):
        load_waivers(path)
    path.write_text("waivers:\n  - check: a.b\n    reason: r\n    approver: me\n")
    with pytest.raises(CheckDefinitionError, match=r"waivers\[0\].approver: unknown field"):
        load_waivers(path)


def test_owner_and_ticket_are_read_and_a_ticket_number_is_text(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text(
        "waivers:\n  - check: a.b\n    reason: r\n    owner: ' ops '\n    ticket: 1234\n"
    )
    (waiver,) = load_waivers(path)
    assert (waiver.owner, waiver.ticket) == ("ops", "1234")


@pytest.mark.parametrize(
    ("entry", "field"),
    [("owner: [a, b]", "owner"), ("ticket: {id: 1}", "ticket"), ("ticket: yes", "ticket")],
)
def test_an_owner_or_ticket_that_is_not_text_is_an_error_with_file_and_line(
    tmp_path: Path, entry: str, field: str
) -> None:
    path = tmp_path / "w.yml"
    path.write_text(
        f"waivers:\n  - check: a.b\n    reason: r\n  - check: c.d\n    reason: r\n    {entry}\n"
    )
    with pytest.raises(CheckDefinitionError) as err:
        load_waivers(path)
    assert str(err.value).startswith(f"{path}:4: waivers[1].{field}: must be")


def test_a_waiver_without_owner_loads_with_a_warning_naming_file_and_line(tmp_path: Path) -> None:
    # files written before `owner` existed keep working: a warning, not a stopped nightly run
    path = tmp_path / "w.yml"
    path.write_text(
        "waivers:\n  - check: a.b\n    reason: r\n    owner: ops\n  - check: c.*\n    reason: r\n"
    )
    waivers = load_waivers(path)
    assert [w.owner for w in waivers] == ["ops", ""]
    assert missing_owner_warnings(waivers) == (
        f"{path}:5: waiver for c.* has no owner: add `owner: NAME` (who answers for it)",
    )


def _apply(
    results: list[CheckResult], waivers: tuple[Waiver, ...], host: str = "db1"
) -> tuple[tuple[CheckResult, ...], tuple[str, ...]]:
    return apply_waivers(results, host, waivers, lambda w: frozenset({"db1"}), TODAY)


def test_fail_and_unknown_are_waived_pass_is_untouched() -> None:
    waiver = Waiver("net.*", "db1", "CHG-1", None, "w.yml:3")
    out, notes = _apply(
        [
            result("net.db-exposed", Status.FAIL),
            result("net.exposed-ports", Status.UNKNOWN),
            result("net.other", Status.PASS),
            result("ssh.x", Status.FAIL),
        ],
        (waiver,),
    )
    assert [(r.status, r.waived_from) for r in out] == [
        (Status.WAIVED, Status.FAIL),
        (Status.WAIVED, Status.UNKNOWN),
        (Status.PASS, None),
        (Status.FAIL, None),
    ]
    assert out[0].waiver_reason == "CHG-1 (w.yml:3)"
    assert out[0].evidence == ("evidence",)
    assert notes == ()


def test_expired_waiver_no_longer_applies_and_says_so() -> None:
    waiver = Waiver("net.*", "db1", "CHG-1", dt.date(2026, 1, 1), "w.yml:3")
    out, notes = _apply([result("net.db-exposed", Status.FAIL)], (waiver,))
    assert out[0].status == Status.FAIL
    assert notes == ("waiver for net.db-exposed (w.yml:3) expired on 2026-01-01",)


def test_other_hosts_are_not_waived() -> None:
    waiver = Waiver("net.*", "db1", "CHG-1", None, "w.yml:3")
    out, _ = _apply([result("net.db-exposed", Status.FAIL)], (waiver,), host="web1")
    assert out[0].status == Status.FAIL


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2030-13-01", "invalid value '2030-13-01': month must be in 1..12"),
        ("2030-02-30", "invalid value '2030-02-30'"),
        ("9" * 5000, "(5000 characters)"),
    ],
)
def test_a_value_yaml_cannot_build_is_an_error_with_file_and_line(
    tmp_path: Path, value: str, expected: str
) -> None:
    path = tmp_path / "w.yml"
    path.write_text(f"waivers:\n  - check: a.b\n    reason: r\n    expires: {value}\n")
    with pytest.raises(CheckDefinitionError) as err:
        load_waivers(path)
    assert str(err.value).startswith(f"{path}:4:")
    assert expected in str(err.value)
    assert len(str(err.value)) < 400


def test_deeply_nested_waivers_are_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text("waivers: " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(CheckDefinitionError, match="waivers file"):
        load_waivers(path)


def test_the_cli_exits_2_on_an_invalid_waiver_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hardaudit.cli import main

    (tmp_path / "inv.yml").write_text("all:\n  hosts:\n    web1:\n      ansible_host: 127.0.0.1\n")
    waivers = tmp_path / "w.yml"
    waivers.write_text("waivers:\n  - check: a.b\n    reason: r\n    expires: 2030-13-01\n")
    argv = ["run", "-i", str(tmp_path / "inv.yml"), "--waivers", str(waivers)]
    assert main([*argv, "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{waivers}:4:" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_each_waived_result_is_credited_to_the_waiver_that_waived_it() -> None:
    expired = Waiver("net.*", "db1", "old", dt.date(2026, 1, 1), "w.yml:1")
    first = Waiver("net.*", "db1", "CHG-1", None, "w.yml:3")
    second = Waiver("net.db-exposed", "db1", "CHG-2", None, "w.yml:5")
    unused = Waiver("ssh.*", "db1", "never", None, "w.yml:7")
    waivers = (expired, first, second, unused)
    results = [
        result("net.db-exposed", Status.FAIL),
        result("net.exposed-ports", Status.UNKNOWN),
        result("ssh.x", Status.PASS),
    ]
    waived, _ = _apply(results, waivers)
    counts = waiver_matches(
        waivers, [("db1", waived), ("web1", results)], lambda w: frozenset({"db1"}), TODAY
    )
    assert counts == {0: 0, 1: 2, 2: 0, 3: 0}


def test_an_expiry_with_a_time_of_day_is_refused_not_a_crash_later(tmp_path: Path) -> None:
    # YAML reads `2027-03-31 10:00:00` as a datetime (a date subclass): accepted, it made
    # every run die comparing it with today, and report.json break its schema (YYYY-MM-DD)
    path = tmp_path / "w.yml"
    path.write_text(
        "waivers:\n  - check: ssh.password-auth\n    reason: legacy\n"
        "    expires: 2027-03-31 10:00:00\n"
    )
    with pytest.raises(CheckDefinitionError) as err:
        load_waivers(path)
    assert "waivers[0].expires" in str(err.value)
    assert "YYYY-MM-DD" in str(err.value)
