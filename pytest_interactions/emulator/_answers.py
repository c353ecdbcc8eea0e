"""What the emulator's app and HTTP server hand each other: requests, answers, API errors, and
the log entry of each answered request."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl

from pytest_interactions import protocol
from pytest_interactions._errors import Error
from pytest_interactions.emulator._clock import EmulatorClock
from pytest_interactions.emulator._runs import Run

JSON_HEADERS = [("content-type", "application/json; charset=UTF-8")]
_SSE = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        for key, value in parse_qsl(self.query, keep_blank_values=True):
            if key == name:
                return value
        return None


@dataclass
class JsonAnswer:
    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    def encode(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


@dataclass
class StreamAnswer:
    """An SSE answer: the run's events from ``start`` on, as they happen."""

    run: Run
    start: int
    headers: list[tuple[str, str]] = field(default_factory=lambda: list(_SSE))
    frames: Callable[[StreamAnswer], AsyncGenerator[bytes, None]] | None = None
    """Writes the run in another API's grammar (``None``: the Interactions API's events)."""
    ending: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    """Called just before the stream's last event is written: the server frees the stream's slot
    then, so that a client opening its next stream as soon as it reads the end is served."""

    def last_event(self) -> None:
        """Tell the server that the event written next is the stream's last (once)."""
        if self.ending is not None:
            ending, self.ending = self.ending, None
            ending()


Answer = JsonAnswer | StreamAnswer


class Endpoints(Protocol):
    """Another API served over the same runs: answers the requests its definition routes."""

    async def handle(self, request: Request, route: protocol.Route) -> Answer: ...


class ApiError(Error):
    """An error the API answers with its JSON error shape (``protocol``'s one definition)."""

    def __init__(
        self,
        kind: protocol.ErrorKind | int,
        message: str,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        kind = kind if isinstance(kind, protocol.ErrorKind) else protocol.error_kind(kind)
        self.answer = JsonAnswer(kind.code, kind.body(message), [*JSON_HEADERS, *(headers or [])])


def error(kind: protocol.ErrorKind | int, message: str) -> JsonAnswer:
    return ApiError(kind, message).answer


def retry_after_headers(seconds: float | None, clock: EmulatorClock) -> list[tuple[str, str]]:
    """``Retry-After`` headers for ``seconds`` of scenario time, told in real seconds."""
    if seconds is None:
        return []
    real = clock.real_seconds(seconds)
    return protocol.retry_headers(seconds if real is None else real)


@dataclass(frozen=True)
class AnsweredRequest:
    """One answered request, as the server log and ``Emulator.exchanges`` report it."""

    method: str
    target: str
    status: int
    streamed: bool
    outcome: str = "ok"
