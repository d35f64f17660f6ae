"""Data shared by several layers of a run; imports nothing of the project.

A host's status is part of the run's data model (report.json `hosts[].status`), not of a
transport: transports raise it, the runner records it, reports and the history read it.
"""

from __future__ import annotations

import enum


class HostStatus(enum.StrEnum):
    """Per-host outcome of a run (the `status` field of report.json hosts[])."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    AUTH_FAILED = "auth-failed"
    HOSTKEY_UNKNOWN = "hostkey-unknown"
    HOSTKEY_MISMATCH = "hostkey-mismatch"
    ERROR = "error"
