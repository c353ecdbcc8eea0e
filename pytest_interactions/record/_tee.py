"""The tee: bytes reach the client as they arrive, and the cassette as events or a body."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from pytest_interactions.cassette import (
    Disconnect,
    RecordedResponse,
    StreamEvent,
    body_from_bytes,
    event_from_sse,
)
from pytest_interactions.sse import SSEDecoder

_DECODABLE = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def is_event_stream(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "text/event-stream"


class Tee:
    """Records one response body as it flows to the client.

    Compressed bodies are recorded decoded (and the ``content-encoding`` header dropped), so
    that the cassette reads as text; the client still receives the original bytes.
    """

    def __init__(self, response: RecordedResponse, started: float, clock: Callable[[], float]) -> None:
        self.response = response
        self.started = started
        self.clock = clock
        self.done = False
        content_type = response.header("content-type")
        self.content_type = content_type
        self.sse = SSEDecoder() if is_event_stream(content_type) else None
        self.body = bytearray()
        encoding = (response.header("content-encoding") or "").strip().lower()
        self.unzip: Any = None
        if encoding in _DECODABLE:
            self.unzip = zlib.decompressobj(_DECODABLE[encoding])
            drop = ("content-encoding", "content-length")
            response.headers = [(k, v) for k, v in response.headers if k.lower() not in drop]
        if self.sse is not None:
            response.events = []

    def _elapsed(self) -> float:
        return self.clock() - self.started

    def feed(self, chunk: bytes) -> None:
        self._take(self.unzip.decompress(chunk) if self.unzip is not None else chunk)

    def _take(self, data: bytes) -> None:
        if self.sse is None:
            self.body += data
            return
        at = self._elapsed()
        assert self.response.events is not None
        self.response.events.extend(event_from_sse(event, at) for event in self.sse.feed(data))

    def _flush_events(self) -> None:
        """At the end of the stream a trailing CR ends its line, and an unterminated tail, which
        the client received but never dispatched, is kept as raw bytes: replay sends them again."""
        assert self.sse is not None
        assert self.response.events is not None
        at = self._elapsed()
        self.response.events.extend(event_from_sse(event, at) for event in self.sse.feed(b"", final=True))
        if self.sse.pending:
            self.response.events.append(StreamEvent(at=at, raw=self.sse.pending))
            self.sse.pending = b""

    def fail(self, exc: BaseException) -> None:
        """Record a transport failure after what had arrived."""
        if self.done:
            return
        self.done = True
        error = type(exc).__name__
        if self.sse is not None:
            assert self.response.events is not None
            self.response.events.append(Disconnect(self._elapsed(), error, str(exc), self.sse.pending))
        else:
            self.response.disconnect = Disconnect(self._elapsed(), error, str(exc), bytes(self.body))

    def finish(self, *, early: bool) -> None:
        """The body ended (or the client closed it ``early``)."""
        if self.done:
            return
        self.done = True
        if self.unzip is not None and not early:
            self._take(self.unzip.flush())
        if self.sse is not None and not early:
            self._flush_events()
        if self.sse is None:
            self.response.body = body_from_bytes(bytes(self.body), self.content_type)
        self.response.closed_early = early
