"""What a recorded run output: its text, across the hops that continued it.

A run that stopped at ``requires_continuation`` goes on in a new run (a hop) whose create carries
the token it handed out; the SDKs join the hops' output into one answer, and so does this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_interactions.cassette import Cassette
from pytest_interactions.replay._history import History
from pytest_interactions.replay._regenerations import Tokens, hops


def recorded_states(history: History) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The run as its recorded stream tells it (folded in its API's grammar), and as its last
    recorded poll (or, for a unary create, the create's own answer) shows it."""
    streamed = history.api.fold(e.payload for e in history.events if e.payload) if history.events else None
    snapshots = [r.body.value for _, r in history.snapshots if r.body is not None]
    polled = snapshots[-1] if snapshots and isinstance(snapshots[-1], dict) else None
    if polled is None and isinstance(history.answered, dict):
        polled = history.answered
    return streamed, polled


def run_text(history: History) -> str:
    """The text one run output, from its stream, else its last poll or answer."""
    streamed, polled = recorded_states(history)
    text = history.api.output_text(streamed) if streamed is not None else ""
    return text or (history.api.output_text(polled) if polled is not None else "")


def continued_text(first: History, histories: Mapping[str, History], cassette: Cassette) -> str:
    """The text ``first`` and every hop that continued it output, joined in order."""
    tokens = Tokens.of(cassette.exchanges, histories)
    return "".join(run_text(hop) for hop in hops(first, histories, tokens))
