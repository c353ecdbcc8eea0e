"""Replaying: intercepted requests answered from a cassette, with no network."""

from pytest_interactions.replay._history import History, compile_histories
from pytest_interactions.replay._matching import DEFAULT_MATCH_ON, resolve_matchers
from pytest_interactions.replay._replayer import (
    ReconnectLoopError,
    Replayer,
    StallWithoutTimeoutError,
    UnmatchedRequestError,
)
from pytest_interactions.replay._server import ReplayServer

__all__ = [
    "DEFAULT_MATCH_ON",
    "History",
    "ReconnectLoopError",
    "ReplayServer",
    "Replayer",
    "StallWithoutTimeoutError",
    "UnmatchedRequestError",
    "compile_histories",
    "resolve_matchers",
]
