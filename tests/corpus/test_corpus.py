"""Real traffic nobody here wrote (README.md beside this file says where each sample comes from).

Each sample is served byte for byte from a loopback server, recorded through raw httpx, httpx-sse
and the vendor's SDK, then replayed with the server gone: what each client sees is identical, and
the recording validates clean unless it truly breaks today's API (then the message says why).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from google import genai
from httpx_sse import SSEError, connect_sse

from pytest_interactions.contract import validate_cassette
from pytest_interactions.session import use_cassette
from pytest_interactions.sse import SSEDecoder

CORPUS = Path(__file__).parent
INDEX: list[dict[str, Any]] = json.loads((CORPUS / "index.json").read_text())
SERVED = [s for s in INDEX if s["api"] in ("gemini", "openai") and s["kind"] == "sse"]
WHATWG = [s for s in INDEX if s["api"] == "whatwg"]

#: What validate must say of a sample that breaks today's grammar, and why that is right.
KNOWN_FINDINGS: dict[str, list[str]] = {
    # Captured in March 2025, before the Responses API numbered its stream events.
    "openai/stream-simple.sse": [
        "[required-fields] no event of this stream carries a sequence_number: it was "
        "recorded before the API sent sequence_number"
    ],
    # Cut at an event boundary to stay small: the run's ending is not in the file.
    "openai/stream-code-interpreter-trimmed.sse": ["[terminal] the stream of resp_"],
    "gemini/docs-streaming-steps-head.sse": ["[terminal] the stream ended without a terminal event"],
}


def sample_id(sample: dict[str, Any]) -> str:
    return str(sample["file"])


def serve(server: Any, sample: dict[str, Any]) -> str:
    """Serve the sample's bytes at its request's path; the full URL (query included)."""
    path, _, query = sample["request"]["path"].partition("?")
    body = (CORPUS / sample["file"]).read_bytes()
    server.respond(
        path, body, status=sample.get("status") or 200, headers=[("content-type", sample["content_type"])]
    )
    return server.base_url + path + (f"?{query}" if query else "")


def through_httpx(sample: dict[str, Any], url: str) -> bytes:
    request = sample["request"]
    with httpx.Client() as client, client.stream(request["method"], url, json=request["body"]) as answer:
        return b"".join(answer.iter_raw())


def through_httpx_sse(sample: dict[str, Any], url: str) -> list[tuple[str, str, str, int | None]] | str:
    """The events httpx-sse parses, or the error it raises (a content type that is no stream's)."""
    method, body = sample["request"]["method"], sample["request"]["body"]
    with httpx.Client() as client, connect_sse(client, method, url, json=body) as source:
        try:
            return [(e.event, e.data, e.id, e.retry) for e in source.iter_sse()]
        except SSEError as exc:
            return f"{type(exc).__name__}: {exc}"


def through_sdk(sample: dict[str, Any], url: str) -> list[dict[str, Any]]:
    """The SDK's own objects for the stream, as the SDK parsed them."""
    request, base = sample["request"], url.split("/v1")[0]
    if sample["api"] == "openai":
        sdk = openai.OpenAI(base_url=base + "/v1", api_key="sk-test", max_retries=0)
        if request["method"] == "GET":
            response_id = request["path"].split("?")[0].rsplit("/", 1)[-1]
            stream: Any = sdk.responses.retrieve(response_id, stream=True, starting_after=0)
        else:
            stream = sdk.responses.create(
                **{k: v for k, v in request["body"].items() if k != "stream"}, stream=True
            )
        return [event.model_dump(mode="json", warnings=False) for event in stream]
    client = genai.Client(
        api_key="k",
        http_options={"base_url": base, "api_version": "v1beta", "retry_options": {"attempts": 1}},
    )
    body = request["body"]
    events = client.interactions.create(model=body["model"], input=body["input"], stream=True)
    return [event.model_dump(mode="json", warnings=False) for event in events]


CLIENTS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "httpx": through_httpx,
    "httpx-sse": through_httpx_sse,
    "sdk": through_sdk,
}


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("sample", SERVED, ids=sample_id)
def test_a_real_stream_replays_as_each_client_saw_it(
    raw_server: Any, tmp_path: Path, sample: dict[str, Any], client: str
) -> None:
    read = CLIENTS[client]
    url = serve(raw_server, sample)
    cassette = tmp_path / "real.yaml"
    with use_cassette(cassette, "once", checks=False):
        live = read(sample, url)
    raw_server.httpd.shutdown()
    raw_server.httpd.server_close()
    with use_cassette(cassette, "none", checks=False):
        replayed = read(sample, url)
    assert replayed == live
    if client == "httpx":
        assert live == (CORPUS / sample["file"]).read_bytes()


@pytest.mark.parametrize("sample", SERVED, ids=sample_id)
def test_a_real_recording_validates_clean_unless_it_breaks_todays_api(
    raw_server: Any, tmp_path: Path, sample: dict[str, Any]
) -> None:
    url = serve(raw_server, sample)
    cassette = tmp_path / "real.yaml"
    with use_cassette(cassette, "once", checks=False):
        through_httpx(sample, url)
    errors = [
        f"[{p.rule}] {p.message}" for p in validate_cassette(cassette).problems if p.severity == "error"
    ]
    expected = KNOWN_FINDINGS.get(sample["file"], [])
    assert len(errors) == len(expected), errors
    for error, start in zip(errors, expected, strict=True):
        assert error.startswith(start), errors


def test_a_real_background_stream_and_its_resume_replay_as_recorded(raw_server: Any, tmp_path: Path) -> None:
    """The live API's resume with starting_after=0 sends its events again, keys in another order:
    each is the same event, and nothing is ever served after response.completed."""
    create = next(s for s in SERVED if s["file"] == "openai/bg-stream-create.sse")
    resume = next(s for s in SERVED if s["file"] == "openai/bg-stream-resume-starting_after-0.sse")
    create_url, resume_url = serve(raw_server, create), serve(raw_server, resume)

    def read_both() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return through_sdk(create, create_url), through_sdk(resume, resume_url)

    cassette = tmp_path / "background.yaml"
    with use_cassette(cassette, "once", checks=False):
        live = read_both()
    raw_server.httpd.shutdown()
    raw_server.httpd.server_close()
    for _ in range(2):  # every connection, the first and any after it
        with use_cassette(cassette, "none", checks=False):
            assert read_both() == live
    first, again = live
    assert first[-1]["type"] == again[-1]["type"] == "response.completed"
    assert [e["sequence_number"] for e in again] == list(range(1, len(first)))
    problems = [p for p in validate_cassette(cassette).problems if p.severity == "error"]
    assert problems == []


@pytest.mark.parametrize("sample", WHATWG, ids=sample_id)
def test_a_whatwg_pattern_survives_record_and_replay(
    raw_server: Any, tmp_path: Path, sample: dict[str, Any]
) -> None:
    body = (CORPUS / sample["file"]).read_bytes()
    expected = json.loads((CORPUS / sample["expected"]).read_text())
    url = serve(raw_server, sample)
    cassette = tmp_path / "whatwg.yaml"
    with use_cassette(cassette, "once", checks=False):
        live = through_httpx(sample, url), through_httpx_sse(sample, url)
    raw_server.httpd.shutdown()
    raw_server.httpd.server_close()
    with use_cassette(cassette, "none", checks=False):
        replayed = through_httpx(sample, url), through_httpx_sse(sample, url)
    assert replayed == live
    assert live[0] == body
    if expected["connection_fails"]:
        assert str(live[1]).startswith("SSEError")
    else:  # the toolkit's own SSE reader dispatches what a browser's EventSource does
        decoder = SSEDecoder(last_event_id=expected.get("initial_last_event_id", ""))
        events = decoder.feed(body, final=True)
        dispatched = [
            {"type": e.type, "data": e.data, "lastEventId": e.last_event_id}
            for e in events
            if e.data is not None
        ]
        assert dispatched == expected["events"], expected["wpt_asserts"]


def test_a_real_create_answer_replays_byte_for_byte_and_validates_clean(
    raw_server: Any, tmp_path: Path
) -> None:
    sample = next(s for s in INDEX if s["file"] == "gemini/docs-apiref-create-simple-response.json")
    body = (CORPUS / sample["file"]).read_bytes()
    raw_server.respond("/v1beta/interactions", body, headers=[("content-type", "application/json")])
    base = raw_server.base_url

    def read() -> tuple[bytes, dict[str, Any]]:
        raw = httpx.post(
            base + "/v1beta/interactions", json={"model": "gemini-2.5-flash", "input": "Hi"}
        ).content
        client = genai.Client(api_key="k", http_options={"base_url": base, "api_version": "v1beta"})
        made = client.interactions.create(model="gemini-2.5-flash", input="Hi")
        return raw, made.model_dump(mode="json")

    cassette = tmp_path / "create.yaml"
    with use_cassette(cassette, "once", checks=False):
        live = read()
    raw_server.httpd.shutdown()
    raw_server.httpd.server_close()
    with use_cassette(cassette, "none", checks=False):
        assert read() == live
    assert live[0] == body
    assert live[1]["status"] == "completed"
    assert validate_cassette(cassette).problems == []
