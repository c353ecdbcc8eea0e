"""Shared test setup: slow tests marked, dependency releases named on failure, a temporary cache,
and a loopback HTTP server that answers with exactly the bytes a test gives it.

The emulator writes well-formed SSE; these tests also need what other servers send (CRLF line
ends, ``data:`` without a space, ``Set-Cookie`` headers) to go through the recorder for real.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import green_versions
import pytest

# The client libraries are loaded before any in-process pytester run: such a run unloads what it
# imported, and a library imported twice raises exceptions its other copy does not map (an httpx2
# client meeting httpcore2's ReadTimeout of a second copy, say). Some are absent from the langchain
# environment.
for _client in ("httpcore._backends.anyio", "httpcore2._backends.anyio", "httpx2", "httpx_sse"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_client)
# The same holds for the plugin's own lazily loaded modules: a package that cached a class of a
# module such a run unloaded keeps using it, while a nested conftest patches the fresh copy.
for _module in ("pytest_interactions.session._session", "pytest_interactions.plugin._handle"):
    importlib.import_module(_module)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end tests (a nested pytest run, a benchmark's smoke run) are marked ``slow``: CI runs
    them on one Python and the rest of the suite on every Python it declares."""
    for item in items:
        if "pytester" in getattr(item, "fixturenames", ()) or item.path.parent.name == "benchmarks":
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int) -> None:
    """A failing run names each dependency release the suite never passed with, beside the old ones."""
    if exitstatus != pytest.ExitCode.TESTS_FAILED or hasattr(terminalreporter.config, "workerinput"):
        return
    lines = green_versions.news(green_versions.tracked_versions(), green_versions.read_green())
    terminalreporter.section("dependency releases this suite has not passed with before")
    for line in lines or ["none: every installed version has passed before"]:
        terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if (
        exitstatus == pytest.ExitCode.OK
        and os.environ.get("INTERACTIONS_RECORD_GREEN") == "1"
        and not hasattr(session.config, "workerinput")
    ):
        green_versions.write_green(green_versions.tracked_versions())


@pytest.fixture(scope="session", autouse=True)
def _parsed_cassettes_in_a_temporary_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The suite's parsed-cassette cache lives in its own temporary directory, not the user's."""
    from pytest_interactions.cassette import _files
    from pytest_interactions.cassette._cache import CACHE_ENV

    saved = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("parsed-cassettes"))
    _files._parsed_cache.cache_clear()
    yield
    if saved is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = saved
    _files._parsed_cache.cache_clear()


@pytest.fixture(autouse=True)
def _no_virtual_clock_outlives_its_test() -> Iterator[None]:
    """Every session stops its clock: one left running would freeze time for the tests after it."""
    yield
    from pytest_interactions.clock import _virtual

    left = _virtual._FROZEN.users
    if left:
        while _virtual._FROZEN.users:
            _virtual._FROZEN.release()
        pytest.fail(f"this test left {left} virtual clock(s) running", pytrace=False)


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester runs keep the order their modules are written in (``-p randomly`` still works)."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:randomly")
    return pytester


class RawServer:
    """Serves ``respond(path, ...)`` answers; remembers the requests it got."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return None

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append((self.command, self.path, dict(self.headers.items()), body))
                status, headers, content = server.answers.get(
                    self.path.split("?")[0], (404, [("content-type", "text/plain")], b"no such path")
                )
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("content-length", str(len(content)))
                self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(content)
                self.close_connection = True

            do_GET = do_POST = do_DELETE = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def respond(
        self, path: str, body: bytes, *, status: int = 200, headers: list[tuple[str, str]] | None = None
    ) -> str:
        """Answer requests to ``path`` with ``body``; returns its URL."""
        self.answers[path] = (status, headers or [("content-type", "text/event-stream")], body)
        return self.base_url + path


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
