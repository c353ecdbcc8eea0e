"""``disconnect="each-event"``: one test per cut point of the recorded stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_interactions.plugin._naming import CUT_PARAM
from pytest_interactions.session import CutPoint, cut_points

PARAM = CUT_PARAM

__all__ = ["PARAM", "CutPoint", "cut_points", "parametrize"]


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
