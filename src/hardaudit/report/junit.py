"""JUnit XML: one testsuite per host, one testcase per check, for CI systems to ingest.

Written for the strictest reader, the Jenkins xUnit plugin's junit-10.xsd (the tests validate
against it): `testsuites` carries only name/time/tests/failures/errors (no skipped, no
timestamp); each `testsuite` has its counts, time and timestamp.

How each result maps, as GitLab's and Jenkins' test reports show them:
- fail -> <failure>: the host is audited and the check found a problem (GitLab "failed");
- unknown -> <error>: the check could not decide (GitLab "error"), which is not a pass;
- a host that could not be audited is one `connect` testcase with an <error> carrying its
  status and reason (GitLab "error"): nothing was judged, so nothing can read as passed;
- skip -> <skipped>; waived -> <skipped> with the waiver's reason (accepted, not hidden);
- a manual item of the host's profiles -> a testcase `manual:<profile>/<item>` with a
  <skipped> "not machine-checkable: <text>": listed, so the checklist is complete, and
  never a pass.

Every testcase has a `time`: the checks of a host are judged together from one facts run,
so a check case is 0.000 and the host's time is its suite's (the `connect` case carries the
time spent trying). `classname` is `hardaudit.<host with dots replaced by _>`: tools split a
classname at its last dot into package and class, so `web1.example.com` must not become
package `hardaudit.web1.example`, class `com`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hardaudit.checks.model import CheckResult, Status
from hardaudit.model import HostStatus
from hardaudit.printable import UNSAFE_CLASS, escape_char
from hardaudit.profiles.model import ManualItem
from hardaudit.report.model import HostReport, ProfileRecord, RunReport, manual_items

# printable's set (C0/C1 controls, format characters such as bidi controls and zero-width
# characters, surrogates, U+FFFE/F) but tab and newline, which XML carries: hostile evidence
# must not break the document, drive a terminal, or hide or reorder text on a CI page.
_UNSAFE = re.compile(f"(?![\t\n])[{UNSAFE_CLASS}]")


def xml_safe(text: str) -> str:
    r"""Text with every character XML cannot carry (or a terminal would obey) shown escaped.

    >>> xml_safe("red \x1b[31m")
    'red \\x1b[31m'
    """
    return _UNSAFE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    return escape_char(match.group())


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def classname(host: str) -> str:
    """The testcase classname of a host: one class under the `hardaudit` package.

    >>> classname("web1.example.com")
    'hardaudit.web1_example_com'
    """
    return "hardaudit." + xml_safe(host).replace(".", "_")


def _testcase(host: HostReport, result: CheckResult) -> ET.Element:
    case = ET.Element(
        "testcase", classname=classname(host.name), name=xml_safe(result.check), time=_seconds(0)
    )
    if result.status == Status.FAIL:
        failure = ET.SubElement(
            case, "failure", message=xml_safe(result.title), type=result.severity.label
        )
        failure.text = xml_safe("\n".join(result.evidence))
    elif result.status == Status.UNKNOWN:
        error = ET.SubElement(case, "error", message=xml_safe(result.reason), type="unknown")
        error.text = xml_safe("\n".join(result.evidence))
    elif result.status == Status.SKIP:
        ET.SubElement(case, "skipped", message=xml_safe(result.reason))
    elif result.status == Status.WAIVED:
        was = result.waived_from.value if result.waived_from else "?"
        skipped = ET.SubElement(
            case, "skipped", message=xml_safe(f"waived ({was}): {result.waiver_reason}")
        )
        skipped.text = xml_safe("\n".join(result.evidence))
    return case


def _manual_case(host: HostReport, profile: str, item: ManualItem) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=classname(host.name),
        name=xml_safe(f"manual:{profile}/{item.id}"),
        time=_seconds(0),
    )
    ET.SubElement(case, "skipped", message=xml_safe(f"not machine-checkable: {item.text}"))
    return case


def _connect_case(host: HostReport) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=classname(host.name),
        name="connect",
        time=_seconds(host.duration_s),
    )
    error = ET.SubElement(
        case,
        "error",
        message=xml_safe(f"{host.status.value}: {host.reason}"),
        type=host.status.value,
    )
    error.text = xml_safe(host.reason)
    return case


def _suite(
    host: HostReport, timestamp: str, profiles: tuple[ProfileRecord, ...] = ()
) -> tuple[ET.Element, dict[str, int]]:
    if host.status == HostStatus.OK:
        cases = [_testcase(host, f) for f in host.findings]
        counts = {
            "tests": len(host.findings),
            "failures": host.count(Status.FAIL),
            "errors": host.count(Status.UNKNOWN),
            "skipped": host.count(Status.SKIP) + host.count(Status.WAIVED),
        }
    else:
        cases = [_connect_case(host)]
        counts = {"tests": 1, "failures": 0, "errors": 1, "skipped": 0}
    manual = [_manual_case(host, name, item) for name, item in manual_items(host, profiles)]
    cases += manual
    counts["tests"] += len(manual)
    counts["skipped"] += len(manual)
    attributes = {
        "name": xml_safe(host.name),
        **{key: str(value) for key, value in counts.items()},
        "time": _seconds(host.duration_s),
        "timestamp": timestamp,
        "hostname": xml_safe(host.address),
    }
    suite = ET.Element("testsuite", attributes)
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("status", host.status.value),
        ("reason", host.reason),
        ("groups", ",".join(host.groups)),
        ("jump", ",".join(host.jump)),
        ("privilege", host.privilege),
        ("os", host.os),
        ("score", "" if host.score is None else f"{host.score:g}"),
        ("profiles", ",".join(host.profiles)),
    ):
        if value:
            ET.SubElement(properties, "property", name=name, value=xml_safe(value))
    suite.extend(cases)
    return suite, counts


def render_junit(report: RunReport) -> str:
    """The JUnit XML document (UTF-8 declaration, indented, trailing newline)."""
    # JUnit timestamps carry no zone; started_at is UTC.
    # A report.json read back (`audit report FILE`) may carry anything here: xml_safe.
    timestamp = xml_safe(report.started_at.removesuffix("+00:00").removesuffix("Z"))
    root = ET.Element("testsuites", name="hardaudit")
    # junit-10.xsd: testsuites has no skipped or timestamp attribute (each testsuite has them).
    totals = dict.fromkeys(("tests", "failures", "errors"), 0)
    suites = []
    for host in report.hosts:
        suite, counts = _suite(host, timestamp, report.profiles)
        suites.append(suite)
        for key in totals:
            totals[key] += counts[key]
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(report.duration_s))
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
