"""File-mode evaluators: stat facts against a maximum mode and the accounts that may own them.

Only metadata reaches these (mode, owner, group, kind, path), never a file's contents.
`stat_mode` judges one named set of files; `world_writable` judges the bounded find walk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hardaudit.checks.evaluators import (
    CheckSpec,
    ParamError,
    check_mapping,
    check_octal_mode,
    check_strings,
    failure,
    file_object,
    need,
    register,
)
from hardaudit.checks.model import Check, Outcome, Status
from hardaudit.facts.model import Absent, FileStat, HostFacts, SshdConfig
from hardaudit.facts.script import WALK_PRUNED, WALK_ROOTS

SHADOW_FILES = ("/etc/shadow", "/etc/gshadow")
SSHD_CONFIG = "/etc/ssh/sshd_config"
HOST_KEY = re.compile(r"^/etc/ssh/ssh_host_[^/]+_key$")
# The directories facts/script.py's world_writable() walks (and skips), named in a clean result.
WALKED_DIRS = WALK_ROOTS
ACCOUNT = "account"  # in `owners`: the account the file belongs to (the ~/.ssh's or home's user)
NAMELESS = "UNKNOWN"  # what GNU and BusyBox stat print for a UID without an account
# ssh_files reports a failed private-key header grep as unreadable: irrelevant to modes.
_GREP_UNREADABLE = ": could not read the first line of some files"
_HOME_FILE = re.compile(r"^/home/([^/]+)/")


@dataclass(frozen=True)
class _Candidate:
    stat: FileStat
    accounts: tuple[str, ...] = ()  # what `account` means here; () means any named account


@dataclass(frozen=True)
class _FileSet:
    files: tuple[_Candidate, ...]
    empty: Outcome  # the result when the set holds no file at all
    incomplete: tuple[str, ...] = ()  # why files may be missing: UNKNOWN unless one fails
    notes: tuple[str, ...] = ()  # evidence that judges nothing (absent gshadow, templates)


def _describe(stat: FileStat) -> str:
    return f"{stat.path} {stat.mode_text} {stat.owner}:{stat.group}"


def _words(value: object) -> list[str]:
    """An inventory list variable, also given as a comma-separated string."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or ()] if isinstance(value, (list, tuple)) else []


def _etc_shadow(facts: HostFacts, variables: Mapping[str, Any]) -> _FileSet | Outcome:
    found = [s for s in need(facts.etc_files) if s.path in SHADOW_FILES]
    paths = {s.path for s in found}
    incomplete = (
        ()
        if "/etc/shadow" in paths
        else ("/etc/shadow not found: password hashes may be in the world-readable /etc/passwd",)
    )
    notes = () if "/etc/gshadow" in paths else ("/etc/gshadow: not present (not a failure)",)
    empty = Outcome(Status.UNKNOWN, reason="neither /etc/shadow nor /etc/gshadow found")
    return _FileSet(tuple(_Candidate(s) for s in found), empty, incomplete, notes)


def _sshd_config(facts: HostFacts, variables: Mapping[str, Any]) -> _FileSet | Outcome:
    if isinstance(facts.sshd, Absent):
        return Outcome(Status.SKIP, reason=facts.sshd.reason)
    found = [
        s
        for s in need(facts.etc_files)
        if s.path not in SHADOW_FILES and not HOST_KEY.match(s.path)
    ]
    incomplete: list[str] = []
    if not any(s.path == SSHD_CONFIG for s in found):
        incomplete.append(f"{SSHD_CONFIG} not found")
    # With rc 0, the section's stderr can only come from reading the files for Include lines.
    section = facts.sections.get("etc_files")
    if section is not None and section.stderr:
        incomplete.extend(
            f"Include lines not followed: {line}" for line in section.stderr.splitlines()
        )
    empty = Outcome(Status.UNKNOWN, reason=f"{SSHD_CONFIG} not found")
    return _FileSet(tuple(_Candidate(s) for s in found), empty, tuple(incomplete))


def _sshd_hostkeys(facts: HostFacts, variables: Mapping[str, Any]) -> _FileSet | Outcome:
    if isinstance(facts.sshd, Absent):
        return Outcome(Status.SKIP, reason=facts.sshd.reason)
    keys = [s for s in need(facts.etc_files) if HOST_KEY.match(s.path)]
    notes: tuple[str, ...] = ()
    if isinstance(facts.sshd, SshdConfig):
        notes = tuple(
            f"HostKey {path}: outside /etc/ssh/ssh_host_*_key, not checked"
            for path in facts.sshd.values.get("hostkey", ())
            if not HOST_KEY.match(path)
        )
    empty = Outcome(Status.UNKNOWN, reason="no host key visible (/etc/ssh/ssh_host_*_key)")
    return _FileSet(tuple(_Candidate(s) for s in keys), empty, (), notes)


def _is_public(stat: FileStat) -> bool:
    name = stat.path.rsplit("/", 1)[-1]
    public_name = name.endswith(".pub") or name.startswith("authorized_keys")
    return public_name and stat.kind != "directory" and not stat.private_key


def _ssh_pubkey(facts: HostFacts, variables: Mapping[str, Any]) -> _FileSet | Outcome:
    files = need(facts.ssh_files)
    found = tuple(_Candidate(f, (d.user,)) for d in files.dirs for f in d.files if _is_public(f))
    unread = [u for u in files.unreadable if not u.endswith(_GREP_UNREADABLE)]
    incomplete = (f"could not read: {'; '.join(unread)}",) if unread else ()
    empty = Outcome(
        Status.PASS,
        (f"no *.pub or authorized_keys file in {len(files.dirs)} ~/.ssh director(ies)",),
    )
    return _FileSet(found, empty, incomplete)


def _env(facts: HostFacts, variables: Mapping[str, Any]) -> _FileSet | Outcome:
    env = need(facts.env_files)
    templates = set(_words(variables.get("env_template_names")))
    pinned = tuple(_words(variables.get("env_owners")))
    found: list[_Candidate] = []
    notes: list[str] = []
    for stat in env.files:
        if stat.path.rsplit("/", 1)[-1] in templates:
            notes.append(f"{_describe(stat)}: template (env_template_names), not judged")
            continue
        home = _HOME_FILE.match(stat.path)
        found.append(_Candidate(stat, pinned or ((home.group(1),) if home else ())))
    if env.dirs:
        empty = Outcome(Status.PASS, (f"no .env files under {', '.join(env.dirs)}",))
    else:
        searched = ", ".join(_words(variables.get("app_dirs"))) or "none given"
        empty = Outcome(Status.PASS, (f"no app dir exists (app_dirs: {searched})",))
    return _FileSet(tuple(found), empty, env.incomplete, tuple(notes))


_SETS: dict[str, Callable[[HostFacts, Mapping[str, Any]], _FileSet | Outcome]] = {
    "etc-shadow": _etc_shadow,
    "sshd-config": _sshd_config,
    "sshd-hostkeys": _sshd_hostkeys,
    "ssh-pubkey": _ssh_pubkey,
    "env": _env,
}


def _octal(value: object) -> int:
    return int(str(value), 8)


_BITS = (
    (0o4000, "setuid"),
    (0o2000, "setgid"),
    (0o1000, "sticky"),
    *(
        (bit << shift, f"{who}-{what}")
        for who, shift in (("owner", 6), ("group", 3), ("world", 0))
        for bit, what in ((4, "readable"), (2, "writable"), (1, "executable"))
    ),
)


def _bit_names(bits: int) -> str:
    """`0o024` -> "group-writable, world-readable"."""
    return ", ".join(name for bit, name in _BITS if bits & bit)


def _owner_problem(owner: str, owners: Sequence[str], accounts: tuple[str, ...]) -> str | None:
    """Why `owner` may not own the file, or None. `account` with no accounts: any named one."""
    allowed = [o for o in owners if o != ACCOUNT]
    any_named = ACCOUNT in owners and not accounts
    if ACCOUNT in owners:
        allowed.extend(accounts)
    if owner in allowed or (any_named and owner not in (NAMELESS, "nobody")):
        return None
    if owner == NAMELESS:
        return "owned by a UID that has no account"
    expected = " or ".join([*allowed, *(["a dedicated account (not nobody)"] if any_named else [])])
    return f"owned by {owner}, expected {expected}"


def _problems(candidate: _Candidate, params: Mapping[str, Any]) -> list[str]:
    stat = candidate.stat
    limit = _octal(params["max_mode"])
    by_group = {str(g): _octal(m) for g, m in (params.get("group_modes") or {}).items()}
    problems: list[str] = []
    excess = stat.mode & ~(limit | by_group.get(stat.group, 0)) & 0o7777
    if excess:
        also = "".join(f", or {m:04o} with group {g}" for g, m in by_group.items())
        problems.append(f"mode {stat.mode_text} (max {limit:04o}{also}): {_bit_names(excess)}")
    groups = [str(g) for g in params.get("groups") or ()]
    if groups and stat.mode & 0o070 and stat.group not in groups:
        problems.append(f"group {stat.group} has access (expected group {' or '.join(groups)})")
    owners = [str(o) for o in params.get("owners") or ()]
    owner_problem = _owner_problem(stat.owner, owners, candidate.accounts) if owners else None
    if owner_problem:
        problems.append(owner_problem)
    return problems


def _stat_mode_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    if params["set"] not in _SETS:
        raise ParamError(
            "params.set", f"unknown set {params['set']!r}", f"one of: {', '.join(_SETS)}"
        )
    check_octal_mode(params["max_mode"], "params.max_mode")
    for group, mode in check_mapping(params.get("group_modes") or {}, "params.group_modes").items():
        check_octal_mode(mode, f"params.group_modes.{group}")
    for name in ("owners", "groups"):
        if params.get(name) is not None:
            check_strings(params[name], f"params.{name}", what="account names")


@register(
    "stat_mode",
    required=("set", "max_mode"),
    optional=("owners", "groups", "group_modes"),
    check_params=_stat_mode_params,
)
def stat_mode(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Every file of a named set has no permission bit beyond `max_mode`, and allowed owners.

    params: set (etc-shadow | sshd-config | sshd-hostkeys | ssh-pubkey | env); max_mode
    (octal, e.g. "0640"); owners (names; `account` is the file's own account: the ~/.ssh's
    user, the /home/<name> of a .env, or the `env_owners` variable); groups (when the mode
    gives the group any bit, the group must be one of these); group_modes ({group: mode}: a
    looser maximum for files of that group, e.g. {ssh_keys: "0640"}). Symbolic links are
    not followed: one makes the result unknown unless another file fails.
    """
    name = str(check.params["set"])
    if name not in _SETS:
        raise ValueError(f"unknown set {name!r} (known: {', '.join(_SETS)})")
    chosen = _SETS[name](facts, variables)
    if isinstance(chosen, Outcome):
        return chosen
    bad: list[str] = []
    good: list[str] = []
    objects = []
    incomplete = list(chosen.incomplete)
    for candidate in chosen.files:
        if candidate.stat.kind == "symbolic link":
            incomplete.append(f"{candidate.stat.path} is a symbolic link: its target was not read")
            continue
        problems = _problems(candidate, check.params)
        text = _describe(candidate.stat)
        (bad if problems else good).append(f"{text}: {'; '.join(problems)}" if problems else text)
        if problems:
            objects.append(file_object(candidate.stat.path))
    if bad:
        return failure(
            bad, objects, reason=f"also not judged: {'; '.join(incomplete)}" if incomplete else ""
        )
    if incomplete:
        return Outcome(Status.UNKNOWN, (*good, *chosen.notes), reason="; ".join(incomplete))
    if not chosen.files:
        return replace(chosen.empty, evidence=(*chosen.empty.evidence, *chosen.notes))
    return Outcome(Status.PASS, (*good, *chosen.notes))


def _world_writable_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    listed = params.get("listed", 10)
    if isinstance(listed, bool) or not isinstance(listed, int) or listed < 1:
        raise ParamError("params.listed", f"must be a positive integer, got {listed!r}")


@register("world_writable", optional=("listed",), check_params=_world_writable_params)
def world_writable(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """No world-writable file or non-sticky world-writable directory under the system dirs.

    params: listed (how many paths the evidence names, default 10; the finding's objects
    name every path found). A walk that could not read everything (no root) is unknown,
    unless it already found something: then it fails.
    """
    found = need(facts.world_writable)
    listed = int(check.params.get("listed", 10))
    errors = list(found.errors)
    section = facts.sections.get("world_writable")
    if not errors and section is not None and section.rc == 1:
        errors.append("find exited with status 1")
    if found.paths:
        evidence = list(found.paths[:listed])
        more = len(found.paths) - listed
        if more > 0:
            evidence.append(f"... and {more} more")
        # A capped or incomplete walk judged only the paths it reports (CheckResult.partial):
        # one it did not report this time may still be world-writable, not fixed.
        reasons = [f"the walk was incomplete: {'; '.join(errors)}"] if errors else []
        if found.capped:
            capped = f"the walk stops reporting at {len(found.paths)} paths: there may be more"
            evidence.append(capped)
            reasons.append(capped)
        return failure(evidence, [file_object(p) for p in found.paths], reason="; ".join(reasons))
    if errors:
        return Outcome(
            Status.UNKNOWN,
            reason=f"the walk could not read everything (root needed): {'; '.join(errors)}",
        )
    return Outcome(
        Status.PASS,
        (
            "no world-writable file or non-sticky world-writable directory under "
            + " ".join(WALKED_DIRS)
            + f" (each on its own filesystem; not walked: {' '.join(WALK_PRUNED)})",
        ),
    )
