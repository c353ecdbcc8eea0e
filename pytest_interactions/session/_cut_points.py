"""Every place a recorded stream can be cut: after each of its events (``each-event`` sweeps)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_interactions.cassette import CassetteError
from pytest_interactions.faults import Cut
from pytest_interactions.session._loaded import load_for_replay


@dataclass(frozen=True)
class CutPoint:
    """A cut after one event of one interaction's recorded stream (``cut=None``: there is none)."""

    interaction_id: str | None
    cut: Cut | None
    test_id: str


def cut_points(path: Path) -> list[CutPoint]:
    """Every place a recorded stream in the cassette can be cut: after each of its events."""
    try:
        histories = load_for_replay(path).histories()  # its tests replay the same compiled cassette
    except CassetteError:
        return []
    streamed = [h for h in histories.values() if h.events]
    points = []
    for history in streamed:
        prefix = f"{history.interaction_id[-6:]}-" if len(streamed) > 1 else ""
        width = len(str(len(history.events)))
        for position, event in enumerate(history.events, start=1):
            test_id = f"cut-{prefix}{position:0{width}d}-{event.event_type}"
            cut = Cut(position, False, f"each-event {test_id}")
            points.append(CutPoint(history.interaction_id, cut, test_id))
    return points
