"""The real monotonic clock, kept where time-freezing libraries do not replace it.

Virtual time swaps the ``time`` module's attributes; a reference held in a container is left
alone, so recording timings stay real even inside a frozen test.
"""

from __future__ import annotations

import time

_REAL = {"monotonic": time.perf_counter, "sleep": time.sleep}


def real_monotonic() -> float:
    """Seconds on the real monotonic clock."""
    return _REAL["monotonic"]()


def real_sleep(seconds: float) -> None:
    """Sleep for real, even while a virtual clock runs."""
    _REAL["sleep"](seconds)
