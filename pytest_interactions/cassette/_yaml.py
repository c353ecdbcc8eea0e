"""The YAML form of a cassette: readable on disk, loaded safely (libyaml when present)."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from pytest_interactions._gc import paused
from pytest_interactions.cassette._bodies import compact_json, to_compact_json
from pytest_interactions.cassette._errors import CorruptCassetteError
from pytest_interactions.cassette._model import (
    OLDEST_SCHEMA_VERSION,
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
from pytest_interactions.cassette._yaml_events import NeedsFullReader, build_document, yaml_errors

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

MAX_DEPTH = 128
"""Deepest nesting of mappings and lists a cassette may hold (real ones stay under 20)."""
MAX_EXPANSION = 8
"""How many times its own size a document may grow when its aliases are expanded."""
MAX_SECONDS = 10_000_000.0
"""Largest time offset a cassette may hold (about 115 days)."""


class _Loader(_BaseLoader):  # type: ignore[misc]
    """A safe loader that remembers the line of every mapping, for error messages."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: dict[int, int] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice",
                    key_node.start_mark,
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=True)
        self.lines[id(mapping)] = node.start_mark.line + 1
        return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """A safe dumper that writes multi-line text as block scalars, and never anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


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
        "version": SCHEMA_VERSION,
        "meta": dict(cassette.meta),
        "exchanges": [_exchange_out(exchange) for exchange in cassette.exchanges],
        "end": len(cassette.exchanges),
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
                text = str(item)
                if not _is_header_text(text):
                    raise self.fail(
                        raw, f"{what}.headers.{name} must be printable ASCII (HTTP cannot carry {text!r})"
                    )
                if not isinstance(name, str) or not name or not _is_header_text(name) or " " in name:
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
        if parts.scheme not in ("http", "https") or not parts.hostname or not _is_url_text(value):
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
            data = to_compact_json(data)
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


def _is_header_text(text: str) -> bool:
    """Printable ASCII or tabs."""
    return text.isascii() and (text.isprintable() or text.replace("\t", " ").isprintable())


def _is_url_text(text: str) -> bool:
    """Printable ASCII without spaces."""
    return text.isascii() and text.isprintable() and " " not in text


def _check_shape(text: str, path: Path) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` and alias bombs, from the event stream.

    Runs before composing: libyaml composes recursively (deep nesting overflows the C stack) and
    aliases share nodes that later code would expand (a 1 KB file can stand for gigabytes).
    """
    expanded = 0
    events = 0
    open_nodes: list[tuple[str | None, int, int]] = []  # anchor, expanded count at start, depth
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> expanded size, height
    heights: list[int] = []
    loader = _BaseLoader(text)
    try:
        with yaml_errors(path, text, MAX_DEPTH):
            while (event := loader.get_event()) is not None:
                events += 1
                line = event.start_mark.line + 1 if event.start_mark is not None else None
                if isinstance(event, yaml.CollectionStartEvent):
                    expanded += 1
                    open_nodes.append((event.anchor, expanded - 1, len(open_nodes) + 1))
                    heights.append(1)
                    if len(open_nodes) > MAX_DEPTH:
                        raise CorruptCassetteError(path, f"nested deeper than {MAX_DEPTH} levels", line)
                elif isinstance(event, yaml.CollectionEndEvent):
                    anchor, start, _ = open_nodes.pop()
                    height = heights.pop()
                    if heights:
                        heights[-1] = max(heights[-1], height + 1)
                    if anchor is not None:
                        sizes[anchor] = (expanded - start, height)
                elif isinstance(event, yaml.ScalarEvent):
                    expanded += 1
                    if event.anchor is not None:
                        sizes[event.anchor] = (1, 0)
                elif isinstance(event, yaml.AliasEvent):
                    size, height = sizes.get(event.anchor or "", (1, 0))
                    expanded += size
                    if heights:
                        heights[-1] = max(heights[-1], height + 1)
                    if len(open_nodes) + height > MAX_DEPTH:
                        raise CorruptCassetteError(
                            path, f"the alias *{event.anchor} nests deeper than {MAX_DEPTH} levels", line
                        )
                    if expanded > MAX_EXPANSION * events + 10_000:
                        raise CorruptCassetteError(
                            path,
                            f"the alias *{event.anchor} expands the file beyond {MAX_EXPANSION} times "
                            "its size (an alias bomb?)",
                            line,
                        )
    finally:
        loader.dispose()


def load(text: str, path: Path) -> Cassette:
    """Parse cassette YAML; errors name ``path`` and the line at fault."""
    with paused():
        try:
            document, lines = build_document(text, path, MAX_DEPTH)
        except NeedsFullReader:
            document, lines = _read_document(text, path)
    reader = _Reader(path, lines)
    if document is None:
        raise CorruptCassetteError(path, "the file is empty")
    root = reader.mapping(document, None, "the cassette")
    if looks_like_vcrpy(root):
        exchange_lines = _check_vcrpy(reader, root)
        cassette = from_vcrpy(text, path)
        for exchange, line in zip(cassette.exchanges, exchange_lines, strict=True):
            exchange.line = line
        return cassette
    version = root.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise reader.fail(root, "no schema 'version' (is this a pytest-interactions cassette?)")
    if version > SCHEMA_VERSION:
        raise reader.fail(
            root,
            f"schema version {version} is newer than this pytest-interactions reads "
            f"({SCHEMA_VERSION}); upgrade pytest-interactions",
        )
    if version < OLDEST_SCHEMA_VERSION:
        raise reader.fail(
            root, f"schema version {version} does not exist (versions start at {OLDEST_SCHEMA_VERSION})"
        )
    exchanges = reader.field(root, "exchanges", list, "the cassette")
    if version >= 2:
        _check_end(reader, root, len(exchanges), text)
    meta = reader.optional(root, "meta", Mapping, "the cassette") or {}
    return Cassette(
        exchanges=[reader.exchange(item, root, i) for i, item in enumerate(exchanges)],
        meta=dict(meta),
        version=version,
    )


def _read_document(text: str, path: Path) -> tuple[Any, dict[int, int]]:
    """PyYAML's full reader, for YAML beyond what a cassette writes: aliases, tags, complex keys."""
    _check_shape(text, path)
    loader = _Loader(text)
    try:
        with yaml_errors(path, text, MAX_DEPTH):
            return loader.get_single_data(), loader.lines
    except RecursionError:
        raise CorruptCassetteError(path, "nested too deeply to read") from None
    except (ValueError, OverflowError) as exc:  # a value PyYAML's constructors refuse
        raise CorruptCassetteError(path, f"a value cannot be read: {exc}"[:300]) from None
    finally:
        loader.dispose()


def _check_vcrpy(reader: _Reader, root: Mapping[str, Any]) -> list[int | None]:
    """Check a vcrpy cassette's shape with file, line and field before vcrpy reads it.

    Returns the line of each interaction.
    """
    version = root.get("version")
    if version != 1 or isinstance(version, bool):
        raise reader.fail(root, f"a vcrpy cassette has 'version: 1', not {version!r}")
    items = reader.field(root, "interactions", list, "the cassette")
    lines = []
    for index, value in enumerate(items):
        what = f"interactions[{index}]"
        node = reader.mapping(value, root, what)
        request = reader.mapping(node.get("request"), node, f"{what}.request")
        reader.field(request, "method", str, f"{what}.request")
        reader.url(request, f"{what}.request", key="uri")
        _check_vcrpy_headers(reader, request, f"{what}.request")
        response = reader.mapping(node.get("response"), node, f"{what}.response")
        status = reader.mapping(response.get("status"), response, f"{what}.response.status")
        code = reader.field(status, "code", int, f"{what}.response.status")
        if not 100 <= code <= 599:
            raise reader.fail(status, f"{what}.response.status.code must be an HTTP status, not {code}")
        _check_vcrpy_headers(reader, response, f"{what}.response")
        if response.get("body") is not None:
            body = reader.mapping(response["body"], response, f"{what}.response.body")
            string = body.get("string")
            if string is not None and not isinstance(string, (str, bytes)):
                raise reader.fail(body, f"{what}.response.body.string must be text or bytes")
        lines.append(reader.lines.get(id(node)))
    return lines


def _check_vcrpy_headers(reader: _Reader, node: Mapping[str, Any], what: str) -> None:
    headers = node.get("headers")
    if headers is None:
        return
    headers = reader.mapping(headers, node, f"{what}.headers")
    for name, values in headers.items():
        for item in values if isinstance(values, list) else [values]:
            if not isinstance(item, (str, int)) or isinstance(item, bool) or not _is_header_text(str(item)):
                raise reader.fail(headers, f"{what}.headers.{name} must be printable ASCII text")


def _check_end(reader: _Reader, root: Mapping[str, Any], count: int, text: str) -> None:
    """A version 2 file closes with ``end: <count>``; anything else means it was cut short."""
    last_line = text.count("\n", 0, len(text.rstrip())) + 1
    if "end" not in root:
        raise CorruptCassetteError(
            reader.path, "the file is cut short: it lacks its closing 'end:' line", last_line
        )
    end = root["end"]
    if list(root)[-1] != "end" or end != count or isinstance(end, bool):
        raise CorruptCassetteError(
            reader.path,
            f"the file is cut short or edited: 'end: {end}' but it holds {count} exchanges "
            "(the closing line must be the last key and give their number)",
            last_line,
        )
