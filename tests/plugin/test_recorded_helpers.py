"""The helpers that tell what a correct client ends with, for each API: ``recorded_text(id)``
follows a continued run across its hops, streamed or unary, as google-genai joins them, and
``recorded_text`` / ``recorded_calls`` read an OpenAI response as they read an interaction."""

from __future__ import annotations

import pytest

SUITE = """
import openai
from google import genai

MODEL = "gemini-continuation-preview"


def sdk(interactions):
    return genai.Client(api_key=interactions.api_key,
                        http_options={"base_url": interactions.base_url, "api_version": "v1beta"})


def test_streamed_hops(interactions):
    client, text, first = sdk(interactions), [], None
    for event in client.interactions.create(model=MODEL, input="Tell the long story", stream=True):
        if event.event_type == "interaction.created":
            first = first or event.interaction.id
        elif event.event_type == "step.delta" and event.delta.type == "text":
            text.append(event.delta.text)
    assert "".join(text).count("Part ") == 5
    assert interactions.recorded_text(first) == "".join(text)


def test_unary_hops(interactions):
    client = sdk(interactions)
    result = client.interactions.create(model=MODEL, input="Tell the long story")
    first = result.continuation_ids[0]
    assert result.output_text.count("Part ") == 5
    assert interactions.recorded_text(first) == result.output_text


def test_openai_text_and_calls(interactions):
    client = openai.OpenAI(base_url=interactions.base_url + "/v1", api_key="k")
    answer = client.responses.create(model="gpt-4o", input="Why are there tides?")
    assert interactions.recorded_text(answer.id) == answer.output_text != ""
    tool = {"type": "function", "name": "get_weather", "description": "Weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
    called = client.responses.create(model="gpt-4o", input="Weather in Paris?", tools=[tool])
    calls = [item for item in called.output if item.type == "function_call"]
    assert calls
    assert interactions.recorded_calls(called.id) == [
        {"id": c.call_id, "name": c.name, "arguments": c.arguments} for c in calls
    ]
"""

QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly")


def test_the_recorded_helpers_read_every_hop_and_every_api(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_hops=SUITE)
    pytester.runpytest("--interactions-record-mode=once", *QUIET).assert_outcomes(passed=3)
    pytester.runpytest(*QUIET).assert_outcomes(passed=3)
