"""Recording: a tee to the real server that appends every exchange to the cassette."""

from pytest_interactions.record._recorder import Recorder
from pytest_interactions.record._tee import Tee, is_event_stream

__all__ = ["Recorder", "Tee", "is_event_stream"]
