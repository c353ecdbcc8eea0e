"""The emulator's OpenAI Responses endpoints: background responses created, streamed, resumed
with ``starting_after``, polled, cancelled and deleted, over the same runs and scenarios."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from pytest_interactions import protocol
from pytest_interactions.emulator._answers import (
    Answer,
    ApiError,
    JsonAnswer,
    Request,
    StreamAnswer,
    retry_after_headers,
)
from pytest_interactions.emulator._app import EmulatorApp
from pytest_interactions.emulator._openai_render import render
from pytest_interactions.emulator._runs import Run
from pytest_interactions.emulator._scenarios import SCENARIO_HEADER, ScenarioRequest
from pytest_interactions.protocol import openai as oa
from pytest_interactions.sse import encode_event

_API = protocol.OPENAI_RESPONSES
_JSON = [("content-type", "application/json")]


def openai_error(code: int, message: str, headers: list[tuple[str, str]] | None = None) -> ApiError:
    """An ``ApiError`` carrying OpenAI's error body."""
    error = ApiError(code, message)
    error.answer = JsonAnswer(code, _API.error_body(code, message, None), [*_JSON, *(headers or [])])
    return error


def function_outputs(value: Any) -> list[tuple[int, Mapping[str, Any]]]:
    """The ``function_call_output`` items of an input, with their places in it."""
    items = value if isinstance(value, list) else []
    return [
        (n, i)
        for n, i in enumerate(items)
        if isinstance(i, Mapping) and i.get("type") == "function_call_output"
    ]


def function_calls(value: Any, previous: Mapping[str, Any] | None) -> dict[str, str]:
    """Call id -> function name of the calls a follow-up may answer: those of the response it
    continues, and ``function_call`` items the client sends back in its input."""
    items = [*(value if isinstance(value, list) else []), *((previous or {}).get("output") or [])]
    return {
        str(i["call_id"]): str(i.get("name", ""))
        for i in items
        if isinstance(i, Mapping) and i.get("type") == "function_call" and isinstance(i.get("call_id"), str)
    }


def with_function_results(body: dict[str, Any], previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """The body as scenarios see it: each ``function_call_output`` also told as the
    ``function_result`` it answers (name and result), so one scenario answers both APIs."""
    outputs = function_outputs(body.get("input"))
    if not outputs:
        return body
    calls = function_calls(body.get("input"), previous)
    items = list(body["input"])
    for n, output in outputs:
        text = output.get("output")
        try:
            result = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            result = text
        call_id = str(output.get("call_id"))
        answer = {"type": "function_result", "call_id": call_id, "result": result}
        if call_id in calls:
            answer["name"] = calls[call_id]
        items[n] = {**output, **answer, "output": text}
    return {**body, "input": items}


class ResponsesEndpoints:
    """Answers ``/v1/responses`` requests from the emulator's run store and scenario book."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    async def handle(self, request: Request, route: protocol.Route) -> Answer:
        if not route.method_ok:
            raise openai_error(405, f"{request.method} is not allowed on {request.path}.")
        self._authenticate(request)
        rejection = self.app.faults.take_rejection(route.operation.value)
        if rejection is not None:
            message = rejection.message or protocol.default_message(rejection.status)
            raise openai_error(
                rejection.status, message, retry_after_headers(rejection.retry_after, self.app.clock)
            )
        if route.operation is protocol.Operation.CREATE:
            return await self._create(request)
        assert route.interaction_id is not None
        run = self.app.store.find(route.interaction_id)
        if run is None or not run.id.startswith("resp_"):
            raise openai_error(404, f"Response with id '{route.interaction_id}' not found.")
        if route.operation is protocol.Operation.GET:
            return self._get(request, run)
        if route.operation is protocol.Operation.CANCEL:
            return self._cancel(run)
        self.app.store.delete(run)
        self.app.notifier.notify()
        return self._json(200, {"id": run.id, "object": "response", "deleted": True})

    def _json(self, status: int, body: Any) -> Answer:
        return JsonAnswer(status, body, list(_JSON))

    def _authenticate(self, request: Request) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        bearer = headers.get("authorization", "")
        if not bearer.lower().startswith("bearer ") or not bearer[7:].strip():
            raise openai_error(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization "
                "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        keys = self.app.api_keys
        if keys is not None and bearer[7:].strip() not in keys:
            raise openai_error(401, "Incorrect API key provided.")

    # -- create ------------------------------------------------------------------------------

    def _body(self, request: Request) -> dict[str, Any]:
        try:
            body = json.loads(request.body or b"null")
        except ValueError as exc:
            raise openai_error(400, f"We could not parse the JSON body of your request: {exc}") from None
        if not isinstance(body, dict):
            raise openai_error(400, "The request body must be a JSON object.")
        expected: dict[str, tuple[type, ...]] = {
            "model": (str,),
            "input": (str, list),
            "background": (bool,),
            "stream": (bool,),
            "store": (bool,),
            "instructions": (str,),
            "previous_response_id": (str,),
            "tools": (list,),
            "include": (list,),
        }
        for name, types in expected.items():
            value = body.get(name)
            if value is not None and not isinstance(value, types):
                raise openai_error(400, f"Invalid type for '{name}': {type(value).__name__}.")
        if not body.get("model"):
            raise openai_error(400, "Missing required parameter: 'model'.")
        if body.get("input") in (None, "", []):
            raise openai_error(400, "Missing required parameter: 'input'.")
        if body.get("background") and body.get("store") is False:
            raise openai_error(400, "Background mode requires 'store' to be true.")
        return body

    async def _create(self, request: Request) -> Answer:
        body = self._body(request)
        headers = {k.lower(): v for k, v in request.headers.items()}
        previous = self._previous(body)
        run_id = "resp_" + self.app.store.new_id()[3:]
        scenario_request = ScenarioRequest(run_id, with_function_results(body, previous), previous)
        try:
            scenario = self.app.scenarios.pick(scenario_request, headers.get(SCENARIO_HEADER))
            script = scenario.build(scenario_request)
        except KeyError as exc:
            known = ", ".join(self.app.scenarios.names())
            raise openai_error(400, f"Unknown emulator scenario {exc.args[0]!r}; known: {known}") from None
        except (TypeError, ValueError, AttributeError, IndexError, RuntimeError) as exc:
            raise openai_error(400, f"The request cannot be run: {exc.__class__.__name__}: {exc}.") from None
        run = self.app.store.create(body, script, {"model": body["model"]}, run_id=run_id)
        self.app.notifier.notify()
        if body.get("stream"):
            return StreamAnswer(run, 0, frames=self.events)
        if body.get("background"):
            return self._json(200, self._snapshot(run, run.created_at))
        await self.app._until(lambda: self.app.store.find(run.id) is None or self.app._finished(run))
        return self._json(200, self._snapshot(run, self.app.clock.now()))

    def _previous(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The Response ``previous_response_id`` names, once its function calls are answered right."""
        previous_id = body.get("previous_response_id")
        previous: dict[str, Any] | None = None
        if previous_id is not None:
            run = self.app.store.find(previous_id)
            if run is None or not run.id.startswith("resp_"):
                raise openai_error(400, f"Previous response with id '{previous_id}' not found.")
            previous = self._snapshot(run, self.app.clock.now())
            if previous["status"] in (oa.QUEUED, oa.IN_PROGRESS):
                raise openai_error(
                    400,
                    f"Previous response with id '{previous_id}' is still {previous['status']}; "
                    "wait for it to finish before continuing it.",
                )
        calls = function_calls(body.get("input"), previous)
        for n, output in function_outputs(body.get("input")):
            if output.get("call_id") not in calls and (previous is not None or calls):
                listed = ", ".join(repr(c) for c in calls) or "none"
                raise openai_error(
                    400,
                    f"No tool call found for function call output with call_id {output.get('call_id')!r} "
                    f"(input[{n}]); the function calls there are: {listed}.",
                )
        return previous

    # -- get, stream, cancel -----------------------------------------------------------------

    def _snapshot(self, run: Run, at: float) -> dict[str, Any]:
        return render(run, run.visible_count(at), self.app.clock).response

    def _get(self, request: Request, run: Run) -> Answer:
        if request.param("stream") not in ("true", "True", "1"):
            return self._json(200, self._snapshot(run, self.app.clock.now()))
        if not run.request.get("stream"):
            raise openai_error(
                400, "This response cannot be streamed: it was not created with 'stream': true."
            )
        after = request.param("starting_after")
        if after is None:
            return StreamAnswer(run, 0, frames=self.events)
        with self.app.store.lock:
            shown = len(render(run, run.visible_count(self.app.clock.now()), self.app.clock).events)
        if not after.isdigit() or int(after) >= shown:
            raise openai_error(
                400,
                f"Invalid 'starting_after': {after!r}; response '{run.id}' has sent {shown} events so far.",
            )
        return StreamAnswer(run, int(after) + 1, frames=self.events)

    def _cancel(self, run: Run) -> Answer:
        if not run.request.get("background"):
            raise openai_error(400, "Only responses created with 'background': true can be cancelled.")
        self.app.store.cancel(run)
        self.app.notifier.notify()
        snapshot = self._snapshot(run, self.app.clock.now())
        if run.cancelled_at is not None:
            snapshot["status"] = protocol.CANCELLED
        return self._json(200, snapshot)

    async def events(self, answer: StreamAnswer) -> AsyncGenerator[bytes, None]:
        """The SSE bytes of a Responses stream from ``answer.start`` on, as scenario time passes."""
        app, run, index = self.app, answer.run, answer.start
        while True:
            waiter = app.notifier.waiter()
            with app.store.lock:
                now = app.clock.now()
                rendered = render(run, run.visible_count(now), app.clock).events
                next_at = run.next_event_at(now)
                gone = app.store.find(run.id) is None
            last = len(rendered) - 1 if gone or next_at is None else None
            for position, (_, payload) in enumerate(rendered[index:], start=index):
                if position == last:
                    answer.last_event()
                yield encode_event(
                    event=str(payload["type"]), data=json.dumps(payload, separators=(",", ":"))
                )
                index += 1
            if gone or next_at is None:
                answer.last_event()
                return
            await app.notifier.wait(app.clock.real_seconds(next_at - now), waiter)
