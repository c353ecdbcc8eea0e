"""What a recording client is waiting for: requests without an answer yet, body bytes read.

A driver of simulated time compares this with what the server reports having written: when the
client has read everything and waits, only the passing of time can make anything happen.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pytest_interactions._observable import Observable

Address = tuple[str, int]
"""A connection's server address (host, port)."""


@dataclass(frozen=True)
class TrafficState:
    """One consistent reading of :class:`Traffic`."""

    unanswered: int
    """Requests sent whose response headers have not arrived."""
    blocked: int
    """Threads blocked in a synchronous send or body read."""
    awaiting: int
    """Tasks awaiting an asynchronous send or body read."""
    received: dict[tuple[Address, int], int] = field(default_factory=dict)
    """Body bytes read on each connection, by (server address, client port); each complete body
    counts one more."""


class Traffic(Observable):
    """Counters the recorder keeps while requests are under way; read from any thread."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._unanswered = 0
        self._blocked = 0
        self._awaiting = 0
        self._received: dict[tuple[Address, int], int] = {}
        self._senders: list[Callable[[str, str], None]] = []

    def on_send(self, listener: Callable[[str, str], None]) -> None:
        """Call ``listener`` with a request's method and URL just before it is sent (and timed),
        in the sending thread."""
        self._senders.append(listener)

    def sending(self, method: str, url: str) -> None:
        for listener in list(self._senders):
            listener(method, url)

    def state(self) -> TrafficState:
        with self._lock:
            return TrafficState(self._unanswered, self._blocked, self._awaiting, dict(self._received))

    def sent(self) -> None:
        with self._lock:
            self._unanswered += 1
        self._changed()

    def answered(self, connection: tuple[Address, int] | None) -> None:
        """The response headers arrived (or the request failed) on ``connection``."""
        with self._lock:
            self._unanswered -= 1
            if connection is not None:
                self._received.setdefault(connection, 0)
        self._changed()

    def read(self, connection: tuple[Address, int] | None, size: int) -> None:
        if connection is None:
            return
        with self._lock:
            self._received[connection] = self._received.get(connection, 0) + size
        self._changed()

    def ended(self, connection: tuple[Address, int] | None) -> None:
        """A body read on ``connection`` is complete (it counts one byte more, as the server's
        count of what it wrote does)."""
        self.read(connection, 1)

    @contextlib.contextmanager
    def blocking(self) -> Iterator[None]:
        """Count the current thread as blocked on the network for the duration."""
        with self._lock:
            self._blocked += 1
        self._changed()
        try:
            yield
        finally:
            with self._lock:
                self._blocked -= 1
            self._changed()

    @contextlib.contextmanager
    def awaiting(self) -> Iterator[None]:
        """Count the current task as awaiting the network for the duration (around an ``await``)."""
        with self._lock:
            self._awaiting += 1
        self._changed()
        try:
            yield
        finally:
            with self._lock:
                self._awaiting -= 1
            self._changed()


def connection_of(response: Any) -> tuple[Address, int] | None:
    """The (server address, client port) of the connection an httpx / httpx2 response came on."""
    stream = getattr(response, "extensions", {}).get("network_stream")
    if stream is None:
        return None
    try:
        server = stream.get_extra_info("server_addr")
        client = stream.get_extra_info("client_addr")
    except Exception:
        return None
    if not (isinstance(server, tuple) and isinstance(client, tuple) and len(server) > 1 and len(client) > 1):
        return None
    return (str(server[0]), int(server[1])), int(client[1])
