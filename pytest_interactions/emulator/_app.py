"""The emulator's request handling: Interactions API semantics over plain request data.

It knows nothing of sockets: the HTTP server hands it a request and writes what it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl

from pytest_interactions import protocol
from pytest_interactions.emulator._activity import Activity
from pytest_interactions.emulator._clock import EmulatorClock
from pytest_interactions.emulator._faults import FaultPlan, Rejection
from pytest_interactions.emulator._runs import Run, RunStore
from pytest_interactions.emulator._scenarios import (
    SCENARIO_HEADER,
    ScenarioBook,
    ScenarioRequest,
    digest,
)
from pytest_interactions.sse import encode_event

#: Agents whose chained requests must name their ``environment`` too.
MANAGED_AGENT_PREFIXES: tuple[str, ...] = ("antigravity",)

_JSON = [("content-type", "application/json; charset=UTF-8")]
_SSE = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]
DONE_BYTES = encode_event(event=protocol.DONE_EVENT, data=protocol.DONE_DATA)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        for key, value in parse_qsl(self.query, keep_blank_values=True):
            if key == name:
                return value
        return None


@dataclass
class JsonAnswer:
    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    def encode(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


@dataclass
class StreamAnswer:
    """An SSE answer: the run's events from ``start`` on, as they happen."""

    run: Run
    start: int
    headers: list[tuple[str, str]] = field(default_factory=lambda: list(_SSE))
    frames: Callable[[StreamAnswer], AsyncGenerator[bytes, None]] | None = None
    """Writes the run in another API's grammar (``None``: the Interactions API's events)."""
    ending: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    """Called just before the stream's last event is written: the server frees the stream's slot
    then, so that a client opening its next stream as soon as it reads the end is served."""

    def last_event(self) -> None:
        """Tell the server that the event written next is the stream's last (once)."""
        if self.ending is not None:
            ending, self.ending = self.ending, None
            ending()


Answer = JsonAnswer | StreamAnswer


class Endpoints(Protocol):
    """Another API served over the same runs: answers the requests its definition routes."""

    async def handle(self, request: Request, route: protocol.Route) -> Answer: ...


class ApiError(Exception):
    """An error the API answers with its JSON error shape (``protocol``'s one definition)."""

    def __init__(
        self,
        kind: protocol.ErrorKind | int,
        message: str,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        kind = kind if isinstance(kind, protocol.ErrorKind) else protocol.error_kind(kind)
        self.answer = JsonAnswer(kind.code, kind.body(message), [*_JSON, *(headers or [])])


def error(kind: protocol.ErrorKind | int, message: str) -> JsonAnswer:
    return ApiError(kind, message).answer


def managed_agent(body: Mapping[str, Any]) -> str | None:
    """The managed agent a create names, in ``agent`` or in ``model`` alike, else ``None``."""
    for key in ("agent", "model"):
        name = body.get(key)
        if isinstance(name, str) and name.startswith(MANAGED_AGENT_PREFIXES):
            return name
    return None


class Notifier:
    """Wakes stream writers when something changes (time advanced, a cancel, a delete)."""

    def __init__(self, activity: Activity | None = None) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self.activity = activity or Activity()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Safe from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            self.activity.waking()
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        self.activity.woke()
        if self._event is not None:
            self._event.set()
            self._event = asyncio.Event()

    def waiter(self) -> asyncio.Event:
        """The event the next notification sets: take it *before* reading the state waited on,
        so that a notification arriving in between is not lost."""
        assert self._event is not None
        return self._event

    async def wait(self, timeout: float | None, waiter: asyncio.Event | None = None) -> None:
        event = waiter if waiter is not None else self.waiter()
        with self.activity.waiting(woken=event.is_set()), contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


def _retry_headers(seconds: float | None, clock: EmulatorClock) -> list[tuple[str, str]]:
    if seconds is None:
        return []
    real = clock.real_seconds(seconds)
    return protocol.retry_headers(seconds if real is None else real)


class EmulatorApp:
    """Answers Interactions API requests from the run store, scenarios and fault plan."""

    def __init__(
        self,
        clock: EmulatorClock,
        store: RunStore,
        scenarios: ScenarioBook,
        faults: FaultPlan,
        notifier: Notifier,
        *,
        api_keys: frozenset[str] | None = None,
        on_request: Callable[[Request], None] | None = None,
    ) -> None:
        self.clock = clock
        self.store = store
        self.scenarios = scenarios
        self.faults = faults
        self.notifier = notifier
        self.api_keys = api_keys
        self.on_request = on_request
        self._attempts: dict[tuple[str, int], int] = {}
        self._tokens: dict[str, tuple[str, str, Any]] = {}
        self.endpoints: dict[str, Endpoints] = {}
        """Other APIs served by this emulator, by their ``protocol.API_NAMES`` name."""

    async def handle(self, request: Request) -> Answer:
        if self.on_request is not None:
            self.on_request(request)
        try:
            return await self._dispatch(request)
        except ApiError as exc:
            return exc.answer

    async def _dispatch(self, request: Request) -> Answer:
        found = protocol.route_of(request.method, request.path)
        endpoints = self.endpoints.get(found[0].name) if found is not None else None
        if found is not None and endpoints is not None:
            return await endpoints.handle(request, found[1])
        route = protocol.parse_route(request.method, request.path)
        if route is None:
            raise ApiError(protocol.NOT_FOUND, f"Method not found: {request.method} {request.path}")
        if not route.method_ok:
            raise ApiError(
                405,
                f"{request.method} is not allowed on {request.path}; use {', '.join(route.allowed)}",
                headers=[("allow", ", ".join(route.allowed))],
            )
        self._authenticate(request)
        rejection = self.faults.take_rejection(route.operation.value)
        if rejection is not None:
            raise self._rejected(rejection)
        if route.operation is protocol.Operation.CREATE:
            return await self._create(request)
        assert route.interaction_id is not None
        run = self.store.find(route.interaction_id)
        if run is None or not _stored(run.request):  # store: false leaves nothing to get or resume
            raise ApiError(protocol.NOT_FOUND, f"Interaction '{route.interaction_id}' was not found.")
        if route.operation is protocol.Operation.GET:
            return self._get(request, run)
        if route.operation is protocol.Operation.CANCEL:
            self.store.cancel(run)
            self.notifier.notify()
            snapshot = run.snapshot(self.clock.now(), self.clock)
            if run.cancelled_at is not None:
                snapshot["status"] = protocol.CANCELLED
            return JsonAnswer(200, snapshot, list(_JSON))
        self.store.delete(run)
        self.notifier.notify()
        return JsonAnswer(200, {}, list(_JSON))

    def _rejected(self, rejection: Rejection) -> ApiError:
        message = rejection.message or protocol.default_message(rejection.status)
        return ApiError(rejection.status, message, headers=_retry_headers(rejection.retry_after, self.clock))

    def _authenticate(self, request: Request) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        key = headers.get("x-goog-api-key") or request.param("key")
        bearer = headers.get("authorization", "")
        if not key and not bearer.lower().startswith("bearer "):
            raise ApiError(
                protocol.PERMISSION_DENIED,
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to "
                "call this API.",
            )
        if self.api_keys is not None and key and key not in self.api_keys:
            raise ApiError(protocol.INVALID_ARGUMENT, "API key not valid. Please pass a valid API key.")

    # -- create -----------------------------------------------------------------------------

    def _parse_body(self, request: Request) -> dict[str, Any]:
        try:
            body = json.loads(request.body or b"null")
        except ValueError as exc:
            raise ApiError(
                protocol.INVALID_ARGUMENT, f"Invalid JSON payload received. {exc.__class__.__name__}: {exc}"
            ) from None
        if not isinstance(body, dict):
            raise ApiError(
                protocol.INVALID_ARGUMENT, "Invalid JSON payload received. The body must be a JSON object."
            )
        return body

    def _check_types(self, body: Mapping[str, Any]) -> None:
        expected: dict[str, tuple[type, ...]] = {
            "model": (str,),
            "agent": (str,),
            "input": (str, list),
            "background": (bool,),
            "stream": (bool,),
            "store": (bool,),
            "previous_interaction_id": (str,),
            "continuation_token": (str,),
            "tools": (list,),
            "generation_config": (dict,),
            "agent_config": (dict,),
            "environment": (str, dict),
            "system_instruction": (str, dict, list),
        }
        for name, types in expected.items():
            value = body.get(name)
            if value is not None and not isinstance(value, types):
                wanted = " or ".join("object" if t is dict else t.__name__ for t in types)
                raise ApiError(
                    protocol.INVALID_ARGUMENT,
                    f"Invalid value at '{name}' ({type(value).__name__}): expected {wanted}.",
                )
        if bool(body.get("model")) == bool(body.get("agent")):
            raise ApiError(protocol.INVALID_ARGUMENT, "Exactly one of 'model' or 'agent' must be set.")
        if body.get("input") in (None, "", []) and not body.get("continuation_token"):
            raise ApiError(protocol.INVALID_ARGUMENT, "'input' is required.")

    def _previous(self, body: Mapping[str, Any]) -> Run | None:
        previous_id = body.get("previous_interaction_id")
        if previous_id is None:
            return None
        previous = self.store.find(previous_id)
        if previous is None or not _stored(previous.request):
            raise ApiError(protocol.NOT_FOUND, f"Previous interaction '{previous_id}' was not found.")
        status = previous.status(self.clock.now())
        # A continuation hop may resume a hop that dropped mid-way, still in progress.
        if status in (protocol.IN_PROGRESS, protocol.QUEUED) and not body.get("continuation_token"):
            raise ApiError(
                protocol.EARLY_CHAIN,
                f"Previous interaction '{previous_id}' is still {status}; "
                "wait for it to finish before chaining onto it.",
            )
        agent = managed_agent(body)
        if agent is not None and not body.get("environment"):
            raise ApiError(
                protocol.INVALID_ARGUMENT,
                f"Agent '{agent}' needs 'environment' together with 'previous_interaction_id'.",
            )
        return previous

    def _check_call_ids(self, body: Mapping[str, Any], previous: Mapping[str, Any] | None) -> None:
        """Each ``function_result`` must answer a function call of the interaction it continues."""
        items = body.get("input")
        if not isinstance(items, list):
            return
        results = [
            (n, item)
            for n, item in enumerate(items)
            if isinstance(item, Mapping) and item.get("type") == "function_result"
        ]
        # Calls sent back in the input itself count too (a client replaying the history).
        calls = [s.get("id") for s in items if isinstance(s, Mapping) and s.get("type") == "function_call"]
        if previous is None and not calls:
            return  # nothing to answer to is known: a stateless request is taken as it is
        if previous is not None:
            calls += [s.get("id") for s in previous.get("steps", []) if s.get("type") == "function_call"]
        known = [c for c in calls if isinstance(c, str)]
        for n, result in results:
            call_id = result.get("call_id")
            if call_id in known:
                continue
            where = f"interaction '{previous['id']}'" if previous is not None else "the input"
            listed = ", ".join(repr(c) for c in known) or "none"
            raise ApiError(
                protocol.INVALID_ARGUMENT,
                f"function_result call_id {call_id!r} (input[{n}]) matches no function call of "
                f"{where}; its function calls: {listed}.",
            )

    async def _create(self, request: Request) -> Answer:
        body = self._parse_body(request)
        self._check_types(body)
        if body.get("background") and not _stored(body):
            raise ApiError(protocol.INVALID_ARGUMENT, "Background execution requires 'store' to be true.")
        previous = self._previous(body)
        resume, scenario_name = self._continuation(body)
        headers = {k.lower(): v for k, v in request.headers.items()}
        run_id = self.store.new_id()
        snapshot = previous.snapshot(self.clock.now(), self.clock) if previous else None
        self._check_call_ids(body, snapshot)

        def mint(state: Any) -> str:
            token = f"ct_{run_id[3:11]}_{len(self._tokens) + 1:04d}"
            self._tokens[token] = (run_id, scenario.name, state)
            return token

        scenario_request = ScenarioRequest(run_id, body, snapshot, resume, mint)
        try:
            scenario = self.scenarios.pick(scenario_request, scenario_name or headers.get(SCENARIO_HEADER))
        except KeyError as exc:
            raise ApiError(
                protocol.INVALID_ARGUMENT,
                f"Unknown emulator scenario {exc.args[0]!r}; known: {', '.join(self.scenarios.names())}",
            ) from None
        if scenario.reject is not None:
            status, retry_after, attempts = scenario.reject
            key = (scenario.name, digest(json.dumps(body, sort_keys=True)))
            self._attempts[key] = self._attempts.get(key, 0) + 1
            if self._attempts[key] <= attempts:
                raise self._rejected(Rejection(status, retry_after))
        try:
            script = scenario.build(scenario_request)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            raise ApiError(
                protocol.INVALID_ARGUMENT,
                f"The request cannot be run by scenario '{scenario.name}': "
                f"{exc.__class__.__name__}: {exc}. Check 'input' and 'tools'.",
            ) from None
        base: dict[str, Any] = {
            k: body[k] for k in ("model", "agent", "previous_interaction_id") if body.get(k)
        }
        run = self.store.create(body, script, base, run_id=run_id)
        self.notifier.notify()
        if body.get("stream"):
            return StreamAnswer(run, 0)
        if not _stored(body):
            await self._until(lambda: self.store.find(run.id) is None or self._finished(run))
            snapshot = run.snapshot(self.clock.now(), self.clock)
            snapshot.pop("id", None)  # nothing can fetch it again: the live API names no id
            return JsonAnswer(200, snapshot, list(_JSON))
        if body.get("background"):
            # Answered "at once": as the interaction was when created, however fast scenario
            # time runs (at high speed a whole run can pass before this line is reached).
            return JsonAnswer(200, run.snapshot(run.created_at, self.clock), list(_JSON))
        await self._until(lambda: self.store.find(run.id) is None or self._finished(run))
        return JsonAnswer(200, run.snapshot(self.clock.now(), self.clock), list(_JSON))

    def _continuation(self, body: Mapping[str, Any]) -> tuple[Any, str | None]:
        token = body.get("continuation_token")
        if token is None:
            return None, None
        if token not in self._tokens:
            raise ApiError(protocol.INVALID_ARGUMENT, f"Unknown continuation_token '{token}'.")
        owner, scenario_name, state = self._tokens[token]
        previous = body.get("previous_interaction_id")
        if body.get("store") is not False and previous != owner:
            raise ApiError(
                protocol.INVALID_ARGUMENT,
                f"continuation_token '{token}' belongs to interaction '{owner}', "
                f"not to previous_interaction_id {previous!r}.",
            )
        return state, scenario_name

    def _finished(self, run: Run) -> bool:
        return run.next_event_at(self.clock.now()) is None

    async def _until(self, done: Callable[[], bool]) -> None:
        while True:
            waiter = self.notifier.waiter()
            if done():
                return
            # One reading of the clock: with two, the last event could fall due in between,
            # leaving nothing pending and the wait below with no timeout, for ever.
            now = self.clock.now()
            pending = [t - now for r in self.store.runs() if (t := r.next_event_at(now)) is not None]
            if not pending:
                continue  # everything is due by now, so done() holds on the next check
            wait = self.clock.real_seconds(min(pending))
            await self.notifier.wait(wait, waiter)

    # -- get / stream -------------------------------------------------------------------------

    def _get(self, request: Request, run: Run) -> Answer:
        stream = _flag(request, "stream")
        if not stream:
            snapshot = run.snapshot(self.clock.now(), self.clock)
            if _flag(request, "include_input"):
                snapshot["steps"].insert(0, _user_input(run.request))
            return JsonAnswer(200, snapshot, list(_JSON))
        last_event_id = request.param("last_event_id")
        if last_event_id is None:
            return StreamAnswer(run, 0)
        with self.store.lock:
            position = run.position_of(last_event_id)
            if position is None or position >= run.visible_count(self.clock.now()):
                raise ApiError(
                    protocol.INVALID_ARGUMENT,
                    f"Unknown last_event_id '{last_event_id}' for interaction '{run.id}'.",
                )
        return StreamAnswer(run, position + 1)

    async def events(self, answer: StreamAnswer) -> AsyncGenerator[bytes, None]:
        """The SSE bytes of a stream answer, one event at a time, as scenario time passes."""
        if answer.frames is not None:
            async for chunk in answer.frames(answer):
                yield chunk
            return
        run, index = answer.run, answer.start
        stored = _stored(run.request)
        while True:
            waiter = self.notifier.waiter()
            with self.store.lock:
                now = self.clock.now()
                due = run.events[index : run.visible_count(now)]
                next_at = run.next_event_at(now)
                gone = self.store.find(run.id) is None
            last = len(due) - 1 if gone or next_at is None else None
            for position, event in enumerate(due):
                if position == last:
                    answer.last_event()
                payload = event.payload if stored else _without_event_id(event.payload)
                yield encode_event(event=event.event_type, data=json.dumps(payload, separators=(",", ":")))
                index += 1
            if gone:
                return
            if next_at is None:
                answer.last_event()
                yield DONE_BYTES
                return
            await self.notifier.wait(self.clock.real_seconds(next_at - now), waiter)


def _stored(body: Mapping[str, Any]) -> bool:
    """The request did not opt out of storing its interaction."""
    return body.get("store") is not False


def _without_event_id(payload: Mapping[str, Any]) -> dict[str, Any]:
    """An event of a stream nothing can resume: the live API sends it without ``event_id``."""
    return {k: v for k, v in payload.items() if k != "event_id"}


def _flag(request: Request, name: str) -> bool:
    value = request.param(name)
    if value in (None, "", "false", "False", "0"):
        return False
    if value in ("true", "True", "1"):
        return True
    raise ApiError(
        protocol.INVALID_ARGUMENT,
        f"Invalid value for query parameter '{name}': {value!r} (expected true or false).",
    )


def _user_input(body: Mapping[str, Any]) -> dict[str, Any]:
    value = body.get("input")
    if isinstance(value, str):
        return {"type": "user_input", "content": [{"type": "text", "text": value}]}
    return {"type": "user_input", "content": value if isinstance(value, list) else []}
