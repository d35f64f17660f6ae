"""`--fail-on` and `--allow-unreachable`: every combination and its exit code (README table)."""

from __future__ import annotations

import pytest

from hardaudit.checks.model import Severity, Status
from hardaudit.errors import UsageError
from hardaudit.exitcodes import (
    ExitStatus,
    FailOn,
    GateFailure,
    gate_status,
    parse_fail_on,
    require_baseline,
    run_exit_status,
)
from hardaudit.history.drift import with_drift
from hardaudit.model import HostStatus

from .history.drift_runs import host, result, run

SPECS = (
    "any", "new", "critical", "high", "medium", "low",
    "new,critical", "new,high", "new,medium", "new,low",
)  # fmt: skip
OLD, NEW = False, True
C, H, M, L, INFO = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO

# Failing objects of a run -> expected exit code for each of SPECS, in order.
# Written out by hand (not computed): this is the README's table.
FLEETS: dict[str, tuple[tuple[GateFailure, ...], str]] = {
    "nothing fails": ((), "0000000000"),
    "old info": ((GateFailure(INFO, OLD),), "1000000000"),
    "new info": ((GateFailure(INFO, NEW),), "1100000000"),
    "old low": ((GateFailure(L, OLD),), "1000010000"),
    "new low": ((GateFailure(L, NEW),), "1100010001"),
    "old medium": ((GateFailure(M, OLD),), "1000110000"),
    "new medium": ((GateFailure(M, NEW),), "1100110011"),
    "old high": ((GateFailure(H, OLD),), "1001110000"),
    "new high": ((GateFailure(H, NEW),), "1101110111"),
    "old critical": ((GateFailure(C, OLD),), "1011110000"),
    "new critical": ((GateFailure(C, NEW),), "1111111111"),
    "old critical, new medium": ((GateFailure(C, OLD), GateFailure(M, NEW)), "1111110011"),
}

CASES = [
    pytest.param(
        fleet, spec, unreachable, allow, id=f"{fleet}|{spec}|unreach={unreachable}|allow={allow}"
    )
    for fleet in FLEETS
    for spec in SPECS
    for unreachable in (False, True)
    for allow in (False, True)
]


@pytest.mark.parametrize(("fleet", "spec", "unreachable", "allow"), CASES)
def test_exit_code_of_every_fail_on_combination(
    fleet: str, spec: str, unreachable: bool, allow: bool
) -> None:
    failures, codes = FLEETS[fleet]
    expected = int(codes[SPECS.index(spec)])
    if unreachable and not allow:
        expected = 3  # hosts not audited win, whatever the gate
    status = gate_status(
        failures,
        any_host_not_audited=unreachable,
        fail_on=parse_fail_on(spec),
        allow_unreachable=allow,
    )
    assert status == expected


def test_the_default_gate_is_todays_behaviour() -> None:
    assert parse_fail_on("any") == FailOn()
    assert gate_status([GateFailure(INFO, OLD)], any_host_not_audited=False, fail_on=FailOn()) == 1
    assert gate_status([], any_host_not_audited=True, fail_on=FailOn()) == ExitStatus.HOST_ERROR


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("news", "unknown word 'news'"),
        ("high,low", "one severity floor"),
        ("any,new", "`any` cannot be combined"),
        ("", "unknown word ''"),
        ("info", "unknown word 'info'"),
    ],
)
def test_bad_fail_on_says_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fail_on(text)


def test_fail_on_words_are_case_and_order_free() -> None:
    assert parse_fail_on(" HIGH , new") == FailOn(new_only=True, floor=H)
    assert parse_fail_on("new,high").text == "new,high"


def test_fail_on_new_without_a_baseline_is_a_usage_error_saying_how_to_fix() -> None:
    with pytest.raises(UsageError) as caught:
        require_baseline(parse_fail_on("new,high"), has_baseline=False)
    assert "--baseline latest" in str(caught.value)
    require_baseline(parse_fail_on("new"), has_baseline=True)
    require_baseline(parse_fail_on("high"), has_baseline=False)


F = Status.FAIL


def test_a_run_gate_counts_new_objects_from_its_drift() -> None:
    baseline = run(host("web1", result("file.ssh-privkey", F, "/a")))
    same = with_drift(baseline, baseline, "latest")
    worse = with_drift(
        run(host("web1", result("file.ssh-privkey", F, "/a", "/b"))), baseline, "latest"
    )
    new = parse_fail_on("new")
    assert run_exit_status(same, new, allow_unreachable=False) == ExitStatus.OK
    assert run_exit_status(worse, new, allow_unreachable=False) == ExitStatus.CHECKS_FAILED
    assert run_exit_status(same, FailOn(), allow_unreachable=False) == ExitStatus.CHECKS_FAILED


def test_waived_and_unknown_results_never_fail_a_gate() -> None:
    report = run(
        host(
            "web1",
            result("net.exposed-ports", Status.WAIVED, waived_from=F),
            result("ssh.password-auth", Status.UNKNOWN),
            result("ctr.non-root", Status.WAIVED, waived_from=Status.UNKNOWN),
        )
    )
    for spec in SPECS:
        drifted = with_drift(report, run(), "latest")
        assert run_exit_status(drifted, parse_fail_on(spec), allow_unreachable=False) == 0


def test_allow_unreachable_lets_a_run_with_a_host_down_pass() -> None:
    report = run(host("web1"), host("db1", status=HostStatus.AUTH_FAILED))
    assert run_exit_status(report, FailOn(), allow_unreachable=False) == ExitStatus.HOST_ERROR
    assert run_exit_status(report, FailOn(), allow_unreachable=True) == ExitStatus.OK
