"""Checks of the states a client saw and acted on: the status path, reads after the end, function
calls answered, chains onto running interactions."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from pytest_interactions.protocol._apis import API_NAMES, GEMINI_INTERACTIONS
from pytest_interactions.protocol._findings import Violation
from pytest_interactions.protocol._status import REQUIRES_ACTION
from pytest_interactions.protocol._transcript import StatusSeen, Transcript

#: Statuses shown by a cancel's own answer: the request, not yet the observed state.
_REQUESTED_SOURCES = frozenset({"cancel"})


def check_statuses(transcript: Transcript, interaction_id: str, enabled: Collection[str]) -> list[Violation]:
    found: list[Violation] = []
    api = API_NAMES.get(transcript.apis.get(interaction_id, ""), GEMINI_INTERACTIONS)
    seen = [s for s in transcript.statuses_of(interaction_id) if s.source not in _REQUESTED_SOURCES]
    polls = [s for s in seen if s.source == "poll"]
    streamed = [s for s in seen if s.source == "stream"]
    if "states" in enabled:
        # A stream tells the run from its start, so its statuses form a path of their own.
        for path in (polls, streamed):
            illegal = api.first_illegal_transition([s.status for s in path])
            if illegal is not None:
                at = path[illegal.index].at
                found.append(Violation("states", f"{interaction_id}: {illegal}", interaction_id, at))
                break
    if "polling" in enabled:
        found += _check_polling(interaction_id, seen, api.terminal)
    if "requires_action" in enabled:
        found += _check_function_results(transcript, interaction_id)
        waiting = next((s for s in seen if s.status == REQUIRES_ACTION), None)
        if waiting is not None and not any(
            c.previous_interaction_id == interaction_id and c.answers_function_call for c in transcript.chains
        ):
            found.append(
                Violation(
                    "requires_action",
                    f"{interaction_id} reported 'requires_action' at t={waiting.at:.3f}s (a function call "
                    "waits for its result), but the client treated it as finished: no create with "
                    f"previous_interaction_id={interaction_id} and a function_result input followed",
                    interaction_id,
                    waiting.at,
                )
            )
    return found


def _check_function_results(transcript: Transcript, interaction_id: str) -> list[Violation]:
    """Each function_result answers a call the continued interaction really made."""
    found: list[Violation] = []
    for chain in transcript.chains:
        if chain.previous_interaction_id != interaction_id or chain.known_calls is None:
            continue
        for call_id in chain.call_ids:
            if call_id not in chain.known_calls:
                calls = ", ".join(chain.known_calls) or "none"
                found.append(
                    Violation(
                        "requires_action",
                        f"a function_result at t={chain.at:.3f}s answers call_id={call_id!r}, which "
                        f"matches no function call of {interaction_id} (its calls: {calls}); the API "
                        "answers 400",
                        interaction_id,
                        chain.at,
                    )
                )
    return found


#: Reads allowed after a terminal status: the common "poll until done, then one GET for the full
#: result" (or one GET after the stream ended) is fine; a loop that keeps polling is not.
_READS_AFTER_TERMINAL = 1


def _check_polling(
    interaction_id: str, seen: Sequence[StatusSeen], terminal: Collection[str]
) -> list[Violation]:
    """No more than one poll after the client was shown a terminal status."""
    for index, status in enumerate(seen):
        if status.status not in terminal:
            continue
        later = [s for s in seen[index + 1 :] if s.source == "poll"]
        if len(later) > _READS_AFTER_TERMINAL:
            return [
                Violation(
                    "polling",
                    f"polled {interaction_id} {len(later)} more time(s) after it reported "
                    f"{status.status!r} at t={status.at:.3f}s (a terminal status never changes; one "
                    "last read for the full result is fine, more is a loop that missed the end)",
                    interaction_id,
                    later[_READS_AFTER_TERMINAL].at,
                )
            ]
        return []
    return []


def check_chains(transcript: Transcript) -> list[Violation]:
    return [
        Violation(
            "chaining",
            f"chained a create onto {chain.previous_interaction_id} at t={chain.at:.3f}s while it was "
            "still in_progress (the API answers 400 Bad Request); wait for a terminal status first",
            chain.previous_interaction_id,
            chain.at,
        )
        for chain in transcript.chains
        if chain.previous_status == "in_progress" and not chain.continuation
    ]
