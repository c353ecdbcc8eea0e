"""Grading a Python SDK path in this process: one fault-free recording against the embedded emulator
on its scenario clock (so that the cassette, and every finding read from it, is the same on every
run), then one replay per cut of its recorded streams, each judged by every protocol check."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from _grade import Cut, PathGrade, cut_place, exercised, scrub, unfold
from _paths import SdkPath

import pytest_interactions
from pytest_interactions.emulator import Emulator
from pytest_interactions.faults import FaultPlan
from pytest_interactions.session import (
    EMULATOR_BASE_URL,
    CutPoint,
    cut_points,
    record_on_emulator,
    use_cassette,
)


def grade(path: SdkPath, folder: Path) -> PathGrade:
    """Record ``path`` once into ``folder``, then replay it under every cut of its streams."""
    cassette = folder / f"{path.key}.yaml"
    record(cassette, path.run)
    graded = PathGrade(
        path.sdk, metadata.version(path.sdk), path.path, "python", path.snippet, exercised(cassette)
    )
    points: list[CutPoint | None] = [point for point in cut_points(cassette) if point.cut is not None]
    for point in points or [None]:  # a path that never streams is replayed once, without a cut
        graded.cuts.append(replay(cassette, path.run, point, folder))
    return graded


def record(cassette: Path, run: Callable[[str], str]) -> None:
    """A fault-free session of ``run`` against a fresh emulator, recorded on its scenario clock."""
    with Emulator(manual=True) as api, use_cassette(cassette, "once") as session:
        scenario_time = record_on_emulator(session, api)
        try:
            run(api.base_url)
        finally:
            if scenario_time is not None:
                scenario_time.stop()


def replay(cassette: Path, run: Callable[[str], str], point: CutPoint | None, folder: Path) -> Cut:
    """``run`` replayed from ``cassette`` with the connection cut at ``point`` (``None``: no cut),
    checks on; the findings count whether or not the client raised."""
    faults = FaultPlan()
    if point is not None and point.cut is not None:
        faults.disconnect(point.cut, interaction_id=point.interaction_id)
    raised: Exception | None = None
    with (
        contextlib.suppress(pytest_interactions.Error),  # what the session raises is read from it below
        use_cassette(cassette, "none", faults=faults, checks=True) as session,
    ):
        try:
            run(EMULATOR_BASE_URL)
        except Exception as exc:
            raised = exc
    other = [*session.problems(), *session.loops(), *session.stalls(), *session.unapplied_faults()]
    if raised is not None:
        said = str(raised).strip().splitlines()
        other.insert(0, f"the client raised {type(raised).__name__}" + (f": {said[0]}" if said else ""))
    findings = unfold(session.violations(raised=raised is not None))
    wire = tuple(
        f"{request.method} {request.target} -> {'no answer' if request.status is None else request.status}"
        for request in session.transcript.requests
    )
    return Cut(
        point.test_id if point is not None else "fault-free",
        cut_place(point) if point is not None else "",
        tuple((check, scrub(text, folder)) for check, text in findings),
        tuple(scrub(line, folder) for line in wire),
        tuple(scrub(line, folder) for line in other),
    )
