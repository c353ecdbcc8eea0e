"""``disconnect="each-event"``: one test per cut point of the recorded stream."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_interactions.cassette import CassetteError
from pytest_interactions.faults import Cut
from pytest_interactions.plugin._naming import CUT_PARAM

PARAM = CUT_PARAM


@dataclass(frozen=True)
class CutPoint:
    """A cut after one event of one interaction's recorded stream (``cut=None``: there is none)."""

    interaction_id: str | None
    cut: Cut | None
    test_id: str


def cut_points(path: Path) -> list[CutPoint]:
    """Every place a recorded stream in the cassette can be cut: after each of its events."""
    from pytest_interactions.session import load_for_replay

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


def parametrize(metafunc: pytest.Metafunc, path: Path, *, recording: bool = False) -> None:
    """Parametrize over the cut points; a test without a recording yet (or about to record it
    again: ``recording=True``) runs once, recording.

    A recording with no stream gives one ``no-stream`` run, which fails as any fault that cannot
    apply to its recording does.
    """
    if recording or not path.exists():
        metafunc.parametrize(PARAM, [None], ids=["recording"])
        return
    points = cut_points(path) or [CutPoint(None, None, "no-stream")]
    metafunc.parametrize(PARAM, points, ids=[p.test_id for p in points])
