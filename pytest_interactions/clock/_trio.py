"""Virtual time for trio: a run started while virtual time runs gets a clock that jumps with it.

trio keeps its own clock (virtual time's patches do not reach it). While a virtual
clock runs, every trio run started without a clock of its own (``trio.run``, pytest-trio, anyio
on trio) gets :func:`virtual_trio_clock`'s: ``trio.sleep`` and timeouts move virtual time forward
when nothing else can run, as ``asyncio.sleep`` does. A run already going when virtual time
starts cannot change its clock: starting virtual time inside it is refused with the reason.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Hashable
from typing import Any, Protocol

from pytest_interactions._errors import Error

#: Real seconds a trio run waits for its sockets before asking again whether time may jump.
_WAIT_FOR_SOCKETS = 0.01

#: How far float rounding may leave trio time short of a deadline virtual time has reached.
_ROUNDING = 1e-6


class VirtualTimeError(Error, RuntimeError):
    """Virtual time cannot drive the event loop the session runs in."""


class FrozenTime(Hashable, Protocol):
    """What the trio clock reads of the process's virtual time."""

    users: int
    pacer: Any
    """What decides how far virtual time may jump while a loop waits (recording), or ``None``."""

    def advance(self, seconds: float) -> None: ...

    def trio_time(self) -> float:
        """Seconds for trio: standing still but for virtual jumps while frozen, never going back."""


@functools.cache
def clock_class(time: FrozenTime) -> type:
    """The trio clock class bound to ``time``."""
    from trio.abc import Clock

    class VirtualTrioClock(Clock):
        """trio time that virtual time moves (see ``FrozenTime.trio_time``)."""

        def __init__(self) -> None:
            self._polled: float | None = None
            self._reached = -math.inf

        def start_clock(self) -> None:
            return None

        def current_time(self) -> float:
            # After a jump to a deadline, read exactly that deadline: the sum of a large real base
            # and the jump can round a hair short of it, and trio would wait that hair again.
            return max(time.trio_time(), self._reached)

        def deadline_to_sleep_time(self, deadline: float) -> float:
            ahead = deadline - self.current_time()
            if ahead <= 0 or time.users == 0:
                return max(ahead, 0.0)
            jump = getattr(time.pacer, "jump", None)
            if jump is not None:
                # Recording on a server's clock: time moves only once all is quiet (the answer the
                # run waits for may be on its way); until then the run waits for its sockets.
                move = jump(None if math.isinf(ahead) else ahead)
                if move is None:
                    return _WAIT_FOR_SOCKETS
                time.advance(move)
                self._land(deadline)
                return 0.0
            if math.isinf(ahead):
                return ahead
            if self._polled != deadline:
                self._polled = deadline  # look for ready I/O once before jumping
                return 0.0
            time.advance(ahead)
            self._land(deadline)
            return 0.0

        def _land(self, deadline: float) -> None:
            if deadline - time.trio_time() < _ROUNDING:
                self._reached = max(self._reached, deadline)

    return VirtualTrioClock


def patches(time: FrozenTime) -> list[tuple[Any, str, Any]]:
    """What to patch so that new trio runs use virtual time (nothing when trio is not loaded)."""
    trio = sys.modules.get("trio")
    if trio is None:
        return []
    core = sys.modules.get("trio._core._run")
    original = getattr(core, "setup_runner", None)
    if core is None or original is None:
        return []
    virtual = clock_class(time)

    @functools.wraps(original)
    def setup_runner(clock: Any, *args: Any, **kwargs: Any) -> Any:
        return original(clock if clock is not None else virtual(), *args, **kwargs)

    return [(core, "setup_runner", setup_runner)]


def refuse_running_trio(time: FrozenTime) -> None:
    """Raise when called inside a trio run whose clock virtual time cannot move."""
    trio = sys.modules.get("trio")
    if trio is None:
        return
    try:
        clock = trio.lowlevel.current_clock()
    except RuntimeError:
        return  # not inside a trio run
    if isinstance(clock, clock_class(time)):
        return
    raise VirtualTimeError(
        f"virtual time cannot drive this trio run: it started before the session, with "
        f"{type(clock).__name__}, and a run's clock cannot change. Start the session before the run "
        "(the interactions fixture, or use_cassette around trio.run / anyio.run), or replay on real "
        "time (virtual_time=False)"
    )
