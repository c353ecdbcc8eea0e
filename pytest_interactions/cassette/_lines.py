"""Where each part of a cassette sits in its file, so that reports can name the line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from pytest_interactions.cassette._yaml import _Loader


@dataclass
class ExchangeLines:
    """Lines of one exchange: the entry, its request, its response and each stream item."""

    exchange: int | None = None
    request: int | None = None
    response: int | None = None
    answer: int | None = None
    """The line of the response's JSON body."""
    events: list[int | None] = field(default_factory=list)


@dataclass
class CassetteLines:
    """Lines of every exchange of a cassette (empty for files that are not of this format)."""

    exchanges: list[ExchangeLines] = field(default_factory=list)

    def of(self, index: int) -> ExchangeLines:
        return self.exchanges[index] if index < len(self.exchanges) else ExchangeLines()

    def event(self, exchange: int, item: int) -> int | None:
        """The line of a stream item, else of its exchange."""
        lines = self.of(exchange)
        return lines.events[item] if item < len(lines.events) else lines.exchange


def cassette_lines(text: str) -> CassetteLines:
    """The lines of a cassette's text; a document the loader cannot read gives no lines."""
    loader = _Loader(text)
    try:
        document = loader.get_single_data()
    except yaml.YAMLError:
        return CassetteLines()
    finally:
        loader.dispose()
    exchanges = document.get("exchanges") if isinstance(document, Mapping) else None
    if not isinstance(exchanges, list):
        return CassetteLines()

    def line(node: Any) -> int | None:
        return loader.lines.get(id(node)) if isinstance(node, Mapping) else None

    def answer(response: Any) -> int | None:
        """The line of a response's JSON body: its mapping (version 2), its block (version 3)."""
        if not isinstance(response, Mapping):
            return None
        body = response.get("json")
        if isinstance(body, str):
            found = line_of_key(text, line(response), "json")
            return found + 1 if found is not None else None
        return line(body)

    result = CassetteLines()
    for entry in exchanges:
        response = entry.get("response") if isinstance(entry, Mapping) else None
        events = response.get("events") if isinstance(response, Mapping) else None
        result.exchanges.append(
            ExchangeLines(
                exchange=line(entry),
                request=line(entry.get("request")) if isinstance(entry, Mapping) else None,
                response=line(response),
                answer=answer(response),
                events=[line(item) for item in events] if isinstance(events, list) else [],
            )
        )
    return result


def line_of_key(text: str, start: int | None, key: str) -> int | None:
    """The first line at or after ``start`` where the mapping key ``key`` is written."""
    if start is None:
        return None
    lines = text.splitlines()
    needles = (f"{key}:", f"'{key}':", f'"{key}":')
    for number in range(start, len(lines) + 1):
        stripped = lines[number - 1].lstrip(" -{")
        if stripped.startswith(needles) or any(
            f", {n}" in lines[number - 1] or f"{{{n}" in lines[number - 1] for n in needles
        ):
            return number
    return start
