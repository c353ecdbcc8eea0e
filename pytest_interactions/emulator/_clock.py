"""The emulator's clock: scenario seconds that pass at a chosen speed, or only when told."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from pytest_interactions.clock import real_monotonic

DEFAULT_EPOCH = datetime(2026, 5, 20, 12, 0, 0, tzinfo=UTC)


class EmulatorClock:
    """Scenario time for the emulator.

    With ``speed`` set, scenario time runs ``speed`` times faster than real time (a 60-second
    run takes 0.6 s at speed 100). With ``manual=True`` it stands still until
    :meth:`advance` moves it, so a test decides exactly when work progresses.
    """

    def __init__(self, *, speed: float = 1.0, manual: bool = False, epoch: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed!r}")
        self.speed = speed
        self.manual = manual
        self.epoch = epoch or DEFAULT_EPOCH
        self._lock = threading.Lock()
        self._offset = 0.0
        self._started = real_monotonic()

    def now(self) -> float:
        """Scenario seconds since the emulator started."""
        with self._lock:
            if self.manual:
                return self._offset
            return self._offset + (real_monotonic() - self._started) * self.speed

    def advance(self, seconds: float) -> float:
        """Move scenario time forward; returns the new time."""
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    def real_seconds(self, scenario_seconds: float) -> float | None:
        """How long to really wait for ``scenario_seconds`` to pass (``None``: until advanced)."""
        if self.manual:
            return None
        return max(0.0, scenario_seconds / self.speed)

    def timestamp(self, at: float) -> str:
        """RFC 3339 UTC timestamp of scenario time ``at``, at whole seconds like the API."""
        moment = self.epoch + timedelta(seconds=at)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
