"""The one place that maps run outcomes to process exit codes (documented in README)."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """Exit codes a CI job can gate on."""

    OK = 0  # every selected host audited, no failed check
    CHECKS_FAILED = 1  # at least one check failed
    USAGE_ERROR = 2  # bad arguments, inventory or check definition
    HOST_ERROR = 3  # at least one host could not be audited (wins over CHECKS_FAILED)
    INTERRUPTED = 130  # Ctrl-C


def exit_status_for(*, any_failed_check: bool, any_host_not_audited: bool) -> ExitStatus:
    """Combine a run's outcomes into one exit status; host errors win over failed checks."""
    if any_host_not_audited:
        return ExitStatus.HOST_ERROR
    if any_failed_check:
        return ExitStatus.CHECKS_FAILED
    return ExitStatus.OK
