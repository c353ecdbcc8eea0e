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

    @staticmethod
    def _blocking(traffic: Traffic | None) -> contextlib.AbstractContextManager[None]:
        return traffic.blocking() if traffic is not None else contextlib.nullcontext()

    @staticmethod
    def _answered(traffic: Traffic | None, response: Any) -> Any:
        if traffic is None:
            return None
        connection = connection_of(response) if response is not None else None
        traffic.answered(connection)
        return connection

    def handle(self, flavor: Flavor, request: Any, send: Callable[[Any], Any]) -> Any:
        self._going_elsewhere(request)
        traffic = self.traffic
        if traffic is not None:
            traffic.sending(str(request.method), str(request.url))
        exchange, began = self._begin(request, read_request(request))
        if traffic is not None:
            traffic.sent()
        try:
            with self._blocking(traffic):
                response = send(request)
        except Exception as exc:
            self._answered(traffic, None)
            self._failed(exchange, began, exc)
            raise
        except BaseException:
            self._answered(traffic, None)
            self._abandoned(exchange)
            raise
        connection = self._answered(traffic, response)
        tee = self._response(exchange, began, response)
        original = response.stream

        def chunks() -> Iterator[bytes]:
            try:
                iterator = iter(original)
                while True:
                    with self._blocking(traffic):
                        chunk = next(iterator, None)
                    if chunk is None:
                        if traffic is not None:
                            traffic.ended(connection)
                        break
                    if traffic is not None:
                        traffic.read(connection, len(chunk))
                    tee.feed(chunk)
                    yield chunk
            except Exception as exc:
                tee.fail(exc)
                raise
            tee.finish(early=False)

        def close() -> None:
            tee.finish(early=True)
            original.close()

        response.stream = sync_stream(flavor, chunks, close)
        return response

    async def handle_async(self, flavor: Flavor, request: Any, send: Callable[[Any], Awaitable[Any]]) -> Any:
        self._going_elsewhere(request)
        traffic = self.traffic
        if traffic is not None:
            traffic.sending(str(request.method), str(request.url))
        exchange, began = self._begin(request, await aread_request(request))
        if traffic is not None:
            traffic.sent()
        try:
            with traffic.awaiting() if traffic is not None else contextlib.nullcontext():
                response = await send(request)
        except Exception as exc:
            self._answered(traffic, None)
            self._failed(exchange, began, exc)
            raise
        except BaseException:
            self._answered(traffic, None)
            self._abandoned(exchange)
            raise
        connection = self._answered(traffic, response)
        tee = self._response(exchange, began, response)
        original = response.stream

        async def chunks() -> AsyncIterator[bytes]:
            try:
                iterator = original.__aiter__()
                while True:
                    with traffic.awaiting() if traffic is not None else contextlib.nullcontext():
                        chunk = await anext(iterator, None)
                    if chunk is None:
                        break
                    if traffic is not None:
                        traffic.read(connection, len(chunk))
                    tee.feed(chunk)
                    yield chunk
            except Exception as exc:
                tee.fail(exc)
                raise
            if traffic is not None:
                traffic.ended(connection)
            tee.finish(early=False)

        async def close() -> None:
            tee.finish(early=True)
            await original.aclose()

        response.stream = async_stream(flavor, chunks, close)
        return response
