"""The emulator's HTTP/1.1 server: listens on asyncio sockets, admits connections up to a limit,
and refuses those a fault asks it to with a reset."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable

from pytest_interactions.emulator._activity import Activity
from pytest_interactions.emulator._answers import AnsweredRequest
from pytest_interactions.emulator._app import EmulatorApp
from pytest_interactions.emulator._http_connection import HttpConnection

REQUEST_TIMEOUT = 30.0
"""Seconds a client has to send a whole request (line, headers and body) once it began."""
IDLE_TIMEOUT = 60.0
"""Seconds an open connection may wait for its next request."""
WRITE_TIMEOUT = 60.0
"""Seconds a client may leave the server's writes unread (its buffers full) before it is dropped."""


class HttpServer:
    """Serves an :class:`EmulatorApp` on a listening socket, many connections at once."""

    def __init__(
        self,
        app: EmulatorApp,
        *,
        max_streams: int,
        max_connections: int,
        on_exchange: Callable[[AnsweredRequest], None] | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
        write_timeout: float = WRITE_TIMEOUT,
        activity: Activity | None = None,
    ) -> None:
        self.app = app
        self.activity = activity or Activity()
        self.max_streams = max_streams
        self.max_connections = max_connections
        self.on_exchange = on_exchange
        self.request_timeout = request_timeout
        self.idle_timeout = idle_timeout
        self.write_timeout = write_timeout
        self.open_streams = 0
        self.serving = 0
        """Connections admitted and not yet closed (refused ones are not counted)."""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._accept, host, port, backlog=512)
        address = self._server.sockets[0].getsockname()
        return str(address[0]), int(address[1])

    async def close(self) -> None:
        """Stop listening and end every connection, streams included."""
        if self._server is not None:
            self._server.close()
        # Python 3.11's wait_for can swallow a cancel that arrives with the data it was waiting
        # for, leaving a connection waiting for its next request: cancel until every one has ended.
        while pending := [task for task in self._tasks if not task.done()]:
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=0.05)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Admitted here, before anything awaits: connections accepted in one burst are counted
        # one by one, so exactly max_connections of them are served.
        admitted = self.serving < self.max_connections
        if admitted:
            self.serving += 1
        # asyncio reports a cancelled connection callback as an error, so the work runs in
        # a task of its own that close() can cancel quietly.
        task = asyncio.ensure_future(self._connection(reader, writer, admitted))
        self._tasks.add(task)
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            if admitted:
                self.serving -= 1

    async def _connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, admitted: bool = True
    ) -> None:
        peer = writer.get_extra_info("peername")
        port = int(peer[1]) if isinstance(peer, tuple) and len(peer) > 1 else -1
        self.activity.opened(port)
        try:
            if self.app.faults.take_refusal():
                _reset(writer)
                return
            await HttpConnection(self, reader, writer, port).serve(admitted)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self.activity.closed(port)

    def record(self, exchange: AnsweredRequest) -> None:
        if self.on_exchange is not None:
            self.on_exchange(exchange)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST, the way a refusing or crashing peer does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
