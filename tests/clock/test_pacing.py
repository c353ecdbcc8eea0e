"""Moving virtual time together with a simulated server: listeners, a pacer, loops kept on real time."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from pytest_interactions.clock import Poll, VirtualClock, on_real_time


def test_listeners_hear_every_move_until_the_clock_stops() -> None:
    heard: list[float] = []
    clock = VirtualClock().start()
    try:
        clock.follow(heard.append)
        time.sleep(10)
        clock.advance(2.5)
        asyncio.run(asyncio.sleep(30))
    finally:
        clock.stop()
    assert sum(heard) == 42.5
    with VirtualClock() as again:
        again.advance(1)
    assert sum(heard) == 42.5  # the listener left with its clock


class Recorded:
    """A pacer that lets the loop's timer come due at once, noting what it was asked."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.asked: list[float | None] = []

    def wait(self, poll: Poll, timeout: float | None) -> list[Any]:
        self.asked.append(timeout)
        assert timeout is not None
        assert poll(0) == []  # nothing to read: the loop only waits for its timer
        self.clock.advance(timeout)
        return []


def test_a_pacer_decides_how_a_waiting_loop_moves_time() -> None:
    with VirtualClock() as clock:
        pacer = Recorded(clock)
        clock.pace_with(pacer)
        asyncio.run(asyncio.sleep(20))
        assert clock.now() == 20
        with VirtualClock() as other, pytest.raises(RuntimeError, match="already paces"):
            other.pace_with(Recorded(other))
    assert pacer.asked
    assert sum(t for t in pacer.asked if t is not None) == pytest.approx(20)


def _loop_in_a_thread(real: bool) -> None:
    def run() -> None:
        if real:
            with on_real_time():
                asyncio.run(asyncio.sleep(0.05))
        else:
            asyncio.run(asyncio.sleep(0.05))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)


def test_a_loop_on_real_time_leaves_virtual_time_alone() -> None:
    with VirtualClock() as clock:
        _loop_in_a_thread(real=True)
        assert clock.now() == 0  # it waited for real
        _loop_in_a_thread(real=False)
        assert clock.now() == pytest.approx(0.05, abs=1e-5)  # without it, its timer moved virtual time
