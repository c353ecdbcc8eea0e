"""Time for sessions: the real clock, immune to time-freezing libraries."""

from pytest_interactions.clock._real import real_monotonic

__all__ = ["real_monotonic"]
