"""Virtual time for replay: sleeps advance a clock instead of waiting.

freezegun freezes ``time.time``, ``time.monotonic``, ``datetime.now`` (and the asyncio loop's
clock, which reads ``time.monotonic``); ``time.sleep`` advances them; an asyncio loop with nothing
to do but wait for a timer jumps to it, so ``asyncio.sleep``, back-offs and timeouts all run at
once and stay consistent with each other.
"""

from __future__ import annotations

import asyncio
import math
import selectors
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from freezegun import freeze_time

from pytest_interactions.clock._real import real_monotonic

#: Modules that keep real time while the clock is frozen.
IGNORED_MODULES: tuple[str, ...] = ("pytest_interactions", "_pytest", "pluggy", "threading")
DEFAULT_START = datetime(2026, 1, 1, tzinfo=timezone.utc)

_REAL_SLEEP = {"sleep": time.sleep}


def _selector_class() -> type[selectors.BaseSelector]:
    loop = asyncio.new_event_loop()
    try:
        selector = getattr(loop, "_selector", None)
        return type(selector) if selector is not None else selectors.DefaultSelector
    finally:
        loop.close()


class VirtualClock:
    """A per-session virtual clock; only one runs at a time in a process."""

    _running: VirtualClock | None = None

    def __init__(self, start: datetime | None = None) -> None:
        self.start_time = start or DEFAULT_START
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()
        self._factory: Any = None
        self._freezer: Any = None
        self._undo: list[tuple[Any, str, Any]] = []

    def now(self) -> float:
        """Virtual seconds since the clock started."""
        return self.elapsed

    def advance(self, seconds: float) -> None:
        """Move virtual time forward (what a sleep does)."""
        if seconds <= 0:
            return
        # freezegun counts in whole microseconds: round up so that a timer due in
        # ``seconds`` is never left a fraction short.
        micros = math.ceil(seconds * 1_000_000)
        with self._lock:
            self.elapsed += micros / 1_000_000
            if self._factory is not None:
                self._factory.tick(timedelta(microseconds=micros))

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def start(self) -> VirtualClock:
        if VirtualClock._running is not None:
            raise RuntimeError("another virtual clock is already running in this process")
        VirtualClock._running = self
        self._freezer = freeze_time(self.start_time, ignore=list(IGNORED_MODULES), tick=False)
        self._factory = self._freezer.start()
        self._patch(time, "sleep", self._sleep_patch())
        cls = _selector_class()
        self._patch(cls, "select", self._select_patch(cls.select))
        return self

    def stop(self) -> None:
        while self._undo:
            owner, name, original = self._undo.pop()
            setattr(owner, name, original)
        if self._freezer is not None:
            self._freezer.stop()
            self._freezer = None
            self._factory = None
        if VirtualClock._running is self:
            VirtualClock._running = None

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        self._undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def _sleep_patch(self) -> Any:
        def sleep(seconds: float) -> None:
            self.sleep(float(seconds))

        return sleep

    def _select_patch(self, original: Any) -> Any:
        def select(selector: Any, timeout: float | None = None) -> Any:
            ready = original(selector, 0)
            if ready or timeout is None or timeout <= 0:
                return ready if ready or timeout is not None else original(selector, None)
            self.advance(timeout)
            return []

        return select

    def __enter__(self) -> VirtualClock:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def real_sleep(seconds: float) -> None:
    """Sleep for real, even while a virtual clock runs."""
    _REAL_SLEEP["sleep"](seconds)


def real_elapsed(since: float) -> float:
    return real_monotonic() - since
