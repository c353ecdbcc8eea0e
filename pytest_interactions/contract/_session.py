"""A cassette read as an Interactions session: which request did what to which interaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from pytest_interactions.cassette import Cassette, Disconnect, Exchange, StreamEvent
from pytest_interactions.protocol import GEMINI, Operation, parse_route
from pytest_interactions.protocol._events import INTERACTION_CREATED

STREAM = "stream"
OTHER = "other"


@dataclass(frozen=True)
class Step:
    """One exchange understood: its operation (``create``, ``get``, ``stream``, ``cancel``,
    ``delete`` or ``other``), the interaction it concerns and, for streams, its messages."""

    index: int
    exchange: Exchange
    operation: str
    interaction_id: str | None
    resume_from: str | None
    path: str

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
    def finished(self) -> bool:
        """The stream ended on its own: not dropped, not closed early by the client."""
        response = self.exchange.response
        return response is not None and self.dropped is None and not response.closed_early


def _created_id(exchange: Exchange) -> str | None:
    response = exchange.response
    if response is None or response.events is None:
        return None
    for item in response.events:
        if isinstance(item, StreamEvent) and item.event in (None, INTERACTION_CREATED) and item.data:
            payload = _json(item.data)
            interaction = payload.get("interaction") if isinstance(payload, dict) else None
            if isinstance(interaction, dict) and isinstance(interaction.get("id"), str):
                return str(interaction["id"])
    return None


def _json(text: str | None) -> object:
    try:
        return json.loads(text or "")
    except ValueError:
        return None


def read_session(cassette: Cassette) -> list[Step]:
    """Every exchange of the cassette, read as an Interactions API operation."""
    steps = []
    for index, exchange in enumerate(cassette.exchanges):
        parts = urlsplit(exchange.request.url)
        route = parse_route(exchange.request.method, parts.path)
        response = exchange.response
        is_stream = response is not None and response.is_stream
        if route is None:
            steps.append(Step(index, exchange, OTHER, None, None, parts.path))
            continue
        interaction_id = route.interaction_id
        operation = route.operation.value
        resume_from = None
        if is_stream:
            operation = STREAM
            resume_from = GEMINI.resume_from(parts.query, dict(exchange.request.headers))
            if route.operation is Operation.CREATE:
                interaction_id = _created_id(exchange)
        elif route.operation is Operation.CREATE:
            answer = json_answer(exchange)
            if isinstance(answer, dict) and isinstance(answer.get("id"), str):
                interaction_id = str(answer["id"])
        steps.append(Step(index, exchange, operation, interaction_id, resume_from, parts.path))
    return steps


def json_answer(exchange: Exchange) -> object:
    """The JSON body of the exchange's answer, or ``None``."""
    response = exchange.response
    if response is None or response.body is None or response.body.kind != "json":
        return None
    return response.body.value
