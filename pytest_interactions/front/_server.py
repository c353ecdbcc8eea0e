"""A session served over loopback HTTP, for clients in any language.

Each request is answered as in-process interception would answer it: from the cassette by the
same replay (faults included), or, recording, sent on to the upstream server with every byte
handed to the client as it arrives. A drop is a connection closed mid-body; a refused reconnect,
one closed before any answer. ``POST /__interactions__/finish`` (or :meth:`Front.finish`) ends the
session: the caller then reads what the checks found.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx

from pytest_interactions.cassette import RecordedRequest, body_from_bytes
from pytest_interactions.faults import STALL_ERROR
from pytest_interactions.replay import ReconnectLoopError, UnmatchedRequestError
from pytest_interactions.session import Session
from pytest_interactions.transport import Complete, Refused, Streamed, TransportFailure, available

FINISH_PATH = "/__interactions__/finish"
_UPSTREAM_TIMEOUT = httpx.Timeout(30.0, read=None).as_dict()
"""A streamed answer may pause for as long as the upstream's run takes."""
"""The reserved path a client (or a script around it) calls to end the session."""

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "te", "upgrade", "trailer"}
)


class Front:
    """Serves ``session`` at ``http://host:port`` until :meth:`close`.

    ``origin`` is the ``scheme://host[:port]`` the cassette's requests were made to: requests
    arriving here are matched (or recorded) as made there. Recording, ``upstream`` is where they
    are sent on.
    """

    def __init__(
        self,
        session: Session,
        *,
        origin: str,
        upstream: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.session = session
        self.origin = origin.rstrip("/")
        self.upstream = upstream.rstrip("/") if upstream else None
        self.finished = threading.Event()
        self._upstream = httpx.HTTPTransport() if upstream else None
        """The upstream's connection pool (recording): connections are reused between requests."""
        self._flavor = next(f for f in available() if f.name == "httpx")
        handler = type("Handler", (_Handler,), {"front": self})
        self._server = _QuietServer((host, port), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # how soon close() is noticed: a sweep closes one per cut
            name="interactions-front",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Front:
        self.session.start_clock()
        self._thread.start()
        return self

    def finish(self) -> None:
        """End the session: no more requests are answered."""
        self.finished.set()

    def close(self) -> None:
        self.finished.set()
        self._server.shutdown()
        self._server.server_close()
        if self._upstream is not None:
            self._upstream.close()

    def __enter__(self) -> Front:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- answering --------------------------------------------------------------------------

    def recorded_request(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> RecordedRequest:
        """The request as the cassette knows it: made to the origin."""
        content_type = next((v for k, v in headers if k == "content-type"), None)
        kept = [(k, v) for k, v in headers if k not in ("host", "content-length", "connection")]
        return RecordedRequest(method, self.origin + target, kept, body_from_bytes(body, content_type))

    def forward(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Any:
        """Send the request on to the upstream through the session's recorder; the tee'd response."""
        assert self._upstream is not None
        assert self.upstream is not None
        sent = [(k, v) for k, v in headers if k not in _HOP_BY_HOP]
        request = httpx.Request(method, self.upstream + target, headers=sent, content=body)
        request.extensions["timeout"] = _UPSTREAM_TIMEOUT
        return self.session.handle(self._flavor, request, self._upstream.handle_request)


class _QuietServer(ThreadingHTTPServer):
    """Clients that drop their connections are no news: a session's transcript says what they did."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None


class _Handler(BaseHTTPRequestHandler):
    front: Front
    protocol_version = "HTTP/1.1"
    server_version = "pytest-interactions-front"

    def log_message(self, format: str, *args: Any) -> None:
        return None  # the session's transcript is the log

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = [(k.lower(), v) for k, v in self.headers.items()]
        if urlsplit(self.path).path == FINISH_PATH:
            self.front.finish()
            self._complete(Complete(200, [("content-type", "application/json")], b'{"finished": true}'))
            return
        if self.front.finished.is_set():
            self._complete(_refusal(503, "the session has finished"))
            return
        try:
            if self.front.upstream is not None:
                self._proxy(headers, body)
                return
            request = self.front.recorded_request(self.command, self.path, headers, body)
            answer = self.front.session.replay(request)
        except (UnmatchedRequestError, ReconnectLoopError) as error:
            self._complete(_refusal(500, str(error).splitlines()[0]))
            return
        if answer is None:
            self._complete(_refusal(500, "nothing answers this request"))
        elif isinstance(answer, Complete):
            self._complete(answer)
        elif isinstance(answer, Refused):
            self._reset()
        else:
            self._stream(answer)

    def _complete(self, answer: Complete) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(answer.data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.data)
        self.wfile.flush()

    def _stream(self, answer: Streamed) -> None:
        """A streamed answer as a chunked body; its failure as the connection's end."""
        self._start_chunked(answer.status, answer.headers)
        try:
            for chunk in answer.chunks:
                self._chunk(chunk)
        except TransportFailure as failure:
            if failure.name == STALL_ERROR[0]:
                self._stall()
            self._reset()
            return
        except OSError:  # the client went away: the stream is closed early
            answer.close()
            self.close_connection = True
            return
        answer.close()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _proxy(self, headers: list[tuple[str, str]], body: bytes) -> None:
        try:
            response = self.front.forward(self.command, self.path, headers, body)
        except httpx.TransportError:
            self._reset()  # recorded as the upstream's failure; the client meets one too
            return
        sent = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _HOP_BY_HOP]
        self._stream(Streamed(response.status_code, sent, _upstream(response), response.close))

    def _start_chunked(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(name, value)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def _stall(self) -> None:
        """Send nothing more until the client gives up (its read timeout) or the session ends."""
        with contextlib.suppress(OSError):
            self.connection.settimeout(0.2)
            while not self.front.finished.is_set():
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return  # the client closed
                except TimeoutError:
                    continue

    def _reset(self) -> None:
        """Close the connection at once, mid-answer or before any: the client meets a dropped peer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


def _upstream(response: httpx.Response) -> Iterator[bytes]:
    """The upstream's body as it arrives; its failure as the one a replayed stream raises."""
    try:
        yield from response.iter_raw()
    except httpx.TransportError as exc:
        raise TransportFailure(type(exc).__name__, str(exc)) from exc


def _refusal(status: int, message: str) -> Complete:
    data = json.dumps({"error": {"code": status, "message": message, "status": "INTERNAL"}}).encode()
    return Complete(status, [("content-type", "application/json"), ("x-interactions-error", "1")], data)
