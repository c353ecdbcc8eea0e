"""Intercepting requests: its ``HTTPAdapter.send``, while a session is active in this context.

requests still does everything around the exchange (sessions, cookies, redirects, auth); the
session answers each request the adapter would have sent. The answer comes back as a urllib3
response over a file whose bytes are pulled from the answer's stream as the client reads.
"""

from __future__ import annotations

import functools
import http.client
import io
from collections.abc import Callable, Generator, Iterator
from typing import Any

import httpx

from pytest_interactions.transport import _bridge, _guard
from pytest_interactions.transport._answers import TransportFailure

FLAVOR = _bridge.flavor("requests")
_CHUNK = 8192
_Patch = tuple[Any, str, Any]


def install(current: Callable[[], Any]) -> list[_Patch]:
    """Patch ``requests.adapters.HTTPAdapter.send`` (nothing when requests is not installed)."""
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:
        return []
    original = HTTPAdapter.__dict__["send"]

    @functools.wraps(original)
    def send(self: Any, request: Any, stream: bool = False, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        handler = current()
        if handler is None:
            return original(self, request, stream, *args, **kwargs)
        return _answer(handler, self, request, lambda: original(self, request, True, *args, **kwargs))

    HTTPAdapter.send = send  # type: ignore[method-assign]
    return [(HTTPAdapter, "send", original)]


def _answer(handler: Any, adapter: Any, prepared: Any, send_on: Callable[[], Any]) -> Any:
    __tracebackhide__ = True
    content = _body_bytes(prepared.body)
    if content is not None:
        prepared.body = content  # a generator or file body is read once: send on what was read
    request = _bridge.httpx_request(
        prepared.method or "GET", prepared.url or "", prepared.headers.items(), content or b""
    )

    def send(_: httpx.Request) -> httpx.Response:
        with _guard.passing():
            real = send_on()
        headers = _bridge.body_headers(real.raw.headers.items(), decoded=True)
        return httpx.Response(real.status_code, headers=headers, stream=_RealBody(real))

    try:
        answer = handler.handle(FLAVOR, request, send)
    except TransportFailure as failure:
        raise translate(failure, at_send=True) from None
    return _response(adapter, prepared, answer)


def _body_bytes(body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("iso-8859-1")  # as http.client sends a str body
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(part.encode("utf-8") if isinstance(part, str) else bytes(part) for part in body)


class _RealBody(httpx.SyncByteStream):
    """A real requests response's body as it arrives (decoded, as the client would read it)."""

    def __init__(self, response: Any) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._response.raw.stream(_CHUNK, decode_content=True)

    def close(self) -> None:
        self._response.close()


class _Pieces(io.RawIOBase):
    """A file whose bytes come from an answer's stream, pulled as they are read.

    It also stands for the ``http.client`` response under urllib3's (``msg``, ``isclosed``), which
    is where requests reads the cookies an answer sets.
    """

    def __init__(self, stream: Any, headers: list[tuple[str, str]]) -> None:
        self._stream = stream
        self._chunks = iter(stream)
        self._left = b""
        self.msg = http.client.HTTPMessage()
        for name, value in headers:
            self.msg[name] = value

    def isclosed(self) -> bool:
        return self.closed

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            try:
                self._left = next(self._chunks)
            except StopIteration:
                return 0
            except TransportFailure as failure:
                raise translate(failure, at_send=False) from None
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


@functools.cache
def _pulled_response_class() -> type:
    from urllib3 import HTTPResponse

    class PulledResponse(HTTPResponse):
        """A urllib3 response whose ``stream()`` hands on each piece as it comes (as it does for a
        chunked body), instead of waiting until ``amt`` bytes have arrived."""

        def stream(
            self, amt: int | None = 2**16, decode_content: bool | None = None
        ) -> Generator[bytes, None, None]:
            pieces: Any = self._fp  # the _Pieces given as the body
            while data := pieces.read(amt or _CHUNK):
                yield data
            pieces.close()

    return PulledResponse


def _response(adapter: Any, prepared: Any, answer: httpx.Response) -> Any:
    from urllib3 import HTTPHeaderDict

    status, reason, headers = _bridge.answer_parts(answer)
    pieces: Any = _Pieces(answer.stream, headers)
    raw = _pulled_response_class()(
        body=pieces,
        original_response=pieces,
        headers=HTTPHeaderDict(headers),
        status=status,
        version=11,
        version_string="HTTP/1.1",
        reason=reason,
        preload_content=False,
        decode_content=False,
        enforce_content_length=False,
        request_method=prepared.method,
        request_url=prepared.url,
    )
    return adapter.build_response(prepared, raw)


def translate(failure: TransportFailure, *, at_send: bool) -> BaseException:
    """The exception requests (or urllib3 under it) raises for the real failure."""
    import requests
    from urllib3.exceptions import ProtocolError

    name, message = failure.name, failure.message
    own = getattr(requests.exceptions, name, None)
    if isinstance(own, type) and issubclass(own, requests.RequestException):
        return own(message)
    if at_send:
        if name in _bridge.TIMEOUTS:
            return requests.exceptions.ReadTimeout(message)
        return requests.exceptions.ConnectionError(message)
    if name == "ProtocolError":
        return ProtocolError(message)
    # What urllib3 raises when a chunked body ends before its last chunk (requests turns it
    # into ChunkedEncodingError as it does for a real drop).
    return ProtocolError("Response ended prematurely")
