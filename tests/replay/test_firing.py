"""What of a fault plan fired is kept per session: the plan itself stays as the test declared it."""

from __future__ import annotations

from pytest_interactions.faults import FaultPlan
from pytest_interactions.replay._firing import Firing

TYPES = ["interaction.created", "step.start", "step.delta", "step.stop", "interaction.completed"]


def test_a_cut_fires_once_so_a_resumed_stream_passes_it() -> None:
    plan = FaultPlan().disconnect("after:2")
    (cut,) = plan.cuts_for("v1_a", TYPES)
    firing = Firing(plan)
    assert firing.take_cut("v1_a", cut) is True
    assert firing.take_cut("v1_a", cut) is False
    assert firing.take_cut("v1_b", cut) is True  # another interaction has its own cut
    assert firing.fired_rules == {"after:2"}
    assert firing.cuts_fired == 2


def test_injected_answers_are_used_up() -> None:
    plan = FaultPlan().refuse_reconnects(2).fail_reconnects(503, times=1, retry_after=2.0)
    firing = Firing(plan)
    answers = [firing.take_reconnect() for _ in range(4)]
    assert [a.refuses if a else None for a in answers] == [True, True, False, None]
    assert answers[2] is not None
    assert answers[2].status == 503
    assert answers[2].retry_after == 2.0
    assert [firing.given(a) for a in plan.answers] == [2, 1]


def test_each_session_keeps_its_own_record_and_the_plan_is_unchanged() -> None:
    plan = FaultPlan().disconnect("after:2").fail_polls(429, times=1)
    (cut,) = plan.cuts_for("v1_a", TYPES)
    before = repr(plan)
    first, second = Firing(plan), Firing(plan)
    assert first.take_cut("v1_a", cut)
    assert first.take_poll() is not None
    assert first.take_poll() is None
    # A second session replaying the same plan sees every fault still to come.
    assert second.take_cut("v1_a", cut)
    assert second.take_poll() is not None
    assert repr(plan) == before
