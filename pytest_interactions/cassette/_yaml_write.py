"""Writing a cassette as YAML: readable on disk, text never folded, so a small change is a small diff."""

from __future__ import annotations

import base64
from typing import Any

import yaml

from pytest_interactions.cassette._bodies import compact_json
from pytest_interactions.cassette._model import (
    SCHEMA_VERSION,
    Body,
    Cassette,
    Disconnect,
    Exchange,
    StreamEvent,
)

_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


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
