"""diff_reports: per object new / fixed / still / no-longer-judged, hosts and checks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hardaudit.checks.model import CheckResult, FindingObject, Status
from hardaudit.history.drift import diff_reports, with_drift
from hardaudit.model import HostStatus
from hardaudit.report.model import (
    Drift,
    HostChange,
    HostReport,
    ObjectChange,
    RunReport,
    fingerprint,
)

from .drift_runs import SEVERITY, host, result, run

F, P, U, S, W = Status.FAIL, Status.PASS, Status.UNKNOWN, Status.SKIP, Status.WAIVED


def changes(drift: Drift) -> dict[tuple[str, str, str], str]:
    return {(o.host, o.check, o.object.key): o.change.value for o in drift.objects}


def test_one_key_fixed_of_three_is_one_fixed_object() -> None:
    before = run(host("web1", result("file.ssh-privkey", F, "/a", "/b", "/c")))
    after = run(host("web1", result("file.ssh-privkey", F, "/a", "/c")))
    assert changes(diff_reports(before, after, "latest")) == {
        ("web1", "file.ssh-privkey", "/a"): "still-failing",
        ("web1", "file.ssh-privkey", "/b"): "fixed",
        ("web1", "file.ssh-privkey", "/c"): "still-failing",
    }


def test_a_new_port_is_new_and_evidence_text_is_no_change() -> None:
    before = run(host("db1", result("net.exposed-ports", F, "tcp/0.0.0.0:6379")))
    moved = result("net.exposed-ports", F, "tcp/0.0.0.0:6379", "tcp/0.0.0.0:5432")
    after = run(host("db1", CheckResult(**{**moved.__dict__, "evidence": ("other text",)})))
    drift = diff_reports(before, after, "latest")
    assert changes(drift) == {
        ("db1", "net.exposed-ports", "tcp/0.0.0.0:5432"): "new",
        ("db1", "net.exposed-ports", "tcp/0.0.0.0:6379"): "still-failing",
    }
    new = drift.of(ObjectChange.NEW)[0]
    assert new.fingerprint == fingerprint("db1", "net.exposed-ports", "tcp/0.0.0.0:5432")


def test_a_pass_fixes_every_object_of_the_check() -> None:
    before = run(host("web1", result("file.ssh-privkey", F, "/a", "/b")))
    after = run(host("web1", result("file.ssh-privkey", P)))
    assert set(changes(diff_reports(before, after, "x")).values()) == {"fixed"}


def test_unknown_skip_waived_and_missing_results_are_not_fixed() -> None:
    before = run(
        host(
            "web1",
            result("file.ssh-privkey", F, "/a"),
            result("ssh.password-auth", F),
            result("net.exposed-ports", F, "tcp/x"),
            result("ctr.non-root", F, "container:web"),
        )
    )
    after = run(
        host(
            "web1",
            result("file.ssh-privkey", U),
            result("ssh.password-auth", S),
            result("net.exposed-ports", W, waived_from=F),
        )
    )
    assert set(changes(diff_reports(before, after, "x")).values()) == {"no-longer-judged"}


def test_failures_of_a_host_not_audited_or_removed_are_not_fixed() -> None:
    before = run(
        host("web1", result("ssh.password-auth", F)), host("db1", result("ssh.password-auth", F))
    )
    after = run(host("web1", status=HostStatus.UNREACHABLE))
    drift = diff_reports(before, after, "x")
    assert changes(drift) == {
        ("db1", "ssh.password-auth", ""): "no-longer-judged",
        ("web1", "ssh.password-auth", ""): "no-longer-judged",
    }
    assert [(h.host, h.change) for h in drift.hosts] == [
        ("db1", HostChange.REMOVED),
        ("web1", HostChange.NOT_AUDITED),
    ]
    assert drift.hosts[1].before == "ok"
    assert drift.hosts[1].after == "unreachable"


def test_hosts_added_and_back_online_and_their_failures_are_new() -> None:
    before = run(host("web1", status=HostStatus.TIMEOUT))
    after = run(
        host("web1", result("ssh.password-auth", F)), host("new1", result("ctr.non-root", F))
    )
    drift = diff_reports(before, after, "x")
    assert [(h.host, h.change) for h in drift.hosts] == [
        ("new1", HostChange.ADDED),
        ("web1", HostChange.BACK),
    ]
    assert set(changes(drift).values()) == {"new"}


def test_a_check_in_one_run_only_gives_no_new_or_fixed_objects() -> None:
    before = run(
        host("web1", result("file.ssh-privkey", F, "/a")),
        checks=("file.ssh-privkey",),
    )
    after = run(
        host("web1", result("ssh.password-auth", F)),
        checks=("ssh.password-auth",),
    )
    drift = diff_reports(before, after, "x")
    assert drift.objects == ()
    assert drift.checks_added == ("ssh.password-auth",)
    assert drift.checks_removed == ("file.ssh-privkey",)


def test_drift_names_its_baseline() -> None:
    before = run(started_at="2026-11-30T02:00:00+00:00")
    drift = diff_reports(before, run(), "latest~1")
    assert (drift.baseline, drift.baseline_started_at) == ("latest~1", "2026-11-30T02:00:00+00:00")


def test_with_drift_attaches_it_to_the_annotations_only_with_a_baseline() -> None:
    current = run(host("web1", result("ssh.password-auth", F)))
    assert with_drift(current, None, "latest") is current
    attached = with_drift(current, run(), "latest")
    assert attached.annotations.drift == diff_reports(run(), current, "latest")
    assert attached.hosts == current.hosts


# --------------------------------------------------------------------------- properties

HOSTS = ("web1", "db1", "gold")
CHECKS = tuple(sorted(SEVERITY))
KEYS = ("", "/a", "/b", "tcp/0.0.0.0:6379")


@st.composite
def results(draw: st.DrawFn, check: str) -> CheckResult:
    status = draw(st.sampled_from([F, P, U, S, W]))
    keys = draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True)) if status == F else []
    return result(check, status, *keys)


@st.composite
def hosts(draw: st.DrawFn, name: str, run_checks: tuple[str, ...]) -> HostReport:
    status = draw(st.sampled_from([HostStatus.OK, HostStatus.OK, HostStatus.UNREACHABLE]))
    checks = draw(st.lists(st.sampled_from(run_checks), unique=True)) if run_checks else []
    return host(name, *(draw(results(c)) for c in checks), status=status)


@st.composite
def runs(draw: st.DrawFn, checks: tuple[str, ...] | None = None) -> RunReport:
    names = draw(st.lists(st.sampled_from(HOSTS), unique=True))
    chosen = checks if checks is not None else tuple(draw(st.sets(st.sampled_from(CHECKS))))
    chosen = tuple(sorted(chosen))
    return run(*(draw(hosts(n, chosen)) for n in names), checks=chosen)


def _judged_pairs(report: RunReport) -> set[tuple[str, str]]:
    return {
        (h.name, f.check)
        for h in report.hosts
        if h.status == HostStatus.OK
        for f in h.findings
        if f.status in (P, F)
    }


@settings(max_examples=150, deadline=None)
@given(runs())
def test_a_run_compared_with_itself_has_no_change(a: RunReport) -> None:
    drift = diff_reports(a, a, "self")
    assert all(o.change == ObjectChange.STILL for o in drift.objects)
    assert drift.hosts == ()
    assert drift.checks_added == drift.checks_removed == ()


@settings(max_examples=200, deadline=None)
@given(runs(), runs())
def test_new_and_fixed_swap_when_the_runs_swap(a: RunReport, b: RunReport) -> None:
    forward = {o.fingerprint: o.change for o in diff_reports(a, b, "a").objects}
    backward = {o.fingerprint: o.change for o in diff_reports(b, a, "b").objects}
    for fp, change in forward.items():
        if change == ObjectChange.FIXED:
            assert backward[fp] == ObjectChange.NEW
        if change == ObjectChange.STILL:
            assert backward[fp] == ObjectChange.STILL
    for fp, change in backward.items():
        if change == ObjectChange.NEW:
            obj = next(o for o in diff_reports(b, a, "b").objects if o.fingerprint == fp)
            expected = (
                ObjectChange.FIXED
                if (obj.host, obj.check) in _judged_pairs(b)
                else ObjectChange.UNJUDGED
            )
            assert forward[fp] == expected


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_failing_object_of_the_current_run_is_new_or_still(data: st.DataObject) -> None:
    checks = tuple(data.draw(st.sets(st.sampled_from(CHECKS), min_size=1)))
    a, b = data.draw(runs(checks)), data.draw(runs(checks))
    by_fp = {o.fingerprint: o.change for o in diff_reports(a, b, "a").objects}
    for obj in b.failing_objects():
        assert by_fp[obj.fingerprint] in (ObjectChange.NEW, ObjectChange.STILL)
    failing_before = {o.fingerprint for o in a.failing_objects()}
    for fp, change in by_fp.items():
        if change in (ObjectChange.FIXED, ObjectChange.UNJUDGED):
            assert fp in failing_before


def test_objects_keep_a_stable_order() -> None:
    before = run(host("web1", result("file.ssh-privkey", F, "/b")))
    after = run(
        host("db1", result("ssh.password-auth", F)),
        host("web1", result("file.ssh-privkey", F, "/a")),
    )
    keys = [(o.host, o.object.key) for o in diff_reports(before, after, "x").objects]
    assert keys == [("db1", ""), ("web1", "/a"), ("web1", "/b")]
    assert FindingObject("/a") == diff_reports(before, after, "x").objects[1].object


def test_an_object_a_partial_failure_did_not_judge_is_not_fixed() -> None:
    # sshd -T -C failed for the Match context this time: the check still fails globally, and
    # says in its reason that the context was not judged. The context is not "fixed".
    before = run(host("web1", result("ssh.password-auth", F, "", "match:User bob")))
    partial = CheckResult(
        **{
            **result("ssh.password-auth", F, "").__dict__,
            "reason": "also not judged: Match User bob (sshd -T -C user=bob failed)",
        }
    )
    after = run(host("web1", partial))
    assert changes(diff_reports(before, after, "latest")) == {
        ("web1", "ssh.password-auth", ""): "still-failing",
        ("web1", "ssh.password-auth", "match:User bob"): "no-longer-judged",
    }


def test_an_object_left_out_of_a_capped_failure_is_not_fixed() -> None:
    from hardaudit.checks.evaluators import MAX_OBJECTS

    keys = [f"/srv/w/{i:05d}" for i in range(1, MAX_OBJECTS + 2)]
    before = run(host("web1", result("file.ssh-privkey", F, *keys[:MAX_OBJECTS])))
    # One more bad file sorts first: the finding names the first MAX_OBJECTS, the last is cut.
    after = run(
        host("web1", result("file.ssh-privkey", F, "/srv/w/00000", *keys[: MAX_OBJECTS - 1]))
    )
    drift = changes(diff_reports(before, after, "latest"))
    assert drift[("web1", "file.ssh-privkey", keys[MAX_OBJECTS - 1])] == "no-longer-judged"
    assert "fixed" not in drift.values()
