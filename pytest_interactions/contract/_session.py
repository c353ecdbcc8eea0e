"""A cassette read as a session: which request did what to which resource, under which API.

Each exchange is judged by the API whose routes its path belongs to (``protocol.route_of``), so
that a cassette may mix APIs; its events are then read in that API's grammar.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from pytest_interactions.cassette import Cassette, Disconnect, Exchange, StreamEvent, json_value
from pytest_interactions.protocol import ApiDefinition, Operation, route_of

STREAM = "stream"
OTHER = "other"


@dataclass(frozen=True)
class Step:
    """One exchange understood: its operation (``create``, ``get``, ``stream``, ``cancel``,
    ``delete`` or ``other``), the API it belongs to, the resource (interaction, response) it
    concerns and, for streams, its messages."""

    index: int
    exchange: Exchange
    operation: str
    interaction_id: str | None
    resume_from: str | None
    path: str
    api: ApiDefinition | None = None
    """The API the exchange was judged by (``None``: a path no API knows)."""

    def event_id(self, item: StreamEvent) -> str | None:
        """An event's id (Gemini's event_id, OpenAI's sequence_number, an SSE id)."""
        return None if self.api is None else self.api.event_id(item.data, item.id)

    def payload(self, item: StreamEvent) -> dict[str, object] | None:
        """An event's data as a JSON object, or ``None``."""
        value = _json(item.data)
        return value if isinstance(value, dict) else None

    @property
    def messages(self) -> list[tuple[int, StreamEvent]]:
        """The stream's events with their positions among the stream's items."""
        response = self.exchange.response
        if response is None or response.events is None:
            return []
        return [(i, item) for i, item in enumerate(response.events) if isinstance(item, StreamEvent)]

    @property
    def dropped(self) -> Disconnect | None:
        """The disconnect that ended this stream, if one did."""
        response = self.exchange.response
        if response is None:
            return self.exchange.error
        if response.events:
            last = response.events[-1]
            if isinstance(last, Disconnect):
                return last
        return response.disconnect

    @property
    def stored(self) -> bool:
        """The request did not opt out of storing its resource (``store: false``)."""
        return self._request_json().get("store") is not False

    @property
    def resumable(self) -> bool:
        """A client could resume this stream: one opened by GET (its resource is stored), or the
        stream of a stored background create. The live API gives no event ids to the others."""
        if self.exchange.request.method.upper() == "GET":
            return True
        return self.stored and self._request_json().get("background") is True

    def _request_json(self) -> dict[str, object]:
        value = json_value(self.exchange.request.body)
        return value if isinstance(value, dict) else {}

    @property
    def finished(self) -> bool:
        """The stream ended on its own: not dropped, not closed early by the client."""
        response = self.exchange.response
        return response is not None and self.dropped is None and not response.closed_early


def _created_id(exchange: Exchange, api: ApiDefinition) -> str | None:
    """The resource a create's stream names first."""
    response = exchange.response
    if response is None or response.events is None:
        return None
    for item in response.events:
        if isinstance(item, StreamEvent) and item.data:
            payload = _json(item.data)
            found = api.resource_of(payload) if isinstance(payload, dict) else None
            if found is not None:
                return found
    return None


def _json(text: str | None) -> object:
    try:
        return json.loads(text or "")
    except ValueError:
        return None


def read_session(cassette: Cassette) -> list[Step]:
    """Every exchange of the cassette, read as an operation of the API its path belongs to."""
    steps = []
    for index, exchange in enumerate(cassette.exchanges):
        parts = urlsplit(exchange.request.url)
        found = route_of(exchange.request.method, parts.path)
        response = exchange.response
        is_stream = response is not None and response.is_stream
        if found is None:
            steps.append(Step(index, exchange, OTHER, None, None, parts.path))
            continue
        api, route = found
        interaction_id = route.interaction_id
        operation = route.operation.value
        resume_from = None
        if is_stream:
            operation = STREAM
            resume_from = api.resume_from(parts.query, dict(exchange.request.headers))
            if route.operation is Operation.CREATE:
                interaction_id = _created_id(exchange, api)
        elif route.operation is Operation.CREATE:
            answer = json_answer(exchange)
            if isinstance(answer, dict) and isinstance(answer.get("id"), str):
                interaction_id = str(answer["id"])
        steps.append(Step(index, exchange, operation, interaction_id, resume_from, parts.path, api))
    return steps


def json_answer(exchange: Exchange) -> object:
    """The JSON body of the exchange's answer, or ``None``."""
    response = exchange.response
    return None if response is None else json_value(response.body)
