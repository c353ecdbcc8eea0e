"""Matching requests to recorded exchanges, with vcrpy's matchers and their diagnostics."""

from __future__ import annotations

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
    headers = {name: value for name, value in request.headers}
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
