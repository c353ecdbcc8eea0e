"""What an answerer gives back for an intercepted request, in no HTTP library's terms.

Immutable values, one made per request (named tuples: the cheapest to build).

Replay answers with one of these values; each client library's adapter (:class:`Flavor` for httpx
and httpx2, the bridges for aiohttp and requests) turns it into that library's response or
exception, for sync and async clients alike. A stream's ending is told by its chunks: they stop
(a clean end) or raise :class:`TransportFailure` (a drop, a stall's read timeout).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from pytest_interactions._errors import Error


class TransportFailure(Error):
    """A failure to be raised as the client library's own exception (class ``name``, ``message``)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(name, message)
        self.name = name
        self.message = message


class Complete(NamedTuple):
    """A whole answer: status, headers as sent, and the body's bytes."""

    status: int
    headers: list[tuple[str, str]]
    data: bytes


class Streamed(NamedTuple):
    """An answer whose body is read chunk by chunk as the client reads.

    ``chunks`` is pulled by the reader; it ends the body cleanly by stopping, or with a failure by
    raising :class:`TransportFailure`. ``close`` tells the answerer that the client let go early.
    """

    status: int
    headers: list[tuple[str, str]]
    chunks: Iterator[bytes]
    close: Callable[[], None]


class Refused(NamedTuple):
    """No answer at all: the request fails before any response (a refused connection, say)."""

    name: str
    message: str


Answer = Complete | Streamed | Refused
"""Everything an answerer may give back."""
