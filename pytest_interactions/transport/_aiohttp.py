"""Intercepting aiohttp: a client middleware, added to each request made while a session is active.

aiohttp still does everything around the exchange (cookies, redirects, ``raise_for_status``,
timeouts, the session's own middlewares); the middleware answers from the session instead of a
connection. The client reads the body from a stream reader that pulls each piece from the answer
only when it runs out of data, so replayed streams advance as the client reads them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http
import inspect
from collections.abc import AsyncIterator, Callable
from http.cookies import CookieError, SimpleCookie
from types import SimpleNamespace
from typing import Any

import httpx

from pytest_interactions._errors import Error
from pytest_interactions.transport import _bridge
from pytest_interactions.transport._answers import TransportFailure

FLAVOR = _bridge.flavor("aiohttp")
_READ_LIMIT = 2**16
_Patch = tuple[Any, str, Any]


class UnsupportedRequestError(Error, RuntimeError):
    """A request through aiohttp that a session can neither record nor replay."""


def install(current: Callable[[], Any]) -> list[_Patch]:
    """Patch ``ClientSession._request`` (nothing when aiohttp is not installed)."""
    try:
        import aiohttp
    except ImportError:
        return []
    owner = aiohttp.ClientSession
    original = owner.__dict__["_request"]
    middlewares = "middlewares" in inspect.signature(original).parameters

    @functools.wraps(original)
    async def _request(self: Any, method: str, str_or_url: Any, **kwargs: Any) -> Any:
        handler = current()
        if handler is None:
            return await original(self, method, str_or_url, **kwargs)
        if not middlewares:
            raise _refused(
                handler,
                f"pytest-interactions intercepts aiohttp 3.12 and later (client middlewares); aiohttp "
                f"{aiohttp.__version__} would send {method} {str_or_url} unrecorded: upgrade aiohttp",
            )
        chosen = kwargs.get("middlewares")
        chain = tuple(self._middlewares if chosen is None else chosen)
        decompress = kwargs.get("auto_decompress")
        decoded = self.auto_decompress if decompress is None else bool(decompress)
        # Ours comes last, nearest to the network: the client's own middlewares see its answers.
        kwargs["middlewares"] = (*chain, functools.partial(_answer, handler, decoded))
        return await original(self, method, str_or_url, **kwargs)

    owner._request = _request  # type: ignore[method-assign]
    return [(owner, "_request", original)]


async def _answer(handler: Any, decoded: bool, req: Any, send_on: Any) -> Any:
    """The middleware: the session answers ``req`` (recording sends it on with ``send_on``)."""
    __tracebackhide__ = True
    if "upgrade" in {k.lower() for k in req.headers}:
        raise _refused(
            handler,
            f"pytest-interactions cannot record or replay the aiohttp upgrade (WebSocket) request "
            f"{req.method} {req.url}; only plain HTTP requests and streamed responses are supported",
        )
    content = await _body_bytes(req)
    request = _bridge.httpx_request(req.method, str(req.url), req.headers.items(), content)

    async def send(_: httpx.Request) -> httpx.Response:
        real = await send_on(req)
        headers = _bridge.body_headers(real.headers.items(), decoded=decoded)
        return httpx.Response(real.status, headers=headers, stream=_RealBody(real))

    try:
        answer = await handler.handle_async(FLAVOR, request, send)
    except TransportFailure as failure:
        raise translate(failure, req) from None
    return _client_response(req, answer, len(content))


def _refused(handler: Any, message: str) -> UnsupportedRequestError:
    """The error for a request the session cannot answer, noted so that the test fails anyway."""
    handler.bypassed(message)
    return UnsupportedRequestError(message)


async def _body_bytes(req: Any) -> bytes:
    body = req.body
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    data: bytes = await body.as_bytes()
    return data


class _RealBody(httpx.AsyncByteStream):
    """A real aiohttp response's body, as it arrives (decoded as the client would get it)."""

    def __init__(self, response: Any) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.content.iter_any():
            yield chunk

    async def aclose(self) -> None:
        self._response.release()


def _client_response(req: Any, answer: httpx.Response, sent: int) -> Any:
    """An aiohttp ``ClientResponse`` for ``req`` whose body is read from ``answer``'s stream."""
    from aiohttp import HttpVersion11
    from multidict import CIMultiDict, CIMultiDictProxy

    status, reason, headers = _bridge.answer_parts(answer)
    options = {
        "writer": None,
        "continue100": None,
        "timer": req._timer,
        "request_info": req.request_info,
        "traces": req._traces,
        "loop": req.loop,
        "session": req._session,
        "stream_writer": SimpleNamespace(output_size=sent),
    }
    accepted = inspect.signature(req.response_class).parameters
    response = req.response_class(
        req.method, req.original_url, **{k: v for k, v in options.items() if k in accepted}
    )
    response._closed = False
    response.version = HttpVersion11
    response.status = status
    response.reason = reason or http.HTTPStatus(status).phrase
    response._headers = CIMultiDictProxy(CIMultiDict(headers))
    response._raw_headers = tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers)
    cookies = response._headers.getall("set-cookie", ())
    if cookies and hasattr(type(response), "_raw_cookie_headers"):
        response._raw_cookie_headers = tuple(cookies)  # aiohttp 3.12.7+: parsed when first read
    elif cookies:
        response.cookies = _parsed_cookies(cookies)
    response.content = _pulled_reader(req, answer.stream)
    return response


def _parsed_cookies(headers: list[str]) -> SimpleCookie:
    """``Set-Cookie`` headers as aiohttp before 3.12.7 parsed them: each one loaded, bad ones skipped."""
    cookies = SimpleCookie()
    for header in headers:
        with contextlib.suppress(CookieError):
            cookies.load(header)
    return cookies


class _NoConnection:
    """What a pulled stream reader has instead of a connection's protocol."""

    connected = True
    _reading_paused = False

    def pause_reading(self) -> None:
        return None

    def resume_reading(self, *args: Any, **kwargs: Any) -> None:
        return None


def _pulled_reader(req: Any, stream: Any) -> Any:
    from aiohttp import StreamReader

    class PulledStreamReader(StreamReader):
        """A stream reader fed on demand: each wait for data pulls the answer's next piece."""

        def __init__(self) -> None:
            super().__init__(_NoConnection(), _READ_LIMIT, loop=req.loop)  # type: ignore[arg-type]
            self._pieces = stream.__aiter__()
            self._closing: asyncio.Task[None] | None = None
            self._pulling = False

        async def _wait(self, func_name: str) -> None:
            if self._pulling:
                raise RuntimeError(f"{func_name}() called while another coroutine is already reading")
            self._pulling = True
            error: BaseException | None = None
            try:
                piece = await self._pieces.__anext__()
            except StopAsyncIteration:
                self.feed_eof()
                return
            except TransportFailure as failure:
                error = translate(failure, req)
            except Exception as exc:
                error = exc
            finally:
                self._pulling = False
            if error is not None:
                self.set_exception(error)
                raise error
            if piece:
                self.feed_data(piece)

        def set_exception(self, exc: BaseException, *args: Any) -> None:
            super().set_exception(exc, *args)
            # The client released the response early (or the body failed): close the answer.
            if self._closing is None and not self._eof:
                self._closing = req.loop.create_task(stream.aclose())

        def feed_eof(self) -> None:
            super().feed_eof()
            if self._closing is None:
                self._closing = req.loop.create_task(stream.aclose())

    return PulledStreamReader()


def translate(failure: TransportFailure, req: Any) -> BaseException:
    """The exception aiohttp raises for the real failure ``failure`` stands for."""
    import aiohttp
    from aiohttp.http_exceptions import TransferEncodingError

    name, message = failure.name, failure.message
    if name in _bridge.REFUSALS:
        strerror = message.rsplit("[", 1)[-1].rstrip("]") if "[" in message else message
        host, port = req.url.host, req.url.port
        os_error = ConnectionRefusedError(
            111, strerror if name == "ClientConnectorError" else (f"Connect call failed ('{host}', {port})")
        )
        return aiohttp.ClientConnectorError(req.connection_key, os_error)
    if name in _bridge.TIMEOUTS:
        own_message = message if name == "ServerTimeoutError" else "Timeout on reading data from socket"
        return aiohttp.ServerTimeoutError(own_message)
    if name in _bridge.DROPS:
        # What aiohttp's connection raises when a chunked body ends before its last chunk.
        cause = TransferEncodingError("Not enough data to satisfy transfer length header.")
        own = getattr(aiohttp, name, None)
        if name != "ClientPayloadError" and isinstance(own, type) and issubclass(own, Exception):
            return own(message)
        error = aiohttp.ClientPayloadError(
            message if name == "ClientPayloadError" else f"Response payload is not completed: {cause!r}"
        )
        error.__cause__ = cause
        return error
    own = getattr(aiohttp, name, None)
    if isinstance(own, type) and issubclass(own, aiohttp.ClientError):
        try:
            built: BaseException = own(message)
        except TypeError:
            built = aiohttp.ClientConnectionError(message)
        return built
    return aiohttp.ClientConnectionError(f"{name}: {message}")
