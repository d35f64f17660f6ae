"""hardaudit's ssh.weak-crypto against ssh-audit, algorithm by algorithm, on every lab host.

Not a test: a script that needs a running lab (see bench/README.md, "ssh-audit comparison").

1. `audit run -i lab/inventory.yml --checks ssh.weak-crypto` (or `--report` an existing
   report.json): hardaudit's verdict, one object `<kind>:<algorithm>` per weak algorithm.
2. For every host audited (status ok), ssh-audit (PyPI `ssh-audit`, the `bench` extra) over a
   loopback tunnel: `ssh -F .lab/ssh_config -N -L 127.0.0.1:PORT:HOST:22` through the host's
   jump chain (from the report), so ssh-audit itself only ever talks to 127.0.0.1. A host
   reached without a jump host must have a loopback address; anything else is refused.
3. Each algorithm ssh-audit sees (kex, host key, cipher, MAC) is compared with hardaudit's
   verdict; the lists ssh-audit cannot see from the network (public key, CA signature,
   host-based algorithms, host key algorithms with no key behind them) are listed as
   hardaudit-only. Every difference must match a documented policy choice in POLICIES
   (docs/ssh-audit-comparison.md explains each); one that does not is UNEXPLAINED and the
   script exits 1.

Writes bench/results/<name>.json (raw ssh-audit JSON and hardaudit's finding per host, and
the rows) and <name>.md (the table). The pure part (`parse_ssh_audit`, `compare`) is unit
tested on a captured ssh-audit JSON (tests/unit/test_ssh_audit_compare.py).
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHECK = "ssh.weak-crypto"
MAX_JSON = 4_000_000  # ssh-audit's JSON of one host: a few kB; what a target sends is hostile

# ssh-audit's JSON sections -> hardaudit's object kinds (checks/rules/ssh.py _ALGORITHM_KINDS).
SECTIONS = {"kex": "kex", "key": "hostkey-algorithm", "enc": "cipher", "mac": "mac"}
# Pseudo-algorithms that only announce a protocol feature (RFC 8308 extensions, strict kex).
PSEUDO = ("ext-info-*", "kex-strict-*")
# hardaudit object kinds that ssh-audit cannot see from the network.
HIDDEN_KINDS = {
    "pubkey-algorithm": "user key signature algorithms are only seen by a client that logs in",
    "ca-algorithm": "CA signature algorithms are only used to verify certificates",
    "hostbased-algorithm": "host-based authentication happens after the key exchange",
    "gss-kex": "GSSAPI key exchange is only offered with Kerberos credentials configured",
}

# ssh-audit's verdict of one algorithm: "fail", "warn" or "ok" (info notes only).
FAIL, WARN, OK = "fail", "warn", "ok"
# hardaudit's: "weak" (an object of the failed check), "ok" (judged, not weak), "unknown"
# (the check could not decide on this host), "not-judged" (check skipped/absent).
WEAK, UNKNOWN = "weak", "unknown"


@dataclass(frozen=True)
class Policy:
    """A documented place where the verdicts differ on purpose (docs/ssh-audit-comparison.md)."""

    anchor: str  # the section of docs/ssh-audit-comparison.md
    kind: str
    pattern: str  # fnmatch on the algorithm name
    ssh_audit: tuple[str, ...]  # ssh-audit verdicts it covers
    hardaudit: str  # hardaudit's verdict it covers
    why: str


POLICIES = (
    Policy("nist-curves", "kex", "ecdh-sha2-nistp*", (FAIL,), OK,
           "NIST P-curves: FIPS 186-5 / SP 800-56A approved, no known weakness; not failed"),
    Policy("nist-curves", "hostkey-algorithm", "ecdsa-sha2-nistp*", (FAIL,), OK,
           "NIST P-curves: FIPS 186-5 approved ECDSA; not failed"),
    Policy("nist-curves", "hostkey-algorithm", "sk-ecdsa-sha2-nistp256*", (FAIL,), OK,
           "NIST P-256 (FIDO security keys only offer it); not failed"),
    Policy("group14-sha256", "kex", "diffie-hellman-group14-sha256", (WARN,), OK,
           "2048-bit group (112-bit strength): allowed by NIST SP 800-131A, CIS; not failed"),
    Policy("post-quantum", "kex", "*", (WARN,), OK,
           "classical key exchange without a post-quantum hybrid: not failed (yet)"),
    Policy("encrypt-and-mac", "mac", "*", (WARN,), OK,
           "encrypt-and-MAC SHA-2/UMAC-128: no practical attack with CTR/GCM/ChaCha20; not failed"),
    Policy("cbc", "cipher", "*-cbc*", (WARN,), WEAK,
           "CBC mode: hardaudit fails it, ssh-audit only warns (3DES it fails too)"),
    Policy("umac-64", "mac", "umac-64*", (WARN,), WEAK,
           "64-bit tag: hardaudit fails it, ssh-audit only warns"),
    Policy("configured-not-offered", "hostkey-algorithm", "*", ("absent",), WEAK,
           "in sshd's HostKeyAlgorithms but no key of that type: accepted, not offered today"),
    *(
        Policy("hidden-lists", kind, "*", ("absent",), WEAK, why)
        for kind, why in HIDDEN_KINDS.items()
    ),
    Policy("host-key-files", "hostkey", "*", ("absent",), WEAK,
           "a DSA host key file: ssh-audit names its algorithm (ssh-dss), hardaudit the file too"),
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One algorithm as ssh-audit reports it."""

    kind: str
    algorithm: str
    verdict: str  # FAIL, WARN or OK
    notes: tuple[str, ...]  # its fail and warn notes
    keysize: int = 0  # RSA host key or DH group exchange modulus size, when ssh-audit gives one


@dataclass(frozen=True)
class Row:
    """One algorithm on one host, both verdicts, and the policy that explains a difference."""

    host: str
    kind: str
    algorithm: str
    ssh_audit: str  # FAIL, WARN, OK, or "absent" (ssh-audit does not see it)
    hardaudit: str  # WEAK, OK, UNKNOWN, "not-judged"
    agree: bool
    policy: str  # the anchor of the policy, "" when they agree, "UNEXPLAINED" when none fits
    notes: tuple[str, ...] = ()


def parse_ssh_audit(data: Mapping[str, Any]) -> list[Finding]:
    """Every algorithm of an `ssh-audit -j` result with its verdict (pseudo-algorithms left out).

    The verdict is the worst level among the algorithm's notes: `fail` if ssh-audit gives any
    fail note, `warn` if any warn note, else `ok` (info notes such as "available since
    OpenSSH 6.5" are not a judgement).
    """
    found = []
    for section, kind in SECTIONS.items():
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise ValueError(f"ssh-audit JSON: {section!r} is not a list")
        for entry in entries:
            name = str(entry["algorithm"])
            if kind == "kex" and any(fnmatch.fnmatchcase(name, p) for p in PSEUDO):
                continue
            notes = entry.get("notes") or {}
            fails = tuple(str(n) for n in notes.get("fail") or ())
            warns = tuple(str(n) for n in notes.get("warn") or ())
            verdict = FAIL if fails else WARN if warns else OK
            size = entry.get("keysize", 0)
            found.append(Finding(kind, name, verdict, fails + warns, int(size or 0)))
    return found


def hardaudit_verdicts(finding: Mapping[str, Any] | None) -> tuple[str, set[str]]:
    """(the check's status on the host, the object keys it names weak) from report.json."""
    if finding is None:
        return "absent", set()
    keys = {str(obj["key"]) for obj in finding.get("objects") or ()}
    return str(finding["status"]), keys


def _policy(kind: str, algorithm: str, ssh_audit: str, hardaudit: str) -> str:
    for policy in POLICIES:
        if (
            policy.kind == kind
            and fnmatch.fnmatchcase(algorithm, policy.pattern)
            and ssh_audit in policy.ssh_audit
            and policy.hardaudit == hardaudit
        ):
            return policy.anchor
    return "UNEXPLAINED"


def _agree(ssh_audit: str, hardaudit: str) -> bool:
    return (ssh_audit == FAIL and hardaudit == WEAK) or (ssh_audit == OK and hardaudit == OK)


def compare(
    host: str, ssh_audit: Mapping[str, Any], finding: Mapping[str, Any] | None
) -> list[Row]:
    """Rows for one host: every algorithm ssh-audit sees, then hardaudit's weak objects that
    ssh-audit cannot see. A check that failed names each weak algorithm; one that passed
    judged them all fine; unknown/skip/absent leaves every algorithm undecided."""
    status, weak = hardaudit_verdicts(finding)
    rows = []
    seen = set()
    for item in parse_ssh_audit(ssh_audit):
        key = f"{item.kind}:{item.algorithm}"
        seen.add(key)
        if status in ("pass", "fail"):
            mine = WEAK if key in weak else OK
        else:
            mine = UNKNOWN if status == "unknown" else "not-judged"
        agree = _agree(item.verdict, mine)
        policy = (
            ""
            if agree or mine in (UNKNOWN, "not-judged")
            else _policy(item.kind, item.algorithm, item.verdict, mine)
        )
        notes = item.notes + ((f"{item.keysize}-bit",) if item.keysize else ())
        rows.append(Row(host, item.kind, item.algorithm, item.verdict, mine, agree, policy, notes))
    for key in sorted(weak - seen, key=lambda k: (k.split(":", 1)[0], k)):
        kind, _, algorithm = key.partition(":")
        policy = _policy(kind, algorithm, "absent", WEAK)
        rows.append(Row(host, kind, algorithm, "absent", WEAK, False, policy))
    return rows


# --- the lab run ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def _split_hop(hop: str) -> tuple[str, str, int]:
    """("auditor", "127.0.0.1", 42201) of the report's `auditor@127.0.0.1:42201`."""
    user, _, rest = hop.rpartition("@")
    host, _, port = rest.rpartition(":")
    return user, host.strip("[]"), int(port)


@contextlib.contextmanager
def loopback_target(
    host: Mapping[str, Any], ssh_config: Path, timeout: float = 20
) -> Iterator[tuple[str, int]]:
    """(127.0.0.1, port) that reaches `host`'s sshd: itself when it is on loopback, else an
    `ssh -L` tunnel from 127.0.0.1 through its jump chain."""
    jumps = [str(j) for j in host.get("jump") or ()]
    address, port = str(host["address"]), int(host["port"])
    if not jumps:
        if not _is_loopback(address):
            raise SystemExit(f"{host['name']}: {address} is not loopback and has no jump host")
        yield address, port
        return
    user, last, last_port = _split_hop(jumps[-1])
    local = _free_port()
    argv = ["ssh", "-F", str(ssh_config), "-N", "-o", "ExitOnForwardFailure=yes",
            "-L", f"127.0.0.1:{local}:{address}:{port}", "-p", str(last_port), f"{user}@{last}"]  # fmt: skip
    if jumps[:-1]:
        argv[1:1] = ["-J", ",".join(jumps[:-1])]
    tunnel = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if tunnel.poll() is not None:
                err = tunnel.stderr.read() if tunnel.stderr else ""
                raise RuntimeError(f"tunnel to {host['name']} exited: {err.strip()[:500]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", local), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"tunnel to {host['name']}: no listener after {timeout}s")
            time.sleep(0.1)
        yield "127.0.0.1", local
    finally:
        tunnel.terminate()
        try:
            tunnel.wait(5)
        except subprocess.TimeoutExpired:
            tunnel.kill()
            tunnel.wait()


def run_ssh_audit(address: str, port: int) -> dict[str, Any]:
    """`ssh-audit -j` of one sshd (exit status 0-3 all carry a result; 4+ is an error)."""
    exe = shutil.which("ssh-audit", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if exe is None:
        raise SystemExit("ssh-audit not found: .venv/bin/pip install -e '.[bench]'")
    argv = [exe, "-j", "--skip-rate-test", "-t", "15", "-p", str(port), address]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
    if len(done.stdout) > MAX_JSON:
        raise RuntimeError(f"ssh-audit printed {len(done.stdout)} characters (cap {MAX_JSON})")
    if done.returncode > 3 or not done.stdout.strip():
        raise RuntimeError(f"ssh-audit exit {done.returncode}: {done.stderr.strip()[:500]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def audit_report(inventory: Path, out: Path) -> dict[str, Any]:
    argv = [str(BIN / "audit"), "run", "-i", str(inventory), "--checks", CHECK, "-q",
            "--output-dir", str(out), "--format", "json"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    report = out / "report.json"
    if not report.exists():
        raise SystemExit(f"audit run wrote no report (exit {done.returncode}): {done.stderr}")
    data: dict[str, Any] = json.loads(report.read_text())
    return data


def ssh_audit_version() -> str:
    exe = shutil.which("ssh-audit", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if exe is None:
        return "not installed"
    done = subprocess.run([exe, "-h"], capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("# ssh-audit"):
            return line.lstrip("# ").split(",")[0]
    return "unknown"


_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._+-=:/ ,;()>")


def md(text: object, cap: int = 200) -> str:
    """A target-supplied string safe in a Markdown table cell and a terminal: every character
    outside a small set (so no `|`, backquote, control or bidi character) as \\xNN, capped."""
    out = "".join(c if c in _SAFE else f"\\x{ord(c):02x}" for c in str(text)[:cap])
    return out + ("..." if len(str(text)) > cap else "")


def _summary_table(summary: Mapping[str, Any], rows: Sequence[Row]) -> list[str]:
    """The counts, then how many rows each policy explains (a section of the docs each)."""
    if not summary:
        return []
    lines = [
        f"{summary.get('hosts', 0)} hosts, {summary.get('rows', 0)} algorithm rows:",
        "",
        "| rows | count |",
        "|---|---|",
        f"| agree | {summary.get('agree', 0)} |",
        f"| differ, by a documented policy | {summary.get('policy', 0)} |",
        f"| hardaudit undecided (check unknown) | {summary.get('undecided', 0)} |",
        f"| **unexplained** | {summary.get('unexplained', 0)} |",
    ]
    by_policy: dict[str, int] = {}
    for row in rows:
        if row.policy:
            by_policy[row.policy] = by_policy.get(row.policy, 0) + 1
    if by_policy:
        lines += ["", "| policy (docs section) | rows |", "|---|---|"]
        ranked = sorted(by_policy.items(), key=lambda kv: (-kv[1], kv[0]))
        lines += [f"| {policy} | {count} |" for policy, count in ranked]
    return lines


def markdown(result: Mapping[str, Any], rows: Sequence[Row]) -> str:
    """Hosts, then one line per (kind, algorithm, both verdicts, policy) with its hosts, then
    what hardaudit left undecided (no root: no sshd -T)."""
    grouped: dict[tuple[str, str, str, str, str], list[str]] = {}
    undecided: dict[str, list[str]] = {}
    for row in rows:
        if row.hardaudit in (UNKNOWN, "not-judged"):
            if row.ssh_audit == FAIL:
                undecided.setdefault(row.host, []).append(f"{row.kind}:{row.algorithm}")
            continue
        grouped.setdefault(
            (row.kind, row.algorithm, row.ssh_audit, row.hardaudit, row.policy), []
        ).append(row.host)
    lines = [
        f"# ssh-audit vs hardaudit `{CHECK}` on the lab ({md(result['generated'])})",
        "",
        f"{md(result['ssh_audit_version'])}; hardaudit {md(result['hardaudit_version'])}."
        " Why the verdicts differ: docs/ssh-audit-comparison.md (the policy column is its"
        " section). Written by bench/ssh_audit_compare.py.",
        "",
        *_summary_table(result.get("summary") or {}, rows),
        "",
        "| host | sshd (ssh-audit's banner) | reached from 127.0.0.1 via | hardaudit |",
        "|---|---|---|---|",
    ]
    for name, host in result["hosts"].items():
        banner = (host.get("ssh_audit") or {}).get("banner") or {}
        software = f"{banner.get('software') or ''} {banner.get('comments') or ''}".strip()
        lines.append(f"| {md(name)} | {md(software)} | {md(host['target'])} | {host['status']} |")
    lines += [
        "",
        "| kind | algorithm | ssh-audit | hardaudit | agree | policy | ssh-audit's notes | hosts |",
        "|---|---|---|---|---|---|---|---|",
    ]
    first = {"UNEXPLAINED": 0}
    for (kind, alg, theirs, mine, policy), hosts in sorted(
        grouped.items(), key=lambda kv: (first.get(kv[0][4], 1), kv[0][0], kv[0][1], kv[0][3])
    ):
        notes = next(
            r.notes for r in rows if (r.kind, r.algorithm, r.host) == (kind, alg, hosts[0])
        )
        agree = "yes" if _agree(theirs, mine) else "no"
        lines.append(
            f"| {kind} | `{md(alg)}` | {theirs} | {mine} | {agree} | {policy} | "
            f"{md('; '.join(notes), 400)} | {md(', '.join(sorted(hosts)), 1000)} |"
        )
    if undecided:
        lines += ["", "hardaudit undecided (ssh.weak-crypto unknown: no sshd -T without root);"
                  " what ssh-audit fails there:", ""]  # fmt: skip
        lines += [f"- {md(h)}: {md(', '.join(algs), 1000)}" for h, algs in undecided.items()]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("-i", "--inventory", type=Path, default=REPO / "lab" / "inventory.yml")
    parser.add_argument("--report", type=Path, help="an existing report.json (no audit run)")
    parser.add_argument("--ssh-config", type=Path, default=REPO / ".lab" / "ssh_config")
    parser.add_argument("--out-dir", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--name", default=f"ssh-audit-{datetime.now(UTC):%Y-%m-%d}")
    parser.add_argument("--limit", help="comma-separated host names (default: every host audited)")
    parser.add_argument(
        "--replay",
        type=Path,
        help="a results JSON this script wrote: compare its stored outputs again, no lab",
    )
    args = parser.parse_args(argv)

    hosts: dict[str, Any] = {}
    rows: list[Row] = []
    if args.replay:
        stored = json.loads(args.replay.read_text())
        for name, host in stored["hosts"].items():
            hosts[name] = host
            rows.extend(compare(name, host["ssh_audit"], host["hardaudit"]))
        versions = (stored["ssh_audit_version"], stored["hardaudit_version"])
        return write_results(args, hosts, rows, versions, stored.get("generated", ""))
    with tempfile.TemporaryDirectory(prefix="ssh-audit-compare-") as tmp:
        report = (
            json.loads(args.report.read_text()) if args.report
            else audit_report(args.inventory, Path(tmp) / "run")
        )  # fmt: skip
    wanted = set(args.limit.split(",")) if args.limit else None
    cache: dict[str, dict[str, Any]] = {}  # one ssh-audit per sshd (match1 and match1-nosudo)
    for host in report["hosts"]:
        name = str(host["name"])
        if wanted is not None and name not in wanted:
            continue
        if host["status"] != "ok":
            print(
                f"{name}: not compared, {host['status']}: {host.get('reason', '')}", file=sys.stderr
            )
            continue
        target = " -> ".join([*(host.get("jump") or ()), f"{host['address']}:{host['port']}"])
        if target not in cache:
            with loopback_target(host, args.ssh_config) as (address, port):
                cache[target] = run_ssh_audit(address, port)
            print(f"{name}: ssh-audit via {target}", file=sys.stderr)
        finding = next((f for f in host["findings"] if f["check"] == CHECK), None)
        host_rows = compare(name, cache[target], finding)
        rows.extend(host_rows)
        hosts[name] = {
            "target": target,
            "status": finding["status"] if finding else "absent",
            "hardaudit": finding,
            "ssh_audit": cache[target],
        }
    if not hosts:
        print("no host was audited (status ok): nothing compared", file=sys.stderr)
        return 2
    versions = (ssh_audit_version(), str(report.get("tool", {}).get("version", "")))
    return write_results(args, hosts, rows, versions)


def write_results(
    args: argparse.Namespace,
    hosts: Mapping[str, Any],
    rows: Sequence[Row],
    versions: Sequence[str],
    generated: str = "",
) -> int:
    """<name>.json and <name>.md in --out-dir, the table on stdout; 1 if any row is unexplained."""
    summary = {
        "hosts": len(hosts),
        "rows": len(rows),
        "agree": sum(r.agree for r in rows),
        "policy": sum(bool(r.policy) and r.policy != "UNEXPLAINED" for r in rows),
        "unexplained": sum(r.policy == "UNEXPLAINED" for r in rows),
        "undecided": sum(r.hardaudit in (UNKNOWN, "not-judged") for r in rows),
    }
    result = {
        "generated": generated or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ssh_audit_version": versions[0],
        "hardaudit_version": versions[1],
        "summary": summary,
        "hosts": hosts,
        "rows": [asdict(r) for r in rows],
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out_dir / f"{args.name}.md").write_text(markdown(result, rows))
    print(markdown(result, rows))
    for row in rows:
        if row.policy == "UNEXPLAINED":
            print(f"UNEXPLAINED: {row}", file=sys.stderr)
    return 1 if summary["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())
