"""What compiling a recorded stream reads from each event's JSON, kept for the next run.

Compiling a long stream is mostly reading every event's JSON for its id, type and status. Those
facts depend only on the cassette's bytes and on the code that reads them, so they are kept beside
the parsed cassette in its cache, under a name that carries a hash of that code: an edited grammar
reads every stream again. Plain JSON, like the rest of the cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FORMAT = 1
"""Bumped when what is kept below changes."""


@dataclass(slots=True)
class StreamFacts:
    """Per position of a recorded stream's items: the event's id, type, status, and whether it ends
    the stream (``None``, ``None``, ``None``, ``False`` where the item is no event)."""

    api: str
    ids: list[str | None]
    types: list[str | None]
    statuses: list[str | None]
    ends: list[bool]

    def add(self, event_id: str | None, event_type: str | None, status: str | None, ends: bool) -> None:
        self.ids.append(event_id)
        self.types.append(event_type)
        self.statuses.append(status)
        self.ends.append(ends)

    def fits(self, items: int, api: str) -> bool:
        """Whether these facts can stand for a stream of ``items`` items read as ``api``."""
        lengths = {len(self.ids), len(self.types), len(self.statuses), len(self.ends)}
        return self.api == api and lengths == {items}


@dataclass
class CassetteFacts:
    """The facts of every stream of one cassette, by exchange index; ``learned`` when compiling
    added some that were not known before."""

    streams: dict[int, StreamFacts] = field(default_factory=dict)
    learned: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "streams": {
                str(index): [facts.api, facts.ids, facts.types, facts.statuses, [int(e) for e in facts.ends]]
                for index, facts in self.streams.items()
            },
        }

    @classmethod
    def from_json(cls, value: Any) -> CassetteFacts | None:
        """The facts kept as ``value``; ``None`` when it is not what :meth:`to_json` writes."""
        if not isinstance(value, dict) or value.get("format") != FORMAT:
            return None
        streams: dict[int, StreamFacts] = {}
        try:
            for index, (api, ids, types, statuses, ends) in value["streams"].items():
                if not (_texts(ids) and _texts(types) and _texts(statuses) and isinstance(api, str)):
                    return None
                streams[int(index)] = StreamFacts(api, ids, types, statuses, [bool(e) for e in ends])
        except (TypeError, ValueError, AttributeError):
            return None
        return cls(streams)


def _texts(values: Any) -> bool:
    """A list of strings and ``None``s, as every column but ``ends`` is."""
    return isinstance(values, list) and all(v is None or type(v) is str for v in values)
