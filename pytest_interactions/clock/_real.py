"""The real monotonic clock, kept where time-freezing libraries do not replace it.

Virtual time swaps the ``time`` module's attributes, and freezegun (in a user's own tests) swaps
every module attribute that holds a time function; a reference held in a container is left alone,
so recording timings stay real even inside a frozen test.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_MONOTONIC: tuple[Callable[[], float]] = (time.perf_counter,)
_SLEEP: tuple[Callable[[float], None]] = (time.sleep,)


def real_monotonic() -> float:
    """Seconds on the real monotonic clock."""
    return _MONOTONIC[0]()


def real_sleep(seconds: float) -> None:
    """Sleep for real, even while a virtual clock runs."""
    _SLEEP[0](seconds)
