"""One test's session: its record mode, cassette, interception, and what it exchanged."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vcr.record_mode import RecordMode

from pytest_interactions._callers import application_line
from pytest_interactions._version import __version__
from pytest_interactions.cassette import (
    Cassette,
    CassetteError,
    Exchange,
    RecordedRequest,
    SecretLeakError,
    cassette_lock,
    load_cassette,
    save_cassette,
)
from pytest_interactions.clock import VirtualClock, real_monotonic, real_sleep
from pytest_interactions.faults import FaultNotAppliedError
from pytest_interactions.protocol import CHECKS, Transcript, Violation, validate
from pytest_interactions.record import Recorder
from pytest_interactions.replay import (
    Call,
    CassetteIndex,
    Replayer,
    ReplayServer,
    UnmatchedRequestError,
    recorded_answer,
)
from pytest_interactions.session._config import REPLAY_STYLES, Answering, SessionConfig
from pytest_interactions.session._loaded import load_for_replay
from pytest_interactions.session._modes import parse_mode
from pytest_interactions.transport import (
    Answer,
    Blocking,
    Flavor,
    aread_request,
    block_network,
    intercept,
    read_request,
    read_timeout,
    request_record,
)


class Session:
    """Answers intercepted requests for one test: from the cassette, or by recording them."""

    def __init__(self, config: SessionConfig) -> None:
        self.config = config
        self.path = Path(config.cassette_path)
        self.mode = parse_mode(config.record_mode)
        self.started = real_monotonic()
        self._wall_start = datetime.now(UTC).replace(microsecond=0).isoformat()
        self._skipped = 0.0
        self.errors: list[str] = []
        self.exchanges: list[Exchange] = []
        self.meta: dict[str, Any] = dict(config.meta)
        self._lock = threading.Lock()
        self._blocking: Blocking | None = None
        # Captured now: a test may change the environment before the cassette is written.
        self._secrets_seen = config.secrets.secret_values()
        exists = self.path.exists()
        if config.replay not in REPLAY_STYLES:
            raise ValueError(
                f"unknown replay style {config.replay!r}; choose one of: {', '.join(REPLAY_STYLES)}"
            )
        if not exists and self.mode is RecordMode.NONE and not config.live:
            raise CassetteError(
                self.path,
                "no such cassette, and record mode 'none' only replays; record it with "
                "--interactions-record-mode=once",
            )
        self.answering = Answering.choose(config, self.mode, exists)
        self.cassette: Cassette | None = None
        index: CassetteIndex | None = None
        if self.answering.replay is not None:
            index = load_for_replay(self.path)
            self.cassette = index.cassette
            self.meta = {**self.cassette.meta, **self.meta}
        self.replayer = Replayer(self.cassette, self.path, config.match_on) if self.cassette else None
        self.faults = config.faults
        self.transcript = Transcript()
        self.clock: VirtualClock | None = None
        self.server = (
            ReplayServer(
                self.replayer,
                index=index,
                now=self.now,
                reach=self._reach,
                faults=self.faults,
                transcript=self.transcript,
                on_exchange=self._note,
                max_streams=config.max_streams,
            )
            if self.replayer is not None and self.answering.replay == "server"
            else None
        )
        if self.server is not None:
            inapplicable = self.server.inapplicable_faults()
            if inapplicable:
                raise FaultNotAppliedError(
                    f"the faults planned for {self.path} cannot apply to its recording, so the test "
                    "would not exercise them:\n  " + "\n  ".join(inapplicable)
                )
        clock = config.recording_clock or real_monotonic
        self.recorder = (
            Recorder(clock, clock(), self._note, keep_headers=config.keep_headers)
            if self.answering.records
            else None
        )

    def now(self) -> float:
        """Seconds since the session started: virtual while replaying on the virtual clock."""
        if self.clock is not None:
            return self.clock.now()
        return (real_monotonic() - self.started) * (self.config.speed or 1.0) + self._skipped

    def start_clock(self) -> None:
        """Count the session's time from now: a session served to another process starts when its
        server does, not when its cassette was read."""
        self.started = real_monotonic()
        self._skipped = 0.0

    def _reach(self, moment: float) -> float:
        """Let replay time reach ``moment`` (a stream event's time, a poll's next state); the time then."""
        clock = self.clock
        if clock is not None:
            return clock.reach(moment)
        ahead = moment - self.now()
        if ahead > 0 and self.config.speed:
            real_sleep(ahead / self.config.speed)
        elif ahead > 0:
            self._skipped += ahead
        return self.now()

    @property
    def virtual_time(self) -> bool:
        """True when the session's time is the virtual clock's (replaying, unless turned off)."""
        return self.clock is not None

    @property
    def recording(self) -> bool:
        """True when requests the cassette does not answer go to the network."""
        return self.answering.records

    # -- answering --------------------------------------------------------------------------

    def _note(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def _unmatched(self, request: RecordedRequest) -> UnmatchedRequestError:
        scrubbed = self.config.secrets.scrub_request(request)
        if self.replayer is not None:
            message = self.replayer.explain(scrubbed, self.mode.value)
        else:
            message = f"no cassette answers {scrubbed.method} {scrubbed.url} ({self.path})"
        message = self.redact(message)
        self.errors.append(message)
        return UnmatchedRequestError(message)

    def _ignored(self, request: Any) -> bool:
        return bool(self.config.ignore_hosts) and str(request.url.host) in self.config.ignore_hosts

    def replay(self, request: RecordedRequest, timeout: float | None = None) -> Answer | None:
        """The cassette's answer to ``request``; ``None`` when it has none and the session records.

        Raises :class:`UnmatchedRequestError` when the session only replays and the cassette has
        no answer.
        """
        __tracebackhide__ = True
        if self.answering.replay is not None:
            assert self.replayer is not None
            scrubbed = self.config.secrets.scrub_request(request)
            if self.server is not None:
                judged = bool(self.enabled_checks())
                origin = application_line(2) if judged else None
                answer = self.server.answer(Call.of(scrubbed, self.now(), timeout), origin, judged=judged)
                if answer is not None:
                    return answer
            else:
                exchange = self.replayer.take(scrubbed)
                if exchange is not None:
                    self._note(exchange)
                    return recorded_answer(exchange)
        if self.recorder is None:
            raise self._unmatched(request)
        return None

    def handle(self, flavor: Flavor, request: Any, send: Callable[[Any], Any]) -> Any:
        __tracebackhide__ = True
        if self._ignored(request):
            return send(request)
        answer = self.replay(request_record(request, read_request(request)), read_timeout(request))
        if answer is not None:
            return flavor.respond(answer, request, asynchronous=False)
        assert self.recorder is not None
        return self.recorder.handle(flavor, request, send)

    async def handle_async(self, flavor: Flavor, request: Any, send: Callable[[Any], Awaitable[Any]]) -> Any:
        if self._ignored(request):
            return await send(request)
        answer = self.replay(request_record(request, await aread_request(request)), read_timeout(request))
        if answer is not None:
            return flavor.respond(answer, request, asynchronous=True)
        assert self.recorder is not None
        return await self.recorder.handle_async(flavor, request, send)

    def bypassed(self, message: str) -> None:
        """Note a request made around interception: the session fails even if the client swallows it."""
        with self._lock:
            self.errors.append(message)

    # -- lifecycle --------------------------------------------------------------------------

    @contextlib.contextmanager
    def activate(self, *, fallback: bool = True) -> Iterator[Session]:
        """Intercept requests made in this context (and threads it starts) for the duration."""
        with contextlib.ExitStack() as stack:
            if not self.recording and self.config.block_network:
                allowed = (*self.config.allow_hosts, *self.config.ignore_hosts)
                self._blocking = stack.enter_context(block_network(allowed))
            if not self.recording and self.config.virtual_time:
                self.clock = stack.enter_context(VirtualClock(_start_time(self.meta)))
            stack.enter_context(intercept(self, fallback=fallback))
            yield self

    def enabled_checks(self) -> tuple[str, ...]:
        """The checks this session runs at its end."""
        checks = self.config.checks
        if checks is None:
            return tuple(CHECKS) if self.faults.active else ()
        if isinstance(checks, bool):
            return tuple(CHECKS) if checks else ()
        return tuple(checks)

    def violations(self, *, raised: bool = False) -> list[Violation]:
        """The protocol mistakes of the client in this session (replay only); ``raised``: the test
        failed with an error of its own (a drop the client surfaced was not swallowed)."""
        enabled = self.enabled_checks()
        if self.server is None or not enabled:
            return []
        return validate(
            self.transcript,
            self.server.streams(),
            enabled,
            gives_up_after=self.faults.gives_up_after,
            runs=self.server.run_facts(),
            raised=raised,
            thresholds=self.config.thresholds,
        )

    def problems(self) -> list[str]:
        """Unanswered requests and resumes from unknown events, in the order they happened."""
        found = [*self.errors, *(self.server.errors if self.server is not None else [])]
        return [self.redact(problem) for problem in found]

    def loops(self) -> list[str]:
        """Reconnect loops stopped for opening too many streams of one interaction."""
        found = self.server.loops if self.server is not None else []
        return [self.redact(loop) for loop in found]

    def stalls(self) -> list[str]:
        """Planned stalls met by a client with no read timeout (it would have waited forever)."""
        found = self.server.stalls if self.server is not None else []
        return [self.redact(stall) for stall in found]

    def blocked(self) -> list[str]:
        """Network attempts refused while replaying (the client may have swallowed the error)."""
        attempts = self._blocking.attempts if self._blocking is not None else []
        return [self.redact(attempt) for attempt in dict.fromkeys(attempts)]

    def unplayed(self) -> list[Exchange]:
        """Recorded exchanges this replay never used (empty while recording)."""
        if self.recording or self.replayer is None:
            return []
        return self.server.unplayed() if self.server is not None else self.replayer.unused()

    def unapplied_faults(self) -> list[str]:
        """Planned faults that never happened in this replay."""
        return self.server.unapplied_faults() if self.server is not None else []

    def recorded(self) -> list[Exchange]:
        """Exchanges recorded in this session (not those replayed), as the hooks leave them."""
        exchanges = list(self.recorder.exchanges) if self.recorder is not None else []
        before_request, before_response = (
            self.config.before_record_request,
            self.config.before_record_response,
        )
        if before_request is None and before_response is None:
            return exchanges
        kept = []
        for exchange in exchanges:
            request = before_request(exchange.request) if before_request is not None else exchange.request
            if request is None:
                continue
            response = exchange.response
            if response is not None and before_response is not None:
                response = before_response(response)
                if response is None:
                    continue
            kept.append(dataclasses.replace(exchange, request=request, response=response))
        return kept

    def cassette_to_write(self) -> Cassette:
        """The cassette this session's recording makes (before anything is merged or scrubbed)."""
        meta = {
            "recorded_with": f"pytest-interactions {__version__}",
            "started_at": self._wall_start,
            **self.meta,
        }
        return Cassette(self.recorded(), meta)

    def cassette_as_written(self) -> Cassette:
        """What the cassette will hold: the recording so far, scrubbed by the secret filters (a
        copy: the recording itself is scrubbed when saved, where what is found is guarded)."""
        cassette = copy.deepcopy(self.cassette_to_write())
        self._secrets_seen.update(self.config.secrets.scrub(cassette))  # redacted wherever shown
        return cassette

    def save(self) -> bool:
        """Write the cassette when this session recorded anything; True when written."""
        cassette = self.cassette_to_write()
        if not cassette.exchanges or self.config.live:
            return False
        try:
            with cassette_lock(self.path):
                if self.mode is RecordMode.NEW_EPISODES and self.path.exists():
                    cassette.exchanges = [*load_cassette(self.path).exchanges, *cassette.exchanges]
                save_cassette(self.path, cassette, self.config.secrets, self._secrets_seen)
        except SecretLeakError as error:
            del cassette  # holds the secret: not for tracebacks with locals
            raise error.with_traceback(None) from None
        return True

    def guard(self, value: str, name: str = "a guarded value") -> None:
        """Refuse to write the cassette if ``value`` appears in it (a token the test obtained, say)."""
        if value:
            self._secrets_seen[name] = value

    def redact(self, text: str) -> str:
        """``text`` with every guarded value replaced by its name."""
        return self.config.secrets.redact(text, self._secrets_seen)


def _start_time(meta: dict[str, Any]) -> datetime | None:
    """The recording's start, so that replayed timestamps are stable and plausible."""
    value = meta.get("started_at")
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
