"""Parse what the facts script reports about its own cost: `TIME` lines and `times`.

After each section the script prints `@@<nonce> TIME <section> <ticks> <unit>` (unit `cs`,
`ns` or `s`: see its `clk`), and at its end `@@<nonce> CPU` followed by the two lines of the
`times` built-in. A target may print anything: only whole lines under the run's nonce count,
only sections the script has (a user check's `user.<id>` included), each once, with a
bounded number of digits and a value no larger than MAX_SECONDS; the rest is ignored.
"""

from __future__ import annotations

import re

from hardaudit.facts.model import FactsTiming
from hardaudit.facts.script import FACT_SECTIONS

KNOWN_SECTIONS = frozenset({"meta", *(s for names in FACT_SECTIONS.values() for s in names)})
_USER_SECTION = re.compile(r"user\.[a-z0-9][a-z0-9_.-]{0,100}")
_PER_SECOND = {"cs": 100, "ns": 1_000_000_000, "s": 1}
MAX_SECONDS = 86_400.0  # a section said to take longer than a day is not believed
MAX_SECTIONS = 256  # more TIME lines than the script could print are not read
# `times`: "0m0.020000s 0m0.010000s" (dash), "0m0.020s 0m0.010s" (bash, BusyBox ash)
_TIMES_PAIR = r"([0-9]{1,9})m([0-9]{1,9}(?:\.[0-9]{1,9})?)s"
_TIMES_LINE = re.compile(rf"{_TIMES_PAIR} {_TIMES_PAIR}")


def _known(section: str) -> bool:
    return section in KNOWN_SECTIONS or _USER_SECTION.fullmatch(section) is not None


def parse_timing(stdout: str, nonce: str) -> FactsTiming:
    """The sections' wall times and the script's CPU, from its stdout.

    >>> out = "@@n TIME meta 7 cs\\n@@n TIME sshd_t 250000000 ns\\n@@n CPU\\n0m0.01s 0m0.02s\\n0m0.1s 0m0.05s\\n"
    >>> parse_timing(out, "n")
    FactsTiming(sections=(('meta', 0.07), ('sshd_t', 0.25)), cpu_s=0.18)
    """
    marker = re.escape(f"@@{nonce}")
    # a line counts only with its newline: a stream cut inside `125` must not read as 12
    times = re.compile(
        rf"^{marker} TIME ([A-Za-z0-9_.-]{{1,128}}) ([0-9]{{1,20}}) (cs|ns|s)(?=\n)", re.MULTILINE
    )
    sections: dict[str, float] = {}
    for index, match in enumerate(times.finditer(stdout)):
        if index >= MAX_SECTIONS:
            break
        name, ticks, unit = match.groups()
        seconds = int(ticks) / _PER_SECOND[unit]
        if _known(name) and name not in sections and seconds <= MAX_SECONDS:
            sections[name] = round(seconds, 3)
    return FactsTiming(sections=tuple(sections.items()), cpu_s=_cpu(stdout, marker))


def _cpu(stdout: str, marker: str) -> float | None:
    found = re.search(rf"^{marker} CPU\n([^\n]*)\n([^\n]*)(?=\n)", stdout, re.MULTILINE)
    if found is None:
        return None
    total = 0.0
    for line in found.groups():
        pairs = _TIMES_LINE.fullmatch(line.strip())
        if pairs is None:
            return None
        minutes_a, seconds_a, minutes_b, seconds_b = pairs.groups()
        total += int(minutes_a) * 60 + float(seconds_a) + int(minutes_b) * 60 + float(seconds_b)
    return round(total, 3) if total <= MAX_SECONDS else None
