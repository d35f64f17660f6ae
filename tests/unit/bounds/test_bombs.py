"""Inputs a target can print that once cost minutes of CPU or gigabytes of memory."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import pytest

from hardaudit.checks.rules.ssh import MaxStartups


def _call_budget(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """Make MaxStartups.refusal fail the test after `limit` calls, instead of running out
    of memory the way an expansion over every count would."""
    real: Callable[[MaxStartups, int], Fraction] = MaxStartups.refusal
    calls = [0]

    def counted(self: MaxStartups, unauthenticated: int) -> Fraction:
        calls[0] += 1
        assert calls[0] <= limit, "refusal() evaluated at every connection count"
        return real(self, unauthenticated)

    monkeypatch.setattr(MaxStartups, "refusal", counted)


@pytest.mark.parametrize(
    ("value", "tighter"),
    [
        ("10:30:2147483647", False),  # sshd accepts it: refuses less often above 100
        ("1:100:2147483647", True),  # refuses everything from the first connection
        ("2147483647", False),
        ("10:30:60", True),
    ],
)
def test_maxstartups_is_compared_from_its_values_not_per_connection_count(
    monkeypatch: pytest.MonkeyPatch, value: str, tighter: bool
) -> None:
    default = MaxStartups.parse("10:30:100")
    parsed = MaxStartups.parse(value)
    assert default is not None
    assert parsed is not None
    _call_budget(monkeypatch, 100)
    assert parsed.tighter_than(default) is tighter


@pytest.mark.parametrize("value", ["²", "1:٣:100", "9" * 5000, "10:30:" + "9" * 11])
def test_maxstartups_of_non_ascii_or_huge_digits_is_not_a_value(value: str) -> None:
    assert MaxStartups.parse(value) is None
