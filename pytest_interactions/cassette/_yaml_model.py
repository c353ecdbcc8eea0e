"""From a loaded cassette document to the model, naming the file and line of anything wrong."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_interactions.cassette._bodies import to_compact_json
from pytest_interactions.cassette._errors import CorruptCassetteError
from pytest_interactions.cassette._model import (
    SCHEMA_VERSION,
    Body,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)

MAX_SECONDS = 10_000_000.0
"""Largest time offset a cassette may hold (about 115 days)."""


class DocumentReader:
    """Turns the loaded YAML document into the model, naming the line of anything wrong."""

    def __init__(self, path: Path, lines: dict[int, int], version: int = SCHEMA_VERSION) -> None:
        self.path = path
        self.lines = lines
        self.version = version
        """Up to 2, a ``json`` body is YAML structure; from 3, JSON text."""

    def fail(self, where: Mapping[str, Any] | None, message: str) -> CorruptCassetteError:
        line = self.lines.get(id(where)) if where is not None else None
        return CorruptCassetteError(self.path, message, line)

    def mapping(self, value: Any, parent: Mapping[str, Any] | None, what: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(parent, f"{what} must be a mapping, not {type(value).__name__}")
        return value

    def field(self, node: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
        if key not in node:
            raise self.fail(node, f"{what} lacks '{key}'")
        value = node[key]
        wrong_bool = isinstance(value, bool) and bool not in _as_tuple(kind)
        if wrong_bool or not isinstance(value, kind):
            raise self.fail(node, f"{what}.{key} has the wrong type ({type(value).__name__})")
        return value

    def optional(self, node: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
        return self.field(node, key, kind, what) if key in node else None

    def headers(self, node: Mapping[str, Any], what: str) -> list[tuple[str, str]]:
        raw = node.get("headers") or {}
        raw = self.mapping(raw, node, f"{what}.headers")
        headers: list[tuple[str, str]] = []
        for name, value in raw.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                if not isinstance(item, (str, int, float)) or isinstance(item, bool):
                    raise self.fail(raw, f"{what}.headers.{name} must be text")
                text = str(item)
                if not is_header_text(text):
                    raise self.fail(
                        raw, f"{what}.headers.{name} must be printable ASCII (HTTP cannot carry {text!r})"
                    )
                if not isinstance(name, str) or not name or not is_header_text(name) or " " in name:
                    raise self.fail(raw, f"{what}.headers has a name HTTP cannot carry: {name!r}")
                headers.append((name, text))
        return headers

    def seconds(self, node: Mapping[str, Any], key: str, what: str, *, required: bool = True) -> float:
        """A time offset: a finite number of seconds, not negative, within ``MAX_SECONDS``."""
        if key not in node and not required:
            return 0.0
        value = self.field(node, key, (int, float), what)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number) or not 0 <= number <= MAX_SECONDS:
            raise self.fail(
                node, f"{what}.{key} must be between 0 and {MAX_SECONDS:g} seconds, not {value!r}"[:300]
            )
        return number

    def url(self, node: Mapping[str, Any], what: str, key: str = "url") -> str:
        """An absolute http(s) URL with a host, without spaces or other characters HTTP cannot carry."""
        value: str = self.field(node, key, str, what)
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as exc:
            raise self.fail(node, f"{what}.{key} is not a URL ({exc}): {value!r}") from None
        if not is_url(value):
            raise self.fail(node, f"{what}.{key} must be an absolute http(s) URL, not {value!r}")
        return value

    def data_bytes(self, value: Any, parent: Mapping[str, Any], what: str) -> bytes:
        node = self.mapping(value, parent, what)
        if "text" in node and isinstance(node["text"], str):
            return node["text"].encode("utf-8")
        if "base64" in node and isinstance(node["base64"], str):
            try:
                return base64.b64decode(node["base64"], validate=True)
            except ValueError:
                raise self.fail(node, f"{what}.base64 is not valid base64") from None
        raise self.fail(node, f"{what} needs 'text' or 'base64'")

    def body(self, node: Mapping[str, Any], what: str) -> Body | None:
        if "json" in node:
            style = self.optional(node, "json_style", str, what) or "compact"
            if self.version < 3:
                return Body("json", node["json"], style)
            text = self.field(node, "json", str, what)
            try:
                return Body("json", json.loads(text), style)
            except ValueError as exc:
                raise self.fail(node, f"{what}.json is not JSON text: {exc}") from None
            except RecursionError:
                raise self.fail(node, f"{what}.json is nested too deeply to read") from None
        if "text" in node:
            return Body("text", self.field(node, "text", str, what))
        if "base64" in node:
            value = self.field(node, "base64", str, what)
            try:
                base64.b64decode(value, validate=True)
            except ValueError:
                raise self.fail(node, f"{what}.base64 is not valid base64") from None
            return Body("base64", value)
        return None

    def disconnect(self, node: Mapping[str, Any], what: str) -> Disconnect:
        return Disconnect(
            at=self.seconds(node, "at", what),
            error=self.field(node, "disconnect", str, what),
            message=str(self.optional(node, "message", str, what) or ""),
            partial=self.data_bytes(node["partial"], node, f"{what}.partial") if "partial" in node else b"",
        )

    def event(self, value: Any, parent: Mapping[str, Any], what: str) -> StreamEvent | Disconnect:
        node = self.mapping(value, parent, what)
        if "disconnect" in node:
            return self.disconnect(node, what)
        data = node.get("data")
        if data is not None and not isinstance(data, str):
            try:
                data = to_compact_json(data)
            except (TypeError, ValueError):
                kind = type(data).__name__
                raise self.fail(node, f"{what}.data must be text or JSON, not {kind}") from None
        comments = self.optional(node, "comments", list, what) or []
        return StreamEvent(
            at=self.seconds(node, "at", what),
            event=self.optional(node, "event", str, what),
            data=data,
            id=_text_or_none(node.get("id")),
            retry=self.optional(node, "retry", int, what),
            comments=tuple(str(c) for c in comments),
            raw=self.data_bytes(node["raw"], node, f"{what}.raw") if "raw" in node else None,
        )

    def exchange(self, value: Any, parent: Mapping[str, Any], index: int) -> Exchange:
        what = f"exchanges[{index}]"
        node = self.mapping(value, parent, what)
        req = self.mapping(node.get("request"), node, f"{what}.request")
        request = RecordedRequest(
            method=self.field(req, "method", str, f"{what}.request"),
            url=self.url(req, f"{what}.request"),
            headers=self.headers(req, f"{what}.request"),
            body=self.body(req, f"{what}.request"),
        )
        response = None
        if "response" in node:
            resp = self.mapping(node["response"], node, f"{what}.response")
            events = None
            if "events" in resp:
                items = self.field(resp, "events", list, f"{what}.response")
                events = [
                    self.event(item, resp, f"{what}.response.events[{i}]") for i, item in enumerate(items)
                ]
            response = RecordedResponse(
                status=self.field(resp, "status", int, f"{what}.response"),
                headers=self.headers(resp, f"{what}.response"),
                after=self.seconds(resp, "after", f"{what}.response", required=False),
                body=self.body(resp, f"{what}.response"),
                events=events,
                disconnect=self.disconnect(
                    self.mapping(resp["disconnect"], resp, f"{what}.response.disconnect"),
                    f"{what}.response.disconnect",
                )
                if "disconnect" in resp
                else None,
                closed_early=bool(resp.get("closed_early", False)),
            )
        error = None
        if "error" in node:
            error = self.disconnect(self.mapping(node["error"], node, f"{what}.error"), f"{what}.error")
        if response is None and error is None:
            raise self.fail(node, f"{what} has neither 'response' nor 'error'")
        at = self.seconds(node, "at", what, required=False)
        return Exchange(at, request, response, error, line=self.lines.get(id(node)))


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def is_header_text(text: str) -> bool:
    """Printable ASCII or tabs."""
    return text.isascii() and (text.isprintable() or text.replace("\t", " ").isprintable())


def is_url(text: str) -> bool:
    """An absolute http(s) URL with a host, in printable ASCII without spaces."""
    if not (text.isascii() and text.isprintable() and " " not in text):
        return False
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
