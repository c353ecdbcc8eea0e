"""Time for sessions: the real clock, and the virtual clock that replay runs on."""

from pytest_interactions.clock._real import real_monotonic, real_sleep
from pytest_interactions.clock._trio import VirtualTimeError
from pytest_interactions.clock._virtual import Pacer, Poll, VirtualClock, on_real_time

__all__ = [
    "Pacer",
    "Poll",
    "VirtualClock",
    "VirtualTimeError",
    "on_real_time",
    "real_monotonic",
    "real_sleep",
]
