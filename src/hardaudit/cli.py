"""Command line: argument parsing and wiring only."""

from __future__ import annotations

import argparse
import codecs
import math
import os
import re
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hardaudit import __version__
from hardaudit.errors import AuditError, InventoryError, UsageError
from hardaudit.exitcodes import ExitStatus, FailOn, parse_fail_on, run_exit_status
from hardaudit.printable import printable, short_reason

# Everything else is imported by the command that needs it: `audit --help` and
# `audit checks list` must not pay for paramiko, Jinja2 or the inventory resolver.
if TYPE_CHECKING:
    from hardaudit.checks.model import Check
    from hardaudit.inventory.model import Host, Inventory
    from hardaudit.profiles.resolve import ProfilePlan
    from hardaudit.report.model import HostReport, RunReport
    from hardaudit.shard import ShardSpec
    from hardaudit.transport.base import Transport

# Hosts audited in parallel. Measured (bench/README.md): ~12-16 ms of client CPU per host
# and ~1 MB and 3 fds per fork, while a host keeps its fork ~0.5-1 s waiting on the target;
# 50 forks keep well under one CPU and 200 MB, and on a 2-core machine 1,000 simulated hosts
# took 60 s with 10 forks, 26 s with 25, 22 s with 50 and 19 s with 100 (CPU-bound there).
# runner.RunOptions has the same default (a test pins that they agree).
DEFAULT_FORKS = 50

# The report formats (hardaudit.report.writers.FORMATS; a test pins that they agree).
FORMATS = ("table", "json", "html", "junit", "sarif", "prometheus", "markdown")
DIFF_FORMATS = ("table", "json", "markdown")


def _log(verbose: bool):  # type: ignore[no-untyped-def]
    def emit(line: str) -> None:
        if verbose:  # lines quote host names, banners and fingerprints: escaped
            print(f"[{time.strftime('%H:%M:%S')}] {printable(line)}", file=sys.stderr, flush=True)

    return emit


def _seconds(text: str) -> float:
    """A finite, positive number of seconds (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0 or value > 86400:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a number of seconds greater than 0 and at most 86400"
        )
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return value


def _shard(text: str) -> ShardSpec:
    """`K/N` (argparse type); the message says how to write it."""
    from hardaudit.shard import parse_shard

    try:
        return parse_shard(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fail_on(text: str) -> FailOn:
    """A `--fail-on` value (argparse type)."""
    try:
        return parse_fail_on(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--fail-on: ")) from None


def _sudo_version(text: str) -> tuple[int, int, int]:
    """`1.9.5`, `1.9.5p2` (argparse type) as (1, 9, 5)."""
    from hardaudit.facts.script import parse_sudo_version

    plain = re.fullmatch(r"[0-9]+(\.[0-9]+){1,2}(p[0-9]+)?", text)
    version = parse_sudo_version(text) if plain else None
    if version is None:
        raise argparse.ArgumentTypeError(f"{printable(text)!s} is not a sudo version like 1.9.5")
    return version


def _user_name(text: str) -> str:
    """A POSIX user name (argparse type): it is written into a sudoers file as is."""
    from hardaudit.facts.script import user_name_problem

    problem = user_name_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(printable(problem))
    return text


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-i",
        "--inventory",
        type=Path,
        action="append",
        default=None,
        help="inventory file or directory (default: inventory/); repeat to merge several"
        " sources in order, as in Ansible",
    )
    parser.add_argument(
        "--ssh-config",
        type=Path,
        default=None,
        help="ssh_config file to honour (default: ~/.ssh/config)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log connection steps to stderr"
    )


def _connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--known-hosts",
        type=Path,
        action="append",
        default=[],
        help="extra known_hosts file (repeatable); ~/.ssh/known_hosts is always read",
    )
    parser.add_argument(
        "--accept-new",
        action="store_true",
        help="record unknown host keys in the first --known-hosts file (default "
        "~/.ssh/known_hosts); never replaces a changed key",
    )
    parser.add_argument(
        "--host-timeout", type=_seconds, default=60.0, help="budget per host in seconds"
    )
    parser.add_argument(
        "--connect-timeout", type=_seconds, default=10.0, help="TCP/banner/auth budget per hop"
    )
    parser.add_argument(
        "--forks",
        type=_positive_int,
        default=DEFAULT_FORKS,
        help=f"hosts audited in parallel (default {DEFAULT_FORKS}; see README, Performance)",
    )


def _audit_args(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    _connection(parser)
    parser.add_argument("-l", "--limit", default=None, help="host pattern, e.g. 'web:&prod:!web3'")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table, json and markdown print to stdout; every format is also written to "
        "--output-dir (report.json always)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="where reports go (default reports/<UTC timestamp>/)",
    )
    parser.add_argument(
        "--checks", action="append", default=[], help="check id or glob (repeatable)"
    )
    parser.add_argument(
        "--skip-checks", action="append", default=[], help="check id or glob to skip"
    )
    parser.add_argument(
        "--tags", action="append", default=[], help="only checks with this tag (repeatable)"
    )
    parser.add_argument(
        "--checks-dir",
        type=Path,
        action="append",
        default=[],
        help="directory of your own check YAML files (repeatable)",
    )
    _profile_args(parser)
    parser.add_argument(
        "--waivers",
        type=Path,
        default=None,
        help="YAML file of accepted exceptions (check, hosts, reason, expires)",
    )
    parser.add_argument(
        "--prometheus-file",
        type=Path,
        default=None,
        help="also write the run as Prometheus metrics to this file (atomically, mode 0644), "
        "e.g. in node_exporter's textfile collector directory: /var/lib/node-exporter/audit.prom",
    )
    parser.add_argument(
        "--capture-dir",
        type=Path,
        default=None,
        help="also save each host's raw facts output here (for replay)",
    )
    parser.add_argument(
        "--replay-dir",
        type=Path,
        default=None,
        help="do not connect: replay captured outputs from this directory",
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=None,
        help="run history database to record this run in (default "
        "$XDG_STATE_HOME/hardaudit/history.sqlite, i.e. ~/.local/state/hardaudit/history.sqlite)",
    )
    parser.add_argument(
        "--no-history", action="store_true", help="do not record this run in the history"
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress line on a terminal (the summary line is still printed)",
    )
    _gate_args(parser)


def _profile_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME",
        help="judge every selected host against this profile too (repeatable; hosts add "
        "their inventory's audit_profiles; docs/writing-profiles.md)",
    )
    parser.add_argument(
        "--profiles-dir",
        type=Path,
        action="append",
        default=[],
        help="directory of your own profile YAML files (repeatable)",
    )


def _gate_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--baseline",
        default=None,
        metavar="REF",
        help="compare with this run and show the drift: latest (the previous run in the "
        "history), latest~N, a run id, or a report.json file",
    )
    parser.add_argument(
        "--fail-on",
        type=_fail_on,
        default=FailOn(),
        metavar="WHAT",
        help="which failures give exit 1: any (default), new (needs --baseline), a severity "
        "floor critical|high|medium|low, or new,<floor> (README: Drift and CI gates)",
    )
    parser.add_argument(
        "--allow-unreachable",
        action="store_true",
        help="hosts not audited do not give exit 3 (they still show in every report)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit", description="Agentless, read-only hardening audit over SSH."
    )
    parser.add_argument("--version", action="version", version=f"hardaudit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    host = sub.add_parser("host", help="audit the named hosts, a group or a pattern")
    host.add_argument("names", nargs="*", help="inventory host names")
    host.add_argument("--group", action="append", default=[], help="audit every host of a group")
    _audit_args(host)

    run = sub.add_parser("run", help="audit the whole inventory (optionally --limit)")
    _audit_args(run)
    run.add_argument(
        "--shard",
        type=_shard,
        default=None,
        metavar="K/N",
        help="audit only shard K of N of the selected hosts (stable, balanced, hosts behind "
        "one bastion together); combine the shards' report.json with `audit merge`",
    )

    merge = sub.add_parser(
        "merge",
        help="combine the report.json of every `audit run --shard K/N` into one fleet report",
    )
    merge.add_argument("reports", nargs="+", type=Path, help="the shards' report.json files")
    merge.add_argument(
        "-o", "--output", type=Path, default=None, help="write the merged report.json here"
    )
    merge.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="what to print to stdout (default table)",
    )
    merge.add_argument(
        "-i",
        "--inventory",
        type=Path,
        action="append",
        default=None,
        help="the inventory the shards ran with: hosts then follow its order and must be "
        "the ones it selects (default: hosts sorted by name, not compared)",
    )
    merge.add_argument("-l", "--limit", default=None, help="the --limit the shards ran with")
    merge.add_argument("--ssh-config", type=Path, default=None, help=argparse.SUPPRESS)
    merge_history = merge.add_mutually_exclusive_group()
    merge_history.add_argument(
        "--history",
        type=Path,
        default=None,
        help="record the merged run in this history database (default as audit run)",
    )
    merge_history.add_argument(
        "--no-history", action="store_true", help="do not record the merged run"
    )

    inv = sub.add_parser("inventory", help="inspect the inventory")
    inv_sub = inv.add_subparsers(dest="inventory_command", required=True)
    inv_list = inv_sub.add_parser(
        "list", help="resolved hosts, groups, connection settings and jumps"
    )
    _common(inv_list)
    inv_list.add_argument("-l", "--limit", default=None)

    checks = sub.add_parser("checks", help="list or show check definitions")
    checks_sub = checks.add_subparsers(dest="checks_command", required=True)
    checks_list = checks_sub.add_parser("list", help="every check with id, severity and title")
    checks_list.add_argument("--checks-dir", type=Path, action="append", default=[])
    checks_list.add_argument(
        "--tags", action="append", default=[], help="only checks with this tag"
    )
    checks_docs = checks_sub.add_parser(
        "docs", help="print the catalog as Markdown (docs/checks.md)"
    )
    checks_docs.add_argument("--checks-dir", type=Path, action="append", default=[])
    checks_show = checks_sub.add_parser("show", help="one check in full")
    checks_show.add_argument("id")
    checks_show.add_argument("--checks-dir", type=Path, action="append", default=[])

    doctor = sub.add_parser(
        "doctor", help="can each host be reached, verified, authenticated, audited?"
    )
    _common(doctor)
    _connection(doctor)
    doctor.add_argument("-l", "--limit", default=None)

    history = sub.add_parser(
        "history", help="recorded runs, one host's trend (HOST), or `prune` old runs"
    )
    history.add_argument(
        "target", nargs="?", default=None, metavar="HOST|prune", help="a host, or prune"
    )
    history.add_argument("--host", default=None, help="a host's trend (e.g. a host named prune)")
    history.add_argument(
        "--history", type=Path, default=None, help="the history database (default as audit run)"
    )
    history.add_argument("--last", type=_positive_int, default=20, help="runs shown (default 20)")
    history.add_argument("--format", choices=("table", "json"), default="table")
    history.add_argument(
        "--keep-days",
        type=_positive_int,
        default=None,
        help="with prune: keep the runs of the last N days (default 90)",
    )

    diff = sub.add_parser(
        "diff", help="what changed between two runs: new, fixed and still failing objects"
    )
    diff.add_argument("before", help="baseline: a report.json file or a run ref (latest~1, id)")
    diff.add_argument("after", help="the later run: a report.json file or a run ref (latest)")
    diff.add_argument("--format", choices=DIFF_FORMATS, default="table")
    diff.add_argument("-o", "--output", type=Path, default=None, help="write to FILE, not stdout")
    diff.add_argument(
        "--history", type=Path, default=None, help="history database that run refs name"
    )

    sudoers = sub.add_parser("sudoers", help="print a least-privilege sudoers file for the auditor")
    sudoers.add_argument(
        "--user",
        type=_user_name,
        default="auditor",
        help="the login the auditor uses (a POSIX user name; default auditor)",
    )
    sudoers.add_argument(
        "--sudo-version",
        type=_sudo_version,
        default=None,
        metavar="X.Y.Z",
        help="the targets' sudo (`sudo -V`); before 1.9.10 the file uses no regexes, which "
        "that sudo lacks (default: the regex form, sudo >= 1.9.10)",
    )
    sudoers.add_argument(
        "--app-dir",
        dest="app_dirs",
        action="append",
        default=None,
        metavar="DIR",
        help="with --sudo-version before 1.9.10: an app_dirs directory the .env walk may be "
        "given (repeatable, in the inventory's order; default /srv /opt /var/www /home)",
    )
    sudoers.add_argument(
        "--root-helper",
        action="store_true",
        help="also allow the root helper (`audit root-helper`): one sudo call per audit for "
        "every root-only fact instead of one per command",
    )
    sub.add_parser(
        "root-helper",
        help="print the root helper: install it root-owned, mode 0755, at "
        "/usr/local/libexec/hardaudit/root-facts (see `audit sudoers --root-helper`)",
    )

    report = sub.add_parser(
        "report",
        help="re-render a stored run (a report.json or a history run id) without contacting "
        "any host",
    )
    report.add_argument(
        "run", help="a report.json file, or a run of the history: latest, latest~N, a run id"
    )
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="write to this file (atomically; mode 0600, 0644 for prometheus) instead of stdout",
    )
    report.add_argument(
        "--history", type=Path, default=None, help="history database (default: the documented one)"
    )
    report.add_argument(
        "--checks-dir",
        type=Path,
        action="append",
        default=[],
        help="your own check definitions, for rule texts in html and sarif",
    )

    schema = sub.add_parser(
        "schema", help="print the JSON Schema of report.json or of the diff document"
    )
    schema.add_argument("document", choices=("report", "diff"))

    script = sub.add_parser(
        "script",
        help="print the exact command and facts script a host would be sent (for review)",
    )
    script.add_argument(
        "host", nargs="?", default=None, help="inventory host (default: default variables)"
    )
    _common(script)
    script.add_argument("--checks", action="append", default=[], help="check id or glob")
    script.add_argument("--skip-checks", action="append", default=[], help="check id or glob")
    script.add_argument("--tags", action="append", default=[], help="only checks with this tag")
    script.add_argument("--checks-dir", type=Path, action="append", default=[])
    _profile_args(script)

    profiles = sub.add_parser("profiles", help="list or show profiles (what hardened means)")
    profiles_sub = profiles.add_subparsers(dest="profiles_command", required=True)
    profiles_list = profiles_sub.add_parser("list", help="every profile: name, checks, manual")
    profiles_show = profiles_sub.add_parser("show", help="one profile in full")
    profiles_show.add_argument("name")
    for each in (profiles_list, profiles_show):
        each.add_argument("--profiles-dir", type=Path, action="append", default=[])
        each.add_argument("--checks-dir", type=Path, action="append", default=[])
    return parser


def _inventory_paths(args: argparse.Namespace) -> list[Path]:
    return list(args.inventory or [Path("inventory")])


def _inventory(args: argparse.Namespace) -> Inventory:
    from hardaudit.inventory.loader import load_inventory

    return load_inventory(_inventory_paths(args), ssh_config=args.ssh_config)


def _selected(args: argparse.Namespace, inventory: Inventory) -> tuple[tuple[Host, ...], str]:
    from hardaudit.inventory.patterns import select_group, select_hosts

    if args.command == "host":
        if not args.names and not args.group and not args.limit:
            raise UsageError(
                "name at least one host, --group or --limit", hint="e.g. audit host web1"
            )
        parts = [*args.names, *args.group]
        chosen: list[Host] = []
        for name in args.names:
            chosen.extend(select_hosts(inventory, name))
        for group in args.group:
            chosen.extend(select_group(inventory, group))
        if args.limit:
            limited = {h.name for h in select_hosts(inventory, args.limit)}
            chosen = (
                [h for h in chosen if h.name in limited]
                if parts
                else list(select_hosts(inventory, args.limit))
            )
            parts.append(f"limit {args.limit}")
        seen: set[str] = set()
        unique = [h for h in chosen if not (h.name in seen or seen.add(h.name))]  # type: ignore[func-returns-value]
        if not unique:
            raise UsageError("the selection matches no host", hint="see `audit inventory list`")
        return tuple(unique), " ".join(parts)
    pattern = getattr(args, "limit", None)
    if pattern:
        return select_hosts(inventory, pattern), f"limit {pattern}"
    if not inventory.hosts:  # an empty export must not pass a nightly gate
        raise InventoryError(
            "the inventory has no host",
            file=inventory.source,
            hint="check the inventory file or the dynamic inventory export",
        )
    return inventory.hosts, "all"


def _pattern_hosts(inventory: Inventory, pattern: str) -> frozenset[str]:
    """Host names a waiver's pattern selects; one naming no host here simply applies nowhere
    (a waivers file is often shared by several inventories)."""
    from hardaudit.inventory.patterns import select_hosts

    try:
        return frozenset(h.name for h in select_hosts(inventory, pattern))
    except InventoryError:
        return frozenset()


def _known_hosts(args: argparse.Namespace) -> list[Path]:
    return list(args.known_hosts)


def _transports(args: argparse.Namespace) -> tuple[object, object]:
    from hardaudit.transport.local import LocalTransport
    from hardaudit.transport.ssh import SshTransport

    ssh = SshTransport(
        known_hosts_files=_known_hosts(args),
        accept_new=args.accept_new,
        # New keys go to the first --known-hosts file if given, else ~/.ssh/known_hosts.
        accept_new_file=args.known_hosts[0] if args.known_hosts else None,
        connect_timeout=args.connect_timeout,
        banner_timeout=args.connect_timeout,
        auth_timeout=args.connect_timeout,
        log=_log(args.verbose),
    )
    return ssh, LocalTransport()


def _inventory_base(args: argparse.Namespace) -> Path:
    """Where relative `audit_checks_dirs` entries start: the first inventory source's
    directory (the inventory layer does not record which file set a variable)."""
    first = _inventory_paths(args)[0]
    return first if first.is_dir() else first.parent


def _host_checks_dirs(host: Host, base: Path) -> tuple[Path, ...]:
    """The host's own `audit_checks_dirs` (a string or a list of strings), as existing
    directories; ValueError says what is wrong with the variable."""
    value = host.vars.get("audit_checks_dirs")
    if value is None:
        return ()
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, (list, tuple)) or not all(
        isinstance(entry, str) and entry.strip() for entry in entries
    ):
        raise ValueError(
            "inventory variable audit_checks_dirs must be a directory or a list of "
            f"directories (non-empty strings), not {short_reason(repr(value), 80)}"
        )
    dirs: list[Path] = []
    for entry in entries:
        path = Path(os.path.expanduser(entry))  # `~nosuchuser/x` stays as written
        path = path if path.is_absolute() else base / path
        try:
            if not path.is_dir():
                raise ValueError(f"audit_checks_dirs: {path} is not a directory")
            path = path.resolve()
        except (OSError, RuntimeError) as exc:
            raise ValueError(f"audit_checks_dirs: cannot use {path}: {exc}") from None
        if path not in dirs:
            dirs.append(path)
    return tuple(dirs)


def _checks(
    args: argparse.Namespace, hosts: Sequence[Host] = ()
) -> tuple[tuple[Check, ...], dict[str, tuple[Check, ...]], tuple[Host, ...]]:
    """The run's selected checks, each host's own share of them, and the hosts."""
    chosen, by_host, out_hosts, _plan = _checks_and_profiles(args, hosts)
    return chosen, by_host, out_hosts


def _checks_and_profiles(
    args: argparse.Namespace, hosts: Sequence[Host] = ()
) -> tuple[tuple[Check, ...], dict[str, tuple[Check, ...]], tuple[Host, ...], ProfilePlan]:
    """The run's selected checks, each host's own share of them, the hosts, their profiles.

    Profiles (profiles/resolve.py) narrow each host's checks to its profiles' and set its
    variables under the inventory's; --checks/--tags/--skip-checks narrow further.

    `--checks-dir` checks apply to every host; a host's `audit_checks_dirs` only to that
    host (their `command:` runs nowhere else). A host whose directories cannot be used
    (wrong type, missing, an invalid check file, an id that means another check on another
    host of this run) is returned with that as its `error`, and the run goes on.
    """
    from dataclasses import replace

    from hardaudit.checks.loader import load_checks, select_checks
    from hardaudit.profiles.resolve import plan_profiles

    common = load_checks(args.checks_dir)
    base = _inventory_base(args)
    loaded: dict[tuple[Path, ...], tuple[Check, ...]] = {(): common}
    union = {c.id: c for c in common}
    available: dict[str, frozenset[str]] = {}
    out_hosts: list[Host] = []
    for host in hosts:
        problem = ""
        try:
            dirs = () if host.error else _host_checks_dirs(host, base)
            if dirs not in loaded:
                loaded[dirs] = load_checks([*args.checks_dir, *dirs])
            own = loaded[dirs]
        except ValueError as exc:
            problem = str(exc)
        except AuditError as exc:
            problem = f"audit_checks_dirs: {exc}"
        else:
            clash = next((c for c in own if union.get(c.id, c) != c), None)
            if clash is not None:
                problem = (
                    f"audit_checks_dirs: check {clash.id} of {clash.source} is not the one "
                    f"other hosts of this run use ({union[clash.id].source})"
                )
            else:
                union.update((c.id, c) for c in own)
                available[host.name] = frozenset(c.id for c in own)
        out_hosts.append(replace(host, error=problem) if problem and not host.error else host)
    everything = tuple(sorted(union.values(), key=lambda c: c.id))
    plan = plan_profiles(
        out_hosts,
        getattr(args, "profile", []),
        getattr(args, "profiles_dir", []),
        common,
        everything,
    )
    chosen = select_checks(everything, args.checks, args.skip_checks, args.tags)
    wanted = plan.run_allows(out_hosts)  # the checks some host's profiles (or none) select
    if wanted is not None:
        chosen = tuple(c for c in chosen if c.id in wanted)
    if not chosen:  # a run that judges nothing must not pass a gate
        raise UsageError(
            "the check selection leaves no check to run (--checks/--tags minus --skip-checks,"
            " within the profiles)",
            hint="see `audit checks list`, `audit profiles show` and narrow --skip-checks",
        )
    by_host = {
        h.name: tuple(
            c
            for c in chosen
            if c.id in available.get(h.name, frozenset()) and plan.allows(h.name, c.id)
        )
        for h in plan.hosts
    }
    return chosen, by_host, plan.hosts, plan


def _shard_of(
    args: argparse.Namespace, hosts: tuple[Host, ...], selection: str
) -> tuple[tuple[Host, ...], str]:
    """This run's shard of the selected hosts (all of them without --shard) and the selection
    its report carries (`audit merge` reads the shard back from it)."""
    spec = getattr(args, "shard", None)
    if spec is None:
        return hosts, selection
    from hardaudit.merge import shard_selection
    from hardaudit.shard import shard_hosts

    return shard_hosts(hosts, spec), shard_selection(selection, spec)


def cmd_audit(args: argparse.Namespace) -> ExitStatus:
    from hardaudit.localfiles import remove_if_empty

    # Reports and captures name users, paths and firewall rules: owner only.
    previous = os.umask(0o077)
    created: list[Path] = []
    try:
        return _audit(args, created)
    finally:
        remove_if_empty(created)
        os.umask(previous)


def _check_prometheus_file(path: Path | None) -> None:
    """Refuse a --prometheus-file that cannot be written before any host is contacted."""
    if path is None:
        return
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir() or not directory.is_dir():
        raise UsageError(
            f"--prometheus-file {path}: "
            + ("is a directory" if path.is_dir() else f"directory {directory} does not exist"),
            hint="give a file in an existing directory, e.g. node_exporter's textfile directory",
        )


def _audit(args: argparse.Namespace, created: list[Path]) -> ExitStatus:
    from hardaudit.checks.waivers import load_waivers, missing_owner_warnings
    from hardaudit.history.commands import record_run
    from hardaudit.localfiles import prepare_private_dir
    from hardaudit.report.writers import render, write_report
    from hardaudit.runner import RunOptions, audit_hosts, make_report, waiver_records

    inventory = _inventory(args)
    hosts, selection = _selected(args, inventory)
    # Checks first, over every selected host: each shard then runs the same check set.
    checks, host_checks, hosts, plan = _checks_and_profiles(args, hosts)
    unsharded = selection  # a shard's baseline is the merged fleet run
    hosts, selection = _shard_of(args, hosts, selection)
    waivers = load_waivers(args.waivers) if args.waivers else ()
    for warning in missing_owner_warnings(waivers):
        print(f"audit: warning: {printable(warning)}", file=sys.stderr)
    # Resolved before this run is recorded: latest = the previous run of the same audit.
    baseline = _baseline(args, inventory.source, unsharded, checks)
    started_at = datetime.now(UTC)
    # Checked and created before any host is contacted; cmd_audit removes them again if
    # nothing was written (an interrupted or failed run leaves no empty directory).
    out_dir = args.output_dir or Path("reports") / started_at.strftime("%Y%m%dT%H%M%SZ")
    created += prepare_private_dir(out_dir, "output reports", "--output-dir")
    if args.capture_dir is not None:
        created += prepare_private_dir(args.capture_dir, "capture files", "--capture-dir")
    _check_prometheus_file(args.prometheus_file)
    if args.replay_dir is not None and not args.replay_dir.is_dir():
        raise UsageError(
            f"replay directory {args.replay_dir} does not exist",
            hint="pass the --capture-dir of an earlier run",
        )
    started = time.monotonic()
    transports: list[Transport] = []
    if args.replay_dir is not None:
        from hardaudit.transport.replay import ReplayTransport

        replay = ReplayTransport(args.replay_dir)
        transports.append(replay)

        def transport_for(host: Host) -> Transport:
            return replay
    else:
        ssh, local = _transports(args)
        transports += [ssh, local]  # type: ignore[list-item]

        def transport_for(host: Host) -> Transport:
            return local if host.connection == "local" else ssh  # type: ignore[return-value]

    # The progress line: on a terminal only (never in CI logs), not with --quiet, and not
    # with --verbose, whose log lines would tear it apart.
    line = None
    if not args.quiet and not args.verbose and sys.stdout.isatty():
        from hardaudit.progress import ProgressLine

        line = ProgressLine(sys.stdout, len(hosts))
        line.start()

    def progress(report: HostReport) -> None:
        _log(args.verbose)(f"{report.name}: {report.status.value} in {report.duration_s:.2f}s")
        if line is not None:
            line.finished(report.name, report.status.value == "ok")

    def host_started(host: Host) -> None:
        if line is not None:
            line.started(host.name)

    options = RunOptions(
        waivers=waivers,
        waiver_hosts={w.hosts: _pattern_hosts(inventory, w.hosts) for w in waivers},
        forks=args.forks,
        host_timeout=args.host_timeout,
        capture_dir=args.capture_dir,
        host_checks=host_checks,
        host_profiles=plan.host_profiles(),
        host_notes=plan.host_notes(),
    )
    try:
        reports = audit_hosts(
            hosts, checks, transport_for, options, progress, on_start=host_started
        )
    finally:
        if line is not None:
            line.close()
        for transport in transports:
            transport.close()
    report = make_report(
        reports,
        checks,
        inventory=inventory.source,
        selection=selection,
        started_at=started_at,
        duration_s=time.monotonic() - started,
        waivers=waiver_records(reports, options),
        profiles=plan.records(checks, hosts),
    )
    # A replay judges captured (old) output: recorded in the default history it would become
    # `latest` of the nightly runs and bend every first_seen, so only an explicit --history
    # PATH records a replay. A shard's run is recorded once with the others, by `audit merge`.
    replay_unnamed = args.replay_dir is not None and args.history is None
    sharded = getattr(args, "shard", None) is not None
    recorded = not args.no_history and not replay_unnamed and not sharded
    report = record_run(report, args.history, enabled=recorded)
    report = _with_baseline(report, baseline, args.baseline)
    checks_by_id = {c.id: c for c in checks}
    try:
        written = [write_report(report, "json", out_dir)]  # the machine-readable contract
        if args.format != "json":
            written.append(write_report(report, args.format, out_dir, checks_by_id))
    except OSError as exc:
        raise UsageError(f"cannot write the report to {out_dir}: {exc.strerror}") from None
    if args.prometheus_file is not None:
        from hardaudit.report.writers import write_textfile

        written.append(write_textfile(report, args.prometheus_file))
    try:
        if args.format == "json":  # stdout is the JSON document: the summary goes to stderr
            # the file just written, not a second rendering (~10% of a 1,000-host run's CPU),
            # copied in blocks: a 5,000-host document is never whole in memory
            _copy_to_stdout(written[0])
            print(_summary(report, written), file=sys.stderr, flush=True)
        elif args.format == "markdown":  # the summary alone, for >> $GITHUB_STEP_SUMMARY
            sys.stdout.write(render(report, "markdown"))
            sys.stdout.flush()
            print(_summary(report, written), file=sys.stderr, flush=True)
        else:
            sys.stdout.write(render(report, "table"))
            _print_drift(report)
            print(f"\n{_summary(report, written)}")
        sys.stdout.flush()
    except BrokenPipeError:  # `audit run | head`: the exit status still tells the truth
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return run_exit_status(report, args.fail_on, allow_unreachable=args.allow_unreachable)


def _baseline(
    args: argparse.Namespace, inventory: str, selection: str, checks: Sequence[Check]
) -> RunReport | None:
    """The --baseline run (None without one); `--fail-on new` needs one. `latest` is the
    latest run of the same audit (inventory, host selection, check set): an ad-hoc run of
    one host or one check in between must neither trip nor blind the gate."""
    from hardaudit.exitcodes import require_baseline
    from hardaudit.history.refs import load_ref
    from hardaudit.history.store import RunScope

    require_baseline(args.fail_on, args.baseline is not None)
    if args.baseline is None:
        return None
    scope = RunScope(inventory, selection, tuple(c.id for c in checks))
    return load_ref(args.baseline, args.history, scope)


def _with_baseline(report: RunReport, baseline: RunReport | None, ref: str | None) -> RunReport:
    from hardaudit.history.drift import with_drift

    return with_drift(report, baseline, ref or "")


def _print_drift(report: RunReport) -> None:
    if report.annotations.drift is not None:
        from hardaudit.report.diff import render_drift_text

        sys.stdout.write("\n" + render_drift_text(report.annotations.drift))


def cmd_diff(args: argparse.Namespace) -> ExitStatus:
    """`audit diff A B`: the drift from run A to run B (files or history refs)."""
    from hardaudit.history.drift import diff_reports
    from hardaudit.history.refs import load_ref
    from hardaudit.report.diff import render_diff_json, render_diff_markdown, render_drift_text

    before = load_ref(args.before, args.history)
    after = load_ref(args.after, args.history)
    drift = diff_reports(before, after, args.before)
    if args.format == "json":
        text = render_diff_json(drift, before, after, args.before, args.after)
    elif args.format == "markdown":
        text = render_diff_markdown(drift, before, after, args.before, args.after)
    else:
        text = render_drift_text(drift)
    if args.output is None:
        sys.stdout.write(text)
        return ExitStatus.OK
    from hardaudit.localfiles import prepare_private_dir
    from hardaudit.report.writers import write_atomic

    target = args.output
    if not os.path.lexists(target.parent):  # created private; an existing one is left as is
        prepare_private_dir(target.parent, "the diff", "-o")
    write_atomic(target, text.encode("utf-8"), 0o600, "-o")
    return ExitStatus.OK


def cmd_merge(args: argparse.Namespace) -> ExitStatus:
    """`audit merge`: the shards' reports as one run, recorded and rendered like one."""
    from hardaudit.history.commands import record_run
    from hardaudit.merge import ShardReport, merge_reports, split_selection
    from hardaudit.report.load import load_report
    from hardaudit.report.writers import render, render_chunks

    shards = [ShardReport(str(path), load_report(path)) for path in args.reports]
    order = None
    if args.inventory:
        inventory = _inventory(args)
        hosts, _ = _selected(args, inventory)
        order = [h.name for h in hosts]
        base = split_selection(shards[0].report.selection)[0]
        if base != (f"limit {args.limit}" if args.limit else "all"):
            raise UsageError(
                f"{shards[0].source} selected {printable(base[:200])!r}, "
                f"not what -i/--limit select here",
                hint="give the same --limit as the shards",
            )
    report = merge_reports(shards, order)
    if args.output is not None:  # before the history records a run whose report goes nowhere
        _prepare_output(args.output)
    # Recorded and annotated exactly as `audit run` does an unsharded run.
    report = record_run(report, args.history, enabled=not args.no_history)
    # report.json is streamed host by host, never whole in memory (10,000 hosts: 150 MB;
    # built whole it took 1.25 GB peak RSS), and rendered once: stdout copies the file.
    if args.output is not None:
        _write_merged(render_chunks(report, "json"), args.output)
    try:
        if args.format != "json":
            sys.stdout.write(render(report, args.format))
        elif args.output is not None:
            _copy_to_stdout(args.output)
        else:
            _write_to_stdout(render_chunks(report, "json"))
        if args.format == "table":
            where = f"; report: {args.output}" if args.output else ""
            print(
                f"\n{len(report.hosts)} host(s) from {len(shards)} shard(s) "
                f"in {report.duration_s:.1f}s{where}"
            )
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    # audit run's default gate (--fail-on any): 1 for a failed check, 3 for a host not audited.
    return run_exit_status(report, FailOn(), allow_unreachable=False)


_OUTPUT_HINT = "pass -o FILE in a directory of your own that only you can write to"


def _prepare_output(path: Path) -> None:
    """Create the directory of `-o` (0700) when it does not exist; an existing one is used
    as it is (never chmod-ed: `-o fleet.json` names the working directory) and must be
    yours and writable by nobody else, which write_private checks."""
    from hardaudit.localfiles import prepare_private_dir

    if not os.path.lexists(path.parent):
        previous = os.umask(0o077)
        try:
            prepare_private_dir(path.parent, "the merged report", "-o/--output")
        finally:
            os.umask(previous)


def _write_merged(report_json: Iterable[bytes], path: Path) -> None:
    from hardaudit.localfiles import write_private

    try:  # 0600, atomic, never through a symlink
        write_private(path.parent, path.name, report_json)
    except OSError as exc:
        raise UsageError(
            f"cannot write the merged report to {path}: {exc.strerror or exc}", hint=_OUTPUT_HINT
        ) from None


def _summary(report: RunReport, written: Sequence[Path]) -> str:
    """The one line that ends every audit, terminal or not."""
    hosts = report.hosts
    audited = sum(1 for h in hosts if h.status.value == "ok")
    failing = sum(1 for h in hosts if any(f.status.value == "fail" for f in h.findings))
    where = ", ".join(str(path) for path in written)
    return (
        f"{len(hosts)} host(s) in {report.duration_s:.1f}s: {audited} audited "
        f"({failing} with failed checks), {len(hosts) - audited} not audited; reports: {where}"
    )


def cmd_inventory_list(args: argparse.Namespace) -> ExitStatus:
    from tabulate import tabulate

    from hardaudit.inventory.patterns import select_hosts

    inventory = _inventory(args)
    hosts = select_hosts(inventory, args.limit) if args.limit else inventory.hosts
    rows = []
    for host in hosts:
        if host.error:  # an invalid connection variable: `audit run` reports it as error
            row = [host.name, ",".join(host.groups), f"error: {host.error}", "-", "-", "-"]
            rows.append([printable(cell) for cell in row])
            continue
        row = [
            host.name,
            ",".join(host.groups),
            host.as_hop().label if host.connection == "ssh" else "local",
            " -> ".join(h.label for h in host.jump) or "-",
            "sudo -n" if host.become else "-",
            ",".join(host.key_files) or "agent/default",
        ]
        rows.append([printable(cell) for cell in row])  # names come from files anyone may edit
    print(
        tabulate(
            rows,
            headers=["host", "groups", "connect", "jump", "become", "keys"],
            disable_numparse=True,
        )
    )
    return ExitStatus.OK


def simple_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """tabulate's "simple" format for text cells (a test pins that they agree), without
    importing tabulate, which imports importlib.metadata: ~50 ms of `audit checks list`.
    As tabulate does: cells stripped, a column at least 2 wider than its header, two spaces
    between columns, no trailing spaces."""
    table = [[str(cell).strip() for cell in row] for row in [headers, *rows]]
    widths = [
        max([len(column[0]) + 2, *(len(cell) for cell in column[1:])])
        for column in zip(*table, strict=True)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(table[0]), line(["-" * w for w in widths]), *map(line, table[1:])])


def cmd_checks(args: argparse.Namespace) -> ExitStatus:
    from hardaudit.checks.docs import render_catalog_markdown, render_check_text
    from hardaudit.checks.loader import load_checks, select_checks

    checks = load_checks(args.checks_dir)
    if args.checks_command == "list":
        chosen = select_checks(checks, [], [], args.tags)
        # Check files may come from directories an inventory names (audit_checks_dirs).
        rows = [
            [printable(c.id), c.severity.label, printable(",".join(c.tags)), printable(c.title)]
            for c in chosen
        ]
        print(simple_table(rows, ["id", "severity", "tags", "title"]))
        return ExitStatus.OK
    if args.checks_command == "docs":
        sys.stdout.write(render_catalog_markdown(checks))
        return ExitStatus.OK
    found = [c for c in checks if c.id == args.id]
    if not found:
        raise UsageError(f"no check with id {args.id!r}", hint="see `audit checks list`")
    print("\n".join(printable(line) for line in render_check_text(found[0]).split("\n")))
    return ExitStatus.OK


def cmd_profiles(args: argparse.Namespace) -> ExitStatus:
    """`audit profiles list|show NAME`: what each profile selects, sets and leaves to people."""
    from hardaudit.checks.loader import load_checks
    from hardaudit.profiles.loader import find_profiles, load_profiles
    from hardaudit.profiles.text import render_profile_text, render_profiles_table

    checks = load_checks(args.checks_dir)
    profiles = load_profiles(args.profiles_dir, checks)
    if args.profiles_command == "list":
        text = render_profiles_table(profiles.values(), checks)
    else:
        (profile,) = find_profiles([args.name], profiles, "audit profiles show")
        text = render_profile_text(profile, checks)
    print("\n".join(printable(line) for line in text.split("\n")))  # files anyone may edit
    return ExitStatus.OK


def cmd_doctor(args: argparse.Namespace) -> ExitStatus:
    from hardaudit.doctor import run_doctor

    inventory = _inventory(args)
    hosts, _ = _selected(args, inventory)
    return run_doctor(hosts, args)


def cmd_history(args: argparse.Namespace) -> ExitStatus:
    from hardaudit.history.commands import history_command

    if args.host is not None and args.target is not None:
        raise UsageError(
            f"give a host as {args.target!r} or as --host, not both",
            hint="audit history HOST, audit history --host HOST, or audit history prune",
        )
    prune = args.target == "prune"
    host = args.host or (None if prune else args.target)
    sys.stdout.write(
        history_command(
            args.history,
            host,
            prune=prune,
            keep_days=args.keep_days,
            last=args.last,
            fmt=args.format,
        )
    )
    return ExitStatus.OK


def cmd_sudoers(args: argparse.Namespace) -> ExitStatus:
    from hardaudit.facts.script import sudo_has_regex, sudoers_example

    if args.app_dirs and (sudo_has_regex(args.sudo_version) or len(args.app_dirs) > 8):
        print(
            "audit sudoers: --app-dir (at most 8) is for --sudo-version before 1.9.10 only: "
            "the regex form admits any app directory",
            file=sys.stderr,
        )
        return ExitStatus.USAGE_ERROR
    if args.app_dirs and not all(
        re.fullmatch(r"/[^\s\\#]*", d) and d.isascii() and d.isprintable() for d in args.app_dirs
    ):
        print(
            "audit sudoers: --app-dir takes absolute paths without a space, backslash or '#'",
            file=sys.stderr,
        )
        return ExitStatus.USAGE_ERROR
    sys.stdout.write(
        sudoers_example(args.user, args.sudo_version, args.app_dirs, root_helper=args.root_helper)
    )
    return ExitStatus.OK


def cmd_root_helper() -> ExitStatus:
    from hardaudit.facts.script import root_helper_text

    sys.stdout.write(root_helper_text())
    return ExitStatus.OK


NONCE_PLACEHOLDER = "__NONCE__"


def cmd_script(args: argparse.Namespace) -> ExitStatus:
    """Print what `audit` would send to one host: the exec'd wrapper, then the stdin script."""
    from hardaudit.facts.script import new_nonce
    from hardaudit.inventory.model import Host
    from hardaudit.inventory.patterns import select_hosts
    from hardaudit.runner import host_script

    if args.host is None:
        host = Host("(any host)", "-", become=True)
        about = "a host with default variables, become on"
    else:
        matches = select_hosts(_inventory(args), args.host)
        if len(matches) != 1:
            names = ", ".join(h.name for h in matches)
            raise UsageError(
                f"{args.host!r} names {len(matches)} hosts ({names})", hint="name one host"
            )
        host = matches[0]
        about = f"host {printable(host.name)}"  # a comment line: a newline must not end it
    nonce = new_nonce()
    _chosen, by_host, (host,) = _checks(args, [host])
    if host.error:  # invalid inventory settings or audit_checks_dirs: it would not be contacted
        raise UsageError(f"{about}: {host.error}", hint="fix the host's variables")
    built = host_script(host, by_host[host.name], nonce)
    print(f"# hardaudit facts script for {about}; {NONCE_PLACEHOLDER} is a random per-run token")
    print("# 1. the one command exec'd on the target (it reads the script from stdin):")
    print(built.command.replace(nonce, NONCE_PLACEHOLDER))
    print("# 2. the script sent on its stdin:")
    sys.stdout.write(built.script.replace(nonce, NONCE_PLACEHOLDER))
    return ExitStatus.OK


def _stored_run(ref: str, history: Path | None) -> RunReport:
    """The run `ref` names: a report.json file, else a run of the history (`latest`,
    `latest~N`, a run id or its unique prefix), with its annotations as of that run."""
    from hardaudit.report.load import load_report

    path = Path(ref)
    if path.is_file():
        return load_report(path)
    try:  # the drift engineer's resolver (history/refs.py), once merged, is the one way
        from hardaudit.history.refs import load_ref  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        pass
    else:
        stored: RunReport = load_ref(ref, history)
        return stored
    from hardaudit.history.store import HistoryDB, default_history_path

    where = history if history is not None else default_history_path()
    if not where.is_file():
        raise UsageError(
            f"{ref!r} is neither a report.json file nor a run of a history "
            f"(there is no history database at {where})",
            hint="give a report.json an `audit run` wrote, or --history PATH",
        )
    with HistoryDB.open(where) as db:
        return db.load_run(db.resolve(ref))


def cmd_report(args: argparse.Namespace) -> ExitStatus:
    """Render a stored run in any format: what `audit run --format` would have written."""
    from hardaudit.checks.loader import load_checks
    from hardaudit.report.writers import TEXTFILE_MODE, render, render_chunks, write_atomic

    report = _stored_run(args.run, args.history)
    checks = {c.id: c for c in load_checks(args.checks_dir) if c.id in report.checks}
    if args.output is not None:  # json and sarif: streamed, never whole in memory
        mode = TEXTFILE_MODE if args.format == "prometheus" else 0o600
        write_atomic(args.output, render_chunks(report, args.format, checks), mode, "--output")
        return ExitStatus.OK
    if args.format in ("json", "sarif"):  # ASCII (JSON escapes the rest): bytes as they come
        _write_to_stdout(render_chunks(report, args.format, checks))
    else:  # text in the terminal's encoding, as print would
        sys.stdout.write(render(report, args.format, checks))
        sys.stdout.flush()
    return ExitStatus.OK


def _write_to_stdout(pieces: Iterable[bytes]) -> None:
    """Write the UTF-8 `pieces` of a JSON document (ASCII) to stdout as they come."""
    sys.stdout.flush()  # what was printed before comes first
    out = getattr(sys.stdout, "buffer", None)
    if out is None:  # a text-only stream (a test's StringIO)
        decoder = codecs.getincrementaldecoder("utf-8")()
        for piece in pieces:
            sys.stdout.write(decoder.decode(piece))
        sys.stdout.write(decoder.decode(b"", final=True))
        sys.stdout.flush()
        return
    for piece in pieces:
        out.write(piece)
    out.flush()


def _copy_to_stdout(path: Path) -> None:
    """Copy the file at `path` to stdout in blocks, never whole in memory."""
    with open(path, "rb") as source:
        _write_to_stdout(iter(lambda: source.read(1 << 20), b""))


def cmd_schema(args: argparse.Namespace) -> ExitStatus:
    from hardaudit.report.schemas import schema_text

    sys.stdout.write(schema_text(args.document))
    return ExitStatus.OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        if args.command in ("host", "run"):
            return int(cmd_audit(args))
        if args.command == "merge":
            return int(cmd_merge(args))
        if args.command == "inventory":
            return int(cmd_inventory_list(args))
        if args.command == "checks":
            return int(cmd_checks(args))
        if args.command == "doctor":
            return int(cmd_doctor(args))
        if args.command == "script":
            return int(cmd_script(args))
        if args.command == "history":
            return int(cmd_history(args))
        if args.command == "report":
            return int(cmd_report(args))
        if args.command == "schema":
            return int(cmd_schema(args))
        if args.command == "diff":
            return int(cmd_diff(args))
        if args.command == "profiles":
            return int(cmd_profiles(args))
        if args.command == "root-helper":
            return int(cmd_root_helper())
        return int(cmd_sudoers(args))
    except AuditError as exc:
        print(f"audit: error: {printable(str(exc))}", file=sys.stderr)
        return int(ExitStatus.USAGE_ERROR)
    except KeyboardInterrupt:
        print("audit: interrupted", file=sys.stderr)
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitStatus.OK)
