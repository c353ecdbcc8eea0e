"""Matching requests to recorded exchanges, with vcrpy's matchers and their diagnostics."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from vcr import matchers as vcr_matchers
from vcr.request import Request as VcrRequest

from pytest_interactions.cassette import RecordedRequest, body_to_bytes

DEFAULT_MATCH_ON: tuple[str, ...] = ("method", "path", "query", "body")

Matcher = Callable[[Any, Any], Any]


def resolve_matchers(names: Sequence[str | Matcher]) -> list[Matcher]:
    """vcrpy's matchers by name (``method``, ``path``, ``query``, ``body``, ``host``, ...)."""
    resolved: list[Matcher] = []
    for name in names:
        if callable(name):
            resolved.append(name)
            continue
        matcher = getattr(vcr_matchers, name, None)
        if (
            name.startswith("_")
            or not callable(matcher)
            or name in ("requests_match", "get_matchers_results")
        ):
            known = "method, uri, scheme, host, port, path, query, body, raw_body, headers"
            raise ValueError(f"unknown matcher {name!r}; known: {known}")
        resolved.append(matcher)
    return resolved


def to_vcr(request: RecordedRequest) -> VcrRequest:
    """vcrpy's view of a recorded request. A JSON body is marked as JSON even where the cassette kept
    no content-type, so that vcrpy compares documents, not one client release's spacing."""
    headers = {name: value for name, value in request.headers}
    json_body = request.body is not None and request.body.kind == "json"
    if json_body and not any(name.lower() == "content-type" for name in headers):
        headers["content-type"] = "application/json"
    return VcrRequest(request.method, request.url, body_to_bytes(request.body) or None, headers)


@dataclass(frozen=True)
class Comparison:
    """How a recorded request compares to an incoming one."""

    index: int
    passed: list[str]
    failed: list[tuple[str, str]]

    @property
    def matches(self) -> bool:
        return not self.failed


def compare(index: int, incoming: VcrRequest, recorded: VcrRequest, matchers: list[Matcher]) -> Comparison:
    passed, failed = vcr_matchers.get_matchers_results(incoming, recorded, matchers)
    return Comparison(index, passed, failed)


def body_difference(incoming: RecordedRequest, recorded: RecordedRequest, limit: int = 10) -> list[str]:
    """How two request bodies differ: a summary line, then diff lines (``-`` recorded, ``+`` sent).

    JSON is compared as documents laid out one key a line, so a change of spacing or key order
    (another client release) is no difference and a changed value shows as one line.
    """
    sent, kept = _diffable(body_to_bytes(incoming.body)), _diffable(body_to_bytes(recorded.body))
    if sent is None or kept is None:
        return [f"the bodies differ ({_size(incoming)} sent, {_size(recorded)} recorded)"]
    diff = [
        line
        for line in difflib.unified_diff(kept.splitlines(), sent.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("---", "+++"))
    ]
    if len(diff) > limit:
        diff = [*diff[:limit], f"... {len(diff) - limit} more changed lines"]
    return ["what was sent (+) against what was recorded (-):", *diff]


def _diffable(body: bytes) -> str | None:
    """The body as lines to diff: JSON re-laid out, other text as it is, ``None`` for binary."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False)
    except ValueError:
        return text


def _size(request: RecordedRequest) -> str:
    return f"{len(body_to_bytes(request.body))} bytes"
