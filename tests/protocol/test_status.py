"""The status state machine: which statuses may follow which, and how a violation reads."""

from __future__ import annotations

import itertools

import pytest

from pytest_interactions import protocol
from pytest_interactions.protocol import (
    BUDGET_EXCEEDED,
    CANCELLED,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    INCOMPLETE,
    QUEUED,
    REQUIRES_ACTION,
    REQUIRES_CONTINUATION,
    can_follow,
    first_illegal_transition,
    is_terminal,
)


def test_terminal_and_waiting_statuses() -> None:
    assert {COMPLETED, FAILED, CANCELLED, INCOMPLETE, BUDGET_EXCEEDED} == protocol.TERMINAL
    assert {REQUIRES_ACTION, REQUIRES_CONTINUATION} == protocol.WAITING
    assert {QUEUED, IN_PROGRESS} | protocol.TERMINAL | protocol.WAITING == protocol.KNOWN
    assert all(is_terminal(s) for s in protocol.TERMINAL)
    assert not any(is_terminal(s) for s in (QUEUED, IN_PROGRESS, REQUIRES_ACTION, REQUIRES_CONTINUATION))
    assert not is_terminal("some_future_status")


@pytest.mark.parametrize(
    "path",
    [
        [IN_PROGRESS, COMPLETED],
        [QUEUED, IN_PROGRESS, IN_PROGRESS, COMPLETED],
        [QUEUED, CANCELLED],
        [IN_PROGRESS, REQUIRES_ACTION],
        [IN_PROGRESS, REQUIRES_ACTION, CANCELLED],
        [IN_PROGRESS, REQUIRES_CONTINUATION, IN_PROGRESS, COMPLETED],
        [IN_PROGRESS, FAILED],
        [IN_PROGRESS, CANCELLED, CANCELLED],
        [IN_PROGRESS, INCOMPLETE],
        [IN_PROGRESS, BUDGET_EXCEEDED],
        [COMPLETED],
        [],
    ],
)
def test_legal_paths(path: list[str]) -> None:
    assert first_illegal_transition(path) is None
    assert all(can_follow(a, b) for a, b in itertools.pairwise(path))


@pytest.mark.parametrize(
    ("path", "index", "previous", "current"),
    [
        ([IN_PROGRESS, COMPLETED, IN_PROGRESS], 2, COMPLETED, IN_PROGRESS),
        ([IN_PROGRESS, CANCELLED, COMPLETED], 2, CANCELLED, COMPLETED),
        ([IN_PROGRESS, FAILED, COMPLETED], 2, FAILED, COMPLETED),
        ([IN_PROGRESS, REQUIRES_ACTION, COMPLETED], 2, REQUIRES_ACTION, COMPLETED),
        ([IN_PROGRESS, REQUIRES_ACTION, IN_PROGRESS], 2, REQUIRES_ACTION, IN_PROGRESS),
        ([IN_PROGRESS, QUEUED], 1, IN_PROGRESS, QUEUED),
        ([REQUIRES_CONTINUATION, COMPLETED], 1, REQUIRES_CONTINUATION, COMPLETED),
        ([COMPLETED, CANCELLED, IN_PROGRESS], 1, COMPLETED, CANCELLED),
    ],
)
def test_illegal_paths_name_the_first_bad_step(
    path: list[str], index: int, previous: str, current: str
) -> None:
    illegal = first_illegal_transition(path)
    assert illegal == protocol.IllegalTransition(index, previous, current)
    assert not can_follow(previous, current)


def test_the_message_names_both_statuses_and_what_was_allowed() -> None:
    illegal = first_illegal_transition([IN_PROGRESS, REQUIRES_ACTION, COMPLETED])
    assert illegal is not None
    message = str(illegal)
    assert "'completed'" in message
    assert "'requires_action'" in message
    assert "observation #3" in message
    assert "allows: cancelled" in message


def test_the_message_for_a_terminal_status_says_nothing_may_follow() -> None:
    message = str(first_illegal_transition([COMPLETED, IN_PROGRESS]))
    assert "'in_progress' observed after 'completed'" in message
    assert "nothing (terminal)" in message


def test_unknown_statuses_are_tolerated_like_the_sdk_does() -> None:
    assert can_follow(IN_PROGRESS, "paused_for_review")
    assert can_follow("paused_for_review", COMPLETED)
    assert first_illegal_transition([IN_PROGRESS, "mystery", IN_PROGRESS, COMPLETED]) is None


def test_staying_in_a_status_is_always_legal() -> None:
    assert all(can_follow(s, s) for s in protocol.KNOWN)


def test_no_terminal_status_has_a_successor() -> None:
    for status in protocol.TERMINAL:
        assert protocol.TRANSITIONS[status] == frozenset()
        assert not any(can_follow(status, other) for other in protocol.KNOWN - {status})
