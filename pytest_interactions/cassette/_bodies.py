"""How bytes become cassette entries and back: JSON as structure, text as text, else base64."""

from __future__ import annotations

import base64
import json
from typing import Any

from pytest_interactions.cassette._model import Body, StreamEvent
from pytest_interactions.sse import SSEEvent, encode_event

_STYLES: dict[str, dict[str, Any]] = {
    "compact": {"separators": (",", ":"), "ensure_ascii": False},
    "spaced": {"ensure_ascii": False},
    "indent-2": {"indent": 2, "ensure_ascii": False},
    "compact-ascii": {"separators": (",", ":")},
    "spaced-ascii": {},
    "indent-2-ascii": {"indent": 2},
}


def to_compact_json(value: Any) -> str:
    return json.dumps(value, **_STYLES["compact"])


def compact_json(text: str) -> Any:
    """The parsed value when ``text`` is exactly the compact JSON of a mapping or list, else None."""
    if not text or text[0] not in "{[":
        return None
    try:
        value = json.loads(text)
        return value if to_compact_json(value) == text else None
    except (ValueError, RecursionError):
        return None


def body_from_bytes(data: bytes, content_type: str | None) -> Body | None:
    """The cassette form of a body that re-encodes to exactly ``data``."""
    if not data:
        return None
    media = (content_type or "").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            text = data.decode("utf-8")
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = None
        else:
            for style, options in _STYLES.items():
                if json.dumps(value, **options) == text:
                    return Body("json", value, style)
    try:
        return Body("text", data.decode("utf-8"))
    except UnicodeDecodeError:
        return Body("base64", base64.b64encode(data).decode("ascii"))


def json_value(body: Body | None) -> Any:
    """The JSON document a body holds, or ``None``: kept as parsed JSON, or as text when its
    layout could not be written back byte for byte (a trailing newline, say)."""
    if body is None:
        return None
    if body.kind == "json":
        return body.value
    if body.kind == "text" and str(body.value)[:1] in "{[":
        try:
            return json.loads(body.value)
        except (ValueError, RecursionError):
            return None
    return None


def body_to_bytes(body: Body | None) -> bytes:
    if body is None:
        return b""
    if body.kind == "json":
        return json.dumps(body.value, **_STYLES.get(body.style, _STYLES["compact"])).encode("utf-8")
    if body.kind == "text":
        return str(body.value).encode("utf-8")
    return base64.b64decode(body.value)


def event_from_sse(event: SSEEvent, at: float) -> StreamEvent:
    """A recorded event; the exact bytes are kept only when the fields would not re-encode to them."""
    record = StreamEvent(
        at=at,
        event=event.event,
        data=event.data,
        id=event.id,
        retry=event.retry,
        comments=event.comments,
    )
    if event_to_bytes(record) != event.raw:
        record.raw = event.raw
    return record


def event_to_bytes(event: StreamEvent) -> bytes:
    """The exact bytes of a recorded event."""
    if event.raw is not None:
        return event.raw
    return encode_event(
        event=event.event, data=event.data, id=event.id, retry=event.retry, comments=event.comments
    )
