"""The cassette data model: exchanges of HTTP requests and responses, streams as events.

This layer knows HTTP and SSE, nothing of interactions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 3
"""Version 3 keeps JSON payloads as JSON text: an event's ``data`` on one line, a ``json`` body as
a literal block. Version 2 wrote them as YAML structure; both close every file with
``end: <number of exchanges>``, so that a cut file fails to load."""
OLDEST_SCHEMA_VERSION = 1
"""Version 1 files (no closing line) still load, without that protection."""


@dataclass
class Body:
    """A message body as the cassette keeps it.

    ``kind`` is ``json`` (``value`` is the parsed document, ``style`` how it was laid out),
    ``text`` (a str) or ``base64`` (raw bytes).
    """

    kind: str
    value: Any
    style: str = "compact"


@dataclass
class RecordedRequest:
    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Body | None = None


@dataclass(slots=True)
class StreamEvent:
    """One SSE event block as the client received it, ``at`` seconds after the request."""

    at: float
    event: str | None = None
    data: str | None = None
    id: str | None = None
    retry: int | None = None
    comments: tuple[str, ...] = ()
    raw: bytes | None = None
    """The exact bytes, kept only when the fields would not re-encode to them."""


@dataclass(slots=True)
class Disconnect:
    """A transport failure, ``at`` seconds after the request, as the client's library raised it."""

    at: float
    error: str
    message: str
    partial: bytes = b""
    """Bytes that arrived after the last complete event (or body bytes, for other bodies)."""


@dataclass
class RecordedResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    after: float = 0.0
    """Seconds from the request to the response headers."""
    body: Body | None = None
    events: list[StreamEvent | Disconnect] | None = None
    """For ``text/event-stream`` responses: what arrived, in order, ending with any disconnect."""
    disconnect: Disconnect | None = None
    """For other bodies: a failure while reading the body."""
    closed_early: bool = False
    """The client closed the stream before its end."""

    @property
    def is_stream(self) -> bool:
        return self.events is not None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


@dataclass
class Exchange:
    """One request and what came of it, ``at`` seconds after the session started."""

    at: float
    request: RecordedRequest
    response: RecordedResponse | None = None
    error: Disconnect | None = None
    """A failure before any response (refused connection, timeout)."""
    line: int | None = None
    """The line of the cassette this exchange was read from."""


@dataclass
class Cassette:
    exchanges: list[Exchange] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    version: int = SCHEMA_VERSION
