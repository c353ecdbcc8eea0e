"""An agent framework from PyPI (pydantic-ai), as its docs teach, on foreground streams.

A foreground OpenAI stream cannot be resumed: a framework that surfaces a drop is right, and a test
can declare that it gives up at once; one that takes a stream ended early for the whole answer is
caught.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import openai
import pytest
from pydantic_ai import Agent
from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.models.openai import OpenAIResponsesModel
from pydantic_ai.providers.openai import OpenAIProvider

from pytest_interactions.emulator import Emulator
from pytest_interactions.faults import FaultPlan
from pytest_interactions.session import ProtocolCheckError, use_cassette

#: Real SDKs against a recording made over sockets: an end-to-end test.
pytestmark = pytest.mark.slow

BASE = "http://127.0.0.1:9/v1"  # replay never connects


def answer(base_url: str) -> str:
    """A streamed agent run, as pydantic-ai's documentation shows it."""
    client = openai.AsyncOpenAI(base_url=base_url, api_key="k", max_retries=0)
    agent = Agent(OpenAIResponsesModel("gpt-4o", provider=OpenAIProvider(openai_client=client)))

    async def run() -> str:
        async with agent.run_stream("Why are there tides?") as result:
            return await result.get_output()

    return asyncio.run(run())


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("agents") / "pydantic-ai.yaml"
    with Emulator(speed=1000) as api, use_cassette(path, "once"):
        text = answer(api.base_url + "/v1")
    return path, text


def test_a_drop_it_surfaces_is_the_declared_behaviour(recorded: tuple[Path, str]) -> None:
    path, _text = recorded
    declared = FaultPlan().disconnect("after:5").expect_give_up(0)
    with use_cassette(path, "none", faults=declared, checks=True) as session, pytest.raises(ModelAPIError):
        answer(BASE)
    assert session.violations() == []


def test_a_drop_that_fails_the_test_adds_no_finding(recorded: tuple[Path, str]) -> None:
    path, _text = recorded
    with (
        contextlib.suppress(ProtocolCheckError),
        use_cassette(path, "none", faults=FaultPlan().disconnect("after:5"), checks=True) as session,
        contextlib.suppress(ModelAPIError),
    ):
        answer(BASE)
    assert session.violations(raised=True) == []  # the test failed with the framework's own error


def test_a_stream_ended_early_taken_for_the_answer_is_caught(recorded: tuple[Path, str]) -> None:
    path, text = recorded
    partial = None
    with (
        pytest.raises(ProtocolCheckError, match=r"never reached the end\. This stream cannot be resumed"),
        use_cassette(path, "none", faults=FaultPlan().disconnect("end:5"), checks=True),
    ):
        partial = answer(BASE)
    assert partial is not None
    assert partial != text  # pydantic-ai returned what arrived before the stream ended, as the answer
