"""A session summed up per interaction, in the terms of the API it was read by: its resource
ids, the statuses it went through, and its stream positions (event ids, sequence numbers)."""

from __future__ import annotations

from pytest_interactions.contract._shape import collapse
from pytest_interactions.protocol import API_NAMES, GEMINI_INTERACTIONS, Transcript, event_id_key


def summarise(transcript: Transcript) -> list[str]:
    """One line per interaction (or response): ``openai response resp_1: 2 stream(s), ...``."""
    lines = []
    for resource in transcript.interaction_ids():
        api = API_NAMES.get(transcript.apis.get(resource, ""), GEMINI_INTERACTIONS)
        parts = []
        connections = transcript.connections_of(resource)
        if connections:
            received = sorted({e for c in connections for e in c.received}, key=event_id_key)
            position = api.resume.json_field or "SSE id"
            shown = f", {position} {received[0]}..{received[-1]}" if received else ""
            parts.append(f"{len(connections)} stream(s), {len(received)} event(s){shown}")
        seen = sorted(transcript.statuses_of(resource), key=lambda s: s.at)
        if seen:
            parts.append("statuses " + " -> ".join(collapse(s.status for s in seen)))
        lines.append(f"{api.name} {api.noun} {resource}: {'; '.join(parts) or 'no status seen'}")
    return lines
