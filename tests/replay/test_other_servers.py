"""Recordings of a server nobody here wrote, replayed as that server answered.

``MockResponses`` below is a small OpenAI-Responses server in the style of the third-party LLM
mocks teams test against: its events carry no ``sequence_number``, a streamed response made
without ``background`` cannot be resumed (a resume is answered 404), and it can drop a stream
for real. Recorded over real sockets with the openai SDK, replayed without it:

- a create sent again after a drop is answered (the recorded work again) and the abandoned stream
  is no finding;
- what the server answered a request (the 404 to a resume) is what replay serves;
- events without a number are counted by their position, in findings and in fault reports.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import openai
import pytest

from pytest_interactions.faults import FaultPlan
from pytest_interactions.replay import UnmatchedRequestError
from pytest_interactions.session import ProtocolCheckError, use_cassette

#: Real SDKs against a recording made over sockets: an end-to-end test.
pytestmark = pytest.mark.slow

MODEL = "gpt-4o"
WORDS = ["Tides ", "follow ", "the ", "moon."]
BASE = "http://127.0.0.1:9/v1"  # replay never connects


def events(response_id: str) -> list[dict[str, object]]:
    """A foreground response's stream, as the mock sends it: no ``sequence_number``."""
    response = {"id": response_id, "object": "response", "model": MODEL, "output": []}
    item = {"id": "msg_1", "type": "message", "role": "assistant", "content": []}
    done = {
        **response,
        "status": "completed",
        "output": [{**item, "content": [{"type": "output_text", "text": "".join(WORDS)}]}],
    }
    return [
        {"type": "response.created", "response": {**response, "status": "in_progress"}},
        {"type": "response.in_progress", "response": {**response, "status": "in_progress"}},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        *[
            {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": w,
            }
            for w in WORDS
        ],
        {"type": "response.output_item.done", "output_index": 0, "item": done["output"][0]},
        {"type": "response.completed", "response": done},
    ]


class MockResponses:
    """An OpenAI Responses mock on loopback; ``drops`` cuts the next streams after N events."""

    def __init__(self) -> None:
        self.drops: list[int] = []
        self.created = 0
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return None

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                mock.created += 1
                drop = mock.drops.pop(0) if mock.drops else None
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for n, event in enumerate(events(f"resp_mock{mock.created}")):
                    if drop is not None and n == drop:
                        self.close_connection = True
                        self.connection.shutdown(2)  # a real drop: no last chunk
                        return
                    data = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            def do_GET(self) -> None:
                body = json.dumps(
                    {"error": {"message": "Response not found.", "type": "invalid_request_error"}}
                )
                self.send_response(404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"


@pytest.fixture
def mock() -> Iterator[MockResponses]:
    server = MockResponses()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def read(base_url: str, attempts: int = 3) -> tuple[str, list[str]]:
    """Read the text; after a drop, ask to resume, and on a refusal send the create again."""
    sdk = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)
    outcomes = []
    for _ in range(attempts):
        text, response_id = [], None
        try:
            for event in sdk.responses.create(model=MODEL, input="Tides?", stream=True):
                if event.type == "response.created":
                    response_id = event.response.id
                elif event.type == "response.output_text.delta":
                    text.append(event.delta)
                elif event.type == "response.completed":
                    return "".join(text), outcomes
        except (openai.APIConnectionError, httpx.HTTPError):
            outcomes.append("dropped")
            time.sleep(0.5)  # backs off before trying again (virtual time in replay)
        if response_id is not None:
            try:
                sdk.responses.retrieve(response_id, stream=True, starting_after=len(text))
            except openai.APIStatusError as refused:
                outcomes.append(f"resume refused: {refused.status_code}")
    raise RuntimeError(f"gave up: {outcomes}")


def test_a_real_drop_and_the_404_to_its_resume_replay_as_recorded(
    mock: MockResponses, tmp_path: Path
) -> None:
    path = tmp_path / "mock.yaml"
    mock.drops = [3]
    with use_cassette(path, "once"):
        live = read(mock.base_url)
    assert live == ("".join(WORDS), ["dropped", "resume refused: 404"])
    with use_cassette(path, "none", checks=True) as session:
        assert read(BASE) == live  # the same drop, the same 404, the same text
    assert session.violations() == []  # the abandoned stream could not be resumed: no finding


def test_a_create_sent_again_after_an_injected_cut_is_answered(mock: MockResponses, tmp_path: Path) -> None:
    path = tmp_path / "mock.yaml"
    with use_cassette(path, "once"):
        assert read(mock.base_url) == ("".join(WORDS), [])
    with use_cassette(path, "none", faults=FaultPlan().disconnect("after:4"), checks=True) as session:
        text, outcomes = read(BASE)
    # The recording holds no resume: replay answers as the API does for a stream made without
    # background (it cannot be read again).
    assert (text, outcomes) == ("".join(WORDS), ["dropped", "resume refused: 400"])
    creates = [r for r in session.transcript.requests if r.operation == "create"]
    assert len(creates) == 2
    assert session.violations() == []


def test_events_without_numbers_are_counted_by_position(mock: MockResponses, tmp_path: Path) -> None:
    path = tmp_path / "mock.yaml"
    with use_cassette(path, "once"):
        read(mock.base_url)
    # A client that takes a stream cut after four events for the whole answer.
    faults = FaultPlan().disconnect("after:4")
    with contextlib.suppress(ProtocolCheckError), use_cassette(path, "none", faults=faults, checks=True) as s:
        sdk = openai.OpenAI(base_url=BASE, api_key="k", max_retries=0)
        with contextlib.suppress(openai.APIConnectionError, httpx.HTTPError):
            list(sdk.responses.create(model=MODEL, input="Tides?", stream=True))
    (finding,) = s.violations()
    assert "after #4 (4 of 9 events received)" in str(finding)
    # A cut after the ending event, which the client read: nothing left to cut, no fault report.
    with use_cassette(path, "none", faults=FaultPlan().disconnect("after:9"), checks=True) as s:
        assert read(BASE)[0] == "".join(WORDS)
    assert s.unapplied_faults() == []


@pytest.mark.parametrize(
    ("answer", "seen"),
    [("drop", "Server disconnected without sending a response."), ("refuse", "Connection refused")],
)
def test_a_create_that_gets_no_answer_is_sent_again(
    mock: MockResponses, tmp_path: Path, answer: str, seen: str
) -> None:
    path = tmp_path / "mock.yaml"
    with use_cassette(path, "once"):
        read(mock.base_url)
    with use_cassette(path, "none", faults=FaultPlan().fail_creates(answer), checks=True) as session:
        sdk = openai.OpenAI(base_url=BASE, api_key="k", max_retries=0)
        with pytest.raises(openai.APIConnectionError) as failed:
            sdk.responses.create(model=MODEL, input="Tides?", stream=True)
        assert seen in repr(failed.value.__cause__)
        time.sleep(1)  # backs off, then sends it again
        assert read(BASE) == ("".join(WORDS), [])  # the next create is answered from the recording
    assert [r.status for r in session.transcript.requests] == [None, 200]
    assert session.transcript.faults == [f"create #1: creates {answer} x1"]


def test_a_resume_by_number_against_events_without_numbers_is_named(
    mock: MockResponses, tmp_path: Path
) -> None:
    """A resumable stream whose server left the numbers out: where a resume starts cannot be judged."""
    path = tmp_path / "unnumbered.yaml"
    with use_cassette(path, "once"):
        sdk = openai.OpenAI(base_url=mock.base_url, api_key="k", max_retries=0)
        list(sdk.responses.create(model=MODEL, input="Tides?", stream=True, background=True))
    sdk = openai.OpenAI(base_url=BASE, api_key="k", max_retries=0)
    with (
        pytest.raises(UnmatchedRequestError, match="recorded events carry no starting_after"),
        use_cassette(path, "none"),
        contextlib.suppress(openai.APIStatusError),
    ):
        list(sdk.responses.retrieve("resp_mock1", stream=True, starting_after=3))
