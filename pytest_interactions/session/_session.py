"""One test's session: its record mode, cassette, interception, and what it exchanged."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vcr.record_mode import RecordMode

from pytest_interactions import __version__
from pytest_interactions.cassette import (
    Cassette,
    CassetteError,
    Exchange,
    RecordedRequest,
    SecretPolicy,
    cassette_lock,
    load_cassette,
    save_cassette,
)
from pytest_interactions.clock import real_monotonic
from pytest_interactions.record import Recorder
from pytest_interactions.replay import DEFAULT_MATCH_ON, Replayer, UnmatchedRequestError
from pytest_interactions.replay._matching import Matcher
from pytest_interactions.session._modes import parse_mode
from pytest_interactions.transport import (
    Flavor,
    aread_request,
    block_network,
    intercept,
    read_request,
    request_record,
)


@dataclass
class SessionConfig:
    """How a session records and replays."""

    cassette_path: Path
    record_mode: RecordMode | str = RecordMode.NONE
    match_on: Sequence[str | Matcher] = DEFAULT_MATCH_ON
    secrets: SecretPolicy = field(default_factory=SecretPolicy)
    block_network: bool = True
    meta: dict[str, Any] = field(default_factory=dict)


class Session:
    """Answers intercepted requests for one test: from the cassette, or by recording them."""

    def __init__(self, config: SessionConfig) -> None:
        self.config = config
        self.path = Path(config.cassette_path)
        self.mode = parse_mode(config.record_mode)
        self.started = real_monotonic()
        self.errors: list[str] = []
        self.exchanges: list[Exchange] = []
        self.meta: dict[str, Any] = dict(config.meta)
        self._lock = threading.Lock()
        # Captured now: a test may change the environment before the cassette is written.
        self._secrets_seen = config.secrets.secret_values()
        exists = self.path.exists()
        self.cassette: Cassette | None = None
        if exists and self.mode is not RecordMode.ALL:
            self.cassette = load_cassette(self.path)
            self.meta = {**self.cassette.meta, **self.meta}
        elif self.mode is RecordMode.NONE:
            raise CassetteError(
                self.path,
                "no such cassette, and record mode 'none' only replays; record it with "
                "--interactions-record-mode=once",
            )
        self.replayer = Replayer(self.cassette, self.path, config.match_on) if self.cassette else None
        records = self.mode in (RecordMode.ALL, RecordMode.NEW_EPISODES) or (
            self.mode is RecordMode.ONCE and not exists
        )
        self.recorder = Recorder(real_monotonic, self.started, self._note) if records else None

    @property
    def recording(self) -> bool:
        """True when requests the cassette does not answer go to the network."""
        return self.recorder is not None

    # -- answering --------------------------------------------------------------------------

    def _replayed(self, request: RecordedRequest) -> Exchange | None:
        if self.replayer is None:
            return None
        exchange = self.replayer.take(self.config.secrets.scrub_request(request))
        if exchange is not None:
            self._note(exchange)
        return exchange

    def _note(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def _unmatched(self, request: RecordedRequest) -> UnmatchedRequestError:
        scrubbed = self.config.secrets.scrub_request(request)
        if self.replayer is not None:
            message = self.replayer.explain(scrubbed, self.mode.value)
        else:
            message = f"no cassette answers {scrubbed.method} {scrubbed.url} ({self.path})"
        self.errors.append(message)
        return UnmatchedRequestError(message)

    def handle(self, flavor: Flavor, request: Any, send: Callable[[Any], Any]) -> Any:
        __tracebackhide__ = True
        incoming = request_record(request, read_request(request))
        exchange = self._replayed(incoming)
        if exchange is not None:
            assert self.replayer is not None
            return self.replayer.response(flavor, request, exchange, asynchronous=False)
        if self.recorder is None:
            raise self._unmatched(incoming)
        return self.recorder.handle(flavor, request, send)

    async def handle_async(self, flavor: Flavor, request: Any, send: Callable[[Any], Awaitable[Any]]) -> Any:
        incoming = request_record(request, await aread_request(request))
        exchange = self._replayed(incoming)
        if exchange is not None:
            assert self.replayer is not None
            return self.replayer.response(flavor, request, exchange, asynchronous=True)
        if self.recorder is None:
            raise self._unmatched(incoming)
        return await self.recorder.handle_async(flavor, request, send)

    # -- lifecycle --------------------------------------------------------------------------

    @contextlib.contextmanager
    def activate(self, *, fallback: bool = True) -> Iterator[Session]:
        """Intercept requests made in this context (and threads it starts) for the duration."""
        with contextlib.ExitStack() as stack:
            if not self.recording and self.config.block_network:
                stack.enter_context(block_network())
            stack.enter_context(intercept(self, fallback=fallback))
            yield self

    def recorded(self) -> list[Exchange]:
        """Exchanges recorded in this session (not those replayed)."""
        return list(self.recorder.exchanges) if self.recorder is not None else []

    def save(self) -> bool:
        """Write the cassette when this session recorded anything; True when written."""
        new = self.recorded()
        if not new:
            return False
        meta = {"recorded_with": f"pytest-interactions {__version__}", **self.meta}
        with cassette_lock(self.path):
            exchanges = new
            if self.mode is RecordMode.NEW_EPISODES and self.path.exists():
                exchanges = [*load_cassette(self.path).exchanges, *new]
            save_cassette(self.path, Cassette(exchanges, meta), self.config.secrets, self._secrets_seen)
        return True
