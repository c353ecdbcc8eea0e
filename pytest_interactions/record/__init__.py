"""Recording: a tee to the real server that appends every exchange to the cassette."""

from pytest_interactions.record._recorder import VOLATILE_HEADERS, Recorder
from pytest_interactions.record._tee import Tee, is_event_stream
from pytest_interactions.record._traffic import Traffic, TrafficState, connection_of

__all__ = [
    "VOLATILE_HEADERS",
    "Recorder",
    "Tee",
    "Traffic",
    "TrafficState",
    "connection_of",
    "is_event_stream",
]
