"""Checks of a client's behaviour against the protocol, over a replayed session's transcript.

The checks themselves live by what they read: each stream (``_stream_checks``), the states the
client saw (``_state_checks``), how it paced and repeated its requests (``_request_checks``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from pytest_interactions.protocol._findings import RunFacts, Thresholds, Violation, fold, with_origins
from pytest_interactions.protocol._request_checks import (
    check_abandoned,
    check_backoff,
    check_non_retryable,
    check_poll_interval,
    check_retry_after,
)
from pytest_interactions.protocol._state_checks import check_chains, check_statuses
from pytest_interactions.protocol._stream_checks import (
    check_carried_on,
    check_complete,
    check_duplicates,
    check_regenerations,
    check_resume,
    streams_of,
)
from pytest_interactions.protocol._transcript import Transcript

__all__ = ["CHECKS", "DEFAULT_THRESHOLDS", "RunFacts", "Thresholds", "Violation", "validate"]

DEFAULT_THRESHOLDS = Thresholds()

#: Every check, by name: what it verifies.
CHECKS: dict[str, str] = {
    "resume": "every reconnect carried the id of the last event the client fully received",
    "duplicates": "no event was delivered twice, and none was skipped, across a stream's connections",
    "complete": "the client read each stream it opened to the event that ends it, or carried it on by a "
    "continuation (or gave up where declared, or cancelled the run)",
    "recreate": "no run whose stream could be resumed was created again after a drop (a second billed run)",
    "states": "the statuses the client saw form a legal path of the state machine",
    "polling": "no more than one read of an interaction after it showed a terminal status",
    "poll_interval": "no run was polled in a loop without a pause (min_poll_interval)",
    "requires_action": "an interaction waiting in requires_action was answered with a function_result "
    "for each of its function calls, and for no other",
    "chaining": "no create chained onto an interaction that was still in_progress",
    "retry_after": "after an answer asking to wait (Retry-After), the client waited that long",
    "backoff": "after a failure that asked for no wait, the client waited before retrying (min_retry_delay)",
    "non_retryable": "no request answered 400, 401, 403, 404 or 422 was sent again unchanged",
    "abandoned": "no background run the client gave up on was left running without a cancel",
}


def validate(
    transcript: Transcript,
    streams: Mapping[str, Sequence[str]],
    enabled: Collection[str] = tuple(CHECKS),
    *,
    gives_up_after: int | None = None,
    runs: Mapping[str, RunFacts] | None = None,
    raised: bool = False,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> list[Violation]:
    """Every violation of the enabled checks, root causes first, each naming the application line
    that sent the request at fault where it is known; ``streams`` maps ids to their event order.

    ``gives_up_after`` declares that the client is meant to stop after that many failed
    reconnects in a row (0: at the first cut): ``complete`` then checks that it stopped there.
    ``runs`` tells what the recording knows of each run; ``raised`` that the test failed with the
    client's own error (so a drop it surfaced was not swallowed); ``thresholds`` the floors of
    the pacing checks.
    """
    unknown = set(enabled) - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown checks: {', '.join(sorted(unknown))}; known: {', '.join(CHECKS)}")
    found: list[Violation] = []
    merged, fresh = streams_of(transcript)
    made = {r.interaction_id for r in transcript.regenerations if r.same_events}
    carried_on = {r.source: r for r in transcript.regenerations if not r.same_events}
    cancelled = {
        r.interaction_id
        for r in transcript.requests
        if r.operation == "cancel" and r.status is not None and r.status < 400
    }
    runs = runs or {}
    for interaction_id in transcript.interaction_ids():
        if interaction_id in made:
            found += check_statuses(transcript, interaction_id, enabled)
            continue
        connections = merged.get(interaction_id, [])
        order = list(streams.get(interaction_id, ()))
        if connections:
            if "resume" in enabled:
                found += check_resume(interaction_id, connections, order, fresh)
            if "duplicates" in enabled:
                found += check_duplicates(interaction_id, connections, order)
            facts = runs.get(interaction_id, RunFacts())
            if interaction_id in carried_on:
                if "duplicates" in enabled:
                    found += check_carried_on(carried_on[interaction_id], connections, facts)
            elif "complete" in enabled and interaction_id not in cancelled:
                found += check_complete(interaction_id, connections, order, gives_up_after, facts, raised)
        found += check_statuses(transcript, interaction_id, enabled)
    found += check_regenerations(transcript, gives_up_after, enabled)
    if "chaining" in enabled:
        found += check_chains(transcript)
    if "retry_after" in enabled:
        found += check_retry_after(transcript)
    if "backoff" in enabled:
        found += check_backoff(transcript, thresholds)
    if "non_retryable" in enabled:
        found += check_non_retryable(transcript)
    if "poll_interval" in enabled:
        found += check_poll_interval(transcript, thresholds)
    if "abandoned" in enabled:
        found += check_abandoned(transcript, runs)
    return with_origins(fold(found), transcript)
