"""Converting intercepted httpx / httpx2 requests and streams to and from cassette terms."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from types import ModuleType
from typing import Any

from pytest_interactions.cassette import RecordedRequest, body_from_bytes
from pytest_interactions.transport._flavors import Flavor


def request_record(request: Any, content: bytes) -> RecordedRequest:
    """The cassette form of a request whose body has been read as ``content``."""
    # What ``headers.multi_items()`` gives (names lowered, one encoding for all), made in one pass.
    encoding = request.headers.encoding
    headers = [(name.lower().decode(encoding), value.decode(encoding)) for name, value in request.headers.raw]
    content_type = ", ".join(value for name, value in headers if name == "content-type") or None
    return RecordedRequest(request.method, str(request.url), headers, body_from_bytes(content, content_type))


def read_timeout(request: Any) -> float | None:
    """The read timeout (seconds) the client set on ``request``, if any."""
    timeout = getattr(request, "extensions", {}).get("timeout")
    value = timeout.get("read") if isinstance(timeout, Mapping) else None
    return float(value) if isinstance(value, (int, float)) else None


def read_request(request: Any) -> bytes:
    data: bytes = request.read()
    return data


async def aread_request(request: Any) -> bytes:
    data: bytes = await request.aread()
    return data


@functools.cache
def _sync_stream_class(module: ModuleType) -> type:
    class IteratorStream(module.SyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, chunks: Callable[[], Iterator[bytes]], close: Callable[[], None]) -> None:
            self._chunks = chunks
            self._close = close

        def __iter__(self) -> Iterator[bytes]:
            yield from self._chunks()

        def close(self) -> None:
            self._close()

    return IteratorStream


@functools.cache
def _async_stream_class(module: ModuleType) -> type:
    class AsyncIteratorStream(module.AsyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(
            self, chunks: Callable[[], AsyncIterator[bytes]], close: Callable[[], Awaitable[None]]
        ) -> None:
            self._chunks = chunks
            self._close = close

        async def __aiter__(self) -> AsyncIterator[bytes]:
            async for chunk in self._chunks():
                yield chunk

        async def aclose(self) -> None:
            await self._close()

    return AsyncIteratorStream


def sync_stream(flavor: Flavor, chunks: Callable[[], Iterator[bytes]], close: Callable[[], None]) -> Any:
    """A response stream of ``flavor`` whose bytes come from ``chunks()``."""
    return _sync_stream_class(flavor.module)(chunks, close)


def async_stream(
    flavor: Flavor, chunks: Callable[[], AsyncIterator[bytes]], close: Callable[[], Awaitable[None]]
) -> Any:
    """An async response stream of ``flavor`` whose bytes come from ``chunks()``."""
    return _async_stream_class(flavor.module)(chunks, close)
