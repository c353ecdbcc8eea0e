"""Emulator conformance: replay a recording's requests against a fresh emulator and compare shapes.

The emulator runs on a manual clock that follows the recording: before each request it is moved
by the recorded time since the previous one, and while a stream is read it steps from event to
event. Interaction (or response) ids and event ids of the recording are mapped to the emulator's
as they appear, each read where its API keeps it (``ApiDefinition.resource_of`` and the resume
dialect); the emulator serves every API the toolkit defines.
"""

from __future__ import annotations

import contextvars
import json
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from pytest_interactions.cassette import REDACTED, Cassette, Disconnect, Exchange, StreamEvent, load_cassette
from pytest_interactions.contract._diff import Drift, diff_cassettes
from pytest_interactions.contract._session import STREAM, Step, read_session
from pytest_interactions.emulator import Emulator
from pytest_interactions.session import use_cassette

#: Request headers not replayed: the transport sets them for the new connection.
_DROPPED_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding", "transfer-encoding"})
_STREAM_TIMEOUT = 60.0


@dataclass
class _Ids:
    """Recorded ids and the emulator's, as they come to be known."""

    interactions: dict[str, str] = field(default_factory=dict)
    events: dict[str, list[str]] = field(default_factory=dict)
    """The emulator's event ids per (emulated) interaction, in order."""

    def text(self, value: str) -> str:
        for recorded, emulated in self.interactions.items():
            value = value.replace(recorded, emulated)
        return value

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.interactions.get(value, value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, Mapping):
            return {k: self.json(v) for k, v in value.items()}
        return value


def _recorded_event_order(cassette: Cassette) -> dict[str, list[str]]:
    """Each recorded interaction's event ids (in its API's terms), in the order first seen."""
    shape_ids: dict[str, list[str]] = {}
    for step in read_session(cassette):
        if step.operation != STREAM or step.interaction_id is None:
            continue
        known = shape_ids.setdefault(step.interaction_id, [])
        for _, item in step.messages:
            event_id = step.event_id(item)
            if event_id is not None and event_id not in known:
                known.append(event_id)
    return shape_ids


def _header(name: str, value: str) -> str:
    """A recorded header's value as sent again: a scrubbed credential keeps its scheme."""
    if name.lower() in ("authorization", "proxy-authorization") and value == REDACTED:
        return f"Bearer {REDACTED}"
    return value


class _Replayer:
    """Sends a recording's requests to an emulator, one by one, on the recording's time."""

    def __init__(self, cassette: Cassette, api: Emulator, http: httpx.Client) -> None:
        self.cassette = cassette
        self.api = api
        self.http = http
        self.ids = _Ids()
        self.recorded_events = _recorded_event_order(cassette)

    def run(self) -> None:
        start = self.api.clock.now()
        for step in read_session(self.cassette):
            # Absolute targets: time spent stepping through a stream is not added twice.
            behind = start + step.exchange.at - self.api.clock.now()
            if behind > 0:
                self.api.advance(behind)
            self.send(step)

    def request(self, step: Step) -> httpx.Request:
        recorded, interaction_id = step.exchange.request, step.interaction_id
        resume_from = step.resume_from if step.operation == STREAM else None
        resume_param = step.api.resume_param if step.api is not None else None
        parts = urlsplit(recorded.url)
        query = []
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == resume_param and resume_from is not None and interaction_id is not None:
                value = self._event_id(interaction_id, value)
            query.append((key, value))
        url = self.ids.text(parts.path) + (f"?{urlencode(query)}" if query else "")
        headers = [(k, _header(k, v)) for k, v in recorded.headers if k.lower() not in _DROPPED_HEADERS]
        content: bytes | None = None
        body = recorded.body
        if body is not None and body.kind == "json":
            content = json.dumps(self.ids.json(body.value)).encode()
        elif body is not None and body.kind == "text":
            content = self.ids.text(str(body.value)).encode()
        return self.http.build_request(recorded.method, url, headers=headers, content=content)

    def _event_id(self, recorded_interaction: str, recorded_event: str) -> str:
        order = self.recorded_events.get(recorded_interaction, [])
        emulated = self.ids.events.get(self.ids.interactions.get(recorded_interaction, ""), [])
        if recorded_event in order and order.index(recorded_event) < len(emulated):
            return emulated[order.index(recorded_event)]
        return recorded_event

    def send(self, step: Step) -> None:
        exchange = step.exchange
        request = self.request(step)
        if step.operation != STREAM:
            response = self.http.send(request)
            self._learn(step, response.content)
            return
        recorded = exchange.response
        limit = None
        if recorded is not None and recorded.events is not None and not _ended_by_itself(exchange):
            # The recorded client stopped reading (or was cut off): read as many events, then stop.
            limit = sum(1 for item in recorded.events if isinstance(item, StreamEvent))
        done, progress = threading.Event(), threading.Event()
        received = [0]
        lines: list[str] = []
        failure: list[BaseException] = []

        def read() -> None:
            try:
                with self.http.stream(
                    request.method, request.url, headers=request.headers, content=request.content
                ) as answer:
                    for line in answer.iter_lines():
                        lines.append(line)
                        if line == "":
                            received[0] += 1
                            progress.set()
                            if limit is not None and received[0] >= limit:
                                break
            except BaseException as exc:  # reported after the stream thread ends
                failure.append(exc)
            finally:
                done.set()

        # The recording session lives in this context; the reader thread must run in it too.
        reader = threading.Thread(target=contextvars.copy_context().run, args=(read,), daemon=True)
        reader.start()
        # Step scenario time one event at a time, in step with the reader, so that the clock does
        # not run past what the recorded client saw.
        while not done.is_set() and (limit is None or received[0] < limit):
            progress.clear()
            if self.api.step():
                progress.wait(0.2)
            else:
                done.wait(0.01)
        reader.join(_STREAM_TIMEOUT)
        if failure and not isinstance(failure[0], httpx.HTTPError):
            raise failure[0]
        self._learn(step, "\n".join(lines).encode())

    def _learn(self, step: Step, content: bytes) -> None:
        """Map the recorded ids of an answer to the emulator's."""
        exchange, recorded_id, api = step.exchange, step.interaction_id, step.api
        recorded = exchange.response
        if recorded is None:
            return
        text = content.decode("utf-8", errors="replace")
        if recorded.body is not None and recorded.body.kind == "json":
            try:
                answer = json.loads(text)
            except ValueError:
                return
            old = recorded.body.value
            old_id = old.get("id") if isinstance(old, Mapping) else None
            new_id = answer.get("id") if isinstance(answer, Mapping) else None
            if isinstance(old_id, str) and isinstance(new_id, str):
                self.ids.interactions.setdefault(old_id, new_id)
            return
        if recorded.events is None or recorded_id is None or api is None:
            return
        sse_id: str | None = None
        for line in text.splitlines():
            if line.startswith("id:"):
                sse_id = line[3:].strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            try:
                payload = json.loads(data)
            except ValueError:
                continue
            if not isinstance(payload, Mapping):
                continue
            resource = api.resource_of(payload)
            if resource is not None:
                self.ids.interactions.setdefault(recorded_id, resource)
            emulated = self.ids.interactions.get(recorded_id)
            event_id = api.event_id(data, sse_id)
            if event_id is not None and emulated is not None:
                known = self.ids.events.setdefault(emulated, [])
                if event_id not in known:
                    known.append(event_id)


def _ended_by_itself(exchange: Exchange) -> bool:
    response = exchange.response
    if response is None or response.closed_early:
        return False
    return not any(isinstance(item, Disconnect) for item in response.events or [])


@dataclass(frozen=True)
class Conformance:
    """What the emulator answered to a recording's requests, and how its shape differs."""

    recorded: Path
    emulated: Cassette
    drift: list[Drift]


def conform(path: Path | str, *, keep: Path | None = None) -> Conformance:
    """Replay the requests of the cassette at ``path`` against a fresh emulator.

    The emulator's answers are recorded (into ``keep`` when given, else a temporary file)
    and compared with the recording by the structural differ; timing is not compared.
    """
    path = Path(path)
    recorded = load_cassette(path)
    with tempfile.TemporaryDirectory() as scratch:
        target = keep or Path(scratch) / "emulated.yaml"
        with (
            Emulator(manual=True) as api,
            httpx.Client(base_url=api.base_url, timeout=_STREAM_TIMEOUT) as http,
            use_cassette(target, "all", recording_clock=api.clock.now),
        ):
            _Replayer(recorded, api, http).run()
        emulated = load_cassette(target)
    drift = diff_cassettes(recorded, emulated, timing_tolerance=float("inf"))
    return Conformance(path, emulated, drift)
