"""A create sent again after its stream dropped: answered with the recorded work as a new run.

A foreground OpenAI stream cannot be resumed, so sending the create again is the correct
recovery (openai-agents does it): replay answers it from the one recorded create, and the stream
the client rightly abandoned is no finding. A stream that could be resumed is another matter:
creating it again bills a second run, and the checks say so. What the server really answered a
request (a 404 to a resume) is served before anything worked out.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import httpx
import openai
import pytest

from pytest_interactions.emulator import Emulator
from pytest_interactions.faults import FaultPlan
from pytest_interactions.session import ProtocolCheckError, use_cassette

#: Real SDKs against a recording made over sockets: an end-to-end test.
pytestmark = pytest.mark.slow

MODEL = "gpt-4o"
BASE = "http://127.0.0.1:9/v1"  # replay never connects


def text_with_retries(base_url: str, attempts: int, **create: object) -> str:
    """Read a streamed response's text, sending the create again when the stream drops."""
    sdk = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)
    for _ in range(attempts):
        text = []
        try:
            for event in sdk.responses.create(model=MODEL, input="Tides?", stream=True, **create):
                if event.type == "response.output_text.delta":
                    text.append(event.delta)
                elif event.type == "response.completed":
                    return "".join(text)
        except (openai.APIConnectionError, httpx.HTTPError):
            continue
    raise RuntimeError("gave up")


@pytest.fixture(scope="module", params=[False, True], ids=["foreground", "background"])
def recorded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, bool]:
    background = bool(request.param)
    path = tmp_path_factory.mktemp("again") / "stream.yaml"
    with Emulator(speed=1000) as api, use_cassette(path, "once"):
        text = text_with_retries(api.base_url + "/v1", 1, background=background)
    return path, text, background


def test_a_create_sent_again_is_answered_and_judged_by_whether_it_could_resume(
    recorded: tuple[Path, str, bool],
) -> None:
    path, full, background = recorded
    faults = FaultPlan().disconnect("after:3")
    expected = pytest.raises(ProtocolCheckError) if background else contextlib.nullcontext()
    with expected, use_cassette(path, "none", faults=faults, checks=True) as session:
        assert text_with_retries(BASE, 3, background=background) == full
    creates = [r for r in session.transcript.requests if r.operation == "create"]
    assert len(creates) == 2
    assert creates[0].interaction_id != creates[1].interaction_id  # a new run, as the server makes
    found = [str(v) for v in session.violations()]
    if background:
        assert any("created" in f and "again" in f and "instead of resuming" in f for f in found), found
    else:
        assert found == []


def test_a_stream_that_cannot_resume_surfaced_by_raising_is_no_finding(
    recorded: tuple[Path, str, bool],
) -> None:
    path, _full, background = recorded
    if background:
        pytest.skip("a background stream can be resumed: giving up on it is a finding")
    faults = FaultPlan().disconnect("after:3")
    with (
        contextlib.suppress(ProtocolCheckError),
        use_cassette(path, "none", faults=faults, checks=True) as session,
        pytest.raises(RuntimeError),
    ):
        text_with_retries(BASE, 1, background=False)
    assert session.violations(raised=True) == []  # the test failing with the drop: right
    (swallowed,) = session.violations()  # a test that passed anyway may have taken partial text
    assert "cannot be resumed" in str(swallowed)
    # Declared, giving up at once is the expected behaviour, and a second try breaks it.
    declared = FaultPlan().disconnect("after:3").expect_give_up(0)
    with use_cassette(path, "none", faults=declared, checks=True) as s, pytest.raises(RuntimeError):
        text_with_retries(BASE, 1, background=False)
    assert s.violations() == []
    with (
        contextlib.suppress(ProtocolCheckError),
        use_cassette(path, "none", faults=declared, checks=True) as s,
    ):
        text_with_retries(BASE, 2, background=False)
    (retried,) = s.violations()
    assert "declared to give up at the first cut (gives_up_after=0), but it sent the create" in str(retried)
