"""What replay raises in the client when it cannot, or must not, answer."""

from __future__ import annotations

from pytest_interactions._errors import Error


class UnmatchedRequestError(Error):
    """A request that no recorded exchange answers (replay never reaches the network)."""


class ReconnectLoopError(Error):
    """A replaying client opened more streams of one interaction than any correct loop needs
    (``interactions_max_streams``): raised in the client, and again when the test ends."""


class StallWithoutTimeoutError(Error):
    """A planned stall (``disconnect="stall:N"``) met a client with no read timeout: against a
    real server it would wait forever, so replay fails the test instead of hanging it."""
