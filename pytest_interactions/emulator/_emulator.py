"""The emulator as users hold it: start, point clients at ``base_url``, steer, stop."""

from __future__ import annotations

import asyncio
import dataclasses
import selectors
import threading
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from pytest_interactions import protocol
from pytest_interactions.clock import on_real_time, real_monotonic
from pytest_interactions.emulator._activity import Activity
from pytest_interactions.emulator._answers import AnsweredRequest, Request
from pytest_interactions.emulator._app import EmulatorApp
from pytest_interactions.emulator._clock import EmulatorClock
from pytest_interactions.emulator._faults import ServerFaults
from pytest_interactions.emulator._http import (
    IDLE_TIMEOUT,
    REQUEST_TIMEOUT,
    WRITE_TIMEOUT,
    HttpServer,
)
from pytest_interactions.emulator._notifier import Notifier
from pytest_interactions.emulator._openai import ResponsesEndpoints
from pytest_interactions.emulator._runs import RunStore
from pytest_interactions.emulator._scenarios import ScenarioBook


class _RealSelector(selectors.DefaultSelector):
    """A selector whose ``select`` a virtual clock does not replace (it patches the base class)."""

    select = selectors.DefaultSelector.select


class _RealTimeLoop(asyncio.SelectorEventLoop):
    """The emulator's loop: its timeouts run on real time, even while a test runs on virtual time
    (a virtual clock would otherwise let this loop jump the test's time to its timers)."""

    def __init__(self) -> None:
        super().__init__(_RealSelector())

    def time(self) -> float:
        return real_monotonic()


KEPT_BODY_BYTES = 64 * 1024
"""Of each request body, ``Emulator.requests`` keeps at most this many first bytes."""


class Emulator:
    """A faithful Interactions API server on loopback, running in a background thread.

    ::

        with Emulator(speed=100) as api:
            client = genai.Client(api_key="k", http_options={"base_url": api.base_url})

    ``speed`` makes scenario time run faster than real time; ``manual=True`` freezes it so
    that only :meth:`advance` and :meth:`step` move work forward.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        speed: float = 1.0,
        manual: bool = False,
        seed: int = 0,
        cancel_delay: float = 1.0,
        api_keys: set[str] | frozenset[str] | None = None,
        max_streams: int = 256,
        max_connections: int = 1024,
        epoch: datetime | None = None,
        on_exchange: Callable[[AnsweredRequest], None] | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
        write_timeout: float = WRITE_TIMEOUT,
    ) -> None:
        self.host = host
        self.port = port
        self.clock = EmulatorClock(speed=speed, manual=manual, epoch=epoch)
        self.store = RunStore(self.clock, seed=seed, cancel_delay=cancel_delay)
        self.scenarios = ScenarioBook()
        self.faults = ServerFaults()
        self.requests: list[Request] = []
        self.exchanges: list[AnsweredRequest] = []
        self._on_exchange = on_exchange
        self.activity = Activity()
        self._notifier = Notifier(self.activity)
        self._app = EmulatorApp(
            self.clock,
            self.store,
            self.scenarios,
            self.faults,
            self._notifier,
            api_keys=frozenset(api_keys) if api_keys is not None else None,
            on_request=self._record_request,
        )
        self._app.endpoints[protocol.OPENAI_RESPONSES.name] = ResponsesEndpoints(self._app)
        self._server = HttpServer(
            self._app,
            max_streams=max_streams,
            max_connections=max_connections,
            on_exchange=self._record_exchange,
            request_timeout=request_timeout,
            idle_timeout=idle_timeout,
            write_timeout=write_timeout,
            activity=self.activity,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._followers: list[Callable[[float], None]] = []

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://host:port``, valid once started."""
        if self._loop is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> Emulator:
        """Bind and serve in a background thread; returns once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = _RealTimeLoop()

        async def boot() -> None:
            self._notifier.bind(loop)
            self.host, self.port = await self._server.start(self.host, self.port)

        def run() -> None:
            asyncio.set_event_loop(loop)
            # A test running on virtual time must not move this loop's clock, nor it the test's.
            with on_real_time():
                try:
                    loop.run_until_complete(boot())
                except BaseException as exc:  # reported to the starting thread
                    failure.append(exc)
                    ready.set()
                    loop.close()
                    return
                ready.set()
                loop.run_forever()
                loop.run_until_complete(self._server.close())
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="interactions-emulator", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread = None
            raise OSError(
                f"the emulator could not listen on {self.host}:{self.port}: {failure[0]}"
            ) from failure[0]
        self._loop = loop
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close every connection (open streams included) and stop serving."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._loop = None
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- steering --------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move scenario time forward by ``seconds`` and let waiting streams catch up."""
        self.clock.advance(seconds)
        self._notifier.notify()
        for follower in list(self._followers):
            follower(seconds)

    def follow(self, listener: Callable[[float], None]) -> None:
        """Call ``listener`` with the seconds of every :meth:`advance` (and :meth:`step`): for a
        clock that must move with this one."""
        self._followers.append(listener)

    def unfollow(self, listener: Callable[[float], None]) -> None:
        if listener in self._followers:
            self._followers.remove(listener)

    def step(self) -> bool:
        """Advance scenario time to the next event of any interaction; False when none is due."""
        now = self.clock.now()
        upcoming = self.next_event_at()
        if upcoming is None:
            return False
        self.advance(upcoming - now)
        return True

    def next_event_at(self) -> float | None:
        """The scenario time of the next event of any interaction (``None``: nothing scheduled)."""
        now = self.clock.now()
        upcoming = [t for run in self.store.runs() if (t := run.next_event_at(now)) is not None]
        return min(upcoming) if upcoming else None

    def interaction(self, interaction_id: str) -> dict[str, Any]:
        """The interaction as a GET would answer it now (``KeyError`` when unknown or deleted)."""
        run = self.store.find(interaction_id)
        if run is None:
            raise KeyError(interaction_id)
        return run.snapshot(self.clock.now(), self.clock)

    def reset(self) -> None:
        """Forget interactions, faults, registered scenarios and the request log."""
        self.store.clear()
        self.faults.clear()
        self.scenarios = self._app.scenarios = ScenarioBook()
        self.requests.clear()
        self.exchanges.clear()
        self._notifier.notify()

    @property
    def open_streams(self) -> int:
        """Streams being written right now."""
        return self._server.open_streams

    def _record_request(self, request: Request) -> None:
        """Log the request; of its body only the first ``KEPT_BODY_BYTES``, so memory stays bounded."""
        if len(request.body) > KEPT_BODY_BYTES:
            request = dataclasses.replace(request, body=request.body[:KEPT_BODY_BYTES])
        self.requests.append(request)

    def _record_exchange(self, exchange: AnsweredRequest) -> None:
        self.exchanges.append(exchange)
        if self._on_exchange is not None:
            self._on_exchange(exchange)
