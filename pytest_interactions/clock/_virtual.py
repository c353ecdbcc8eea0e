"""Virtual time for replay: sleeps advance a clock instead of waiting.

freezegun freezes ``time.time``, ``time.monotonic``, ``datetime.now`` (and the asyncio loop's
clock, which reads ``time.monotonic``); ``time.sleep`` advances them; an asyncio loop with nothing
to do but wait for a timer jumps to it, so ``asyncio.sleep``, back-offs and timeouts all run at
once and stay consistent with each other.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import math
import selectors
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun import freeze_time

from pytest_interactions.clock import _trio
from pytest_interactions.clock._real import real_monotonic

#: Modules that keep real time while the clock is frozen.
#: trio keeps its own clock (see ``_trio``): frozen, a run that does not use virtual time would hang.
IGNORED_MODULES: tuple[str, ...] = (
    "pytest_interactions",
    "threading",
    "_pytest.runner",
    "_pytest.terminal",
    "trio",
)
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)

_REAL_SLEEP = {"sleep": time.sleep}
#: Loop time's base is a multiple of 1/_GRID seconds (exact in binary).
_GRID = 2**20
#: Float error tolerated when converting a wait to whole microseconds (in microseconds).
_NOISE = 1e-3


def _selector_class() -> type[selectors.BaseSelector]:
    loop = asyncio.new_event_loop()
    try:
        selector = getattr(loop, "_selector", None)
        return type(selector) if selector is not None else selectors.DefaultSelector
    finally:
        loop.close()


class _FrozenTime:
    """The one freezegun freeze of the process, shared by every virtual clock that runs."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users = 0
        self.micros = 0
        self.total_micros = 0
        self.real_at_freeze = 0.0
        self.factory: Any = None
        self.freezer: Any = None
        self.undo: list[tuple[Any, str, Any]] = []
        self.loop_base = 0.0

    def acquire(self, start: datetime) -> None:
        with self.lock:
            self.users += 1
            if self.users > 1:
                return
            self.micros = 0
            self.real_at_freeze = real_monotonic()
            self.freezer = freeze_time(start, ignore=list(IGNORED_MODULES), tick=False)
            self.factory = self.freezer.start()
            self._patch(time, "sleep", _virtual_sleep)
            # Event loops read virtual time from a small base: freezegun's monotonic counts from
            # 1970, where float precision is too coarse for asyncio's timer arithmetic. The base is
            # a whole number of 2**-20 s, so that adding whole seconds to it stays exact.
            self.loop_base = math.floor(real_monotonic() * _GRID) / _GRID
            self._patch(asyncio.base_events.BaseEventLoop, "time", _loop_time)
            cls = _selector_class()
            self._patch(cls, "select", _jumping_select(cls.select))
            for owner, name, value in _trio.patches(self):
                self._patch(owner, name, value)

    def release(self) -> None:
        with self.lock:
            self.users -= 1
            if self.users > 0:
                return
            while self.undo:
                owner, name, original = self.undo.pop()
                setattr(owner, name, original)
            if self.freezer is not None:
                self.freezer.stop()
            self.freezer = self.factory = None

    @property
    def elapsed(self) -> float:
        return self.micros / 1_000_000

    def trio_time(self) -> float:
        # Real time plus every jump so far; while frozen, real time stops counting (as loop time
        # does), and on release it counts again from where it stood: never back.
        real = self.real_at_freeze if self.users else real_monotonic()
        return real + self.total_micros / 1_000_000

    def advance(self, seconds: float) -> None:
        if seconds <= 0:
            return
        # freezegun counts in whole microseconds: round up so that a timer due in ``seconds`` is
        # never left a fraction short, but not for float noise: a timeout of 300 s computed as
        # ``when - loop.time()`` reads 300.00000000003 and must move 300 s, not 300.000001 s.
        # Time counts in whole microseconds (an int), so that steps add up exactly.
        micros = max(1, math.ceil(seconds * 1_000_000 - _NOISE))
        with self.lock:
            self.micros += micros
            self.total_micros += micros
            if self.factory is not None:
                self.factory.tick(timedelta(microseconds=micros))

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        self.undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)


_FROZEN = _FrozenTime()


def _loop_time(loop: Any) -> float:
    return _FROZEN.loop_base + _FROZEN.elapsed


def _virtual_sleep(seconds: float) -> None:
    _FROZEN.advance(float(seconds))


def _jumping_select(original: Any) -> Any:
    """An event loop that would wait only for a timer jumps virtual time to it instead."""

    def select(selector: Any, timeout: float | None = None) -> Any:
        ready = original(selector, 0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        if timeout is None:
            return original(selector, None)
        _FROZEN.advance(timeout)
        return []

    return select


class VirtualClock:
    """A session's view of virtual time: seconds since it started, moved by sleeps.

    Every clock running at once shares one frozen time (freezegun's is process-wide), so two
    sessions in one test stay consistent; each counts from its own start.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.start_time = start or DEFAULT_START
        self._origin = 0.0
        self._running = False

    def now(self) -> float:
        """Virtual seconds since this clock started."""
        return _FROZEN.elapsed - self._origin

    def advance(self, seconds: float) -> None:
        """Move virtual time forward (what a sleep does)."""
        _FROZEN.advance(seconds)

    def advance_to(self, moment: float) -> None:
        """Move virtual time forward until :meth:`now` reads ``moment`` or later (never back).

        Time moves in whole microseconds, and a recorded moment (a sum of rounded offsets) is
        seldom one: one step of ``moment - now()`` can round to a hair short of it, and a reader
        comparing times would then see the moment still ahead. Step again until it is reached.
        """
        while (ahead := moment - self.now()) > 0:
            _FROZEN.advance(ahead)

    def start(self) -> VirtualClock:
        if self._running:
            raise RuntimeError("this virtual clock is already running")
        _trio.refuse_running_trio(_FROZEN)
        _FROZEN.acquire(self.start_time)
        self._origin = _FROZEN.elapsed
        self._running = True
        return self

    def stop(self) -> None:
        if self._running:
            self._running = False
            _FROZEN.release()

    def __enter__(self) -> VirtualClock:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def real_sleep(seconds: float) -> None:
    """Sleep for real, even while a virtual clock runs."""
    _REAL_SLEEP["sleep"](seconds)
