"""Each output checked the way its consumer checks it, with the consumer's own schema or parser.

- SARIF: the official OASIS SARIF 2.1.0 JSON schema, then what GitHub code scanning adds
  (every result located at a relative file URI, ruleId, partialFingerprints, numeric
  security-severity, the `security` tag, its upload limits).
- JUnit: the Jenkins xUnit plugin's junit-10.xsd, then junitparser (GitLab reads the same
  elements), then what the XSD cannot say (every testcase has a time).
- Prometheus: prometheus_client's text parser, then `promtool check metrics` (exposition
  format and naming lint).
- report.json / hardaudit.diff/1: the JSON Schemas the package ships.

Unit tests (goldens, samples, the replay pipeline) and the lab's end-to-end runs call these on
every file they produce. The schemas are vendored in tests/fixtures/schemas/ (see its README):
the tests never download.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCHEMAS = Path(__file__).parent / "fixtures" / "schemas"

# GitHub's documented upload limits for one SARIF file (SARIF support for code scanning).
GITHUB_MAX_RUNS = 20
GITHUB_MAX_RESULTS_PER_RUN = 25_000
GITHUB_MAX_RULES_PER_RUN = 25_000
GITHUB_MAX_TAGS_PER_RULE = 20
GITHUB_MAX_LOCATIONS_PER_RESULT = 1_000

# RFC 3986 characters of a relative reference: unreserved, sub-delims, ":@/" and %XX escapes.
_URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$")
# %XX escapes of unreserved characters (ALPHA DIGIT - . _ ~), which normalization decodes.
_UNRESERVED_ESCAPE = re.compile(r"%(2[DdEe]|5[Ff]|7[Ee]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa])")


@cache
def _sarif_validator() -> Any:
    import jsonschema

    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _schema_errors(validator: Any, data: Any) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message[:300]}"
        for e in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]


def github_sarif_problems(log: dict[str, Any]) -> list[str]:
    """What GitHub code scanning requires beyond the SARIF schema (an empty list when none)."""
    problems: list[str] = []
    runs = log.get("runs") or []
    if len(runs) > GITHUB_MAX_RUNS:
        problems.append(f"{len(runs)} runs; GitHub takes at most {GITHUB_MAX_RUNS}")
    for r, run in enumerate(runs):
        driver = run["tool"]["driver"]
        if not driver.get("name"):
            problems.append(f"runs[{r}]: tool.driver.name is required")
        rules = driver.get("rules", [])
        if len(rules) > GITHUB_MAX_RULES_PER_RUN:
            problems.append(f"runs[{r}]: {len(rules)} rules (limit {GITHUB_MAX_RULES_PER_RUN})")
        for i, rule in enumerate(rules):
            where = f"runs[{r}].rules[{i}] {rule.get('id')}"
            props = rule.get("properties", {})
            tags = props.get("tags", [])
            if "security" not in tags:
                problems.append(f"{where}: tags lack 'security'")
            if len(tags) > GITHUB_MAX_TAGS_PER_RULE:
                problems.append(f"{where}: {len(tags)} tags (limit {GITHUB_MAX_TAGS_PER_RULE})")
            if "security-severity" in props:
                value = props["security-severity"]
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    number = -1.0
                if not isinstance(value, str) or not 0.0 <= number <= 10.0:
                    problems.append(f"{where}: security-severity {value!r} is not '0.0'-'10.0'")
        results = run.get("results", [])
        if len(results) > GITHUB_MAX_RESULTS_PER_RUN:
            problems.append(f"runs[{r}]: {len(results)} results")
        for i, result in enumerate(results):
            where = f"runs[{r}].results[{i}]"
            if not result.get("ruleId"):
                problems.append(f"{where}: ruleId is required")
            elif "ruleIndex" in result and rules[result["ruleIndex"]]["id"] != result["ruleId"]:
                problems.append(f"{where}: ruleIndex does not point at rule {result['ruleId']}")
            if not result.get("message", {}).get("text"):
                problems.append(f"{where}: message.text is required")
            fingerprints = result.get("partialFingerprints") or {}
            if not fingerprints or not all(isinstance(v, str) and v for v in fingerprints.values()):
                problems.append(f"{where}: partialFingerprints missing or empty")
            locations = result.get("locations") or []
            if not locations:
                problems.append(f"{where}: no location (GitHub rejects the upload)")
            if len(locations) > GITHUB_MAX_LOCATIONS_PER_RESULT:
                problems.append(f"{where}: {len(locations)} locations")
            for j, location in enumerate(locations):
                physical = location.get("physicalLocation") or {}
                uri = physical.get("artifactLocation", {}).get("uri", "")
                if not uri:
                    problems.append(f"{where}.locations[{j}]: no physicalLocation uri")
                    continue
                parts = urlsplit(uri)
                if parts.scheme or parts.netloc or uri.startswith("/"):
                    problems.append(f"{where}.locations[{j}]: uri {uri!r} is not repo-relative")
                if not _URI_REFERENCE.match(uri):
                    problems.append(f"{where}.locations[{j}]: uri {uri!r} is not RFC 3986")
                # RFC 3986 6.2.2.2: a normalizer decodes %2E (an unreserved character) first
                decoded = _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), uri)
                if any(seg in (".", "..") for seg in decoded.split("/")):
                    problems.append(f"{where}.locations[{j}]: uri {uri!r} has a dot segment")
                start = physical.get("region", {}).get("startLine", 1)
                if not isinstance(start, int) or start < 1:
                    problems.append(f"{where}.locations[{j}]: startLine {start!r}")
    return problems


def assert_valid_sarif(text: str) -> dict[str, Any]:
    """The SARIF log, after the official schema and GitHub's rules found nothing wrong."""
    log = json.loads(text)
    problems = _schema_errors(_sarif_validator(), log) + github_sarif_problems(log)
    assert not problems, "SARIF rejected:\n" + "\n".join(problems)
    return log  # type: ignore[no-any-return]


@cache
def _junit_schema() -> Any:
    import xmlschema

    return xmlschema.XMLSchema10(str(SCHEMAS / "junit-10.xsd"))


def assert_valid_junit(text: str) -> None:
    """Valid for Jenkins' xUnit plugin (junit-10.xsd), read by junitparser as written, and
    every testcase carries a time (GitLab shows it; the XSD leaves it optional)."""
    import xml.etree.ElementTree as ET

    from junitparser import Error, Failure, JUnitXml, Skipped

    data = text.encode("utf-8")
    errors = [str(e).splitlines()[0] for e in _junit_schema().iter_errors(data.decode())]
    assert not errors, "junit-10.xsd rejects the JUnit file:\n" + "\n".join(errors[:20])
    root = ET.fromstring(data)
    for case in root.iter("testcase"):
        assert case.get("time") is not None, f"testcase {case.get('name')} has no time"
    with tempfile.NamedTemporaryFile(suffix=".xml") as handle:
        handle.write(data)
        handle.flush()
        parsed = JUnitXml.fromfile(handle.name)
    cases = [case for suite in parsed for case in suite]
    assert len(cases) == sum(1 for _ in root.iter("testcase"))
    expected = {"failures": Failure, "errors": Error, "skipped": Skipped}
    for suite in parsed:
        for attribute, kind in expected.items():
            counted = sum(1 for case in suite if any(isinstance(r, kind) for r in case.result))
            declared = int(getattr(suite, attribute) or 0)
            assert counted == declared, f"suite {suite.name}: {attribute} {declared} != {counted}"


def parse_prometheus(text: str) -> dict[str, Any]:
    """Metric families by name, as prometheus_client's own text parser reads them."""
    from prometheus_client.parser import text_string_to_metric_families

    return {family.name: family for family in text_string_to_metric_families(text)}


def assert_valid_prometheus(text: str) -> dict[str, Any]:
    """Parsed by prometheus_client and passed by `promtool check metrics` (no lint problem)."""
    families = parse_prometheus(text)
    try:
        proc = subprocess.run(
            ["promtool", "check", "metrics"],
            input=text,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:  # lab/deps.txt lists it; `make` installs Debian's prometheus
        raise AssertionError("promtool is missing: run lab/ensure-deps.sh") from None
    assert proc.returncode == 0, f"promtool check metrics:\n{proc.stdout}{proc.stderr}"
    return families


def strict(schema: Any) -> Any:
    """The schema with every object closed (`additionalProperties: false`) unless it says
    otherwise: the shipped schema lets consumers meet fields added later, the tests must
    not, so a field added to report.json without its schema entry fails here."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    closed = {key: strict(value) for key, value in schema.items() if key != "properties"}
    if "properties" in schema:  # property names are data here, not keywords
        closed["properties"] = {k: strict(v) for k, v in schema["properties"].items()}
        closed.setdefault("additionalProperties", False)
    return closed


@cache
def _package_validator(name: str) -> Any:
    import jsonschema

    from hardaudit.report.schemas import load_schema

    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        strict(schema), format_checker=jsonschema.FormatChecker()
    )


def assert_valid_report_json(data: Any) -> None:
    """report.json (text or parsed) is valid for the schema `audit schema report` prints."""
    document = json.loads(data) if isinstance(data, str) else data
    errors = _schema_errors(_package_validator("report"), document)
    assert not errors, "report.json does not match its schema:\n" + "\n".join(errors[:20])


def assert_valid_diff_json(data: Any) -> None:
    """A hardaudit.diff/1 document is valid for the schema `audit schema diff` prints."""
    document = json.loads(data) if isinstance(data, str) else data
    errors = _schema_errors(_package_validator("diff"), document)
    assert not errors, "diff JSON does not match its schema:\n" + "\n".join(errors[:20])


def assert_valid_output(path: Path) -> None:
    """Check one file `audit` wrote, by its name (report.json, .sarif, .junit.xml, .prom)."""
    text = path.read_text(encoding="utf-8")
    if path.name.endswith(".sarif"):
        assert_valid_sarif(text)
    elif path.name.endswith(".junit.xml"):
        assert_valid_junit(text)
    elif path.name.endswith(".prom"):
        assert_valid_prometheus(text)
    elif path.name == "report.json":
        assert_valid_report_json(text)
