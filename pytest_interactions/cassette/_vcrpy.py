"""Reading cassettes that vcrpy (or pytest-recording) wrote, so existing suites keep working."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vcr.serialize import deserialize
from vcr.serializers import yamlserializer

from pytest_interactions.cassette._bodies import body_from_bytes, event_from_sse
from pytest_interactions.cassette._errors import CorruptCassetteError
from pytest_interactions.cassette._model import (
    Cassette,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from pytest_interactions.sse import SSEDecoder


def looks_like_vcrpy(document: Any) -> bool:
    return isinstance(document, Mapping) and "interactions" in document and "exchanges" not in document


def _headers(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, values in raw.items():
        for value in values if isinstance(values, list) else [values]:
            pairs.append((str(name), str(value)))
    return pairs


def _content_type(headers: list[tuple[str, str]]) -> str | None:
    return next((v for k, v in headers if k.lower() == "content-type"), None)


def from_vcrpy(text: str, path: Path) -> Cassette:
    """Convert a vcrpy cassette; SSE bodies become event lists (vcrpy kept no timing: ``at`` 0)."""
    try:
        loaded = deserialize(text, yamlserializer)
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptCassetteError(path, f"not a readable vcrpy cassette: {exc}") from None
    requests, responses = loaded[0], loaded[1]
    exchanges = []
    for request, response in zip(requests, responses, strict=True):
        request_headers = _headers(request.headers)
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        recorded_request = RecordedRequest(
            request.method,
            request.uri,
            request_headers,
            body_from_bytes(body, _content_type(request_headers)),
        )
        headers = _headers(response.get("headers", {}))
        raw = response.get("body", {}).get("string", b"")
        content = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
        content_type = _content_type(headers)
        recorded = RecordedResponse(status=int(response["status"]["code"]), headers=headers)
        if (content_type or "").split(";")[0].strip().lower() == "text/event-stream":
            decoder = SSEDecoder()
            events: list[Any] = [event_from_sse(event, 0.0) for event in decoder.feed(content)]
            if decoder.pending:
                events.append(StreamEvent(at=0.0, raw=decoder.pending))
            recorded.events = events
        else:
            recorded.body = body_from_bytes(content, content_type)
        exchanges.append(Exchange(0.0, recorded_request, recorded))
    return Cassette(exchanges, {"imported_from": "vcrpy"})
