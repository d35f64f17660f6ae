"""End to end: profiles select checks, set variables and hand over manual items (issue 10).

Real `audit` runs against the lab with `--profile` and with `audit_profiles` from a second
inventory source layered over lab/inventory.yml (as Ansible merges several -i). Every report
file is checked by its consumer (audit_cli.run_audit). Letters: P pass, F fail, U unknown,
S skip; the hosts' letters are the catalog's (test_catalog_e2e.py) for the same checks,
except where a profile's variable changes the verdict, which is the point.

stack1 is judged against docs/examples/profiles/example-app.yml, the worked example of
docs/writing-profiles.md: a published security checklist turned into a profile.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .audit_cli import AuditRun, run_audit, status_differences
from .conftest import Lab

pytestmark = pytest.mark.lab

MANUAL_NOTE = "not machine-checkable"

# `--profile bastion` on the bastion and on web1, a web host that does not forward TCP.
BASTION_HOSTS = ("bastion", "web1")
# fmt: off
BASTION_EXPECTED = {
    "file.ssh-dir": "PP",
    "file.ssh-privkey": "PP",
    "file.ssh-pubkey": "PP",
    "file.sshd-config": "PP",
    "file.sshd-hostkeys": "PP",
    "fw.container-bypass": "SS",
    "fw.default-deny-in": "FP",
    "fw.enabled": "FP",
    "fw.ipv6-parity": "SP",
    "net.exposed-ports": "PP",
    "ssh.access-list": "FF",
    "ssh.empty-passwords": "PP",
    "ssh.forwarding": "PP",  # web1 fails it without the profile (ssh_allow_forwarding: true)
    "ssh.log-level": "PP",
    "ssh.match-override": "SS",
    "ssh.max-auth-tries": "FF",
    "ssh.password-auth": "PP",
    "ssh.permit-root-login": "PP",
    "ssh.protocol": "PP",
    "ssh.pubkey-auth": "PP",
    "ssh.rate-limit": "FF",
    "ssh.weak-crypto": "FF",
    "ssh.x11-forwarding": "FF",
}

# audit_profiles: [web-public] for group web and svc1 (tests/lab: a second -i), no --profile.
WEB_HOSTS = ("web1", "svc1")
WEB_EXPECTED = {
    "file.env-mode": "PF",
    "fw.container-bypass": "SS",
    "fw.default-deny-in": "PP",
    "fw.enabled": "PP",
    "fw.ipv6-parity": "PP",
    "net.db-exposed": "SF",
    "net.exposed-ports": "PP",  # svc1: redis on 6379 not in [22], but its policy drop closes it
    "ssh.rate-limit": "FF",
    "web.security-headers": "SF",
}

# stack1 with the example-app profile (docs/writing-profiles.md), as helper "stack" built it:
# web on 443, api non-root, a worker that drops root, db + redis internal, 8025 the slip.
STACK_EXPECTED = {
    "ctr.non-root": "P",  # the worker starts as root and drops: uid 1000 in /proc
    "file.env-mode": "P",  # /srv/shop/.env 600
    "file.ssh-dir": "P",
    "file.ssh-privkey": "P",
    "fw.container-bypass": "F",  # only the mail catcher's 8025
    "fw.default-deny-in": "P",
    "fw.enabled": "P",
    "fw.ipv6-parity": "P",
    "net.db-exposed": "P",
    "net.exposed-ports": "F",  # only 8025 (443 is allowed by the profile and the inventory)
    "ssh.rate-limit": "F",
    "svc.redis-auth": "P",
}
# fmt: on

LAYER = """\
# layered over lab/inventory.yml by tests/lab/test_profiles_e2e.py
all:
  children:
    web:
      vars:
        audit_profiles: [web-public]
    services:
      hosts:
        svc1:
          audit_profiles: [web-public]
"""


def _run(lab: Lab, out: Path, *args: str) -> AuditRun:
    return run_audit(
        "run", "-i", str(lab.inventory), "--no-history", "-q", *args, out_dir=out, cwd=lab.repo
    )


@pytest.fixture(scope="module")
def bastion_run(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditRun, Path]:
    out = tmp_path_factory.mktemp("profile-bastion")
    run = _run(
        lab, out / "report", "-l", "bastion,web1", "--profile", "bastion", "--format", "junit"
    )
    return run, out


@pytest.fixture(scope="module")
def web_run(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditRun, Path]:
    out = tmp_path_factory.mktemp("profile-web")
    layer = out / "layer.yml"
    layer.write_text(LAYER)
    run = _run(
        lab,
        out / "report",
        "-i",
        str(layer),
        "-l",
        "web1,svc1",
        "--format",
        "sarif",
        "--prometheus-file",
        str(out / "audit.prom"),
    )
    return run, out


def test_a_run_profile_selects_its_checks_and_sets_its_variable(
    bastion_run: tuple[AuditRun, Path],
) -> None:
    run, _ = bastion_run
    assert run.exit_code == 1, run.stderr
    (profile,) = run.report["profiles"]
    assert profile["name"] == "bastion"
    assert run.report["run"]["checks"] == profile["checks"]
    for host in BASTION_HOSTS:
        assert run.host(host)["status"] == "ok", run.host(host)
        assert run.host(host)["profiles"] == ["bastion"]
        assert sorted(run.statuses(host)) == sorted(BASTION_EXPECTED)
    differences = status_differences(run, BASTION_HOSTS, BASTION_EXPECTED)
    assert not differences, differences
    # the bastion's inventory sets the same value: nothing to note
    assert not any("ssh_allow_forwarding" in n for n in run.host("bastion")["notes"])


def test_the_junit_file_lists_each_hosts_manual_items_as_skipped(
    bastion_run: tuple[AuditRun, Path],
) -> None:
    _, out = bastion_run
    text = (out / "report" / "report.junit.xml").read_text()
    for host in BASTION_HOSTS:
        for item in ("mfa-admins", "session-logging", "no-private-keys-stored"):
            assert f'classname="hardaudit.{host}" name="manual:bastion/{item}"' in text
    assert text.count(f'<skipped message="{MANUAL_NOTE}: ') == 6


def test_inventory_profiles_apply_per_host_and_inventory_values_win(
    web_run: tuple[AuditRun, Path],
) -> None:
    run, _ = web_run
    assert run.exit_code == 1, run.stderr
    differences = status_differences(run, WEB_HOSTS, WEB_EXPECTED)
    assert not differences, differences
    note = "allowed_ports: the inventory's [22] is used, not profile web-public's [22, 443]"
    for host in WEB_HOSTS:
        assert run.host(host)["profiles"] == ["web-public"]
        assert note in run.host(host)["notes"]
    # the profile's web_required_headers (HSTS added) is what svc1 is judged against
    headers = " ".join(run.finding("svc1", "web.security-headers")["evidence"])
    assert "Strict-Transport-Security" in headers, headers
    exposed = " ".join(run.finding("svc1", "net.exposed-ports")["evidence"])
    assert "not in allowed_ports [22]" in exposed, exposed


def test_sarif_and_prometheus_carry_the_manual_items(web_run: tuple[AuditRun, Path]) -> None:
    import json

    from tests.consumers import assert_valid_prometheus

    _, out = web_run
    sarif = json.loads((out / "report" / "report.sarif").read_text())
    notes = [
        n
        for n in sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        if n["level"] == "note"
    ]
    assert sorted((n["properties"]["host"], n["descriptor"]["id"]) for n in notes) == sorted(
        (host, f"manual/web-public/{item}")
        for host in WEB_HOSTS
        for item in ("ssh-admin-network-only", "tls-certificate-renewal")
    )
    families = assert_valid_prometheus((out / "audit.prom").read_text())
    samples = {
        (s.labels["host"], s.labels["profile"]): s.value
        for s in families["hardaudit_host_manual_items"].samples
    }
    assert samples == {("web1", "web-public"): 2, ("svc1", "web-public"): 2}


def test_the_checklist_profile_on_the_compose_stack(
    lab: Lab, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path_factory.mktemp("profile-stack")
    run = _run(
        lab,
        out / "report",
        "-l",
        "stack1",
        "--profiles-dir",
        str(lab.repo / "docs" / "examples" / "profiles"),
        "--profile",
        "example-app",
        "--format",
        "html",
    )
    if run.host("stack1")["status"] != "ok":
        pytest.skip(f"stack1 is not up in this lab: {run.host('stack1')['reason']}")
    differences = status_differences(run, ("stack1",), STACK_EXPECTED)
    assert not differences, differences
    assert run.exit_code == 1, run.stderr
    assert run.host("stack1")["profiles"] == ["example-app"]
    exposed = [o["key"] for o in run.finding("stack1", "net.exposed-ports").get("objects", [])]
    assert exposed, run.finding("stack1", "net.exposed-ports")
    assert all(key.endswith(":8025") for key in exposed), exposed
    (profile,) = run.report["profiles"]
    assert [m["id"] for m in profile["manual"]] == [
        "ssh-allow-listed-ips",
        "redis-password-in-container",
    ]
    html = (out / "report" / "report.html").read_text()
    assert "<code>ssh-allow-listed-ips</code>" in html
    assert "    MANUAL ssh-allow-listed-ips: SSH (22) accepts" in run.stdout
