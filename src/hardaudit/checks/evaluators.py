"""Evaluators: generic ones driven by YAML params, and registered Python ones (escape hatch).

An evaluator turns (check, facts, variables) into an Outcome. Facts that are Unknown give
UNKNOWN with their reason, Absent gives SKIP: a missing fact is never a pass.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from hardaudit.checks.model import MAX_OBJECTS, Check, FindingObject, Outcome, Severity, Status
from hardaudit.facts.model import (
    SSH_ENTRY_REASONS,
    Absent,
    Container,
    FileStat,
    FirewallState,
    HostFacts,
    Ipv6State,
    ListeningSocket,
    SshdConfig,
    SshdContext,
    SshFiles,
    Unknown,
)
from hardaudit.facts.parsers.numbers import ascii_int
from hardaudit.facts.parsers.sshd import (
    contexts_from_files,
    fill_failed_contexts,
    sshd_config_nonce,
)
from hardaudit.printable import printable

FACT_NAMES = (
    "meta",
    "sshd",
    "sshd_contexts",
    "ssh_files",
    "etc_files",
    "world_writable",
    "env_files",
    "listeners",
    "firewall",
    "ipv6",
    "processes",
    "containers",
    "units",
    "redis",
    "nginx",
    "command",
)

EvalFn = Callable[[Check, HostFacts, Mapping[str, Any]], Outcome]
T = TypeVar("T")


@dataclass(frozen=True)
class CheckSpec:
    """What a params validator may look at besides the params: the check's declared facts
    and the names of its `variables:`."""

    facts: tuple[str, ...] = ()
    variables: frozenset[str] = frozenset()


class ParamError(Exception):
    """A problem in a check's params found at load time; `field` is the dotted path in the
    check file (`params.options.permitrootlogin`), so the loader can name its line."""

    def __init__(self, field: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.hint = hint


# (params, spec) -> None; raises ParamError. Each evaluator brings its own (optional) one.
ParamCheck = Callable[[Mapping[str, Any], CheckSpec], None]
# params -> facts the evaluator reads whatever the check declares (gathered for it).
ImpliedFacts = Callable[[Mapping[str, Any]], tuple[str, ...]]


@dataclass(frozen=True)
class Evaluator:
    """A named evaluator, the params it accepts, and how to validate them at load time."""

    name: str
    run: EvalFn
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    check_params: ParamCheck | None = None
    implied_facts: ImpliedFacts | None = None

    def validate(self, params: Mapping[str, Any]) -> str | None:
        """A problem with the names of `params`, or None when they fit."""
        missing = self.required - set(params)
        if missing:
            return f"missing parameter(s) {', '.join(sorted(missing))}"
        unknown = set(params) - self.required - self.optional
        if unknown:
            return f"unknown parameter(s) {', '.join(sorted(unknown))}"
        return None

    def facts_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        """Facts this evaluator reads with these params, declared or not."""
        return self.implied_facts(params) if self.implied_facts else ()


EVALUATORS: dict[str, Evaluator] = {}


def register(
    name: str,
    *,
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    check_params: ParamCheck | None = None,
    implied_facts: ImpliedFacts | None = None,
) -> Callable[[EvalFn], EvalFn]:
    """Register a Python evaluator under `name` (the YAML `evaluator:` value).

    `check_params` validates the params at load time (raising ParamError), so a bad value
    is an error naming the file and line rather than an UNKNOWN on every host at run time.
    `implied_facts` names facts the evaluator always reads (added to the check's facts).
    """

    def add(fn: EvalFn) -> EvalFn:
        EVALUATORS[name] = Evaluator(
            name, fn, frozenset(required), frozenset(optional), check_params, implied_facts
        )
        return fn

    return add


# --- load-time param validation helpers ----------------------------------------------------------

_OCTAL_MODE = re.compile(r"^0?[0-7]{3,4}$")


def all_of(*checks: ParamCheck) -> ParamCheck:
    """One ParamCheck running several in order (the first problem wins)."""

    def check(params: Mapping[str, Any], spec: CheckSpec) -> None:
        for one in checks:
            one(params, spec)

    return check


def check_severity(value: object, field: str) -> None:
    """A severity name (`critical` ... `info`)."""
    if not isinstance(value, str) or value.strip().upper() not in Severity.__members__:
        raise ParamError(
            field, f"unknown severity {value!r}", "use critical, high, medium, low or info"
        )


def check_octal_mode(value: object, field: str) -> None:
    """A quoted octal mode ("0640"): unquoted, YAML reads 0640 as the integer 416."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ParamError(
            field,
            f"mode must be a quoted octal string, got {value!r}",
            "quote octal modes: '0640'",
        )
    if not _OCTAL_MODE.match(value.strip()):
        raise ParamError(field, f"{value!r} is not an octal mode", "e.g. '0600' or '0640'")


def check_regex(value: object, field: str) -> None:
    """A Python regular expression that compiles."""
    if not isinstance(value, str):
        raise ParamError(field, f"must be a regular expression string, got {value!r}")
    try:
        re.compile(value)
    except re.error as exc:
        raise ParamError(
            field, f"invalid regular expression {value!r}: {exc}", "fix the regex (Python re)"
        ) from None


def check_strings(value: object, field: str, *, what: str = "values") -> list[str]:
    """A list of strings; YAML booleans (unquoted yes/no/on/off/true/false) are refused."""
    if not isinstance(value, list):
        raise ParamError(field, f"must be a list of {what}, got {value!r}")
    for item in value:
        if isinstance(item, bool):
            raise ParamError(
                field,
                f"{item!r} is a YAML boolean, not the sshd value written",
                'quote yes/no/on/off/true/false: ["no"]',
            )
        if not isinstance(item, (str, int)):
            raise ParamError(field, f"{item!r} is not a string")
    return [str(v) for v in value]


def check_mapping(value: object, field: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise ParamError(field, f"must be a mapping, got {value!r}")
    for key in value:
        if isinstance(key, bool):
            raise ParamError(
                field,
                f"key {key!r} is a YAML boolean",
                'quote yes/no/on/off/true/false keys: "no": low',
            )
    return value


def check_declared(name: object, spec: CheckSpec, field: str) -> None:
    """An inventory variable the evaluator reads must be declared under `variables:`: only
    declared variables reach an evaluator (with their defaults)."""
    if not isinstance(name, str) or not name:
        raise ParamError(field, f"must be an inventory variable name, got {name!r}")
    if name not in spec.variables:
        raise ParamError(
            field,
            f"variable {name!r} is not declared under `variables:`",
            f"add `variables: {{{name}: {{default: ..., description: ...}}}}`",
        )


def declared_var(param: str = "var", default: str | None = None) -> ParamCheck:
    """The variable named by `param` (or `default` when the param is not given) is declared."""

    def check(params: Mapping[str, Any], spec: CheckSpec) -> None:
        name = params.get(param, default)
        if name is not None:
            check_declared(name, spec, f"params.{param}")

    return check


def severities(*names: str) -> ParamCheck:
    """Params that name a severity (`link_local_severity`, `loopback_severity`)."""

    def check(params: Mapping[str, Any], spec: CheckSpec) -> None:
        for name in names:
            if name in params:
                check_severity(params[name], f"params.{name}")

    return check


def reads(*names: str) -> ImpliedFacts:
    """implied_facts for an evaluator that always reads `names`."""

    def implied(_params: Mapping[str, Any]) -> tuple[str, ...]:
        return names

    return implied


# Container evaluators read the process list too: with no engine answering, only it tells
# "docker is not running" (Absent) from "dockerd runs but could not be asked" (Unknown).
CONTAINER_FACTS = reads("containers", "processes")


def needs_contexts(params: Mapping[str, Any]) -> tuple[str, ...]:
    """sshd keyword judges read the Match contexts too, unless `contexts: false`."""
    return ("sshd", "sshd_contexts") if params.get("contexts", True) else ("sshd",)


class _NotJudgedError(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


def need(value: T | Unknown | Absent) -> T:
    """The fact's value, or abort the evaluation as UNKNOWN (unreadable) / SKIP (absent)."""
    if isinstance(value, Unknown):
        raise _NotJudgedError(Outcome(Status.UNKNOWN, reason=value.reason))
    if isinstance(value, Absent):
        raise _NotJudgedError(Outcome(Status.SKIP, reason=value.reason))
    return value


_TRUE_WORDS = frozenset(("true", "yes", "on", "1"))
_FALSE_WORDS = frozenset(("false", "no", "off", "0"))


def flag(variables: Mapping[str, Any], name: str) -> bool:
    """A boolean inventory variable, read strictly: an INI inventory gives the string
    "false", which Python would take as true. True/"true"/"yes"/"on"/"1" are true;
    False/"false"/"no"/"off"/"0"/unset are false; anything else aborts the evaluation as
    UNKNOWN naming the variable."""
    value = variables.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise _NotJudgedError(
        Outcome(
            Status.UNKNOWN,
            reason=f"inventory variable {name} is {value!r}: expected true or false",
        )
    )


# --- failing objects ----------------------------------------------------------------------------

MAX_KEY = 512  # characters of an object key or path (keys come from the target)
_KEY_DIGEST = 12


def _capped(text: str) -> str:
    """`text` cut to MAX_KEY characters; a cut one ends in a digest of the whole, so two long
    keys that share their first characters stay two objects."""
    if len(text) <= MAX_KEY:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_KEY_DIGEST]
    return f"{text[: MAX_KEY - _KEY_DIGEST - 3]}...{digest}"


def finding_object(key: str, path: str = "", line: int = 0) -> FindingObject:
    """A FindingObject with its key and path capped at MAX_KEY characters.

    Keys are kept as the parsers decoded them (the renderers escape them) and must hold no
    volatile data (pids, counts, modes, timestamps): they are what the history fingerprints.

    >>> finding_object("tcp/0.0.0.0:6379")
    FindingObject(key='tcp/0.0.0.0:6379', path='', line=0)
    """
    return FindingObject(_capped(key), _capped(path), max(line, 0))


def file_object(path: str) -> FindingObject:
    """A file on the host: the path is both its identity and its location."""
    return finding_object(path, path)


def at_origin(key: str, origin: str) -> FindingObject:
    """An object located at an sshd origin (`/etc/ssh/sshd_config:33`); an origin without a
    file (`sshd -T`, `default`) gives no location.

    >>> at_origin("", "/etc/ssh/sshd_config.d/50-cloud-init.conf:1").line
    1
    """
    path, _, line = origin.rpartition(":")
    if path.startswith("/") and line.isdigit():
        return finding_object(key, path, int(line))
    return finding_object(key)


def match_object_key(match: str) -> str:
    """`match:<criteria>` of a Match line: the keyword dropped, whitespace collapsed, the
    criteria's case kept (user and group names are case-sensitive).

    >>> match_object_key("Match   User bob")
    'match:User bob'
    """
    words = match.split()
    if words and words[0].lower() == "match":
        words = words[1:]
    return "match:" + " ".join(words)


def bounded_objects(
    objects: Sequence[FindingObject],
) -> tuple[tuple[FindingObject, ...], tuple[str, ...]]:
    """(objects without repeated keys, the first location winning, at most MAX_OBJECTS; the
    evidence line saying how many more were left unnamed, if any)."""
    first: dict[str, FindingObject] = {}
    for one in objects:
        first.setdefault(one.key, one)
    unique = tuple(first.values())
    if len(unique) <= MAX_OBJECTS:
        return unique, ()
    note = (
        f"{len(unique)} failing objects: the first {MAX_OBJECTS} are named in this finding,"
        f" {len(unique) - MAX_OBJECTS} more are not"
    )
    return unique[:MAX_OBJECTS], (note,)


def failure(
    evidence: Sequence[str],
    objects: Sequence[FindingObject] = (),
    *,
    reason: str = "",
    severity: Severity | None = None,
) -> Outcome:
    """A FAIL about `objects` (none: the host as a whole), bounded by MAX_OBJECTS."""
    named, note = bounded_objects(objects)
    return Outcome(Status.FAIL, (*evidence, *note), reason=reason, severity=severity, objects=named)


def verdict(
    bad: Sequence[str],
    good: Sequence[str],
    unread: Sequence[str] = (),
    objects: Sequence[FindingObject] = (),
) -> Outcome:
    """The usual precedence: any failure fails (with the failures as evidence, about
    `objects`); otherwise anything that could not be read makes it unknown; otherwise it
    passes."""
    if bad:
        return failure(bad, objects)
    if unread:
        return Outcome(Status.UNKNOWN, tuple(good), reason="; ".join(unread))
    return Outcome(Status.PASS, tuple(good))


_REASON_CAP = 200


def _failure(evaluator: str, exc: Exception) -> str:
    """`evaluator X failed: ...`, one line, escaped and capped (it may quote target text)."""
    message = f"{type(exc).__name__}: {exc}".replace("\\", "\\\\").replace("\n", "\\n")
    if len(message) > _REASON_CAP:
        message = message[:_REASON_CAP] + "..."
    return printable(f"evaluator {evaluator} failed: {message}")


def run_evaluator(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Run the check's evaluator; unreadable facts and evaluator bugs end as UNKNOWN."""
    evaluator = EVALUATORS[check.evaluator]
    try:
        return evaluator.run(check, facts, variables)
    except _NotJudgedError as stop:
        return stop.outcome
    except MemoryError:
        raise  # the per-host bound decides what an exhausted host becomes
    except Exception as exc:  # any bug a target's facts reach costs this check only
        return Outcome(Status.UNKNOWN, reason=_failure(check.evaluator, exc))


def _octal(value: object) -> int:
    return int(str(value), 8)


def sshd_origin(cfg: SshdConfig, keyword: str) -> str:
    """Where a global sshd setting was read: `sshd -T`, or the file and line (lower confidence)."""
    if cfg.effective:
        return "sshd -T"
    origin = cfg.origins.get(keyword, "files")
    if origin == "default":
        return "OpenSSH default, set in no file; no sshd -T: lower confidence"
    return f"parsed from {origin}, no sshd -T: lower confidence"


def sshd_context_origin(context: SshdContext, keyword: str) -> str:
    """Where a Match context's setting was read: `sshd -T -C spec`, or the block's file:line."""
    if context.config is not None and context.config.effective:
        return f"sshd -T -C {context.spec}"
    where = context.config.origins.get(keyword, context.spec) if context.config else context.spec
    return f"parsed from {where}, no sshd -T -C: lower confidence"


def sshd_contexts(facts: HostFacts) -> tuple[SshdContext, ...] | Unknown | Absent:
    """The Match contexts to judge: `sshd -T -C` per Match line; where that could not run (no
    root), the Match block parsed from sshd_config, laid over the global settings."""
    contexts = facts.sshd_contexts
    if isinstance(contexts, Absent):
        return contexts
    if isinstance(contexts, tuple) and all(c.config is not None for c in contexts):
        return contexts
    section = facts.sections.get("sshd_config")
    if section is None or not section.ok or not isinstance(facts.sshd, SshdConfig):
        return contexts
    # HostFacts does not carry the nonce; the section's first line is the script's own marker.
    nonce = sshd_config_nonce(section.text)
    if nonce is None:
        return contexts
    parsed = contexts_from_files(section.text, nonce, facts.sshd)
    return parsed if isinstance(contexts, Unknown) else fill_failed_contexts(contexts, parsed)


# (the config judged, keyword, its value) -> (severity when it fails else None, evidence suffix)
SshdRule = Callable[[SshdConfig, str, str], tuple[Severity | None, str]]


def judge_sshd(
    facts: HostFacts, keywords: Sequence[str], rule: SshdRule, *, contexts: bool = True
) -> Outcome:
    """Judge sshd keywords globally and in every Match context with one `rule`.

    Each keyword's global value is evidence whatever the verdict. A context adds a failure
    when the rule fails its value, unless the global value already failed with that same
    value. A context that could not be judged (its `sshd -T -C` failed and the files gave
    nothing to fill it, or the contexts could not be read at all) never passes: the check
    fails if something else failed (naming what was not judged), else it is unknown.

    The failing objects are the contexts: the global settings (key "") and each
    `match:<criteria>`, located at the file:line of their first failing value when the
    settings were parsed from the files (`sshd -T` names no file).
    """
    cfg = need(facts.sshd)
    evidence: list[str] = []
    failures: list[Severity] = []
    objects: list[FindingObject] = []
    failed_globally: dict[str, str] = {}
    for keyword in keywords:
        value = cfg.get(keyword)
        if value is None:
            return Outcome(
                Status.UNKNOWN, reason=f"{keyword} is not in the sshd configuration read"
            )
        severity, note = rule(cfg, keyword, value)
        evidence.append(f"{keyword} {value} ({sshd_origin(cfg, keyword)}){note}")
        if severity is not None:
            failures.append(severity)
            failed_globally[keyword] = value.lower()
            objects.append(at_origin("", cfg.origins.get(keyword, "")))
    found = sshd_contexts(facts) if contexts else ()
    unjudged: list[str] = []
    if isinstance(found, Unknown):
        unjudged.append(f"the Match contexts ({found.reason})")
    for context in found if isinstance(found, tuple) else ():
        if context.config is None:
            unjudged.append(f"{context.match} (sshd -T -C {context.spec} failed)")
            continue
        for keyword in keywords:
            value = context.config.get(keyword)
            if value is None or failed_globally.get(keyword) == value.lower():
                continue
            severity, note = rule(context.config, keyword, value)
            if severity is None:
                continue
            where = sshd_context_origin(context, keyword)
            evidence.append(f"{keyword} {value} in {context.match} ({where}){note}")
            failures.append(severity)
            origin = context.config.origins.get(keyword, "")
            objects.append(at_origin(match_object_key(context.match), origin))
    if failures:
        reason = f"also not judged: {'; '.join(unjudged)}" if unjudged else ""
        return failure(evidence, objects, reason=reason, severity=max(failures))
    if unjudged:
        return Outcome(
            Status.UNKNOWN,
            tuple(evidence),
            reason=f"the global settings pass; not judged: {'; '.join(unjudged)}",
        )
    return Outcome(Status.PASS, tuple(evidence))


# --- generic evaluators -------------------------------------------------------------------


def _sshd_option_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    options = check_mapping(params["options"], "params.options")
    if not options:
        raise ParamError("params.options", "needs at least one keyword: [allowed values]")
    for keyword, allowed in options.items():
        check_strings(allowed, f"params.options.{keyword}")
    lesser = check_mapping(params.get("lesser", {}), "params.lesser")
    for keyword, table in lesser.items():
        if keyword not in options:
            raise ParamError(
                f"params.lesser.{keyword}",
                f"{keyword!r} is not a keyword of `options`",
                f"one of: {', '.join(map(str, options))}",
            )
        for value, severity in check_mapping(table, f"params.lesser.{keyword}").items():
            check_severity(severity, f"params.lesser.{keyword}.{value}")
    if "allowed_by_var" in params:
        by_var = check_mapping(params["allowed_by_var"], "params.allowed_by_var")
        extra = set(by_var) - {"var", "values"}
        if extra:
            raise ParamError(
                "params.allowed_by_var",
                f"unknown key(s) {', '.join(sorted(map(str, extra)))}",
                "allowed_by_var: {var: NAME, values: {keyword: [values]}}",
            )
        check_declared(by_var.get("var"), spec, "params.allowed_by_var.var")
        values = check_mapping(by_var.get("values", {}), "params.allowed_by_var.values")
        for keyword, allowed in values.items():
            check_strings(allowed, f"params.allowed_by_var.values.{keyword}")
    if not isinstance(params.get("contexts", True), bool):
        raise ParamError("params.contexts", "must be true or false")


@register(
    "sshd_option",
    required=("options",),
    optional=("lesser", "allowed_by_var", "contexts"),
    check_params=_sshd_option_params,
    implied_facts=needs_contexts,
)
def sshd_option(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Each keyword in `options` must have one of its allowed values, globally and in every
    Match context (a context that weakens a keyword fails the check and is named).

    params: options {keyword: [allowed...]}; lesser {keyword: {value: severity}} (fail at a
    lower severity); allowed_by_var {var: NAME, values: {keyword: [values]}} (values that
    pass when the inventory variable NAME is true); contexts (default true: judge the
    Match contexts too, which reads the `sshd_contexts` fact).
    """
    options: Mapping[str, list[str]] = check.params["options"]
    lesser: Mapping[str, Mapping[str, str]] = check.params.get("lesser", {})
    by_var: Mapping[str, Any] = check.params.get("allowed_by_var", {})
    var = by_var.get("var")

    def rule(_cfg: SshdConfig, keyword: str, value: str) -> tuple[Severity | None, str]:
        allowed = options[keyword]
        normalized = value.lower()
        if normalized in [str(a).lower() for a in allowed]:
            return None, ""
        if (
            var
            and normalized in [str(v).lower() for v in by_var.get("values", {}).get(keyword, [])]
            and flag(variables, var)
        ):
            return None, f"; allowed by {var}: true"
        severity = {str(k).lower(): v for k, v in lesser.get(keyword, {}).items()}.get(normalized)
        want = " or ".join(str(a) for a in allowed)
        return (Severity.parse(severity) if severity else check.severity), f"; expected {want}"

    return judge_sshd(facts, list(options), rule, contexts=bool(check.params.get("contexts", True)))


def _fileset(files: SshFiles, name: str) -> list[tuple[FileStat, str]]:
    """(file, the account that should own it) for a named set of files."""
    if name == "ssh-dir":
        return [(d.directory, d.user) for d in files.dirs]
    if name == "ssh-privkey":
        return [
            (f, d.user)
            for d in files.dirs
            for f in d.files
            if f.kind == "regular file"
            and (
                f.private_key
                or (f.path.rsplit("/", 1)[-1].startswith("id_") and not f.path.endswith(".pub"))
            )
        ]
    raise ValueError(f"unknown fileset {name!r}")


_FILESETS = ("ssh-dir", "ssh-privkey")


def _file_mode_params(params: Mapping[str, Any], spec: CheckSpec) -> None:
    if params["fileset"] not in _FILESETS:
        raise ParamError(
            "params.fileset", f"unknown fileset {params['fileset']!r}", f"one of {_FILESETS}"
        )
    check_octal_mode(params["max_mode"], "params.max_mode")
    if "owner" in params and not isinstance(params["owner"], str):
        raise ParamError("params.owner", "must be `account` or a user name")


@register(
    "file_mode",
    required=("fileset", "max_mode"),
    optional=("owner",),
    check_params=_file_mode_params,
)
def file_mode(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Every file of `fileset` has no permission bit beyond `max_mode`, and the right owner.

    params: fileset (ssh-dir | ssh-privkey), max_mode (octal, e.g. "0700"),
    owner ("account": the ~/.ssh's user, or a user name).
    """
    files = need(facts.ssh_files)
    limit = _octal(check.params["max_mode"])
    owner_rule = check.params.get("owner")
    chosen = _fileset(files, check.params["fileset"])
    bad: list[str] = []
    good: list[str] = []
    objects: list[FindingObject] = []
    for stat, account in chosen:
        problems = []
        if stat.mode & ~limit & 0o7777:
            problems.append(f"mode {stat.mode_text} (max {limit:04o})")
        expected_owner = account if owner_rule == "account" else owner_rule
        if expected_owner and stat.owner != expected_owner:
            problems.append(f"owned by {stat.owner}, expected {expected_owner}")
        text = f"{stat.path} {stat.mode_text} {stat.owner}:{stat.group}"
        (bad if problems else good).append(f"{text}: {'; '.join(problems)}" if problems else text)
        if problems:
            objects.append(file_object(stat.path))
    if bad:
        return failure(bad, objects)
    unreadable = files.unreadable
    if check.params["fileset"] == "ssh-dir":
        # a directory is judged on its own stat: one whose entries could not be listed or
        # read (a user can fill their own ~/.ssh past the script's cap) hides no directory
        unreadable = tuple(u for u in unreadable if not u.endswith(SSH_ENTRY_REASONS))
    if unreadable:
        return Outcome(
            Status.UNKNOWN,
            tuple(good),
            reason="could not read: " + "; ".join(unreadable),
        )
    if not chosen:
        return Outcome(
            Status.PASS, (f"no matching files in {len(files.dirs)} ~/.ssh director(ies)",)
        )
    return Outcome(Status.PASS, tuple(good))


def socket_key(proto: str, address: str, port: int) -> str:
    """`tcp/0.0.0.0:6379`, `udp/[::]:53`, `tcp/*:80`: a socket's object key (never its
    process or pid, which change on a restart).

    >>> socket_key("tcp", "::", 22)
    'tcp/[::]:22'
    """
    host = f"[{address}]" if ":" in address else address
    return f"{proto}/{host}:{port}"


def _port_allowed(proto: str, port: int, allowed: list[Any]) -> bool:
    for entry in allowed:
        text = str(entry)
        number, _, wanted_proto = text.partition("/")
        wanted = ascii_int(number, 5)  # not isdigit(): '²' is a digit to it, not to int()
        if wanted == port and (not wanted_proto or wanted_proto == proto):
            return True
    return False


def _publishers(containers: object) -> dict[tuple[str, int], str]:
    """(proto, host port) -> the container(s) publishing it, with their compose service, when
    the containers were read: a docker-proxy listener then names the docker-compose.yml to fix.
    At most two named per port (a target chooses how many containers there are)."""
    found: dict[tuple[str, int], list[str]] = {}
    if isinstance(containers, tuple):
        for c in containers:
            for port in c.ports:
                proto = port.container_port.partition("/")[2] or "tcp"
                names = found.setdefault((proto, port.host_port), [])
                label = f"container {container_label(c)}"
                if label not in names:
                    names.append(label)
    return {
        key: ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
        for key, names in found.items()
    }


def _socket_families(s: ListeningSocket) -> tuple[str, ...]:
    """The address families a listening socket accepts connections over: an IPv6 wildcard
    may be dual-stack (IPV6_V6ONLY is not visible in ss), so it counts for both."""
    text = s.address.split("%", 1)[0]
    if text in ("*", "", "::"):
        return ("ipv4", "ipv6")
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return ("ipv4", "ipv6")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return ("ipv6",)
    return ("ipv4",)


def firewall_closes(s: ListeningSocket, facts: HostFacts) -> str:
    """The input chains that drop or reject every new connection to `s` from the network,
    for each address family the socket accepts ("" when not proven for all of them). IPv6
    does not count when the host has it off."""
    firewall = facts.firewall
    if not isinstance(firewall, FirewallState):
        return ""
    families = _socket_families(s)
    if isinstance(facts.ipv6, Ipv6State) and facts.ipv6.disabled and "ipv4" in families:
        families = ("ipv4",)
    chains = [firewall.blocked_by(s.proto, s.port, family) for family in families]
    if not all(chains):
        return ""
    return ", ".join(dict.fromkeys(chains))


def _published_note(s: ListeningSocket, facts: HostFacts) -> str:
    firewall = facts.firewall
    if isinstance(firewall, FirewallState) and any(
        firewall.published(s.proto, s.port, family) for family in _socket_families(s)
    ):
        return " (a DNAT/REDIRECT rule translates this port: input chains cannot close it)"
    return ""


@register(
    "listeners_allowed",
    optional=("var", "firewall_var"),
    check_params=declared_var("var", "allowed_ports"),
)
def listeners_allowed(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Every socket listening on a non-loopback address has a port in the allow-list variable.

    A socket whose port the host firewall closes still fails (it listens beyond loopback: the
    catalog's rule, and one firewall change away from exposed), with the closing chain named;
    where the inventory sets the boolean variable `firewall_var` (default
    "exposed_ports_trust_firewall") true, it passes instead: the host is then judged by what
    its firewall lets in. The firewall's verdict per port comes from the kernel's ruleset
    (fact `firewall`): a socket counts as closed only when every path through an input chain
    ends in a drop or reject for a new connection from any address, for each family the
    socket listens on, and no DNAT/REDIRECT rule translates the port.
    params: var (default "allowed_ports"); entries are ports (22) or port/proto ("53/udp");
    firewall_var (default "exposed_ports_trust_firewall").
    """
    sockets = need(facts.listeners)
    var = str(check.params.get("var", "allowed_ports"))
    firewall_var = str(check.params.get("firewall_var", "exposed_ports_trust_firewall"))
    trust = flag(variables, firewall_var)
    allowed = list(variables.get(var) or [])
    exposed = [s for s in sockets if not s.loopback]
    evidence: list[str] = []
    bad: list[str] = []
    objects: list[FindingObject] = []
    publishers = _publishers(facts.containers)
    for s in sorted(set(exposed), key=lambda s: (s.port, s.proto, s.address)):
        where = f"{s.proto} {s.address}:{s.port}" + (f" ({s.process})" if s.process else "")
        if _port_allowed(s.proto, s.port, allowed):
            evidence.append(f"{where} allowed")
            continue
        closed = firewall_closes(s, facts)
        if closed and trust:
            evidence.append(
                f"{where} not in {var} {allowed}, but closed by the firewall ({closed}; "
                f"{firewall_var}: true)"
            )
            continue
        if closed:
            note = f"; closed by the firewall ({closed}), still listening beyond loopback"
        else:
            note = _published_note(s, facts)
        by = publishers.get((s.proto, s.port), "")
        bad.append(f"{where} not in {var} {allowed}{note}" + (f"; published by {by}" if by else ""))
        objects.append(finding_object(socket_key(s.proto, s.address, s.port)))
    if bad:
        if isinstance(facts.firewall, Unknown):
            bad.append(f"(the firewall could not be read: {facts.firewall.reason})")
        return failure(bad, objects)
    return Outcome(Status.PASS, tuple(evidence) or ("no socket listens beyond loopback",))


# --- registered Python evaluators -------------------------------------------------------------


@register("firewall_enabled")
def firewall_enabled(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """A host firewall filters inbound traffic (any drop/reject or drop policy on input)."""
    state = need(facts.firewall)
    if state.backend == "none":
        return failure(("neither nft nor iptables-save is installed",))
    if state.ipv4_filters or state.ipv6_filters:
        families = [
            f for f, on in (("IPv4", state.ipv4_filters), ("IPv6", state.ipv6_filters)) if on
        ]
        return Outcome(
            Status.PASS, (f"inbound filtering for {' and '.join(families)}", *state.evidence)
        )
    return failure(
        (
            "no inbound filtering: no input chain drops or rejects anything",
            *state.evidence,
            *nat_is_no_firewall(state),
        )
    )


def nat_is_no_firewall(state: FirewallState) -> tuple[str, ...]:
    """Evidence for a host whose only rules translate addresses (a container engine's)."""
    if not state.nat:
        return ()
    return (
        "NAT rules are not a firewall: " + "; ".join(state.nat) + ": they rewrite addresses "
        "(DNAT publishes a port, MASQUERADE/SNAT rewrite sources) and drop or reject nothing",
    )


@register("container_non_root", implied_facts=CONTAINER_FACTS)
def container_non_root(check: Check, facts: HostFacts, variables: Mapping[str, Any]) -> Outcome:
    """Every running container's main process has a non-zero effective UID (read in /proc)."""
    containers = need(facts.containers)
    if not containers:
        return Outcome(Status.PASS, ("no running containers",))
    bad, unread, good = [], [], []
    objects: list[FindingObject] = []
    for c in containers:
        label = f"{container_label(c)} pid {c.pid}"
        hint = f"Config.User {c.config_user!r}" if c.config_user else "no USER in config"
        if c.effective_uid is None:
            unread.append(f"{label}: /proc/{c.pid}/status unreadable; {hint}")
        elif c.effective_uid == 0:
            bad.append(f"{label}: process runs as uid 0; {hint}")
            objects.append(container_object(c))
        else:
            good.append(f"{label}: process runs as uid {c.effective_uid}; {hint}")
    return verdict(bad, good, unread, objects)


def container_object(c: Container, suffix: str = "") -> FindingObject:
    """`container:<name>[suffix]`: a container by name (its id and pid change when it is
    recreated; the short id stands in only when the engine gave no name). Its path is the
    compose file it was deployed from, when its labels name one (the first of several):
    the file an operator edits, and a location for SARIF."""
    path = c.compose.files[0] if c.compose and c.compose.files else ""
    engine = "" if c.engine == "docker" else f"@{c.engine}"  # podman's own names: no clash
    return finding_object(f"container:{c.name or c.id[:12]}{engine}{suffix}", path)


def container_label(c: Container) -> str:
    """How evidence names a container: `web (nginx:1.27)`, its engine when that is not
    Docker (`, engine podman`), and the compose project and service it belongs to when its
    labels say so.

    >>> from hardaudit.facts.model import ComposeService
    >>> container_label(Container("a1", "shop_web_1", "img", "", 1, 0,
    ...     compose=ComposeService("shop", "web", "/srv/shop", ("/srv/shop/docker-compose.yml",))))
    'shop_web_1 (img), compose project shop, service web (/srv/shop/docker-compose.yml)'
    >>> container_label(Container("b2", "app", "localhost/app:1", "", 2, 0, engine="podman"))
    'app (localhost/app:1), engine podman'
    """
    label = f"{c.name} ({c.image})"
    if c.engine != "docker":
        label += f", engine {c.engine}"
    return f"{label}, {c.compose.describe()}" if c.compose else label


def _load_rule_modules() -> None:
    """Import every module of hardaudit.checks.rules so their @register calls run."""
    import importlib
    import pkgutil

    from hardaudit.checks import rules

    for module in pkgutil.iter_modules(rules.__path__):
        importlib.import_module(f"{rules.__name__}.{module.name}")


_load_rule_modules()
