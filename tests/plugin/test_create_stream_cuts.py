"""A cut inside the first event of a create's stream: the client never learnt the id, so it can
only create again, as it would live. Replay answers that new attempt from the recording, and the
checks accept it; a client that gives up is still named."""

from __future__ import annotations

import pytest

SUITE = """
import httpx
import openai
import pytest
from google import genai
from google.genai import _interactions


def gemini_text(interactions, attempts):
    client = genai.Client(api_key=interactions.api_key, http_options={
        "base_url": interactions.base_url, "api_version": "v1beta", "retry_options": {"attempts": 1}})
    for _ in range(attempts):
        text, interaction_id = [], None
        try:
            for event in client.interactions.create(model="gemini-3.5-flash", input="Tides?", stream=True):
                if event.event_type == "interaction.created":
                    interaction_id = event.interaction.id
                elif event.event_type == "step.delta" and event.delta.type == "text":
                    text.append(event.delta.text)
                elif event.event_type == "interaction.completed":
                    return "".join(text)
        except _interactions.APIConnectionError:
            if interaction_id is not None:
                raise  # past the first event: resume with last_event_id instead (not this test)
    raise RuntimeError("gave up")


def openai_text(interactions, attempts):
    client = openai.OpenAI(base_url=interactions.base_url + "/v1", api_key="k", max_retries=0)
    for _ in range(attempts):
        text, response_id = [], None
        try:
            for event in client.responses.create(model="gpt-4o", input="Tides?", stream=True):
                if event.type == "response.created":
                    response_id = event.response.id
                elif event.type == "response.output_text.delta":
                    text.append(event.delta)
                elif event.type == "response.completed":
                    return "".join(text)
        except (openai.APIConnectionError, httpx.HTTPError):
            if response_id is not None:
                raise
    raise RuntimeError("gave up")


@pytest.mark.interactions(disconnect="mid-event:1")
def test_gemini_creates_again(interactions):
    assert gemini_text(interactions, attempts=3)


@pytest.mark.interactions(disconnect="mid-event:1")
def test_openai_creates_again(interactions):
    assert openai_text(interactions, attempts=3)


@pytest.mark.interactions(disconnect="mid-event:1")
def test_gemini_gives_up(interactions):
    with pytest.raises(RuntimeError, match="gave up"):
        gemini_text(interactions, attempts=1)
"""

QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly")


def test_a_create_cut_before_its_id_is_recovered_by_creating_again(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_creates=SUITE)
    recorded = pytester.runpytest("--interactions-record-mode=once", "--interactions-no-faults", *QUIET)
    recorded.assert_outcomes(passed=2, failed=1)  # recording cuts nothing: giving up never happens
    replayed = pytester.runpytest(*QUIET, "-k", "creates_again")
    replayed.assert_outcomes(passed=2)
    gave_up = pytester.runpytest(*QUIET, "-k", "gives_up")
    gave_up.assert_outcomes(failed=1)
    gave_up.stdout.fnmatch_lines(
        ["*[[]complete[]] the client stopped reading the stream of v1_* before its first event*"]
    )
