"""The facts script's processes function, the wrapper and the user-fact lines, run for real.

`processes` runs under dash (and BusyBox sh) with /proc re-rooted under a temporary tree;
the wrapper and user facts run as the script builds them, with their time caps shortened.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.checks.model import Status
from hardaudit.facts.model import FirewallState, ListeningSocket
from hardaudit.facts.parsers.system import parse_processes
from hardaudit.facts.script import SUDO_CHECK_TIMEOUT_S, UserFact, build_script

from ..checks.factories import facts
from .test_services_script import PRELUDE, SHELLS, _function

NONCE = "NONCE"
CHECKS = {c.id: c for c in load_checks()}
NO_FIREWALL = FirewallState("nftables", True, True, True, True, ("policy drop",))
AS_ROOT = os.geteuid() == 0 and shutil.which("setpriv") is not None


def run_processes(proc: Path, shell: list[str]) -> tuple[str, int, str]:
    body = _function("processes").replace("/proc/", f"{proc}/").replace("/etc/", f"{proc}/etc/")
    program = f"N='@@{NONCE}'\n{PRELUDE}\n{body}processes\n"
    done = subprocess.run(
        [*shell, "-c", program], capture_output=True, text=True, check=False, timeout=60
    )
    return done.stdout, done.returncode, done.stderr


def fake_proc(
    root: Path,
    pids: dict[str, str],
    uids: dict[str, int] | None = None,
    argv: dict[str, bytes] | None = None,
    nspid: dict[str, str] | None = None,
) -> Path:
    """/proc/<pid>/{comm,status,cmdline}; every process is root's unless `uids` says, and in
    the PID namespace of PID 1 (NSpid: one pid) unless `nspid` gives its NSpid values."""
    for pid, comm in pids.items():
        (root / pid).mkdir(parents=True)
        (root / pid / "comm").write_text(comm + "\n")
        uid = (uids or {}).get(pid, 0)
        escaped = comm.replace("\\", "\\\\").replace("\n", "\\n")  # as the kernel does
        (root / pid / "status").write_text(
            f"Name:\t{escaped}\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n"
            f"NStgid:\t{(nspid or {}).get(pid, pid)}\nNSpid:\t{(nspid or {}).get(pid, pid)}\n"
        )
        (root / pid / "cmdline").write_bytes((argv or {}).get(pid, comm.encode() + b"\0"))
    return root


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_processes_lists_names_when_pid_1_is_visible(tmp_path: Path, shell: list[str]) -> None:
    proc = fake_proc(tmp_path / "proc", {"1": "systemd", "42": "sshd", "77": "nginx"})
    out, rc, err = run_processes(proc, shell)
    assert (rc, err) == (0, "")
    assert {"systemd", "sshd", "nginx"} <= set(parse_processes(out).names)


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_users_fail2ban_server_does_not_rate_limit_ssh(tmp_path: Path, shell: list[str]) -> None:
    proc = fake_proc(
        tmp_path / "proc", {"1": "systemd", "42": "sshd", "900": "fail2ban-server"}, {"900": 1000}
    )
    out, rc, err = run_processes(proc, shell)
    assert (rc, err) == (0, "")
    processes = parse_processes(out)
    assert "fail2ban-server" in processes.names
    assert "fail2ban-server" not in processes.root_names
    (result,) = evaluate(
        [CHECKS["ssh.rate-limit"]],
        facts(firewall=NO_FIREWALL, processes=processes),
        {},
    )
    assert result.status == Status.FAIL
    # the same process run by root does prove it
    root_proc = fake_proc(tmp_path / "proc2", {"1": "systemd", "900": "fail2ban-server"})
    (result,) = evaluate(
        [CHECKS["ssh.rate-limit"]],
        facts(
            firewall=NO_FIREWALL,
            processes=parse_processes(run_processes(root_proc, shell)[0]),
        ),
        {},
    )
    assert result.status == Status.PASS


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_containers_root_processes_do_not_count_as_the_hosts(
    tmp_path: Path, shell: list[str]
) -> None:
    # a rootful container (own PID namespace): uid 0 on the host, NSpid lists two pids
    proc = fake_proc(
        tmp_path / "proc",
        {"1": "systemd", "42": "sshd", "900": "fail2ban-server", "901": "dockerd"},
        nspid={"900": "900\t1", "901": "901\t7"},
        argv={"901": b"dockerd\0-H\0tcp://0.0.0.0:2375\0"},
    )
    out, rc, err = run_processes(proc, shell)
    assert (rc, err) == (0, "")
    processes = parse_processes(out)
    assert processes.root_names == frozenset({"systemd", "sshd"})
    assert processes.engine_cmdlines == ()  # a DinD dockerd is not the host's engine
    (result,) = evaluate(
        [CHECKS["ssh.rate-limit"]], facts(firewall=NO_FIREWALL, processes=processes), {}
    )
    assert result.status == Status.FAIL


def _comm(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text() if pid.isdigit() else ""
    except OSError:
        return ""


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare"
)
def test_a_process_in_a_new_pid_namespace_is_not_root_on_the_host(tmp_path: Path) -> None:
    # the reviewer's repro: a copy of sleep named fail2ban-server in its own PID namespace
    fake = tmp_path / "fail2ban-server"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", fake)
    child = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", str(fake), "60"]
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(_comm(pid) == "fail2ban-server\n" for pid in os.listdir("/proc")):
                break
            time.sleep(0.1)
        program = f"N='@@{NONCE}'\n{PRELUDE}\n{_function('processes')}processes\n"
        done = subprocess.run(
            ["sh", "-c", program], capture_output=True, text=True, check=False, timeout=60
        )
    finally:
        child.kill()
        child.wait()
    assert "proc=ns:0 fail2ban-server" in done.stdout.splitlines()
    assert "fail2ban-server" not in parse_processes(done.stdout).root_names


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_argv_newline_of_a_users_dockerd_cannot_forge_tlsverify(
    tmp_path: Path, shell: list[str]
) -> None:
    proc = fake_proc(
        tmp_path / "proc",
        {"1": "systemd", "50": "dockerd", "900": "dockerd"},
        {"900": 1000},
        {
            "50": b"/usr/bin/dockerd\0-H\0tcp://0.0.0.0:4243\0",
            "900": b'dockerd\0x\ndaemon.json: "tlsverify": true\0--tlsverify\0',
        },
    )
    out, rc, err = run_processes(proc, shell)
    assert (rc, err) == (0, "")
    assert all(line.startswith(("proc=", "engine=")) for line in out.splitlines()), out
    processes = parse_processes(out)
    assert processes.daemon_json == ()
    assert processes.engine_cmdlines == ("dockerd /usr/bin/dockerd -H tcp://0.0.0.0:4243",)
    (result,) = evaluate(
        [CHECKS["ctr.daemon-tcp"]],
        facts(
            processes=processes,
            containers=(),
            listeners=(ListeningSocket("tcp", "0.0.0.0", 22, "sshd"),),
        ),
        {},
    )
    assert result.status == Status.FAIL
    assert result.evidence == ("dockerd -H tcp://0.0.0.0:4243 without --tlsverify (all)",)


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_an_argument_holding_tlsverify_is_not_the_tlsverify_flag(
    tmp_path: Path, shell: list[str]
) -> None:
    proc = fake_proc(
        tmp_path / "proc",
        {"1": "systemd", "50": "dockerd"},
        argv={"50": b"dockerd\0-H\0tcp://0.0.0.0:2375\0--label\0note=see --tlsverify docs\0"},
    )
    processes = parse_processes(run_processes(proc, shell)[0])
    (result,) = evaluate(
        [CHECKS["ctr.daemon-tcp"]],
        facts(processes=processes, containers=(), listeners=()),
        {},
    )
    assert result.status == Status.FAIL
    assert result.evidence[0] == "dockerd -H tcp://0.0.0.0:2375 without --tlsverify (all)"
    assert processes.engine_argvs == (
        ("dockerd", "dockerd", "-H", "tcp://0.0.0.0:2375", "--label", "note=see --tlsverify docs"),
    )


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_engine_argv_keeps_every_byte(tmp_path: Path, shell: list[str]) -> None:
    proc = fake_proc(
        tmp_path / "proc",
        {"1": "systemd", "50": "containerd"},
        argv={"50": "containerd\0--config\0/x y\t\u202e\x1b[2J\0".encode() + b"\xff\0"},
    )
    processes = parse_processes(run_processes(proc, shell)[0])
    assert processes.engine_cmdlines == (
        "containerd containerd --config /x y\t\u202e\x1b[2J \\xff",
    )


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_processes_with_hidepid_fail_instead_of_looking_complete(
    tmp_path: Path, shell: list[str]
) -> None:
    # hidepid=2: only the login user's own processes are visible, pid 1 is not
    proc = fake_proc(tmp_path / "proc", {"4242": "sh", "4243": "sshd"})
    out, rc, err = run_processes(proc, shell)
    assert rc != 0
    assert "/proc is mounted with hidepid" in err
    assert out == ""


def test_wrapper_caps_sudo_l() -> None:
    if not AS_ROOT:
        pytest.skip("needs root and setpriv to run the wrapper as a non-root user")
    bindir = Path(tempfile.mkdtemp())  # traversable by the unprivileged user
    bindir.chmod(0o755)
    (bindir / "sudo").write_text("#!/bin/sh\nsleep 30\n")  # a hung LDAP/sssd lookup
    (bindir / "sudo").chmod(0o755)
    wrapper = build_script(become=True, nonce=NONCE).command
    assert f"timeout {SUDO_CHECK_TIMEOUT_S}" in wrapper
    command = wrapper.replace(f"timeout {SUDO_CHECK_TIMEOUT_S}", "timeout 1")
    started = time.monotonic()
    done = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", command],
        input='echo "priv=$HA_PRIV sudo=$HA_SUDO"\n',
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"},
        check=False,
        timeout=20,
    )
    elapsed = time.monotonic() - started
    shutil.rmtree(bindir)
    assert done.stdout == "priv=user sudo=\n"
    assert 0.9 < elapsed < 10  # the fake sudo ran, and was stopped after a second


def test_wrapper_does_not_use_busybox_timeout(tmp_path: Path) -> None:
    if not shutil.which("busybox"):
        pytest.skip("no busybox")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "timeout").symlink_to(shutil.which("busybox") or "busybox")
    probe = build_script(become=True, nonce=NONCE).command
    # the case statement alone: print what the wrapper would prefix sudo with
    case = probe[probe.index("case ") : probe.index("esac;") + 5]
    done = subprocess.run(
        ["sh", "-c", f'{case} echo "[$HA_T]"'],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"},
        check=False,
    )
    assert done.stdout == "[]\n"


def test_user_facts_run_under_the_time_cap(tmp_path: Path) -> None:
    built = build_script(
        become=False, nonce=NONCE, user_facts=[UserFact("user.slow", "sleep 30")], facts={"meta"}
    )
    (line,) = [ln for ln in built.script.splitlines() if ln.startswith("run user.")]
    assert line.startswith("run user.slow 262144 tmo sh -c ")
    script = built.script.replace("timeout 20 ", "timeout 1 ")
    started = time.monotonic()
    done = subprocess.run(
        ["sh", "-s"], input=script, capture_output=True, text=True, check=False, timeout=20
    )
    assert f"@@{NONCE} END user.slow rc=124" in done.stdout
    assert time.monotonic() - started < 10
