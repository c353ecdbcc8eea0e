"""Checks of how a client paces and repeats its requests: waits asked for, backoff after failures,
errors it must not retry, polling intervals, work left running."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from pytest_interactions.protocol._findings import RunFacts, Thresholds, Violation
from pytest_interactions.protocol._transcript import RequestRecord, Transcript


def check_retry_after(transcript: Transcript) -> list[Violation]:
    """After an answer asking to wait, the next request on the same interaction came no sooner."""
    found: list[Violation] = []
    requests = transcript.requests
    for index, asked in enumerate(requests):
        if asked.retry_after is None or asked.interaction_id is None:
            continue
        later = next((r for r in requests[index + 1 :] if r.interaction_id == asked.interaction_id), None)
        if later is None:
            continue
        waited = later.at - asked.at
        if waited + 1e-6 < asked.retry_after:
            found.append(
                Violation(
                    "retry_after",
                    f"{asked.method} {asked.target} was answered {asked.status} at t={asked.at:.3f}s "
                    f"with Retry-After: {asked.retry_after:g}s, but the client tried again after "
                    f"{waited:.3f}s ({later.method} {later.target}); honour Retry-After",
                    asked.interaction_id,
                    later.at,
                )
            )
    return found


#: Answers that do not change when the same request is sent again: a client must change the
#: request (or give up), never retry it as it was. 408, 409 and 429 are retried by the SDKs.
NON_RETRYABLE = frozenset({400, 401, 403, 404, 422})

#: What a request the API refused to let a chain through is noted as: the same create succeeds
#: once the earlier run has ended (the state changed, not the request).
CHAIN_REFUSED = "chain refused"


def _failure(record: RequestRecord) -> str | None:
    """How a request failed in a way a client should back off from (``None``: it did not)."""
    if record.status is None:
        return "no answer: the connection failed"
    if (record.status == 429 or record.status >= 500) and record.retry_after is None:
        return f"answered {record.status} without Retry-After"
    return None


def _retry_of(requests: Sequence[RequestRecord], index: int) -> RequestRecord | None:
    """The client's next attempt at what ``requests[index]`` asked for."""
    failed = requests[index]
    for later in requests[index + 1 :]:
        if later.operation != failed.operation:
            continue
        if failed.operation == "create" or later.interaction_id == failed.interaction_id:
            return later
    return None


def check_backoff(transcript: Transcript, thresholds: Thresholds) -> list[Violation]:
    """After a failure that asked for no wait, the client waited at least the floor to try again.

    A storm is one finding: the first failure retried too soon, and how many more were.
    """
    requests = transcript.requests
    floor = thresholds.min_retry_delay
    storms: dict[tuple[str | None, str | None], list[tuple[RequestRecord, RequestRecord, str]]] = {}
    for index, failed in enumerate(requests):
        how = _failure(failed)
        retry = _retry_of(requests, index) if how is not None else None
        if how is not None and retry is not None and retry.sent - failed.at + 1e-6 < floor:
            key = (failed.operation, failed.interaction_id or retry.interaction_id)
            storms.setdefault(key, []).append((failed, retry, how))
    found = []
    for (_, interaction_id), storm in storms.items():
        failed, retry, how = storm[0]
        more = (
            f" (and {len(storm) - 1} more failure(s) after it, each retried as soon)"
            if len(storm) > 1
            else ""
        )
        found.append(
            Violation(
                "backoff",
                f"{failed.method} {failed.target} failed at t={failed.at:.3f}s ({how}) and the client "
                f"tried again {retry.sent - failed.at:.3f}s later ({retry.method} {retry.target}){more}: "
                "retrying a failure at once hammers a server that is struggling; wait at least "
                f"{floor:g}s before the first retry and longer after each (exponential backoff with jitter)",
                interaction_id,
                retry.sent,
            )
        )
    return found


def check_non_retryable(transcript: Transcript) -> list[Violation]:
    """An error that asking again cannot change was never met by the same request again."""
    found: list[Violation] = []
    requests = transcript.requests
    for index, failed in enumerate(requests):
        if failed.status not in NON_RETRYABLE or not failed.digest or failed.note == CHAIN_REFUSED:
            continue
        again = next((r for r in requests[index + 1 :] if r.digest == failed.digest), None)
        if again is None:
            continue
        found.append(
            Violation(
                "non_retryable",
                f"{failed.method} {failed.target} was answered {failed.status} at t={failed.at:.3f}s, "
                f"and the client sent the same request again at t={again.sent:.3f}s: a {failed.status} "
                "does not go away by asking again; change the request, or report the error",
                failed.interaction_id,
                again.sent,
            )
        )
    return found


def check_poll_interval(transcript: Transcript, thresholds: Thresholds) -> list[Violation]:
    """No run was polled in a loop without a pause."""
    found: list[Violation] = []
    polls: dict[str, list[RequestRecord]] = {}
    for record in transcript.requests:
        if record.operation == "get" and record.interaction_id is not None:
            polls.setdefault(record.interaction_id, []).append(record)
    floor, storm = thresholds.min_poll_interval, thresholds.poll_storm
    for interaction_id, asked in polls.items():
        run = 0
        for index, (before, after) in enumerate(itertools.pairwise(asked), start=1):
            run = run + 1 if after.sent - before.sent < floor else 0
            if run == storm:
                first = asked[index - storm]
                found.append(
                    Violation(
                        "poll_interval",
                        f"polled {interaction_id} {storm + 1} times in a row less than {floor:g}s apart "
                        f"(from t={first.sent:.3f}s to t={after.sent:.3f}s): a polling loop without a "
                        "pause; sleep between polls (the guide polls every 2-5 s), or stream the run",
                        interaction_id,
                        after.sent,
                    )
                )
                break
    return found


def check_abandoned(transcript: Transcript, runs: Mapping[str, RunFacts]) -> list[Violation]:
    """No background run the client gave up on was left running without a cancel."""
    found: list[Violation] = []
    for interaction_id, facts in runs.items():
        if not facts.background or facts.running_at_end is None:
            continue
        given_up = _given_up(transcript, interaction_id)
        if given_up is None:
            continue
        at, how = given_up
        found.append(
            Violation(
                "abandoned",
                f"the client gave up on {interaction_id} at t={at:.3f}s ({how}) while it was still "
                f"{facts.running_at_end}, and never cancelled it: a background run goes on, and is "
                "billed, until it ends; cancel it when giving up on it",
                interaction_id,
                at,
            )
        )
    return found


def _given_up(transcript: Transcript, interaction_id: str) -> tuple[float, str] | None:
    """When and how the client stopped following a run without seeing it end or cancelling it."""
    asked = [r for r in transcript.requests if r.interaction_id == interaction_id]
    if any(r.operation in ("cancel", "delete") for r in asked):
        return None
    connections = transcript.connections_of(interaction_id)
    if any(c.reached_end or c.read_terminal for c in connections):
        return None
    last = connections[-1] if connections else None
    if last is not None and (last.cut or last.refused):
        return last.at, f"its stream #{last.number} was {'refused' if last.refused else 'cut'}"
    failed = [r for r in asked if r.status is None or r.status >= 400]
    if failed and failed[-1] is asked[-1]:
        return failed[-1].at, f"{failed[-1].method} {failed[-1].target} failed"
    return None
