"""User checks: the example directory loads, selection by tag/family, command facts judged."""

from pathlib import Path
from types import MappingProxyType

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks, select_checks
from hardaudit.checks.model import Status
from hardaudit.facts.model import Section
from hardaudit.facts.script import UserFact, build_script

from .factories import facts

EXAMPLES = Path(__file__).parents[3] / "docs" / "examples" / "checks"


def _umask_check():  # type: ignore[no-untyped-def]
    (check,) = select_checks(load_checks([EXAMPLES]), ["acme.login-umask"])
    return check


def _judge(text: str, rc: int | None) -> tuple[Status, tuple[str, ...], str]:
    check = _umask_check()
    section = Section(check.command_fact, text, rc)
    (result,) = evaluate(
        [check], facts(sections=MappingProxyType({check.command_fact: section})), {}
    )
    return result.status, result.evidence, result.reason


def test_example_checks_load_and_select_by_tag_and_family() -> None:
    checks = load_checks([EXAMPLES])
    assert [c.id for c in select_checks(checks, tags=["acme"])] == [
        "acme.login-umask",
        "acme.ssh-banner",
    ]
    assert [c.id for c in select_checks(checks, ["acme"])] == [
        "acme.login-umask",
        "acme.ssh-banner",
    ]


def test_command_output_pass_fail_unknown() -> None:
    assert _judge("UMASK\t\t027\n", 0)[0] == Status.PASS
    status, evidence, _ = _judge("UMASK\t\t022\n", 0)
    assert status == Status.FAIL
    assert evidence == ("no output line matches '^\\\\s*UMASK\\\\s+0?27\\\\s*$'",)
    status, _, reason = _judge("", 2)
    assert status == Status.UNKNOWN
    assert "exit status 2" in reason
    assert _judge("", None)[0] == Status.UNKNOWN


def test_user_command_runs_in_the_same_script_as_the_login_user() -> None:
    check = _umask_check()
    script = build_script(
        become=True, nonce="n", user_facts=[UserFact(check.command_fact, check.command)]
    )
    line = [ln for ln in script.script.splitlines() if ln.startswith("run user.")]
    assert line == [
        "run user.acme.login-umask 262144 tmo sh -c 'grep -E '\"'\"'^[[:space:]]*UMASK[[:space:]]'\"'\"' /etc/login.defs'"
    ]
