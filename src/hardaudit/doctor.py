"""`audit doctor`: per host, every hop's reachability, host key and authentication, then
whether `sudo -n` works for each command the facts script needs, and which tools exist.
Prints what to fix. Read-only like the audit itself."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence

from hardaudit.errors import ConnectError
from hardaudit.exitcodes import ExitStatus
from hardaudit.facts.script import (
    ROOT_COMMANDS,
    ROOT_HELPER,
    ROOT_PATH,
    SCRIPT_TEMPLATE,
    SUDO_CHECK_TIMEOUT_S,
    TOOLS,
    is_sudoers_regex,
    old_sudo_hint,
    root_helper_cksum,
)
from hardaudit.inventory.model import Host
from hardaudit.printable import short_reason, target_text

MAX_LISTED = 50  # refused commands shown; the script asks about fewer, a hostile host more
DOCTOR_TOOLS = ("ss", "nft", "iptables-save", "docker", "sshd", "stat", "find", "timeout", "sudo")


def doctor_script() -> str:
    """A tiny read-only script: identity, sudo per root command, tools."""
    lines = [
        f"PATH={ROOT_PATH}:$PATH; export LC_ALL=C",
        'echo "uid=$(id -u) user=$(id -un)"',
    ]
    # A hung name service must not hang the doctor: `sudo -n -l` gets a cap where a `timeout`
    # other than BusyBox's (which adds a second per call) exists, as in the audit's wrapper.
    lines.append(
        'case $(readlink -f "$(command -v timeout 2>/dev/null)" 2>/dev/null </dev/null) in'
        f' ""|*busybox*) T= ;; *) T="timeout {SUDO_CHECK_TIMEOUT_S}" ;; esac'
    )
    for cmd in ROOT_COMMANDS:
        label = shlex.quote(cmd.command)
        # By program name, like the script: sudo resolves the path (/usr/sbin/ss on RHEL,
        # /bin/grep without merged /usr) and matches it against the sudoers lines. A program
        # that is not installed is not asked about (its facts are absent, not refused).
        lines.append(
            f"if command -v {cmd.program} >/dev/null 2>&1; then"
            f" if $T sudo -n -l {cmd.probe_line} >/dev/null 2>&1 </dev/null;"
            f" then echo cmd=ok {label}; else echo cmd=no {label}; fi; fi"
        )
    lines[3:3] = [
        # sudo's version (before 1.9.10 no regexes in sudoers) and, when `sudo -n -l` fails,
        # its first complaint (a sudoers syntax error says which file and line)
        'if command -v sudo >/dev/null 2>&1; then echo "sudo_version=$($T sudo -V 2>/dev/null'
        ' </dev/null | head -n 1)"; fi',
        'if E=$($T sudo -n -l 2>&1 >/dev/null </dev/null); then echo "sudo=yes"; else echo "sudo=no";'
        ' printf "sudo_error=%s\\n" "$(printf "%s\\n" "$E" | head -n 1)"; fi',
    ]
    # The root helper (optional): installed (its cksum), root's alone (the facts script's own
    # helper_safe), and allowed by sudoers
    safe = SCRIPT_TEMPLATE.split("\nhelper_safe() {", 1)[1].split("\n}\n", 1)[0]
    lines.extend(
        [
            "_nl='\n'",
            "helper_safe() {" + safe.replace("__HELPER__", ROOT_HELPER) + "\n}",
            f'if [ -f {ROOT_HELPER} ]; then echo "helper_cksum=$(cksum <{ROOT_HELPER})"; '
            "helper_safe || echo helper=unsafe; fi",
            f"if $T sudo -n -l {ROOT_HELPER} sshd_t >/dev/null 2>&1 </dev/null; then "
            "echo helper=allowed; fi",
        ]
    )
    tools = " ".join(t for t in TOOLS if t in DOCTOR_TOOLS)
    lines.append(f'for t in {tools}; do command -v "$t" >/dev/null 2>&1 && echo "tool=$t"; done')
    return "\n".join(lines) + "\n"


def _stderr_log(line: str) -> None:
    print(short_reason(line, limit=1000), file=sys.stderr, flush=True)


def _check_host(host: Host, args: argparse.Namespace) -> tuple[bool, list[str]]:
    if host.error:  # invalid inventory settings: never contacted
        return False, [f"  BAD inventory: {short_reason(host.error)}"]
    from hardaudit.transport.local import LocalTransport
    from hardaudit.transport.ssh import SshTransport

    out: list[str] = []
    transport = SshTransport(
        known_hosts_files=list(args.known_hosts),
        connect_timeout=args.connect_timeout,
        banner_timeout=args.connect_timeout,
        auth_timeout=args.connect_timeout,
        log=_stderr_log if args.verbose else None,
    )
    local = LocalTransport()
    healthy = True
    try:
        if host.connection != "local":
            for hop in transport.probe(host):
                ok = hop.reachable and hop.hostkey == "ok" and hop.auth == "ok"
                healthy = healthy and ok
                out.append(
                    f"  {'ok ' if ok else 'BAD'} {short_reason(hop.hop_label)}: "
                    f"reachable={'yes' if hop.reachable else 'no'}"
                    f" hostkey={short_reason(hop.hostkey)} {short_reason(hop.fingerprint)}"
                    f" auth={short_reason(hop.auth)}"
                    + (f" key={short_reason(hop.key)}" if hop.key else "")
                    + (f" -- {short_reason(hop.detail)}" if hop.detail and not ok else "")
                )
                if hop.hostkey == "unknown":
                    out.append(
                        "      fix: verify the fingerprint out of band, then add it to known_hosts "
                        "(or run once with --accept-new)"
                    )
                elif hop.hostkey == "mismatch":
                    out.append(
                        "      fix: the host key CHANGED: find out why before replacing the known_hosts line"
                    )
                elif hop.reachable and hop.auth == "failed":
                    out.append(
                        "      fix: install the auditor's public key in authorized_keys, or load the key in ssh-agent"
                    )
            if not healthy:
                return False, out
        chosen = local if host.connection == "local" else transport
        try:
            result = chosen.execute(host, "/bin/sh -s", doctor_script().encode(), args.host_timeout)
        except ConnectError as exc:
            out.append(f"  BAD exec: {short_reason(exc.status)}: {short_reason(exc.message)}")
            return False, out
        out.extend(diagnose_output(result.stdout, become=host.become))
        return True, out
    finally:
        transport.close()


def _helper_state(lines: Sequence[str]) -> str:
    """The root helper's state, from the doctor script's `helper_*` lines."""
    cksum = next((x[13:] for x in lines if x.startswith("helper_cksum=")), None)
    allowed = "helper=allowed" in lines
    if cksum is None:
        if allowed:
            return (
                f"sudoers allows it but {ROOT_HELPER} does not exist: install `audit root-helper`"
            )
        return (
            "not installed (optional: `audit root-helper` and `audit sudoers --root-helper` "
            "make the audit one sudo call instead of one per command)"
        )
    if "helper=unsafe" in lines:
        return (
            f"{ROOT_HELPER} or a directory above it is not root's, is writable by others or is a "
            "symbolic link: not used (it would run as root); reinstall it where only root writes"
        )
    if cksum != root_helper_cksum():
        return (
            f"{ROOT_HELPER} is another version's (cksum {short_reason(cksum, 24)}): reinstall "
            "`audit root-helper`'s output; until then one sudo per command"
        )
    if not allowed:
        return "installed, but sudoers does not allow it: add `audit sudoers --root-helper`'s line"
    return "installed and allowed: one sudo call gathers every root-only fact"


def diagnose_output(stdout: bytes, *, become: bool) -> list[str]:
    """What the doctor script's output says, as lines to print.

    Every value the target sent (identity, tools, refused commands) is shown through
    `short_reason` (escaped and capped): a hostile host must not drive the operator's
    terminal, forge a line or flood the screen from here either.
    """
    lines = target_text(stdout).splitlines()
    ident = next((line for line in lines if line.startswith("uid=")), "uid=?")
    root = ident.startswith("uid=0 ")
    sudo = "sudo=yes" in lines
    tools = [line[5:] for line in lines if line.startswith("tool=")]
    sudo_version = next((x[13:] for x in lines if x.startswith("sudo_version=")), "")
    sudo_error = next((x[11:] for x in lines if x.startswith("sudo_error=")), "")
    hint = old_sudo_hint(sudo_version)
    missing = [t for t in DOCTOR_TOOLS if t not in tools]
    out = [
        f"  identity: {short_reason(ident)}; privilege: "
        f"{'root' if root else ('sudo -n' if sudo else 'none')}"
    ]
    if not root:
        denied = [line[7:] for line in lines if line.startswith("cmd=no ")]
        if not become:
            out.append(
                "  become is off: root-only facts (sshd -T, firewall, docker, other users' ~/.ssh) "
                "will be unknown; set ansible_become: true and install the sudoers file"
            )
        elif denied:
            out.append(f"  sudo -n refused for {len(denied)} command(s); they will be unknown:")
            out.extend(f"      {short_reason(d)}" for d in denied[:MAX_LISTED])
            if len(denied) > MAX_LISTED:
                out.append(f"      ... and {len(denied) - MAX_LISTED} more")
            if not sudo and sudo_error:
                out.append(f"      sudo says: {short_reason(sudo_error)}")
            regex_denied = any(is_sudoers_regex(d) for d in denied)
            if hint and (regex_denied or not sudo):
                out.append(f"      fix: {hint}")
            else:
                out.append(
                    "      fix: install the file printed by `audit sudoers` as "
                    "/etc/sudoers.d/hardaudit"
                )
        else:
            out.append("  sudo -n allowed for every command the facts script needs")
    if not root and become:
        out.append(f"  root helper: {_helper_state(lines)}")
    if sudo_version:
        out.append(
            f"  sudo: {short_reason(sudo_version)}"
            + ("; sudoers regexes unsupported (before 1.9.10)" if hint else "")
        )
    out.append(
        f"  tools: {short_reason(' '.join(tools)) or 'none'}"
        + (f"; missing: {' '.join(missing)}" if missing else "")
    )
    return out


def run_doctor(hosts: Sequence[Host], args: argparse.Namespace) -> ExitStatus:
    """Print a diagnosis per host; exit 3 when some host cannot be audited."""
    all_ok = True
    for host in hosts:
        ok, lines = _check_host(host, args)
        all_ok = all_ok and ok
        chain = " -> ".join(
            [*(h.label for h in host.jump), f"{host.user or ''}@{host.address}:{host.port}"]
        )
        where = short_reason(chain) if host.connection != "local" else "local"
        print(f"{short_reason(host.name)} ({where}): {'ready' if ok else 'NOT READY'}")
        for line in lines:
            print(line)
    return ExitStatus.OK if all_ok else ExitStatus.HOST_ERROR
