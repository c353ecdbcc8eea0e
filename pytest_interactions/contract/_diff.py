"""A structural diff of two recordings of the same session: only what should not change."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_interactions._terminal import terminal_safe
from pytest_interactions.cassette import Cassette
from pytest_interactions.contract._shape import InteractionShape, SessionShape, session_shape

#: What the differ compares, by category name.
CATEGORIES: dict[str, str] = {
    "interactions": "how many interactions the session touched",
    "requests": "the operations made on each interaction and their HTTP statuses",
    "status-path": "the statuses each interaction went through (answers and streams)",
    "events": "event types and step / delta types of each interaction's streams, in order",
    "fields": "field names and JSON types of every event and answer",
    "errors": "error answers: HTTP status and the error's status name",
    "timing": "how long each interaction took, beyond the tolerance",
}

#: Seconds two recordings may differ in an interaction's duration before it counts as drift.
DEFAULT_TIMING_TOLERANCE = 30.0


@dataclass(frozen=True)
class Drift:
    """One difference that matters, in one interaction (``interaction #1``, ``response #2``...)
    or the session."""

    where: str
    category: str
    message: str
    api: str | None = None
    """The API the interaction was compared by (``None``: the session as a whole)."""

    def __str__(self) -> str:
        return terminal_safe(f"{self.where}: [{self.category}] {self.message}")

    def as_json(self) -> dict[str, Any]:
        found = {"where": self.where, "category": self.category, "message": self.message}
        return found if self.api is None else {**found, "api": self.api}


def _sequence(where: str, category: str, what: str, old: Sequence[str], new: Sequence[str]) -> list[Drift]:
    if list(old) == list(new):
        return []
    matcher = difflib.SequenceMatcher(a=list(old), b=list(new), autojunk=False)
    ops = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    found: list[Drift] = []
    moved: set[int] = set()
    # A block removed in one place and added in another is a move.
    for a, (tag, i1, i2, _, _) in enumerate(ops):
        for b, (other, _, _, j1, j2) in enumerate(ops):
            pair = tag == "delete" and other == "insert" and not moved & {a, b}
            if not pair or list(old[i1:i2]) != list(new[j1:j2]):
                continue
            before = f"after {old[i1 - 1]}" if i1 > 0 else "at the start"
            after = f"after {new[j1 - 1]}" if j1 > 0 else "at the start"
            message = f"{what} reordered: {', '.join(old[i1:i2])} moved from {before} to {after}"
            found.append(Drift(where, category, message))
            moved |= {a, b}
    for index, (tag, i1, i2, j1, j2) in enumerate(ops):
        if index in moved:
            continue
        gone, came = list(old[i1:i2]), list(new[j1:j2])
        after = f" after {old[i1 - 1]}" if i1 > 0 else " at the start"
        if tag == "delete":
            found.append(Drift(where, category, f"{what} removed{after}: {', '.join(gone)}"))
        elif tag == "insert":
            found.append(Drift(where, category, f"{what} added{after}: {', '.join(came)}"))
        elif Counter(gone) == Counter(came):
            found.append(
                Drift(where, category, f"{what} reordered{after}: {', '.join(gone)} became {', '.join(came)}")
            )
        else:
            found.append(
                Drift(where, category, f"{what} changed{after}: {', '.join(gone)} became {', '.join(came)}")
            )
    return found


def _path(where: str, what: str, old: Sequence[str], new: Sequence[str]) -> list[Drift]:
    if list(old) == list(new):
        return []
    before = " -> ".join(old) or "(none)"
    after = " -> ".join(new) or "(none)"
    return [Drift(where, "status-path", f"{what}: {before} became {after}")]


def _parent(path: str) -> str:
    """``a.b[]`` -> ``a.b`` -> ``a`` -> ``""``."""
    if path.endswith("[]"):
        return path[:-2]
    return path.rsplit(".", 1)[0] if "." in path else ""


def _under(path: str, paths: Sequence[str]) -> bool:
    """True when an ancestor of ``path`` is among ``paths``."""
    parent = _parent(path)
    while parent:
        if parent in paths:
            return True
        parent = _parent(parent)
    return False


def _fields(where: str, owner: str, old: dict[str, str], new: dict[str, str]) -> list[Drift]:
    found: list[Drift] = []
    removed = [p for p in old if p not in new]
    added = [p for p in new if p not in old]
    # Children of a field that was renamed, removed or added are named by that field alone.
    top_removed = [p for p in removed if not _under(p, removed)]
    top_added = [p for p in added if not _under(p, added)]
    for gone in list(top_removed):
        twin = next(
            (p for p in top_added if _parent(p) == _parent(gone) and new[p] == old[gone]),
            None,
        )
        if twin is not None and len([p for p in top_removed if _parent(p) == _parent(gone)]) == 1:
            found.append(Drift(where, "fields", f"{owner}: field {gone} renamed to {twin} ({old[gone]})"))
            top_removed.remove(gone)
            top_added.remove(twin)
    found += [Drift(where, "fields", f"{owner}: field {p} removed ({old[p]})") for p in top_removed]
    found += [Drift(where, "fields", f"{owner}: field {p} added ({new[p]})") for p in top_added]
    for path in old:
        if path in new and old[path] != new[path] and "null" not in (old[path], new[path]):
            found.append(
                Drift(where, "fields", f"{owner}: field {path} changed type: {old[path]} -> {new[path]}")
            )
    return found


def _interaction(old: InteractionShape, new: InteractionShape, tolerance: float) -> list[Drift]:
    where = old.label
    found: list[Drift] = []
    if old.api != new.api:
        found.append(Drift(where, "interactions", f"read as {old.api} became read as {new.api}"))
    found += _sequence(where, "requests", "requests", old.requests, new.requests)
    found += _path(where, "statuses answered", old.answered_statuses, new.answered_statuses)
    found += _path(where, "statuses streamed", old.streamed_statuses, new.streamed_statuses)
    found += _sequence(where, "events", "events", old.events, new.events)
    for owner in old.fields:
        if owner in new.fields:
            found += _fields(where, owner, old.fields[owner], new.fields[owner])
    found += _sequence(where, "errors", "error answers", old.errors, new.errors)
    if old.duration is not None and new.duration is not None and abs(new.duration - old.duration) > tolerance:
        found.append(
            Drift(
                where,
                "timing",
                f"took {new.duration:.3f} s instead of {old.duration:.3f} s (tolerance {tolerance:g} s)",
            )
        )
    return found


def diff_shapes(
    old: SessionShape, new: SessionShape, *, timing_tolerance: float = DEFAULT_TIMING_TOLERANCE
) -> list[Drift]:
    """Every difference that matters between two session shapes."""
    found: list[Drift] = []
    if len(old.interactions) != len(new.interactions):
        found.append(
            Drift(
                "session",
                "interactions",
                f"{len(old.interactions)} interaction(s) became {len(new.interactions)}",
            )
        )
    for before, after in zip(old.interactions, new.interactions, strict=False):
        found += [
            Drift(d.where, d.category, d.message, before.api)
            for d in _interaction(before, after, timing_tolerance)
        ]
    found += _sequence("session", "requests", "other requests", old.other, new.other)
    return found


def diff_cassettes(
    old: Cassette, new: Cassette, *, timing_tolerance: float = DEFAULT_TIMING_TOLERANCE
) -> list[Drift]:
    """The drift from ``old`` to ``new``, two recordings of the same session."""
    return diff_shapes(session_shape(old), session_shape(new), timing_tolerance=timing_tolerance)
