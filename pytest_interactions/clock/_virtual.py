"""Virtual time for replay: sleeps advance a clock instead of waiting.

time-machine stops the wall clock (``time.time``, ``datetime.now`` and the rest, patched in C, so
that every reference to them is reached without scanning modules); ``time.monotonic`` and
``time.perf_counter`` (and with them the asyncio loop's clock) read virtual time through the
``time`` module; ``time.sleep`` advances it all; an asyncio loop with nothing to do but wait for a
timer jumps to it, so ``asyncio.sleep``, back-offs and timeouts all run at once and stay
consistent with each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import selectors
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import time_machine

from pytest_interactions.clock import _trio
from pytest_interactions.clock._real import real_monotonic

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)

_REAL = {
    "monotonic": time.monotonic,
    "monotonic_ns": time.monotonic_ns,
    "perf_counter": time.perf_counter,
    "perf_counter_ns": time.perf_counter_ns,
}

#: Float error tolerated when converting a wait to whole microseconds (in microseconds).
_NOISE = 1e-3

#: Steps below this many microseconds convert to float seconds and back to nanoseconds exactly.
_EXACT_FLOAT_MICROS = 10**12

Poll = Callable[[float], list[Any]]


class Pacer(Protocol):
    """Decides how virtual time moves while an event loop has nothing ready to run.

    Given ``poll`` (a real, non-virtual select of the loop's sockets for at most that many
    seconds) and ``timeout`` (virtual seconds to the loop's next timer; ``None``: no timer),
    it returns what became ready, after moving virtual time as far as it judges right.
    """

    def wait(self, poll: Poll, timeout: float | None) -> list[Any]: ...


@functools.cache
def _selector_class() -> type[selectors.BaseSelector]:
    loop = asyncio.new_event_loop()
    try:
        selector = getattr(loop, "_selector", None)
        return type(selector) if selector is not None else selectors.DefaultSelector
    finally:
        loop.close()


class _FrozenTime:
    """The one frozen time of the process, shared by every virtual clock that runs."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users = 0
        self.micros = 0
        self.total_micros = 0
        self.real_at_freeze = 0.0
        self.travel: Any = None
        self.traveller: Any = None
        self.undo: list[tuple[Any, str, Any]] = []
        self.loop_base = 0.0
        self.listeners: list[Callable[[float], None]] = []
        self.real_threads: set[int] = set()
        self.pacer: Pacer | None = None

    def acquire(self, start: datetime) -> None:
        with self.lock:
            self.users += 1
            if self.users > 1:
                return
            self.micros = 0
            self.real_at_freeze = real_monotonic()
            # Monotonic clocks read virtual time from a small base, where a float keeps
            # microseconds exact. A whole number of seconds, so that timers set at whole or half
            # seconds are due exactly where virtual time lands, whatever the base.
            self.loop_base = float(math.floor(self.real_at_freeze))
            self.travel = time_machine.travel(start, tick=False)
            self.traveller = self.travel.start()
            self._patch(time, "sleep", _virtual_sleep)
            self._patch(time, "monotonic", _monotonic)
            self._patch(time, "perf_counter", _monotonic)
            self._patch(time, "monotonic_ns", _monotonic_ns)
            self._patch(time, "perf_counter_ns", _monotonic_ns)
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
            if self.travel is not None:
                self.travel.stop()
            self.travel = self.traveller = None

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
        # Round up to whole microseconds so that a timer due in ``seconds`` is never left a
        # fraction short, but not for float noise: a timeout of 300 s computed as
        # ``when - loop.time()`` reads 300.00000000003 and must move 300 s, not 300.000001 s.
        # Time counts in whole microseconds (an int), so that steps add up exactly.
        micros = max(1, math.ceil(seconds * 1_000_000 - _NOISE))
        with self.lock:
            self.micros += micros
            self.total_micros += micros
            traveller = self.traveller
            if traveller is not None:
                # Seconds as a float, which time-machine rounds to exactly ``micros * 1000`` ns for
                # any step under 11 days: half the cost of a timedelta, paid once per stream event.
                step = micros / 1_000_000 if micros < _EXACT_FLOAT_MICROS else timedelta(microseconds=micros)
                traveller.shift(step)
            if self.listeners:
                for listener in tuple(self.listeners):
                    listener(micros / 1_000_000)

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        self.undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)


_FROZEN = _FrozenTime()


def _monotonic() -> float:
    if _FROZEN.real_threads and threading.get_ident() in _FROZEN.real_threads:
        return float(_REAL["monotonic"]())
    return _FROZEN.loop_base + _FROZEN.micros / 1_000_000


def _monotonic_ns() -> int:
    if _FROZEN.real_threads and threading.get_ident() in _FROZEN.real_threads:
        return int(_REAL["monotonic_ns"]())
    return int(_FROZEN.loop_base) * 1_000_000_000 + _FROZEN.micros * 1_000


def _virtual_sleep(seconds: float) -> None:
    _FROZEN.advance(float(seconds))


def _jumping_select(original: Any) -> Any:
    """An event loop that would wait only for a timer jumps virtual time to it instead."""

    def select(selector: Any, timeout: float | None = None) -> Any:
        if threading.get_ident() in _FROZEN.real_threads:
            return original(selector, timeout)
        ready = original(selector, 0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        pacer = _FROZEN.pacer
        if pacer is not None:
            return pacer.wait(lambda seconds: original(selector, seconds), timeout)
        if timeout is None:
            return original(selector, None)
        _FROZEN.advance(timeout)
        return []

    return select


class VirtualClock:
    """A session's view of virtual time: seconds since it started, moved by sleeps.

    Every clock running at once shares one frozen time (the patched clocks are process-wide), so two
    sessions in one test stay consistent; each counts from its own start.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.start_time = start or DEFAULT_START
        self._origin = 0.0
        self._running = False
        self._listeners: list[Callable[[float], None]] = []
        self._pacer: Pacer | None = None

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
        self.reach(moment)

    def reach(self, moment: float) -> float:
        """:meth:`advance_to` ``moment``, then :meth:`now`: one call for each event a stream serves."""
        frozen, origin = _FROZEN, self._origin
        now = frozen.micros / 1_000_000 - origin
        while moment > now:
            frozen.advance(moment - now)
            now = frozen.micros / 1_000_000 - origin
        return now

    def follow(self, listener: Callable[[float], None]) -> None:
        """Call ``listener`` with the seconds of every move of virtual time (until stopped)."""
        with _FROZEN.lock:
            _FROZEN.listeners.append(listener)
            self._listeners.append(listener)

    def pace_with(self, pacer: Pacer) -> None:
        """Let ``pacer`` decide how virtual time moves while an event loop waits (until stopped)."""
        with _FROZEN.lock:
            if _FROZEN.pacer is not None and _FROZEN.pacer is not pacer:
                raise RuntimeError("another session already paces virtual time")
            _FROZEN.pacer = self._pacer = pacer

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
            with _FROZEN.lock:
                for listener in self._listeners:
                    _FROZEN.listeners.remove(listener)
                if self._pacer is not None and _FROZEN.pacer is self._pacer:
                    _FROZEN.pacer = None
                self._listeners, self._pacer = [], None
            _FROZEN.release()

    def __enter__(self) -> VirtualClock:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def on_real_time() -> Iterator[None]:
    """Keep the current thread's event loop on real time, even while a virtual clock runs: for a
    server's loop (an emulator's) serving a test that runs on virtual time."""
    ident = threading.get_ident()
    with _FROZEN.lock:
        _FROZEN.real_threads.add(ident)
    try:
        yield
    finally:
        with _FROZEN.lock:
            _FROZEN.real_threads.discard(ident)
