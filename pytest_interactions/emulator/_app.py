"""The emulator's request handling: Interactions API semantics over plain request data.

It knows nothing of sockets: the HTTP server hands it a request and writes what it answers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

from pytest_interactions import protocol
from pytest_interactions.emulator._answers import (
    JSON_HEADERS,
    Answer,
    ApiError,
    Endpoints,
    JsonAnswer,
    Request,
    StreamAnswer,
    retry_after_headers,
)
from pytest_interactions.emulator._clock import EmulatorClock
from pytest_interactions.emulator._create_checks import check_call_ids, check_types, managed_agent, parse_body
from pytest_interactions.emulator._faults import Rejection, ServerFaults
from pytest_interactions.emulator._notifier import Notifier
from pytest_interactions.emulator._runs import Run, RunStore
from pytest_interactions.emulator._scenarios import (
    SCENARIO_HEADER,
    ScenarioBook,
    ScenarioRequest,
    digest,
)
from pytest_interactions.sse import encode_event

DONE_BYTES = encode_event(event=protocol.DONE_EVENT, data=protocol.DONE_DATA)


class EmulatorApp:
    """Answers Interactions API requests from the run store, scenarios and fault plan."""

    def __init__(
        self,
        clock: EmulatorClock,
        store: RunStore,
        scenarios: ScenarioBook,
        faults: ServerFaults,
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
            return JsonAnswer(200, snapshot, list(JSON_HEADERS))
        self.store.delete(run)
        self.notifier.notify()
        return JsonAnswer(200, {}, list(JSON_HEADERS))

    def _rejected(self, rejection: Rejection) -> ApiError:
        message = rejection.message or protocol.default_message(rejection.status)
        return ApiError(
            rejection.status, message, headers=retry_after_headers(rejection.retry_after, self.clock)
        )

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

    async def _create(self, request: Request) -> Answer:
        body = parse_body(request)
        check_types(body)
        if body.get("background") and not _stored(body):
            raise ApiError(protocol.INVALID_ARGUMENT, "Background execution requires 'store' to be true.")
        previous = self._previous(body)
        resume, scenario_name = self._continuation(body)
        headers = {k.lower(): v for k, v in request.headers.items()}
        run_id = self.store.new_id()
        snapshot = previous.snapshot(self.clock.now(), self.clock) if previous else None
        check_call_ids(body, snapshot)

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
            return JsonAnswer(200, snapshot, list(JSON_HEADERS))
        if body.get("background"):
            # Answered "at once": as the interaction was when created, however fast scenario
            # time runs (at high speed a whole run can pass before this line is reached).
            return JsonAnswer(200, run.snapshot(run.created_at, self.clock), list(JSON_HEADERS))
        await self._until(lambda: self.store.find(run.id) is None or self._finished(run))
        return JsonAnswer(200, run.snapshot(self.clock.now(), self.clock), list(JSON_HEADERS))

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
            return JsonAnswer(200, snapshot, list(JSON_HEADERS))
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
