"""A judge target whose import takes 2 s, as a Python starting on a loaded machine may."""

from __future__ import annotations

import time

from hardaudit.evaluate_bounded import parse_and_evaluate

time.sleep(2.0)
judge = parse_and_evaluate
