"""Fault plans: how disconnect specifications turn into cut points."""

from __future__ import annotations

import pytest

from pytest_interactions.faults import Cut, FaultPlan, FaultSpecError, parse_disconnect

TYPES = [
    "interaction.created",
    "step.start",
    "step.delta",
    "step.delta",
    "step.delta",
    "step.stop",
    "interaction.completed",
]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("after:3", [Cut(3, False, "after:3")]),
        ("mid-event:2", [Cut(2, True, "mid-event:2")]),
        ("every:3", [Cut(3, False, "every:3"), Cut(6, False, "every:3")]),
        ("event:step.delta:2", [Cut(4, False, "event:step.delta:2")]),
        ("after:99", []),
    ],
)
def test_specs_give_cut_points(spec: str, expected: list[Cut]) -> None:
    assert parse_disconnect(spec).cuts(TYPES) == expected


def test_random_cuts_are_seeded() -> None:
    first = parse_disconnect("random:7:3").cuts(TYPES)
    assert first == parse_disconnect("random:7:3").cuts(TYPES)
    assert len(first) == 3
    assert all(1 <= cut.position <= len(TYPES) for cut in first)
    assert first != parse_disconnect("random:8:3").cuts(TYPES) or len(TYPES) < 4


@pytest.mark.parametrize("spec", ["after", "every:x", "cut:3", "event:step.delta", ""])
def test_a_wrong_spec_names_the_accepted_forms(spec: str) -> None:
    with pytest.raises(FaultSpecError, match=r"after:N \(cut after the N-th event\)"):
        parse_disconnect(spec)


@pytest.mark.parametrize("spec", ["after:0", "every:0", "mid-event:0"])
def test_a_count_of_zero_is_refused(spec: str) -> None:
    with pytest.raises(FaultSpecError, match="at least 1"):
        parse_disconnect(spec)


def test_each_event_belongs_on_the_marker() -> None:
    with pytest.raises(FaultSpecError, match="declare it on the marker"):
        FaultPlan().disconnect("each-event")


def test_cuts_can_target_one_interaction() -> None:
    plan = FaultPlan().disconnect("after:1", interaction_id="v1_a")
    assert plan.cuts_for("v1_a", TYPES)
    assert plan.cuts_for("v1_b", TYPES) == []


def test_protocol_faults_are_checked() -> None:
    with pytest.raises(FaultSpecError, match="failure, cancellation, requires_action"):
        FaultPlan().inject("explosion", after_events=2)
    with pytest.raises(FaultSpecError, match="a run keeps at least its first stream event"):
        FaultPlan().inject("failure", after_events=0)
    with pytest.raises(FaultSpecError, match="0 or more"):
        FaultPlan().inject("failure", after_events=-1, on="polls")
    assert FaultPlan().inject("failure", after_events=0, on="polls").active  # the first poll on
    assert not FaultPlan().active
