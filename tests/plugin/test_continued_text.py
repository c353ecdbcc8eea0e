"""``interactions.recorded_text(id)`` follows a continued run across its hops, streamed or unary,
as google-genai joins them: a test compares its answer with the whole recorded output."""

from __future__ import annotations

import pytest

SUITE = """
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
"""

QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly")


def test_recorded_text_joins_every_hop(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_hops=SUITE)
    pytester.runpytest("--interactions-record-mode=once", *QUIET).assert_outcomes(passed=2)
    pytester.runpytest(*QUIET).assert_outcomes(passed=2)
