"""Recording: requests go to the real server; every answer is teed into the cassette."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from pytest_interactions.cassette import Disconnect, Exchange, RecordedResponse
from pytest_interactions.record._tee import Tee
from pytest_interactions.transport import (
    Flavor,
    aread_request,
    async_stream,
    read_request,
    request_record,
    sync_stream,
)


class Recorder:
    """Sends intercepted requests on to the network and appends what happens to ``exchanges``.

    Nothing the client sees changes: bytes are passed on as they arrive, and a failure is
    re-raised as the same exception at the same point, after being recorded.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        started: float,
        on_exchange: Callable[[Exchange], None] | None = None,
    ) -> None:
        self.clock = clock
        self.started = started
        self.on_exchange = on_exchange
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def _begin(self, request: Any, content: bytes) -> tuple[Exchange, float]:
        now = self.clock()
        exchange = Exchange(now - self.started, request_record(request, content))
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
        recorded = RecordedResponse(
            status=response.status_code,
            headers=[(str(k), str(v)) for k, v in response.headers.multi_items()],
            after=self.clock() - began,
        )
        exchange.response = recorded
        return Tee(recorded, began, self.clock)

    def handle(self, flavor: Flavor, request: Any, send: Callable[[Any], Any]) -> Any:
        exchange, began = self._begin(request, read_request(request))
        try:
            response = send(request)
        except Exception as exc:
            self._failed(exchange, began, exc)
            raise
        except BaseException:
            self._abandoned(exchange)
            raise
        tee = self._response(exchange, began, response)
        original = response.stream

        def chunks() -> Iterator[bytes]:
            try:
                for chunk in original:
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
        exchange, began = self._begin(request, await aread_request(request))
        try:
            response = await send(request)
        except Exception as exc:
            self._failed(exchange, began, exc)
            raise
        except BaseException:
            self._abandoned(exchange)
            raise
        tee = self._response(exchange, began, response)
        original = response.stream

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in original:
                    tee.feed(chunk)
                    yield chunk
            except Exception as exc:
                tee.fail(exc)
                raise
            tee.finish(early=False)

        async def close() -> None:
            tee.finish(early=True)
            await original.aclose()

        response.stream = async_stream(flavor, chunks, close)
        return response
