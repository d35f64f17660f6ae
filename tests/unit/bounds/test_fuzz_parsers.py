"""Property-based fuzzing of every parser, seeded from the captured fixtures.

Each parser gets mutations of real captures (character flips, inserted tokens, duplicated
or dropped lines, huge and non-ASCII digits, deep nesting, truncation) and must return
within PER_CALL_SECONDS without raising anything but its documented error. The whole
pipeline (sections -> facts -> every built-in check) is fuzzed the same way.

In CI each target runs a few dozen derandomised examples (the file takes well under a
minute). For a long, random run set HARDAUDIT_FUZZ_EXAMPLES, e.g.
`HARDAUDIT_FUZZ_EXAMPLES=5000 pytest tests/unit/bounds/test_fuzz_parsers.py`.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardaudit.checks.engine import evaluate
from hardaudit.checks.loader import load_checks
from hardaudit.errors import FactError
from hardaudit.facts.build import build_host_facts
from hardaudit.facts.parsers.containers import parse_containers
from hardaudit.facts.parsers.files import (
    parse_env_files,
    parse_ssh_files,
    parse_stat_lines,
    parse_world_writable,
)
from hardaudit.facts.parsers.firewall import parse_iptables_save, parse_nft_json
from hardaudit.facts.parsers.listeners import parse_listeners, parse_proc_net, parse_ss
from hardaudit.facts.parsers.meta import parse_meta
from hardaudit.facts.parsers.services import parse_nginx, parse_redis, parse_units
from hardaudit.facts.parsers.sshd import (
    SshdIncludeError,
    contexts_from_files,
    parse_match_blocks,
    parse_sshd_config,
    parse_sshd_contexts,
    parse_sshd_t,
    sshd_config_nonce,
)
from hardaudit.facts.parsers.system import parse_ipv6, parse_processes
from hardaudit.facts.sections import split_sections

FIXTURES = Path(__file__).parents[2] / "fixtures"
LONG_RUN = "HARDAUDIT_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("HARDAUDIT_FUZZ_EXAMPLES", "30"))
PER_CALL_SECONDS = 2.0
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # bounded below, with a message naming the parser
    database=None,  # nothing written into the work tree
    derandomize=not LONG_RUN,  # CI: the same examples every time
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CHECKS = load_checks()

# --- seeds: every section of every capture, and the per-parser fixture files ---------------

Seed = tuple[str, str]  # (text, nonce)


def _captures() -> list[tuple[str, str, str]]:
    """(stdout, stderr, nonce) of every replay capture."""
    found = []
    for path in sorted((FIXTURES / "replay" / "captures").glob("*.json")):
        data = json.loads(path.read_text())
        found.append((data["stdout"], data["stderr"], data["nonce"]))
    return found


def _section_seeds() -> dict[str, list[Seed]]:
    seeds: dict[str, list[Seed]] = {}
    for stdout, stderr, nonce in _captures():
        for name, section in split_sections(stdout, stderr, nonce).items():
            seeds.setdefault(name, []).append((section.text, nonce))
    for path in sorted((FIXTURES / "files").glob("*.json")):
        data = json.loads(path.read_text())
        for name, section in data["sections"].items():
            seeds.setdefault(name, []).append((section["text"], data["nonce"]))
    return seeds


SECTIONS = _section_seeds()


def _files(pattern: str, nonce: str = "NONCE") -> list[Seed]:
    return [(p.read_text(), nonce) for p in sorted(FIXTURES.glob(pattern))]


SSHD_NONCE = "fixturenonce0123456789ab"


def _seeds(*names: str, extra: tuple[Seed, ...] = ()) -> tuple[Seed, ...]:
    found = [seed for name in names for seed in SECTIONS.get(name, [])]
    return (*found, *extra)


@dataclass(frozen=True)
class Target:
    name: str
    call: Callable[[str, str], object]  # (text, nonce) -> parsed
    seeds: tuple[Seed, ...]
    allowed: tuple[type[BaseException], ...] = ()  # the documented parse errors


def _pipeline(stdout: str, nonce: str) -> object:
    facts = build_host_facts(split_sections(stdout, "", nonce), nonce)
    return evaluate(CHECKS, facts, {})


def _contexts_from_files(text: str, nonce: str) -> object:
    return contexts_from_files(text, nonce, parse_sshd_config(text, nonce))


SSHD_T = tuple(
    seed
    for name in ("9.2-bastion", "9.2-db1", "9.2-match", "9.2-web1", "10-hardened-mixedcase")
    for seed in _files(f"sshd/openssh-{name}.txt")
)
SSHD_FILES = (
    *_files("sshd/*-files.txt", SSHD_NONCE),
    *_files("sshd/openssh-9.2-db1-files.txt", "c2113f3f0e403a503db92ff4"),
)
TARGETS = (
    Target("parse_meta", lambda t, n: parse_meta(t), _seeds("meta")),
    Target(
        "parse_sshd_t",
        lambda t, n: parse_sshd_t(t),
        _seeds("sshd_t", extra=SSHD_T),
    ),
    Target(
        "parse_sshd_config",
        parse_sshd_config,
        _seeds("sshd_config", extra=SSHD_FILES),
        allowed=(SshdIncludeError,),  # documented: Includes sshd itself would refuse
    ),
    Target(
        "parse_match_blocks",
        parse_match_blocks,
        _seeds("sshd_config", extra=SSHD_FILES),
        allowed=(SshdIncludeError,),
    ),
    Target(
        "contexts_from_files",
        _contexts_from_files,
        _seeds("sshd_config", extra=SSHD_FILES),
        allowed=(SshdIncludeError,),
    ),
    Target("sshd_config_nonce", lambda t, n: sshd_config_nonce(t), _seeds("sshd_config")),
    Target(
        "parse_sshd_contexts",
        parse_sshd_contexts,
        _seeds("sshd_contexts", extra=tuple(_files("sshd/*-contexts.txt", SSHD_NONCE))),
    ),
    Target("parse_ssh_files", parse_ssh_files, _seeds("ssh_files")),
    Target("parse_stat_lines", lambda t, n: parse_stat_lines(t), _seeds("etc_files", "env_files")),
    Target(
        "parse_world_writable",
        lambda t, n: parse_world_writable(t, t, 1000),
        _seeds("world_writable"),
    ),
    Target("parse_env_files", lambda t, n: parse_env_files(t), _seeds("env_files")),
    Target(
        "parse_listeners",
        lambda t, n: parse_listeners(t),
        _seeds(
            "listeners",
            extra=(*_files("facts/*.txt"), *_files("containers/*listeners.txt")),
        ),
    ),
    Target("parse_ss", lambda t, n: parse_ss(t), _seeds("listeners")),
    Target("parse_proc_net", lambda t, n: parse_proc_net(t), tuple(_files("facts/proc_net.txt"))),
    Target(
        "parse_nft_json",
        lambda t, n: parse_nft_json(t),
        _seeds("nft", extra=tuple(_files("firewall/*.json"))),
        allowed=(ValueError,),  # documented: unparsable JSON
    ),
    Target(
        "parse_iptables_save",
        lambda t, n: parse_iptables_save(t, "ipv4"),
        _seeds(
            "iptables",
            "ip6tables",
            extra=(*_files("firewall/*.iptables"), *_files("firewall/*.ip6tables")),
        ),
    ),
    Target("parse_ipv6", lambda t, n: parse_ipv6(t), _seeds("ipv6")),
    Target(
        "parse_processes",
        lambda t, n: parse_processes(t),
        _seeds("processes", extra=tuple(_files("containers/*processes.txt"))),
    ),
    Target(
        "parse_containers",
        lambda t, n: parse_containers(t),
        _seeds("containers", extra=tuple(_files("containers/lab-dock2.txt"))),
    ),
    Target(
        "parse_units", parse_units, _seeds("units", extra=tuple(_files("services/*.units.out")))
    ),
    Target(
        "parse_redis",
        lambda t, n: parse_redis(t),
        _seeds("redis", extra=tuple(_files("services/*.redis.out"))),
    ),
    Target(
        "parse_nginx", parse_nginx, _seeds("nginx", extra=tuple(_files("services/*.nginx.out")))
    ),
    Target(
        "pipeline",
        _pipeline,
        tuple((stdout, nonce) for stdout, _stderr, nonce in _captures()),
        allowed=(FactError,),  # documented: no `meta` section, the script did not run
    ),
)

# --- mutations ---------------------------------------------------------------------------------

TOKENS = (
    "²", "٣", "¹²³", "\x00", "\n", "\r", "\t", " ", "{", "}", ";", '"', "'", "[", "]", "(",
    ":", "::", "#", "\\", "$", "${", "=", "|", "/", "*", ",", "-", "0x", "ff", "é", "\u202e",
    "\x1b[2J", "\udcff", "\ufffd", "@@", "-1", "0", "2147483647", "9" * 5000, "1e999",
    "NaN", "null", "true", "{}", "[]", '{"a":', "include *.conf;", "Match all", "## none",
    "\nInclude /etc/ssh/sshd_config\n", "\nInclude *\n", "-j INPUT", "-g INPUT",
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, seeds: tuple[Seed, ...]) -> Seed:
    text, nonce = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(("flip", "insert", "dup", "drop", "digits", "nest", "cut")))
        at = draw(st.integers(0, len(text)))
        if op == "flip" and text:
            at = min(at, len(text) - 1)
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at + 1 :]
        elif op == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif op in ("dup", "drop"):
            lines = text.split("\n")
            index = min(draw(st.integers(0, len(lines) - 1)), len(lines) - 1)
            copies = draw(st.sampled_from((0, 2, 10, 1000))) if op == "dup" else 0
            lines[index : index + 1] = [lines[index]] * copies
            text = "\n".join(lines)
        elif op == "digits":
            run = draw(st.sampled_from(("²", "٣٣", "9" * 5000, "-7", "9" * 20, "0" * 30)))
            head, tail = text[:2000], text[2000:]
            text = "".join(run if c.isdigit() and draw(st.booleans()) else c for c in head) + tail
        elif op == "nest":
            opener = draw(st.sampled_from(("{", "[", "location / {", '{"a": [')))
            depth = draw(st.sampled_from((10, 100, 1000, 5000)))
            text = text[:at] + (opener + "\n") * depth + text[at:]
        elif op == "cut":
            text = text[:at]
    return text, nonce


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_every_parser_survives_mutated_captures(target: Target) -> None:
    assert target.seeds, f"no fixture seeds for {target.name}"

    @FUZZ
    @given(mutated(target.seeds))
    def fuzz(seed: Seed) -> None:
        text, nonce = seed
        started = time.thread_time()
        with contextlib.suppress(target.allowed):
            target.call(text, nonce)
        elapsed = time.thread_time() - started
        assert elapsed < PER_CALL_SECONDS, f"{target.name} took {elapsed:.2f} CPU-s"

    fuzz()


# --- structured JSON: valid documents with their values replaced -------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.sampled_from(("22", "ssh", "@set", "input", "filter", "inet", "drop", "accept", "²")),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(("set", "range", "elem", "val", "prefix", "payload", "match", "expr")),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)


def _json_seeds(pattern: str) -> list[object]:
    return [json.loads(p.read_text()) for p in sorted(FIXTURES.glob(pattern))]


NFT_DOCUMENTS = _json_seeds("firewall/*.json")


@st.composite
def replaced_json(draw: st.DrawFn, documents: list[object]) -> object:
    """A fixture document with a few of its values (at any depth) replaced."""
    document = json.loads(json.dumps(draw(st.sampled_from(documents))))
    for _ in range(draw(st.integers(1, 5))):
        node: object = document
        for _depth in range(draw(st.integers(0, 12))):
            if isinstance(node, dict) and node:
                key = draw(st.sampled_from(sorted(node)))
                if not isinstance(node[key], (dict, list)) or draw(st.booleans()):
                    node[key] = draw(JSON_VALUES)
                    break
                node = node[key]
            elif isinstance(node, list) and node:
                index = draw(st.integers(0, len(node) - 1))
                if not isinstance(node[index], (dict, list)) or draw(st.booleans()):
                    node[index] = draw(JSON_VALUES)
                    break
                node = node[index]
            else:
                break
    return document


@FUZZ
@given(replaced_json(NFT_DOCUMENTS))
def test_nft_json_with_any_value_replaced_parses_without_raising(document: object) -> None:
    started = time.thread_time()
    parse_nft_json(json.dumps(document))
    assert time.thread_time() - started < PER_CALL_SECONDS


CONTAINER_RECORDS = [
    json.loads(line)
    for seed, _nonce in SECTIONS.get("containers", []) + _files("containers/lab-dock2.txt")
    for line in seed.splitlines()
    if line.startswith("{")
]


@FUZZ
@given(replaced_json(CONTAINER_RECORDS))
def test_container_records_with_any_value_replaced_parse_without_raising(record: object) -> None:
    started = time.thread_time()
    parse_containers(json.dumps(record) + "\n## proc 1 0 0")
    assert time.thread_time() - started < PER_CALL_SECONDS
