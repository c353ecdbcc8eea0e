"""Replaying: intercepted requests answered from a cassette, with no network."""

from pytest_interactions.replay._matching import DEFAULT_MATCH_ON, resolve_matchers
from pytest_interactions.replay._replayer import Replayer, UnmatchedRequestError
from pytest_interactions.replay._server import ReplayServer

__all__ = ["DEFAULT_MATCH_ON", "ReplayServer", "Replayer", "UnmatchedRequestError", "resolve_matchers"]
