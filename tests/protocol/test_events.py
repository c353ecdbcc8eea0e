"""Folding stream events into an Interaction, and reading its output text."""

from __future__ import annotations

from typing import Any

from pytest_interactions import protocol
from pytest_interactions.protocol import InteractionFold, event_type_of, output_text


def text_stream(interaction_id: str = "v1_x") -> list[dict[str, Any]]:
    """A stream as the API sends it: created, a thought, a text answer, completed."""
    events: list[dict[str, Any]] = [
        {
            "event_type": "interaction.created",
            "interaction": {"id": interaction_id, "status": "in_progress", "object": "interaction"},
        },
        {
            "event_type": "interaction.status_update",
            "interaction_id": interaction_id,
            "status": "in_progress",
        },
        {"event_type": "step.start", "index": 0, "step": {"type": "thought"}},
        {
            "event_type": "step.delta",
            "index": 0,
            "delta": {"type": "thought_summary", "content": {"type": "text", "text": "Thinking "}},
        },
        {
            "event_type": "step.delta",
            "index": 0,
            "delta": {"type": "thought_summary", "content": {"type": "text", "text": "hard."}},
        },
        {"event_type": "step.delta", "index": 0, "delta": {"type": "thought_signature", "signature": "sig"}},
        {"event_type": "step.stop", "index": 0},
        {"event_type": "step.start", "index": 1, "step": {"type": "model_output"}},
        {"event_type": "step.delta", "index": 1, "delta": {"type": "text", "text": "Hello"}},
        {"event_type": "step.delta", "index": 1, "delta": {"type": "text", "text": ", world"}},
        {"event_type": "step.stop", "index": 1},
        {
            "event_type": "interaction.completed",
            "interaction": {
                "id": interaction_id,
                "status": "completed",
                "usage": {"total_tokens": 5},
                "steps": [],
            },
        },
    ]
    for n, event in enumerate(events, 1):
        event["event_id"] = f"evt_{n:06d}"
    return events


def test_event_type_of() -> None:
    assert event_type_of({"event_type": "step.delta"}) == "step.delta"
    assert event_type_of({"event_type": 3}) is None
    assert event_type_of({"error": {"code": "x"}}) is None


def test_folding_a_whole_stream_gives_the_interaction() -> None:
    fold = InteractionFold().extend(text_stream())
    assert fold.snapshot() == {
        "id": "v1_x",
        "status": "completed",
        "object": "interaction",
        "usage": {"total_tokens": 5},
        "steps": [
            {"type": "thought", "summary": [{"type": "text", "text": "Thinking hard."}], "signature": "sig"},
            {"type": "model_output", "content": [{"type": "text", "text": "Hello, world"}]},
        ],
    }
    assert fold.last_event_id == "evt_000012"


def test_the_empty_steps_of_interaction_completed_do_not_erase_the_streamed_ones() -> None:
    snapshot = InteractionFold().extend(text_stream()).snapshot()
    assert len(snapshot["steps"]) == 2


def test_a_partial_stream_folds_to_what_a_get_would_show_mid_way() -> None:
    snapshot = InteractionFold().extend(text_stream()[:9]).snapshot()
    assert snapshot["status"] == "in_progress"
    assert snapshot["steps"][-1] == {"type": "model_output", "content": [{"type": "text", "text": "Hello"}]}


def test_the_base_is_kept_and_updated() -> None:
    fold = InteractionFold({"id": "v1_x", "model": "gemini", "created": "2026-05-20T12:00:00Z"})
    fold.apply({"event_type": "interaction.status_update", "status": "requires_action"})
    assert fold.snapshot() == {
        "id": "v1_x",
        "model": "gemini",
        "created": "2026-05-20T12:00:00Z",
        "status": "requires_action",
        "steps": [],
    }


def test_status_update_carries_a_continuation_token() -> None:
    fold = InteractionFold().extend(
        [{"event_type": "interaction.status_update", "status": "in_progress", "continuation_token": "ct_1"}]
    )
    assert fold.snapshot()["continuation_token"] == "ct_1"


def test_function_call_arguments_are_concatenated_and_parsed() -> None:
    fold = InteractionFold().extend(
        [
            {
                "event_type": "step.start",
                "index": 0,
                "step": {"type": "function_call", "id": "call_1", "name": "weather", "arguments": {}},
            },
            {
                "event_type": "step.delta",
                "index": 0,
                "delta": {"type": "arguments_delta", "arguments": '{"ci'},
            },
            {
                "event_type": "step.delta",
                "index": 0,
                "delta": {"type": "arguments_delta", "arguments": 'ty": "Paris"}'},
            },
        ]
    )
    # Even before step.stop a snapshot shows the arguments parsed so far.
    expected = {"type": "function_call", "id": "call_1", "name": "weather", "arguments": {"city": "Paris"}}
    assert fold.snapshot()["steps"] == [expected]
    fold.apply({"event_type": "step.stop", "index": 0})
    assert fold.snapshot()["steps"] == [expected]


def test_arguments_that_are_not_json_are_kept_as_text() -> None:
    fold = InteractionFold().extend(
        [
            {"event_type": "step.start", "index": 0, "step": {"type": "function_call", "name": "f"}},
            {
                "event_type": "step.delta",
                "index": 0,
                "delta": {"type": "arguments_delta", "arguments": "{oops"},
            },
            {"event_type": "step.stop", "index": 0},
        ]
    )
    assert fold.snapshot()["steps"][0]["arguments"] == "{oops"


def test_image_deltas_and_tool_deltas() -> None:
    fold = InteractionFold().extend(
        [
            {"event_type": "step.start", "index": 0, "step": {"type": "model_output"}},
            {
                "event_type": "step.delta",
                "index": 0,
                "delta": {"type": "image", "mime_type": "image/png", "data": "AAAA", "extra": 1},
            },
            {
                "event_type": "step.start",
                "index": 1,
                "step": {"type": "google_search_result", "call_id": "s1"},
            },
            {
                "event_type": "step.delta",
                "index": 1,
                "delta": {"type": "google_search_result", "result": [{"url": "https://example.com"}]},
            },
        ]
    )
    image, search = fold.snapshot()["steps"]
    assert image["content"] == [{"type": "image", "mime_type": "image/png", "data": "AAAA"}]
    assert search == {
        "type": "google_search_result",
        "call_id": "s1",
        "result": [{"url": "https://example.com"}],
    }


def test_unknown_events_and_delta_types_are_skipped_without_error() -> None:
    fold = InteractionFold().extend(
        [
            {"event_type": "interaction.something_new", "index": 0, "whatever": True},
            {"event_type": "step.start", "index": 0, "step": {"type": "model_output"}},
            {"event_type": "step.delta", "index": 0, "delta": {"type": "hologram", "depth": 3}},
            {"no_event_type": True},
        ]
    )
    assert fold.snapshot()["steps"] == [{"type": "model_output", "depth": 3}]


def test_error_events_are_collected() -> None:
    fold = InteractionFold().extend(
        [
            {"event_type": "error", "error": {"code": "gateway_timeout", "message": "Deadline expired."}},
            {"event_type": "interaction.status_update", "status": "failed"},
        ]
    )
    snapshot = fold.snapshot()
    assert snapshot["errors"] == [{"code": "gateway_timeout", "message": "Deadline expired."}]
    assert snapshot["status"] == "failed"


def test_a_snapshot_is_a_copy() -> None:
    fold = InteractionFold().extend(text_stream())
    snapshot = fold.snapshot()
    snapshot["steps"][1]["content"][0]["text"] = "changed"
    snapshot["usage"]["total_tokens"] = 0
    assert output_text(fold.snapshot()) == "Hello, world"
    assert fold.snapshot()["usage"] == {"total_tokens": 5}


def test_folding_does_not_change_the_events() -> None:
    events = text_stream()
    before = repr(events)
    InteractionFold().extend(events).snapshot()
    assert repr(events) == before


# -- output_text ----------------------------------------------------------------------------------


def test_output_text_of_a_folded_stream() -> None:
    assert output_text(InteractionFold().extend(text_stream()).snapshot()) == "Hello, world"


def test_output_text_joins_the_trailing_model_output_steps_only() -> None:
    interaction = {
        "steps": [
            {"type": "model_output", "content": [{"type": "text", "text": "before the call "}]},
            {"type": "function_call", "name": "f"},
            {
                "type": "model_output",
                "content": [{"type": "text", "text": "A"}, {"type": "image", "data": "AAAA"}],
            },
            {"type": "model_output", "content": [{"type": "text", "text": "B"}]},
        ]
    }
    assert output_text(interaction) == "AB"


def test_output_text_is_empty_without_trailing_model_output() -> None:
    assert output_text({}) == ""
    assert output_text({"steps": []}) == ""
    assert (
        output_text(
            {
                "steps": [
                    {"type": "model_output", "content": [{"type": "text", "text": "x"}]},
                    {"type": "function_call", "name": "f"},
                ]
            }
        )
        == ""
    )


def test_event_constants_follow_the_documented_order() -> None:
    assert protocol.EVENT_TYPES[0] == protocol.INTERACTION_CREATED
    assert protocol.EVENT_TYPES[-2:] == (protocol.INTERACTION_COMPLETED, protocol.ERROR)
    assert (protocol.DONE_EVENT, protocol.DONE_DATA) == ("done", "[DONE]")
