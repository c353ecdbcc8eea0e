"""Replay's parts, driven without any HTTP client: the router, its poll and stream responders, and
the reports of faults that could not or did not apply, each given a request value and a clock."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pytest_interactions.cassette import (
    Body,
    Cassette,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    load_cassette,
)
from pytest_interactions.faults import FaultPlan
from pytest_interactions.protocol import Transcript
from pytest_interactions.replay import Call, Replayer, ReplayServer, UnmatchedRequestError
from pytest_interactions.transport import Complete, Refused, Streamed, TransportFailure

TEXT = Path(__file__).parents[2] / "cassettes" / "reference" / "text.yaml"
BASE = "http://127.0.0.1:33483/v1beta/interactions"
RUN = "v1_y0cq65zt4wn6isigq8jtgev4"


class Clock:
    """A session's clock as replay sees it: read it, let it reach a moment."""

    def __init__(self) -> None:
        self.at = 0.0

    def now(self) -> float:
        return self.at

    def reach(self, moment: float) -> float:
        self.at = max(self.at, moment)
        return self.at


def server(cassette: Cassette, plan: FaultPlan | None = None) -> tuple[ReplayServer, Clock]:
    clock = Clock()
    replay = ReplayServer(
        Replayer(cassette, Path("test.yaml")),
        now=clock.now,
        reach=clock.reach,
        faults=plan or FaultPlan(),
        transcript=Transcript(),
    )
    return replay, clock


def get(url: str, clock: Clock, headers: list[tuple[str, str]] | None = None) -> Call:
    return Call.of(RecordedRequest("GET", url, headers or []), clock.now(), read_timeout=5.0)


def read(answer: object) -> tuple[list[str], str | None]:
    """The event ids a streamed answer delivers, and the failure it ends with (if any)."""
    assert isinstance(answer, Streamed)
    data, failure = b"", None
    try:
        for chunk in answer.chunks:
            data += chunk
    except TransportFailure as exc:
        failure = exc.name
    lines = data.decode().splitlines()
    return [json.loads(line[6:])["event_id"] for line in lines if line.startswith("data: {")], failure


def test_polls_show_the_recorded_state_as_of_the_virtual_moment() -> None:
    replay, clock = server(load_cassette(TEXT))
    first = replay.answer(get(f"{BASE}/{RUN}?stream=false", clock))
    assert isinstance(first, Complete)
    assert json.loads(first.data)["status"] == "in_progress"
    assert ("content-length", str(len(first.data))) in first.headers
    clock.reach(60.0)  # the client slept past the end of the run
    later = replay.answer(get(f"{BASE}/{RUN}?stream=false", clock))
    assert isinstance(later, Complete)
    assert json.loads(later.data)["status"] == "completed"
    assert [r.status for r in replay.transcript.requests] == [200, 200]


def test_a_stream_is_cut_where_the_plan_says_and_resumed_after_the_last_event_read() -> None:
    replay, clock = server(load_cassette(TEXT), FaultPlan().disconnect("after:3"))
    ids, failure = read(replay.answer(get(f"{BASE}/{RUN}?stream=true", clock)))
    assert ids == ["evt_000001", "evt_000002", "evt_000003"]
    assert failure == "RemoteProtocolError"
    resumed = get(f"{BASE}/{RUN}?stream=true&last_event_id=evt_000003", clock)
    ids, failure = read(replay.answer(resumed))
    assert ids[0] == "evt_000004"
    assert ids[-1] == "evt_000010"
    assert failure is None
    assert replay.firing.fired_rules == {"after:3"}
    assert replay.faults.rules[0].spec == "after:3"  # the declared plan is as declared
    assert replay.unapplied_faults() == []


def test_a_refused_reconnect_is_a_refusal_answer() -> None:
    plan = FaultPlan().disconnect("after:2").refuse_reconnects(1)
    replay, clock = server(load_cassette(TEXT), plan)
    read(replay.answer(get(f"{BASE}/{RUN}?stream=true", clock)))
    answer = replay.answer(get(f"{BASE}/{RUN}?stream=true&last_event_id=evt_000002", clock))
    assert answer == Refused("ConnectError", "[Errno 111] Connection refused")
    assert replay.firing.given(plan.reconnects[0]) == 1


def test_a_resume_from_an_unknown_event_is_answered_400_and_reported() -> None:
    replay, clock = server(load_cassette(TEXT))
    answer = replay.answer(get(f"{BASE}/{RUN}?stream=true&last_event_id=evt_999", clock))
    assert isinstance(answer, Complete)
    assert answer.status == 400
    assert json.loads(answer.data)["error"]["status"] == "INVALID_ARGUMENT"
    assert "never had" in replay.errors[0]


def openai_background() -> Cassette:
    """An OpenAI background response created, then polled while it ran."""
    url = "https://api.openai.com/v1/responses"
    created = {"id": "resp_1", "object": "response", "status": "queued", "output": []}
    polled = {**created, "status": "in_progress"}
    return Cassette(
        [
            Exchange(
                0.0,
                RecordedRequest("POST", url, body=Body("json", {"model": "gpt-5", "background": True})),
                RecordedResponse(200, [("content-type", "application/json")], body=Body("json", created)),
            ),
            Exchange(
                1.0,
                RecordedRequest("GET", f"{url}/resp_1"),
                RecordedResponse(200, [("content-type", "application/json")], body=Body("json", polled)),
            ),
        ]
    )


def test_an_injected_poll_error_of_an_openai_run_is_in_openais_error_layout() -> None:
    replay, clock = server(openai_background(), FaultPlan().fail_polls(503, retry_after=2.0))
    answer = replay.answer(get("https://api.openai.com/v1/responses/resp_1", clock))
    assert isinstance(answer, Complete)
    assert answer.status == 503
    error = json.loads(answer.data)["error"]
    assert set(error) >= {"message", "type"}
    assert "status" not in error  # Google's layout names an error status; OpenAI's does not
    assert ("retry-after", "2") in answer.headers


def test_faults_the_recording_has_no_place_for_are_named_before_replay() -> None:
    plan = FaultPlan().disconnect("after:99").inject("requires_action", after_events=2)
    replay, _ = server(openai_background(), plan)
    found = replay.inapplicable_faults()
    assert found[0] == "disconnect='after:99' cannot apply: the cassette has no recorded stream"
    assert "the openai API has no requires_action" in found[1]


def test_faults_that_never_happened_are_named_after_replay() -> None:
    plan = FaultPlan().disconnect("after:3").fail_polls(429)
    replay, _ = server(load_cassette(TEXT), plan)
    assert replay.inapplicable_faults() == []
    assert replay.unapplied_faults() == [
        "disconnect=after:3 never cut a stream: the client opened no stream it applies to "
        "(the longest recorded stream has 10 events)",
        "polls 429 x1 was never answered: the client made no poll",
    ]


@pytest.mark.parametrize("kind", ["failure", "cancellation"])
def test_a_protocol_fault_turns_the_stream_and_later_polls(kind: str) -> None:
    replay, clock = server(load_cassette(TEXT), FaultPlan().inject(kind, after_events=3))
    ids, failure = read(replay.answer(get(f"{BASE}/{RUN}?stream=true", clock)))
    assert ids[:3] == ["evt_000001", "evt_000002", "evt_000003"]
    assert all(i.endswith("-injected") for i in ids[3:])
    assert failure is None
    clock.reach(60.0)
    polled = replay.answer(get(f"{BASE}/{RUN}?stream=false", clock))
    assert isinstance(polled, Complete)
    assert json.loads(polled.data)["status"] == {"failure": "failed", "cancellation": "cancelled"}[kind]
    assert replay.unapplied_faults() == []


def test_a_stream_read_to_its_end_is_marked_so_in_the_transcript() -> None:
    replay, clock = server(load_cassette(TEXT))
    ids, _ = read(replay.answer(get(f"{BASE}/{RUN}?stream=true", clock)))
    assert len(ids) == 10
    (connection,) = replay.transcript.connections_of(RUN)
    assert connection.reached_end
    assert connection.read_terminal
    assert replay.transcript.requests[-1].operation == "stream"


def test_unmatched_requests_have_no_answer() -> None:
    replay, clock = server(load_cassette(TEXT))
    call = Call.of(RecordedRequest("DELETE", f"{BASE}/v1_unknown"), clock.now())
    assert replay.answer(call) is None


def test_a_cancel_the_recording_lacks_is_answered_from_the_runs_state() -> None:
    replay, clock = server(load_cassette(TEXT))
    cancel = replay.answer(Call.of(RecordedRequest("POST", f"{BASE}/{RUN}/cancel"), clock.now()))
    assert isinstance(cancel, Complete)
    assert (cancel.status, json.loads(cancel.data)["status"]) == (200, "cancelled")
    clock.reach(clock.at + 600)
    poll = replay.answer(Call.of(RecordedRequest("GET", f"{BASE}/{RUN}"), clock.now()))
    assert isinstance(poll, Complete)
    assert json.loads(poll.data)["status"] == "cancelled"  # and never completed, as recorded


def test_a_chain_onto_a_running_interaction_is_refused_as_the_api_does() -> None:
    replay, clock = server(load_cassette(TEXT))
    body = Body("json", {"model": "gemini-3.5-flash", "input": "and?", "previous_interaction_id": RUN})
    answer = replay.answer(Call.of(RecordedRequest("POST", BASE, body=body), clock.now()))
    assert isinstance(answer, Complete)
    assert answer.status == 400
    assert json.loads(answer.data)["error"]["status"] == "FAILED_PRECONDITION"
    (chained,) = replay.transcript.chains
    assert chained.previous_status == "in_progress"
    # A continuation (the SDK's own resume of a long run) is accepted at any time: not refused,
    # but this recording never handed out that token, and the error says so.
    body = Body("json", {**body.value, "continuation_token": "tok"})
    with pytest.raises(UnmatchedRequestError, match="'tok', which no recorded run handed out"):
        replay.answer(Call.of(RecordedRequest("POST", BASE, body=body), clock.now()))
    assert replay.transcript.chains[-1].continuation


@given(
    st.from_regex(
        r"https?://[a-z0-9.:@%-]{1,20}(/[a-zA-Z0-9_.%/-]{0,20})?(\?[a-z0-9=&%?/]{0,20})?", fullmatch=True
    )
)
@example("http://h")
@example("http://h?a=1")
@example("http://u:p@h/p?x")
@example("http://h/p#f?x")
def test_a_request_is_read_as_urlsplit_reads_its_url(url: str) -> None:
    call = Call.of(RecordedRequest("GET", url), 0.0)
    parts = urlsplit(url)
    assert (call.path, call.query) == (parts.path, parts.query)
