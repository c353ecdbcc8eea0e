"""Replaying: intercepted requests answered from a cassette, with no network."""

from pytest_interactions.replay._call import Call
from pytest_interactions.replay._errors import (
    ReconnectLoopError,
    StallWithoutTimeoutError,
    UnmatchedRequestError,
)
from pytest_interactions.replay._faulted import FaultedHistory
from pytest_interactions.replay._history import History, compile_histories
from pytest_interactions.replay._index import CassetteIndex
from pytest_interactions.replay._matching import DEFAULT_MATCH_ON, Matcher, resolve_matchers
from pytest_interactions.replay._outputs import continued_text, recorded_states
from pytest_interactions.replay._replayer import Replayer, recorded_answer
from pytest_interactions.replay._server import ReplayServer

__all__ = [
    "DEFAULT_MATCH_ON",
    "Call",
    "CassetteIndex",
    "FaultedHistory",
    "History",
    "Matcher",
    "ReconnectLoopError",
    "ReplayServer",
    "Replayer",
    "StallWithoutTimeoutError",
    "UnmatchedRequestError",
    "compile_histories",
    "continued_text",
    "recorded_answer",
    "recorded_states",
    "resolve_matchers",
]
