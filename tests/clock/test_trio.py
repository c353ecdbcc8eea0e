"""trio under virtual time: sleeps and timeouts jump, a run that cannot follow is refused, nothing hangs."""

from __future__ import annotations

import math

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


@pytest.mark.parametrize("base", [0.0, 3730.547427767196, 65349.77915431363, 130848.87966840655])
def test_trio_lands_on_each_deadline_whatever_the_real_base(
    base: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """trio time is a real base plus the jumps: at some bases the sum rounds a hair short of a
    deadline. The run must still wake exactly there, with no microsecond added to wake it."""
    from pytest_interactions.clock import _virtual

    waits = (600.0, 60.0, 0.1, 2.5, 1 / 3, 7.0)

    async def main() -> None:
        for wait in waits:
            await trio.sleep(wait)

    with VirtualClock() as clock:
        monkeypatch.setattr(_virtual._FROZEN, "real_at_freeze", base)
        monkeypatch.setattr(_virtual._FROZEN, "total_micros", 0)
        trio.run(main)
        expected = sum(math.ceil(w * 1e6 - 1e-3) for w in waits)
        assert round(clock.now() * 1e6) == expected


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
