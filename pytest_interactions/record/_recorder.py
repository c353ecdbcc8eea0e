"""Recording: requests go to the real server; every answer is teed into the cassette."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator
from typing import Any

from pytest_interactions.cassette import Disconnect, Exchange, RecordedResponse
from pytest_interactions.record._tee import Tee
from pytest_interactions.record._traffic import Traffic, connection_of
from pytest_interactions.transport import (
    Flavor,
    aread_request,
    async_stream,
    read_request,
    request_record,
    sync_stream,
)

#: Transport headers that differ between runs, machines or SDK versions and say nothing of the
#: session: left out of cassettes unless kept (``keep_headers``).
VOLATILE_HEADERS = frozenset(
    {"user-agent", "x-goog-api-client", "content-length", "host", "accept-encoding", "connection"}
)


class Recorder:
    """Sends intercepted requests on to the network and appends what happens to ``exchanges``.

    Nothing the client sees changes: bytes are passed on as they arrive, and a failure is
    re-raised as the same exception at the same point, after being recorded. What is recorded
    leaves out :data:`VOLATILE_HEADERS` (those in ``keep_headers`` excepted).
    """

    def __init__(
        self,
        clock: Callable[[], float],
        started: float,
        on_exchange: Callable[[Exchange], None] | None = None,
        *,
        keep_headers: Collection[str] = (),
    ) -> None:
        self.clock = clock
        self.started = started
        self.on_exchange = on_exchange
        self.exchanges: list[Exchange] = []
        self.dropped_headers = VOLATILE_HEADERS - {name.lower() for name in keep_headers}
        self.traffic: Traffic | None = None
        self.elsewhere: Callable[[str], None] | None = None
        """Told once, before it goes out, of the first request to a server other than the one
        :meth:`record_origin_as` names (``scheme://host:port``)."""
        self._origin: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def retime(self, clock: Callable[[], float], started: float) -> None:
        """Time what is recorded from now on with ``clock`` (a simulated server's, say)."""
        self.clock = clock
        self.started = started

    def record_origin_as(self, actual: str, recorded: str) -> None:
        """Record requests to ``actual`` (``scheme://host:port``) as made to ``recorded``, so that
        a server on a random port gives the same cassette every time."""
        self._origin = (actual.rstrip("/"), recorded.rstrip("/"))

    def _going_elsewhere(self, request: Any) -> None:
        elsewhere = self.elsewhere
        if elsewhere is None or self._origin is None:
            return
        url = str(request.url)
        actual = self._origin[0]
        if url == actual or url.startswith(actual + "/"):
            return
        self.elsewhere = None
        scheme, _, rest = url.partition("://")
        elsewhere(f"{scheme}://{rest.split('/', 1)[0]}")

    def _request(self, request: Any, content: bytes) -> Any:
        recorded = request_record(request, content)
        recorded.headers = [(k, v) for k, v in recorded.headers if k.lower() not in self.dropped_headers]
        if self._origin is not None:
            actual, stable = self._origin
            if recorded.url == actual or recorded.url.startswith(actual + "/"):
                recorded.url = stable + recorded.url[len(actual) :]
            host = actual.split("://", 1)[-1]
            recorded.headers = [
                (k, stable.split("://", 1)[-1] if k.lower() == "host" and v == host else v)
                for k, v in recorded.headers
            ]
        return recorded

    def _begin(self, request: Any, content: bytes) -> tuple[Exchange, float]:
        now = self.clock()
        exchange = Exchange(now - self.started, self._request(request, content))
        with self._lock:
            self.exchanges.append(exchange)
        if self.on_exchange is not None:
            self.on_exchange(exchange)
        return exchange, now

    def _failed(self, exchange: Exchange, began: float, exc: BaseException) -> None:
        exchange.error = Disconnect(self.clock() - began, type(exc).__name__, str(exc))

    def _abandoned(self, exchange: Exchange) -> None:
        """The client gave up waiting (a cancelled task, an interrupt): nothing answered it to record."""
        with self._lock:
            self.exchanges.remove(exchange)

    def _response(self, exchange: Exchange, began: float, response: Any) -> Tee:
        headers = [(str(k), str(v)) for k, v in response.headers.multi_items()]
        recorded = RecordedResponse(
            status=response.status_code,
            headers=[(k, v) for k, v in headers if k.lower() not in self.dropped_headers],
            after=self.clock() - began,
        )
        exchange.response = recorded
        return Tee(recorded, began, self.clock)

    def handle(self, flavor: Flavor, request: Any, send: Callable[[Any], Any]) -> Any:
        flight = _InFlight(self, request, read_request(request))
        try:
            with flight.blocking():
                response = send(request)
        except BaseException as exc:
            flight.failed(exc)
            raise
        flight.answered(response)
        original = response.stream

        def chunks() -> Iterator[bytes]:
            try:
                iterator = iter(original)
                while True:
                    with flight.blocking():
                        chunk = next(iterator, None)
                    if chunk is None:
                        break
                    flight.read(chunk)
                    yield chunk
            except Exception as exc:
                flight.broke(exc)
                raise
            flight.ended()

        def close() -> None:
            flight.closed()
            original.close()

        response.stream = sync_stream(flavor, chunks, close)
        return response

    async def handle_async(self, flavor: Flavor, request: Any, send: Callable[[Any], Awaitable[Any]]) -> Any:
        flight = _InFlight(self, request, await aread_request(request))
        try:
            with flight.awaiting():
                response = await send(request)
        except BaseException as exc:
            flight.failed(exc)
            raise
        flight.answered(response)
        original = response.stream

        async def chunks() -> AsyncIterator[bytes]:
            try:
                iterator = original.__aiter__()
                while True:
                    with flight.awaiting():
                        chunk = await anext(iterator, None)
                    if chunk is None:
                        break
                    flight.read(chunk)
                    yield chunk
            except Exception as exc:
                flight.broke(exc)
                raise
            flight.ended()

        async def close() -> None:
            flight.closed()
            await original.aclose()

        response.stream = async_stream(flavor, chunks, close)
        return response


class _InFlight:
    """One request being recorded: its exchange, its timing, and the traffic it makes.

    What sync and async clients have in common; they differ only in how they wait.
    """

    def __init__(self, recorder: Recorder, request: Any, content: bytes) -> None:
        recorder._going_elsewhere(request)
        self._recorder = recorder
        self._traffic = traffic = recorder.traffic
        if traffic is not None:
            traffic.sending(str(request.method), str(request.url))
        self._exchange, self._began = recorder._begin(request, content)
        if traffic is not None:
            traffic.sent()
        self._connection: Any = None
        self._tee: Tee | None = None

    def blocking(self) -> contextlib.AbstractContextManager[None]:
        """Around a wait of a sync client (the traffic knows it blocks)."""
        return self._traffic.blocking() if self._traffic is not None else contextlib.nullcontext()

    def awaiting(self) -> contextlib.AbstractContextManager[None]:
        """Around a wait of an async client."""
        return self._traffic.awaiting() if self._traffic is not None else contextlib.nullcontext()

    def failed(self, exc: BaseException) -> None:
        """No answer came: an error is recorded; a client that gave up waiting records nothing."""
        if self._traffic is not None:
            self._traffic.answered(None)
        if isinstance(exc, Exception):
            self._recorder._failed(self._exchange, self._began, exc)
        else:
            self._recorder._abandoned(self._exchange)

    def answered(self, response: Any) -> None:
        if self._traffic is not None:
            self._connection = connection_of(response)
            self._traffic.answered(self._connection)
        self._tee = self._recorder._response(self._exchange, self._began, response)

    def read(self, chunk: bytes) -> None:
        if self._traffic is not None:
            self._traffic.read(self._connection, len(chunk))
        assert self._tee is not None
        self._tee.feed(chunk)

    def broke(self, exc: Exception) -> None:
        assert self._tee is not None
        self._tee.fail(exc)

    def ended(self) -> None:
        if self._traffic is not None:
            self._traffic.ended(self._connection)
        assert self._tee is not None
        self._tee.finish(early=False)

    def closed(self) -> None:
        assert self._tee is not None
        self._tee.finish(early=True)
