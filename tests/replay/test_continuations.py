"""google-genai's automatic continuation, replayed under every cut of a fault-free recording.

The SDK continues a long generation by itself: after ``requires_continuation`` it sends a create
carrying the run's ``continuation_token``; after a drop it sends one from the latest checkpoint
(an ``interaction.status_update`` with a token), or the hop's own create again, and it refuses to
resume when output arrived since the checkpoint. Replay answers each of those creates from the
recording, as the server would, and the checks read the new run as the stream it replaces: every
cut the SDK recovers from passes with checks on, and every cut where it refuses by design fails
with a finding that says the client had no safe resume point.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google import genai

from pytest_interactions.cassette import load_cassette
from pytest_interactions.emulator import Emulator
from pytest_interactions.faults import FaultPlan
from pytest_interactions.protocol import Thresholds, render_timeline
from pytest_interactions.session import CutPoint, ProtocolCheckError, cut_points, use_cassette

#: Real SDKs against a recording made over sockets: an end-to-end test.
pytestmark = pytest.mark.slow

MODEL = "gemini-continuation-preview"
QUESTION = "Tell the long story"
KEY = "test-key"
BASE_URL = "http://emulator.invalid"

Run = Callable[[str], str]


@functools.cache
def client(base_url: str) -> genai.Client:
    """One SDK client per address (making one takes a tenth of a second); kept, as the SDK wants."""
    return genai.Client(
        api_key=KEY,
        http_options={"base_url": base_url, "api_version": "v1beta", "retry_options": {"attempts": 1}},
    )


def streamed_text(base_url: str, store: bool = True) -> str:
    """The guide's way of reading a streamed create: text from each delta, to the stream's end."""
    text, sdk = [], client(base_url)
    for event in sdk.interactions.create(model=MODEL, input=QUESTION, stream=True, store=store):
        if event.event_type == "step.delta" and event.delta.type == "text":
            text.append(event.delta.text)
    return "".join(text)


def async_streamed_text(base_url: str) -> str:
    async def read() -> str:
        text, sdk = [], client(base_url)
        stream = await sdk.aio.interactions.create(model=MODEL, input=QUESTION, stream=True)
        async for event in stream:
            if event.event_type == "step.delta" and event.delta.type == "text":
                text.append(event.delta.text)
        return "".join(text)

    return asyncio.run(read())


RUNS: dict[str, Run] = {
    "sync": streamed_text,
    "async": async_streamed_text,
    "store-false": lambda base_url: streamed_text(base_url, store=False),
}


def record(path: Path, run: Run, emulator: Emulator) -> str:
    with use_cassette(path, "once") as session:
        text = run(emulator.base_url)
    assert not session.unplayed()
    return text


@pytest.fixture(scope="module", params=list(RUNS))
def recorded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Run, Path, str]:
    """A fault-free recording of a continued stream (three hops) made by each way of reading it."""
    run = RUNS[request.param]
    path = tmp_path_factory.mktemp("continued") / f"{request.param}.yaml"
    with Emulator(speed=1000) as emulator:
        text = record(path, run, emulator)
    assert text.count("Part ") == 5
    return run, path, text


def replay_cut(path: Path, run: Run, point: CutPoint) -> tuple[str | None, str, Any]:
    """Replay ``run`` with one cut, checks on: its text (None: it raised) and the findings."""
    assert point.cut is not None
    faults = FaultPlan().disconnect(point.cut, interaction_id=point.interaction_id)
    text: str | None = None
    with (
        contextlib.suppress(ProtocolCheckError),
        use_cassette(path, "none", faults=faults, checks=True) as session,
    ):
        try:
            text = run(BASE_URL)
        except Exception:
            text = None
    findings = "\n".join(str(v) for v in session.violations(raised=text is None))
    return text, findings, session


def hops(path: Path) -> tuple[dict[str, list[str]], str]:
    cassette = load_cassette(path)
    kinds: dict[str, list[str]] = {}
    first = ""
    for exchange in cassette.exchanges:
        events = [e for e in exchange.response.events or [] if getattr(e, "data", "") != "[DONE]"]
        ids = [e.data for e in events[:1]]
        if not ids:
            continue
        interaction_id = json.loads(ids[0])["interaction"]["id"]
        first = first or interaction_id
        kinds[interaction_id] = [e.event for e in events]
    return kinds, first


def test_every_cut_replays_as_the_sdk_recovers_or_refuses(recorded: tuple[Run, Path, str]) -> None:
    run, path, full = recorded
    kinds, first = hops(path)
    points = [p for p in cut_points(path) if p.cut is not None]
    assert len(points) == sum(len(k) for k in kinds.values()) == 23
    outcomes = []
    for point in points:
        text, findings, _ = replay_cut(path, run, point)
        assert "[chaining]" not in findings, point.test_id
        assert "was never answered" not in findings, point.test_id
        if text is not None:
            # The SDK went on by itself: the same text, nothing repeated, no finding.
            assert text == full, point.test_id
            assert findings == "", (point.test_id, findings)
            outcomes.append((point.test_id, "recovered"))
        else:
            assert "[complete]" in findings, point.test_id
            outcomes.append((point.test_id, "refused"))
            if point.cut is not None and point.cut.position == len(kinds[point.interaction_id or ""]):
                # A drop after the last hop's interaction.completed: all output had arrived.
                assert "failed after it had received the event that ends" in findings
            else:
                assert "no safe resume point" in findings, (point.test_id, findings)
    recovered = {test_id for test_id, how in outcomes if how == "recovered"}
    # The SDK's rule, as its documentation gives it: a checkpoint's token, a later hop's own token
    # (sent again right after its interaction.created), or the token a finished hop hands over.
    expected = set()
    for point in points:
        assert point.cut is not None
        assert point.interaction_id is not None
        after = kinds[point.interaction_id][point.cut.position - 1]
        later_hop = point.interaction_id != first
        last_hop = point.interaction_id == list(kinds)[-1]
        if (
            after == "interaction.status_update"
            or (after == "interaction.created" and later_hop)
            or (after == "interaction.completed" and not last_hop)
        ):
            expected.add(point.test_id)
    assert recovered == expected


@pytest.mark.parametrize(("drop_after", "recovers"), [(5, True), (6, False)], ids=["checkpoint", "output"])
def test_a_drop_recorded_by_the_emulator_replays_with_the_verdict_of_the_same_cut_injected(
    recorded: tuple[Run, Path, str], tmp_path: Path, drop_after: int, recovers: bool
) -> None:
    """A session recorded with a real drop (right after the first checkpoint, or after output
    that followed it) replays with the verdict the same cut injected on a fault-free recording
    gets."""
    run, fault_free, full = recorded
    path = tmp_path / "dropped.yaml"
    live: str | None = None
    with Emulator(speed=1000) as emulator:
        emulator.faults.drop_stream(drop_after)
        with contextlib.suppress(Exception):
            live = record(path, run, emulator)
    assert (live == full) is recovers
    text: str | None = None
    with (
        contextlib.suppress(ProtocolCheckError),
        use_cassette(path, "none", checks=True) as session,
        contextlib.suppress(Exception),
    ):
        text = run(BASE_URL)
    assert text == live
    injected = next(p for p in cut_points(fault_free) if p.cut is not None and p.cut.position == drop_after)
    injected_text, findings, _ = replay_cut(fault_free, run, injected)
    assert (injected_text is not None) is recovers
    verdict = [v.check for v in session.violations(raised=text is None)]
    assert verdict == ([] if recovers else ["complete"])
    assert ("[complete]" in findings) is not recovers
    if recovers:  # the recorded continuation is named as what carried the cut stream on
        assert "continues" in render_timeline(session.transcript)


def test_a_token_the_recording_never_handed_out_is_named(recorded: tuple[Run, Path, str]) -> None:
    _run, path, _full = recorded
    from pytest_interactions.replay import UnmatchedRequestError

    sdk = client(BASE_URL)
    with (
        pytest.raises(
            UnmatchedRequestError, match=r"continuation_token='ct_forged'.*no recorded run handed out"
        ),
        use_cassette(path, "none"),
    ):
        sdk.interactions.create(model=MODEL, continuation_token="ct_forged", store=False)


def first_checkpoint(path: Path) -> CutPoint:
    """The cut right after the first hop's checkpoint (an ``interaction.status_update``)."""
    return next(p for p in cut_points(path) if p.test_id.endswith("interaction.status_update"))


@pytest.mark.parametrize(("refusals", "recovers"), [(3, True), (4, False)])
def test_refused_continuations_meet_the_sdks_own_limit(
    recorded: tuple[Run, Path, str], refusals: int, recovers: bool
) -> None:
    """The SDK sends a continuation create after a drop, and gives up after four failures in a row
    without progress: refused continuation creates are the reconnects a plan refuses."""
    run, path, full = recorded
    point = first_checkpoint(path)
    assert point.cut is not None
    faults = (
        FaultPlan().disconnect(point.cut, interaction_id=point.interaction_id).refuse_reconnects(refusals)
    )
    if not recovers:
        faults.expect_give_up(refusals)
    text: str | None = None
    # With its HTTP retries turned off (attempts=1), the SDK's continuation loop tries again at
    # once after a refused connection: a storm the backoff check names; declared here as intended.
    at_once = Thresholds(min_retry_delay=0)
    with (
        contextlib.suppress(ProtocolCheckError),
        use_cassette(path, "none", faults=faults, checks=True, thresholds=at_once) as session,
        contextlib.suppress(Exception),
    ):
        text = run(BASE_URL)
    assert (text == full) is recovers
    assert session.violations(raised=not recovers) == []
    assert session.unapplied_faults() == []
    refused = [c for c in session.transcript.connections if c.refused]
    assert len(refused) == refusals
    timeline = render_timeline(session.transcript)
    assert timeline.count("continues") == refusals + recovers  # each attempt, named in the timeline


def test_injected_create_answers_reach_the_sdks_retries(recorded: tuple[Run, Path, str]) -> None:
    """``creates=`` answers reach the first create: the SDK retries a 503 after its Retry-After,
    and surfaces a 400 at once."""
    _run, path, full = recorded
    store = {"sync": {"store": True}, "store-false": {"store": False}}.get(path.stem, {})
    retrying = genai.Client(api_key=KEY, http_options={"base_url": BASE_URL, "api_version": "v1beta"})
    with use_cassette(
        path, "none", faults=FaultPlan().fail_creates(503, times=2, retry_after=2), checks=True
    ) as s:
        text = "".join(
            e.delta.text
            for e in retrying.interactions.create(model=MODEL, input=QUESTION, stream=True, **store)
            if e.event_type == "step.delta" and e.delta.type == "text"
        )
    assert text == full
    creates = [r for r in s.transcript.requests if r.operation == "create"]
    assert [r.status for r in creates[:3]] == [503, 503, 200]
    assert creates[1].at - creates[0].at >= 2  # Retry-After honoured, on the virtual clock
    # google-genai 3.6 types an Interactions error's ``code`` as a string and fails to read
    # Google's numeric one: either way the 400 surfaces at once, never retried.
    with (
        use_cassette(path, "none", faults=FaultPlan().fail_creates(400), checks=True) as s,
        pytest.raises(Exception, match=r"400|validation"),
    ):
        list(retrying.interactions.create(model=MODEL, input=QUESTION, stream=True, **store))
    assert [r.status for r in s.transcript.requests] == [400]
