"""One client connection to the emulator: requests read against deadlines with h11, JSON and SSE
answers written, and stream faults carried out on the wire."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import TYPE_CHECKING

import h11

from pytest_interactions import protocol
from pytest_interactions.emulator._answers import (
    AnsweredRequest,
    JsonAnswer,
    Request,
    StreamAnswer,
    error,
)
from pytest_interactions.emulator._faults import StreamFault

if TYPE_CHECKING:
    from pytest_interactions.emulator._http import HttpServer

MAX_BODY_BYTES = 10 * 1024 * 1024
LINGER = 2.0
"""Seconds to read and drop what a client still sends after a closing answer (so it sees no reset)."""
_SERVER_HEADER = ("server", "pytest-interactions-emulator")
_VERSIONS = (b"1.0", b"1.1")
_REQUEST_LINE = re.compile(rb"^[!-~]+ [!-~]+ HTTP/([0-9.]+)\r?\n")


class _TimedOut(Exception):
    """The client did not send in time; ``idle`` when no request had begun."""

    def __init__(self, idle: bool) -> None:
        super().__init__("idle" if idle else "request")
        self.idle = idle


def _unsupported(version: bytes) -> str:
    return f"HTTP version {version.decode('latin-1')} is not supported; the emulator speaks HTTP/1.0 and 1.1."


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


def _nothing() -> None:
    return None


class HttpConnection:
    """Serves the requests of one client connection, one after another, until either side closes."""

    def __init__(
        self,
        server: HttpServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        port: int = -1,
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.port = port
        self._headers_written: Callable[[], None] = _nothing
        self._holds_stream = False
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
        self.loop = asyncio.get_running_loop()
        self.start = b""
        """The first bytes of the request being read (to name its HTTP version when h11 cannot)."""

    async def _receive(self, deadline: float, *, idle: bool) -> None:
        remaining = deadline - self.loop.time()
        if remaining <= 0:
            raise _TimedOut(idle)
        try:
            data = await asyncio.wait_for(self.reader.read(65536), remaining)
        except TimeoutError:
            raise _TimedOut(idle) from None
        if len(self.start) < 256:
            self.start += data[: 256 - len(self.start)]
        self.conn.receive_data(data)

    async def _next_event(self, deadline: float) -> h11.Event | type[h11.PAUSED] | type[h11.NEED_DATA]:
        while True:
            event = self.conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            await self._receive(deadline, idle=False)

    async def serve(self, admitted: bool = True) -> None:
        if not admitted:
            await self._send_json(
                error(
                    protocol.UNAVAILABLE,
                    f"The emulator serves at most {self.server.max_connections} connections.",
                ),
                close=True,
            )
            await self._linger()
            return
        while True:
            try:
                request = await self._read_request()
            except h11.RemoteProtocolError as exc:
                if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                    status, message = exc.error_status_hint, f"Malformed HTTP request: {exc}"
                    version = _REQUEST_LINE.match(self.start)
                    if version is not None and version.group(1) not in _VERSIONS:
                        status, message = 505, _unsupported(version.group(1))
                    await self._send_json(error(status, message), close=True)
                    await self._linger()
                return
            except _TimedOut as timeout:
                if not timeout.idle:
                    await self._send_timeout()
                    await self._linger()
                return
            if request is None:
                return
            with self.server.activity.request() as headers_written:
                self._headers_written = headers_written
                try:
                    await self._answer(request)
                finally:
                    self._headers_written = _nothing
            if self.conn.our_state is h11.MUST_CLOSE or self.conn.their_state is h11.MUST_CLOSE:
                return
            try:
                self.conn.start_next_cycle()
            except h11.LocalProtocolError:
                return

    async def _read_request(self) -> Request | None:
        self.start = self.conn.trailing_data[0][:256]
        if not self.conn.trailing_data[0] and not self.conn.trailing_data[1]:
            await self._receive(self.loop.time() + self.server.idle_timeout, idle=True)
        deadline = self.loop.time() + self.server.request_timeout
        event = await self._next_event(deadline)
        if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return None
        if not isinstance(event, h11.Request):
            return None
        if event.http_version not in _VERSIONS:
            await self._send_json(error(505, _unsupported(event.http_version)), close=True)
            await self._linger()
            return None
        declared = _content_length(event.headers)
        if declared is not None and declared > MAX_BODY_BYTES:
            await self._send_json(error(413, f"Request body over {MAX_BODY_BYTES} bytes."), close=True)
            await self._linger()
            return None
        target = event.target.decode("latin-1")
        path, _, query = target.partition("?")
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in event.headers}
        body = bytearray()
        while True:
            part = await self._next_event(deadline)
            if isinstance(part, h11.Data):
                body += part.data
                if len(body) > MAX_BODY_BYTES:
                    await self._send_json(
                        error(413, f"Request body over {MAX_BODY_BYTES} bytes."), close=True
                    )
                    await self._linger()
                    return None
            elif isinstance(part, h11.EndOfMessage):
                break
            elif isinstance(part, h11.ConnectionClosed):
                return None
        return Request(event.method.decode("ascii"), path, query, headers, bytes(body))

    async def _drain(self) -> None:
        """Wait until the client took what was written; one that stops reading is dropped."""
        try:
            await asyncio.wait_for(self.writer.drain(), self.server.write_timeout)
        except TimeoutError:
            self.writer.transport.abort()
            raise ConnectionError(f"the client read nothing for {self.server.write_timeout:g} s") from None

    async def _send_timeout(self) -> None:
        """Answer 408 and close; written by hand, as h11 has no request to answer yet."""
        seconds = self.server.request_timeout
        answer = error(408, f"The request was not complete within {seconds:g} s.")
        data = answer.encode()
        head = [
            b"HTTP/1.1 408 Request Timeout",
            b"server: " + _SERVER_HEADER[1].encode(),
            b"content-length: " + str(len(data)).encode(),
            *(f"{k}: {v}".encode("latin-1") for k, v in answer.headers),
            b"connection: close",
        ]
        self.writer.write(b"\r\n".join(head) + b"\r\n\r\n" + data)
        with contextlib.suppress(ConnectionError):
            await self._drain()

    async def _linger(self) -> None:
        """Half-close, then read and drop what the client still sends: closing a socket with
        unread data makes the kernel answer with a reset, which could destroy the answer."""
        with contextlib.suppress(OSError, RuntimeError):
            if self.writer.can_write_eof():
                self.writer.write_eof()
        deadline = self.loop.time() + LINGER
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            while (remaining := deadline - self.loop.time()) > 0:
                if not await asyncio.wait_for(self.reader.read(65536), remaining):
                    break

    async def _answer(self, request: Request) -> None:
        target = request.path + (f"?{request.query}" if request.query else "")
        method = request.method
        if method == "HEAD":  # answered as GET would be, without the body
            request = dataclasses.replace(request, method="GET")
        try:
            answer = await self.server.app.handle(request)
        except RecursionError:
            answer = error(400, "Invalid JSON payload received. The JSON is nested too deeply.")
        except Exception as exc:  # the emulator must answer, never hang or dump a trace
            answer = error(500, f"Emulator error: {exc.__class__.__name__}: {exc}")
        del request  # the body is not kept while a stream is being written
        # A JSON answer is logged before it is written, so a client holding the answer
        # always finds it in ``Emulator.exchanges``.
        if isinstance(answer, JsonAnswer):
            self.server.record(AnsweredRequest(method, target, answer.status, False))
            await self._send_json(answer, head=method == "HEAD")
            return
        if method == "HEAD":
            self.server.record(AnsweredRequest(method, target, 200, True))
            self.writer.write(
                self.conn.send(h11.Response(status_code=200, headers=[_SERVER_HEADER, *answer.headers]))
            )
            self.writer.write(self.conn.send(h11.EndOfMessage()))
            await self._drain()
            return
        request_method = method
        if self.server.open_streams >= self.server.max_streams:
            answer_503 = error(
                protocol.UNAVAILABLE,
                f"The emulator serves at most {self.server.max_streams} streams at once.",
            )
            answer_503.headers.append(("retry-after", "1"))
            self.server.record(AnsweredRequest(request_method, target, 503, False))
            await self._send_json(answer_503)
            return
        self.server.open_streams += 1
        self._holds_stream = True
        answer.ending = self._release_stream
        try:
            outcome = await self._stream(answer)
        finally:
            self._release_stream()
        self.server.record(AnsweredRequest(request_method, target, 200, True, outcome))

    async def _send_json(self, answer: JsonAnswer, *, close: bool = False, head: bool = False) -> None:
        data = answer.encode()
        headers = [
            _SERVER_HEADER,
            ("content-length", str(len(data))),
            *answer.headers,
            *([("connection", "close")] if close else []),
        ]
        self.writer.write(self.conn.send(h11.Response(status_code=answer.status, headers=headers)))
        if not head:
            self.writer.write(self.conn.send(h11.Data(data=data)))
        self.writer.write(self.conn.send(h11.EndOfMessage()))
        self._wrote(len(data))
        self.server.activity.ended(self.port)
        self._headers_written()
        await self._drain()

    async def _stream(self, answer: StreamAnswer) -> str:
        """Write an SSE answer; returns how it ended (``ok``, ``dropped``, ``client-gone``)."""
        headers = [_SERVER_HEADER, *answer.headers]
        self.writer.write(self.conn.send(h11.Response(status_code=200, headers=headers)))
        self._headers_written()
        await self._drain()
        fault = self.server.app.faults.take_stream_fault(answer.run.id)
        events = self.server.app.events(answer)
        # A read that completes while we stream means the client hung up (or sent early).
        gone: asyncio.Future[bytes] = asyncio.ensure_future(self.reader.read(65536))
        sent = 0
        upcoming: asyncio.Future[bytes] | None = None
        try:
            if fault is not None and fault.after_events == 0 and await self._apply(fault, events):
                return "dropped"
            while True:
                upcoming = asyncio.ensure_future(anext(events))
                await asyncio.wait({upcoming, gone}, return_when=asyncio.FIRST_COMPLETED)
                if not upcoming.done():
                    if gone.result():
                        self.conn.receive_data(gone.result())
                        gone = asyncio.get_running_loop().create_future()
                        await asyncio.wait({upcoming})
                    else:
                        upcoming.cancel()
                        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                            await upcoming
                        return "client-gone"
                try:
                    chunk = upcoming.result()
                except StopAsyncIteration:
                    break
                self.writer.write(self.conn.send(h11.Data(data=chunk)))
                self._wrote(len(chunk))
                await self._drain()
                sent += 1
                if fault is not None and sent == fault.after_events and await self._apply(fault, events):
                    return "dropped"
            self._release_stream()  # if the events did not free it already
            self.writer.write(self.conn.send(h11.EndOfMessage()))
            self.server.activity.ended(self.port)
            await self._drain()
            return "ok"
        finally:
            # A stop() cancels this task while the generator may still be running in
            # ``upcoming``: stop that first, or aclose() fails and the task leaks.
            if upcoming is not None and not upcoming.done():
                upcoming.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await upcoming
            await events.aclose()
            if not gone.done():
                gone.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await gone
            elif not gone.cancelled() and gone.exception() is None and gone.result():
                self.conn.receive_data(gone.result())

    def _release_stream(self) -> None:
        if self._holds_stream:
            self._holds_stream = False
            self.server.open_streams -= 1

    def _wrote(self, size: int) -> None:
        self.server.activity.wrote(self.port, size)

    async def _apply(self, fault: StreamFault, events: AsyncGenerator[bytes, None]) -> bool:
        """Carry out a stream fault; True when the connection was dropped."""
        if fault.stall is not None:
            await asyncio.sleep(fault.stall)
            return False
        if fault.mid_event:
            chunk = await anext(events, b"")
            if chunk:
                part = chunk[: max(1, len(chunk) // 2)]
                self.writer.write(self.conn.send(h11.Data(data=part)))
                self._wrote(len(part))
                await self._drain()
        self.writer.transport.abort()
        return True
