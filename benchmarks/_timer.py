"""A real clock for timing replays that run on a frozen or virtual clock.

freezegun replaces module attributes holding the real time functions; one held in a container
is left alone.
"""

from __future__ import annotations

import time

_REAL = {"clock": time.perf_counter}


def now() -> float:
    """Seconds on the real monotonic clock."""
    return _REAL["clock"]()
