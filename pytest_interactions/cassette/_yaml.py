"""The YAML form of a cassette: readable on disk, loaded safely (libyaml when present)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pytest_interactions.cassette._bodies import compact_json, to_compact_json
from pytest_interactions.cassette._errors import CorruptCassetteError
from pytest_interactions.cassette._model import (
    SCHEMA_VERSION,
    Body,
    Cassette,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from pytest_interactions.cassette._vcrpy import from_vcrpy, looks_like_vcrpy

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """A safe loader that remembers the line of every mapping, for error messages."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: dict[int, int] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=True)
        self.lines[id(mapping)] = node.start_mark.line + 1
        return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """A safe dumper that writes multi-line text as block scalars."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and value == value.strip(" ") and "\r" not in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)

#: Lines are never folded: a one-word change in a long prompt or delta is a one-line diff.
NO_WRAP = 2**30


# -- writing ------------------------------------------------------------------------------------


def _headers_out(headers: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in headers:
        key = name.lower()
        if key in out:
            previous = out[key]
            out[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[key] = value
    return out


def _bytes_out(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def _body_out(body: Body | None, into: dict[str, Any]) -> None:
    if body is None:
        return
    into[body.kind] = body.value
    if body.kind == "json" and body.style != "compact":
        into["json_style"] = body.style


def _event_out(item: StreamEvent | Disconnect) -> dict[str, Any]:
    if isinstance(item, Disconnect):
        return _disconnect_out(item)
    out: dict[str, Any] = {"at": round(item.at, 6)}
    if item.event is not None:
        out["event"] = item.event
    if item.id is not None:
        out["id"] = item.id
    if item.retry is not None:
        out["retry"] = item.retry
    if item.comments:
        out["comments"] = list(item.comments)
    if item.data is not None:
        out["data"] = _data_out(item.data)
    if item.raw is not None:
        out["raw"] = _bytes_out(item.raw)
    return out


def _data_out(data: str) -> Any:
    """Data that is compact JSON of a mapping or list becomes YAML structure; else text."""
    parsed = compact_json(data)
    return data if parsed is None else parsed


def _disconnect_out(item: Disconnect) -> dict[str, Any]:
    out: dict[str, Any] = {"at": round(item.at, 6), "disconnect": item.error, "message": item.message}
    if item.partial:
        out["partial"] = _bytes_out(item.partial)
    return out


def _exchange_out(exchange: Exchange) -> dict[str, Any]:
    request: dict[str, Any] = {"method": exchange.request.method, "url": exchange.request.url}
    if exchange.request.headers:
        request["headers"] = _headers_out(exchange.request.headers)
    _body_out(exchange.request.body, request)
    out: dict[str, Any] = {"at": round(exchange.at, 6), "request": request}
    if exchange.response is not None:
        response = exchange.response
        resp: dict[str, Any] = {"status": response.status, "after": round(response.after, 6)}
        resp["headers"] = _headers_out(response.headers)
        _body_out(response.body, resp)
        if response.events is not None:
            resp["events"] = [_event_out(item) for item in response.events]
        if response.disconnect is not None:
            resp["disconnect"] = _disconnect_out(response.disconnect)
        if response.closed_early:
            resp["closed_early"] = True
        out["response"] = resp
    if exchange.error is not None:
        out["error"] = _disconnect_out(exchange.error)
    return out


def dump(cassette: Cassette) -> str:
    """Serialise a cassette to YAML text."""
    document = {
        "version": cassette.version,
        "meta": dict(cassette.meta),
        "exchanges": [_exchange_out(exchange) for exchange in cassette.exchanges],
    }
    text: str = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=NO_WRAP, default_flow_style=False
    )
    return text


# -- reading ------------------------------------------------------------------------------------


class _Reader:
    """Turns the loaded YAML document into the model, naming the line of anything wrong."""

    def __init__(self, path: Path, lines: dict[int, int]) -> None:
        self.path = path
        self.lines = lines

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
                headers.append((str(name), str(item)))
        return headers

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
            return Body("json", node["json"], style)
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
            at=float(self.field(node, "at", (int, float), what)),
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
            data = to_compact_json(data)
        comments = self.optional(node, "comments", list, what) or []
        return StreamEvent(
            at=float(self.field(node, "at", (int, float), what)),
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
            url=self.field(req, "url", str, f"{what}.request"),
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
                after=float(self.optional(resp, "after", (int, float), f"{what}.response") or 0.0),
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
        at = float(self.optional(node, "at", (int, float), what) or 0.0)
        return Exchange(at, request, response, error, line=self.lines.get(id(node)))


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def load(text: str, path: Path) -> Cassette:
    """Parse cassette YAML; errors name ``path`` and the line at fault."""
    loader = _Loader(text)
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise CorruptCassetteError(path, f"not valid YAML: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise CorruptCassetteError(path, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    reader = _Reader(path, loader.lines)
    if document is None:
        raise CorruptCassetteError(path, "the file is empty")
    root = reader.mapping(document, None, "the cassette")
    if looks_like_vcrpy(root):
        return from_vcrpy(text, path)
    version = root.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise reader.fail(root, "no schema 'version' (is this a pytest-interactions cassette?)")
    if version > SCHEMA_VERSION:
        raise reader.fail(
            root,
            f"schema version {version} is newer than this pytest-interactions reads "
            f"({SCHEMA_VERSION}); upgrade pytest-interactions",
        )
    exchanges = reader.field(root, "exchanges", list, "the cassette")
    meta = reader.optional(root, "meta", Mapping, "the cassette") or {}
    return Cassette(
        exchanges=[reader.exchange(item, root, i) for i, item in enumerate(exchanges)],
        meta=dict(meta),
        version=version,
    )
