"""A judge target for the worker-process tests: misbehaves on a marker in the output, as a
parser bug reached by a hostile host would, and judges normally otherwise."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping, Sequence
from typing import Any

from hardaudit.checks.model import Check
from hardaudit.evaluate_bounded import HostVerdict, parse_and_evaluate


def judge(
    stdout: str, stderr: str, nonce: str, checks: Sequence[Check], host_vars: Mapping[str, Any]
) -> HostVerdict:
    if "BOMB-TIME" in stdout:
        while True:  # a parser that never ends
            pass
    if "BOMB-MEMORY" in stdout:
        hoard = [bytearray(1 << 20) for _ in range(1 << 16)]  # 64 GiB, a MiB at a time
        return HostVerdict((), (str(len(hoard)),), "root", "")
    if "BOMB-CRASH" in stdout:
        os.kill(os.getpid(), signal.SIGKILL)
    return parse_and_evaluate(stdout, stderr, nonce, checks, host_vars)
