"""Replaying: intercepted requests answered from a cassette, with no network."""

from pytest_interactions.replay._matching import DEFAULT_MATCH_ON, resolve_matchers
from pytest_interactions.replay._replayer import Replayer, UnmatchedRequestError

__all__ = ["DEFAULT_MATCH_ON", "Replayer", "UnmatchedRequestError", "resolve_matchers"]
