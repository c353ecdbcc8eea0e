"""The real monotonic clock, kept where time-freezing libraries do not replace it.

freezegun swaps module attributes that hold the real time functions; a reference held in a
container is left alone, so recording timings stay real even inside a frozen test.
"""

from __future__ import annotations

import time

_REAL = {"monotonic": time.perf_counter}


def real_monotonic() -> float:
    """Seconds on the real monotonic clock."""
    return _REAL["monotonic"]()
