"""The virtual clock: sleeps advance it, asyncio timers jump to it, real time stays real."""

from __future__ import annotations

import asyncio
import datetime
import time

from pytest_interactions.clock import VirtualClock, real_monotonic


def test_sleeps_advance_every_clock_together() -> None:
    started = real_monotonic()
    with VirtualClock() as clock:
        monotonic, wall, now = time.monotonic(), time.time(), datetime.datetime.now()
        for _ in range(120):
            time.sleep(5)
        assert time.monotonic() - monotonic == 600
        assert round(time.time() - wall) == 600
        assert datetime.datetime.now() - now == datetime.timedelta(minutes=10)
        assert clock.now() == 600
    assert real_monotonic() - started < 5  # ten virtual minutes, no real waiting


def test_a_reference_to_the_wall_clock_taken_at_import_reads_virtual_time_too() -> None:
    """Modules that did ``from time import time`` long before the clock started see it move: the
    wall clock is patched where it is computed, not where it is named."""
    from time import time as wall

    with VirtualClock():
        before = wall()
        time.sleep(3600)
        assert round(wall() - before) == 3600
        assert time.perf_counter_ns() - time.monotonic_ns() == 0  # both read the one virtual clock


def test_the_clock_starts_at_a_stable_moment() -> None:
    start = datetime.datetime(2026, 5, 20, 12, 0, tzinfo=datetime.UTC)
    with VirtualClock(start):
        assert datetime.datetime.now(datetime.UTC) == start


def test_asyncio_sleeps_and_timeouts_run_on_virtual_time() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        begin = loop.time()
        await asyncio.sleep(300)
        slept = loop.time() - begin
        begin = loop.time()
        try:
            async with asyncio.timeout(60):
                while True:
                    await asyncio.sleep(5)
        except TimeoutError:
            pass
        return slept, loop.time() - begin

    started = real_monotonic()
    with VirtualClock() as clock:
        slept, timed_out_after = asyncio.run(main())
        assert slept == 300
        assert 60 <= timed_out_after < 65  # the timeout fired at its virtual deadline
        assert clock.now() >= 360
    assert real_monotonic() - started < 5


def test_two_clocks_at_once_share_time_and_count_from_their_own_start() -> None:
    with VirtualClock() as first:
        time.sleep(10)
        with VirtualClock() as second:
            time.sleep(5)
            assert second.now() == 5
        assert first.now() == 15
        time.sleep(1)
    assert first.now() >= 16


def test_advance_to_reaches_a_moment_between_whole_microseconds() -> None:
    moment = 0.001726 + 0.002427  # a recorded poll: its offset plus its response time
    with VirtualClock() as clock:
        clock.advance_to(moment)
        assert clock.now() >= moment
        reached = clock.now()
        clock.advance_to(moment)  # never back, and no further once there
        assert clock.now() == reached
        assert reached - moment < 2e-6


def test_everything_is_real_again_afterwards() -> None:
    original = time.sleep
    with VirtualClock():
        assert time.sleep is not original
    assert time.sleep is original
    before = time.monotonic()
    time.sleep(0.01)
    assert time.monotonic() - before >= 0.01
