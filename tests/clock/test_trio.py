"""trio under virtual time: sleeps and timeouts jump, a run that cannot follow is refused, nothing hangs."""

from __future__ import annotations

import pytest
import trio

from pytest_interactions.clock import VirtualClock, VirtualTimeError, real_monotonic


def test_a_trio_run_started_on_virtual_time_sleeps_and_times_out_at_once() -> None:
    async def main() -> tuple[float, float]:
        begin = trio.current_time()
        await trio.sleep(600)
        slept = trio.current_time() - begin
        begin = trio.current_time()
        with trio.move_on_after(60):
            await trio.sleep_forever()
        return slept, trio.current_time() - begin

    started = real_monotonic()
    with VirtualClock() as clock:
        slept, timed_out_after = trio.run(main)
        assert clock.now() == 660  # the session's clock moved with trio's
    # trio's own clock counts from real time (a float of that size): equal to a microsecond.
    assert slept == pytest.approx(600, abs=1e-6)
    assert timed_out_after == pytest.approx(60, abs=1e-6)
    assert real_monotonic() - started < 5


def test_trio_runs_keep_real_time_outside_virtual_time() -> None:
    async def clock_name() -> str:
        await trio.sleep(0.01)
        return type(trio.lowlevel.current_clock()).__name__

    with VirtualClock():
        assert trio.run(clock_name) == "VirtualTrioClock"
    started = real_monotonic()
    assert trio.run(clock_name) == "SystemClock"
    assert real_monotonic() - started >= 0.01


def test_virtual_time_started_inside_a_running_trio_run_is_refused_with_the_reason() -> None:
    async def main() -> None:
        with VirtualClock():
            await trio.sleep(1)

    with pytest.raises(VirtualTimeError, match="virtual time cannot drive this trio run: it started before"):
        trio.run(main)
