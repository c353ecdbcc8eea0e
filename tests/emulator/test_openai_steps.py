"""Every step kind of a scenario, told as the OpenAI Responses API streams it, read with the SDK.

Each event must parse as the SDK's own typed event for its ``type`` (looked up in the SDK's
``ResponseStreamEvent`` union, never a fallback), validate strictly against that type, and carry
no field the SDK does not know, nested items included; a resumed stream must do the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, get_args

import openai
import pydantic
import pytest
from openai.types import responses as types

from pytest_interactions.emulator import Emulator, Script

MODEL = "gpt-4o"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
}
PNG = "iVBORw0KGgoAAAANSUhEUg=="

#: The SDK's event class for each event type it knows.
SDK_EVENTS: dict[str, type[pydantic.BaseModel]] = {
    get_args(cls.model_fields["type"].annotation)[0]: cls
    for cls in get_args(get_args(types.ResponseStreamEvent)[0])
}


def tools_and_images(request: Any) -> Script:
    """A code run and its result, input-side steps, then text with an image."""
    code = {"code": "print(1 + 1)", "language": "python"}
    return (
        Script()
        .step({"type": "user_input", "content": [{"type": "text", "text": "Add"}]})
        .step(
            {"type": "code_execution_call", "id": "ce_1", "arguments": {}},
            [{"type": "code_execution_call", "arguments": code}],
        )
        .step(
            {"type": "code_execution_result", "call_id": "ce_1", "result": ""},
            [{"type": "code_execution_result", "result": "2\n"}],
        )
        .step({"type": "function_result", "call_id": "x", "name": "f", "result": {}})
        .step(
            {"type": "model_output"},
            [
                {"type": "text", "text": "The sum is 2."},
                {"type": "image", "mime_type": "image/png", "data": PNG},
            ],
        )
        .finish()
    )


@pytest.fixture
def api() -> Iterator[Emulator]:
    with Emulator(speed=50) as emulator:
        emulator.scenarios.register("tools_and_images", tools_and_images, when=lambda request: False)
        yield emulator


@pytest.fixture
def sdk(api: Emulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=api.base_url + "/v1", api_key="k", max_retries=0)


def no_unknown_fields(model: Any, where: str) -> None:
    """No model in the event, however deep, holds a field its SDK type lacks."""
    if isinstance(model, pydantic.BaseModel):
        assert not model.model_extra, (where, model.model_extra)
        for name in type(model).model_fields:
            no_unknown_fields(getattr(model, name), f"{where}.{name}")
    elif isinstance(model, list):
        for n, item in enumerate(model):
            no_unknown_fields(item, f"{where}[{n}]")
    elif isinstance(model, dict):
        assert "type" not in model, (where, model)  # a typed object the SDK could not type


def typed(events: Any) -> list[Any]:
    """The events of an SDK stream, each checked to be the SDK's known type for its ``type``."""
    found = list(events)
    for event in found:
        known = SDK_EVENTS[event.type]
        assert type(event) is known, (event.type, type(event))
        known.model_validate(event.model_dump(mode="json", exclude_unset=True))  # nothing missing
        no_unknown_fields(event, event.type)
    assert [e.sequence_number for e in found] == list(
        range(found[0].sequence_number, found[-1].sequence_number + 1)
    )
    return found


def run(sdk: openai.OpenAI, scenario: str, **body: Any) -> list[Any]:
    stream = sdk.responses.create(
        model=MODEL,
        input=body.pop("input", "What is the weather in Paris right now?"),
        background=True,
        stream=True,
        extra_headers={"x-emulator-scenario": scenario},
        **body,
    )
    return typed(stream)


def kinds(events: list[Any]) -> list[str]:
    return [e.type for e in events]


def check_output(events: list[Any], sdk: openai.OpenAI) -> types.Response:
    """The final Response holds exactly the items the stream finished, and a poll agrees."""
    final = events[-1].response
    done = {e.output_index: e.item.model_dump() for e in events if e.type == "response.output_item.done"}
    assert [i.model_dump() for i in final.output] == [done[n] for n in range(len(done))]
    assert sdk.responses.retrieve(final.id).model_dump() == final.model_dump()
    for event in events:
        if event.type == "response.output_item.added":
            assert event.item.status in (None, "in_progress")
    return final


def test_a_thought_is_a_reasoning_item_with_its_summary(sdk: openai.OpenAI) -> None:
    events = run(sdk, "thinking", input="Why is the sky blue?")
    final = check_output(events, sdk)
    reasoning, message = final.output
    assert isinstance(reasoning, types.ResponseReasoningItem)
    assert isinstance(message, types.ResponseOutputMessage)
    assert [s.text for s in reasoning.summary] == ["Considering how to answer: Why is the sky blue?"]
    assert reasoning.encrypted_content is None  # not asked for
    assert kinds(events)[3:9] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]
    assert final.usage is not None
    assert final.usage.output_tokens_details.reasoning_tokens == len(reasoning.summary[0].text.split())
    assert final.output_text.startswith("You asked: Why is the sky blue?")


def test_the_thought_signature_is_the_encrypted_content_when_included(sdk: openai.OpenAI) -> None:
    events = run(sdk, "thinking", input="Why?", include=["reasoning.encrypted_content"])
    reasoning = check_output(events, sdk).output[0]
    assert isinstance(reasoning, types.ResponseReasoningItem)
    assert reasoning.encrypted_content is not None
    assert reasoning.encrypted_content.startswith("sig-")


def test_many_thought_summaries_are_summary_parts_in_order(sdk: openai.OpenAI) -> None:
    events = run(sdk, "deep_research", input="tides")
    reasoning = check_output(events, sdk).output[0]
    assert isinstance(reasoning, types.ResponseReasoningItem)
    assert len(reasoning.summary) == 24
    indexes = [e.summary_index for e in events if e.type == "response.reasoning_summary_part.added"]
    assert indexes == list(range(24))


def test_a_function_call_completes_the_response_with_the_call_in_its_output(sdk: openai.OpenAI) -> None:
    events = run(sdk, "function_call", tools=[WEATHER])
    final = check_output(events, sdk)
    assert final.status == "completed"  # Responses has no requires_action
    (call,) = final.output
    assert isinstance(call, types.ResponseFunctionToolCall)
    assert call.name == "get_weather"
    assert call.call_id.startswith("call_")
    assert json.loads(call.arguments) == {"location": "Paris"}
    deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert len(deltas) == 2
    assert "".join(deltas) == call.arguments
    (done,) = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert done.arguments == call.arguments
    assert done.item_id == call.id


def test_a_search_call_and_its_result_are_one_web_search_item(sdk: openai.OpenAI) -> None:
    events = run(sdk, "google_search", input="tide tables")
    search, message = check_output(events, sdk).output
    assert isinstance(search, types.ResponseFunctionWebSearch)
    assert search.status == "completed"
    assert search.action.type == "search"
    assert search.action.query == "tide tables"
    assert [k for k in kinds(events) if k.startswith("response.web_search_call")] == [
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
    ]
    assert isinstance(message, types.ResponseOutputMessage)


def test_code_runs_images_and_input_steps(sdk: openai.OpenAI) -> None:
    events = run(sdk, "tools_and_images")
    code, message, image = check_output(events, sdk).output
    assert isinstance(code, types.ResponseCodeInterpreterToolCall)
    assert code.code == "print(1 + 1)"
    assert code.status == "completed"
    assert code.outputs is not None
    assert [o.model_dump() for o in code.outputs] == [{"type": "logs", "logs": "2\n"}]
    assert [k for k in kinds(events) if "code_interpreter" in k] == [
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done",
        "response.code_interpreter_call.interpreting",
        "response.code_interpreter_call.completed",
    ]
    assert isinstance(message, types.ResponseOutputMessage)
    assert events[-1].response.output_text == "The sum is 2."
    assert isinstance(image, types.response_output_item.ImageGenerationCall)
    assert image.result == PNG
    assert image.output_format == "png"
    assert image.status == "completed"
    # The user_input and function_result steps are the client's input: nothing streams for them.
    added = [e.item.type for e in events if e.type == "response.output_item.added"]
    assert added == ["code_interpreter_call", "message", "image_generation_call"]


@pytest.mark.parametrize("scenario", ["thinking", "function_call", "google_search", "tools_and_images"])
def test_a_resumed_stream_is_typed_and_equal_to_the_rest(sdk: openai.OpenAI, scenario: str) -> None:
    events = run(sdk, scenario, tools=[WEATHER] if scenario == "function_call" else None)
    response_id = events[0].response.id
    for after in range(len(events) - 1):
        resumed = typed(sdk.responses.retrieve(response_id, stream=True, starting_after=after))
        assert [e.model_dump() for e in resumed] == [e.model_dump() for e in events[after + 1 :]]


def test_a_function_call_is_answered_in_a_new_response_that_continues_it(sdk: openai.OpenAI) -> None:
    events = run(sdk, "function_call", tools=[WEATHER])
    call = events[-1].response.output[0]
    answer = typed(
        sdk.responses.create(
            model=MODEL,
            previous_response_id=events[-1].response.id,
            input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"temp_c": 21}'}],
            tools=[WEATHER],
            background=True,
            stream=True,
        )
    )
    final = answer[-1].response
    assert final.status == "completed"
    assert final.previous_response_id == events[-1].response.id
    assert final.output_text == 'Based on the results: get_weather returned {"temp_c": 21}.'


def test_a_follow_up_must_answer_a_call_of_the_response_it_continues(sdk: openai.OpenAI) -> None:
    events = run(sdk, "function_call", tools=[WEATHER])
    call_id = events[-1].response.output[0].call_id
    wrong = [{"type": "function_call_output", "call_id": "call_nope", "output": "{}"}]
    with pytest.raises(openai.BadRequestError, match=rf"call_id 'call_nope' \(input\[0\]\); .*'{call_id}'"):
        sdk.responses.create(model=MODEL, previous_response_id=events[-1].response.id, input=wrong)
    with pytest.raises(openai.BadRequestError, match="Previous response with id 'resp_gone' not found"):
        sdk.responses.create(model=MODEL, previous_response_id="resp_gone", input="Hi")


def test_a_follow_up_of_a_response_still_running_is_refused() -> None:
    with Emulator(manual=True) as api:
        sdk = openai.OpenAI(base_url=api.base_url + "/v1", api_key="k", max_retries=0)
        first = sdk.responses.create(model=MODEL, input="Hi", background=True)
        with pytest.raises(openai.BadRequestError, match=f"'{first.id}' is still queued"):
            sdk.responses.create(model=MODEL, previous_response_id=first.id, input="More", background=True)
        while api.step():
            pass
        later = sdk.responses.create(
            model=MODEL, previous_response_id=first.id, input="More", background=True
        )
        assert later.previous_response_id == first.id


def test_a_follow_up_may_send_the_call_back_itself_instead_of_naming_the_response(
    sdk: openai.OpenAI,
) -> None:
    call = {"type": "function_call", "call_id": "call_1", "name": "get_time", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "call_1", "output": '"noon"'}
    answered = sdk.responses.create(model=MODEL, input=[call, output])
    assert answered.output_text == 'Based on the results: get_time returned "noon".'
    with pytest.raises(openai.BadRequestError, match=r"call_id 'call_2' \(input\[1\]\); .*'call_1'"):
        sdk.responses.create(model=MODEL, input=[call, {**output, "call_id": "call_2"}])
    alone = sdk.responses.create(model=MODEL, input=[output])  # nothing known to answer: taken as it is
    assert alone.output_text == 'Based on the results: the function returned "noon".'
