"""google-genai's async client goes through aiohttp when aiohttp is installed: recorded and replayed.

The loopback server answers ``generateContent`` and its SSE stream with bytes in the API's shape;
replay runs with the server shut down.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from google import genai

from pytest_interactions.cassette import load_cassette
from pytest_interactions.session import use_cassette
from tests.conftest import RawServer

MODEL = "gemini-3.5-flash"


def candidate(text: str) -> dict[str, object]:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}]}


async def ask(base_url: str) -> tuple[str | None, list[str | None]]:
    client = genai.Client(api_key="test-key", http_options={"base_url": base_url, "api_version": "v1beta"})
    assert client._api_client._use_aiohttp()  # the async models API goes through aiohttp here
    whole = await client.aio.models.generate_content(model=MODEL, contents="Say hello")
    stream = await client.aio.models.generate_content_stream(model=MODEL, contents="Count to three")
    pieces = [chunk.text async for chunk in stream]
    return whole.text, pieces


def test_the_async_client_through_aiohttp_is_recorded_and_replayed(
    raw_server: RawServer, tmp_path: Path
) -> None:
    raw_server.respond(
        f"/v1beta/models/{MODEL}:generateContent",
        json.dumps(candidate("Hello!")).encode(),
        headers=[("content-type", "application/json; charset=UTF-8")],
    )
    raw_server.respond(
        f"/v1beta/models/{MODEL}:streamGenerateContent",
        b"".join(f"data: {json.dumps(candidate(w))}\r\n\r\n".encode() for w in ("one ", "two ", "three")),
    )
    cassette = tmp_path / "genai.yaml"
    with use_cassette(cassette, "once"):
        recorded = asyncio.run(ask(raw_server.base_url))
    assert recorded == ("Hello!", ["one ", "two ", "three"])
    assert [r[1].split("?")[0] for r in raw_server.requests] == [
        f"/v1beta/models/{MODEL}:generateContent",
        f"/v1beta/models/{MODEL}:streamGenerateContent",
    ]
    stream = load_cassette(cassette).exchanges[1].response
    assert stream is not None
    assert stream.events is not None
    assert len(stream.events) == 3  # one cassette entry per streamed chunk
    raw_server.httpd.shutdown()
    raw_server.httpd.server_close()

    with use_cassette(cassette, "none") as replay:
        replayed = asyncio.run(ask(raw_server.base_url))
    assert replayed == recorded
    assert len(replay.exchanges) == 2


def test_an_async_langchain_google_genai_call_is_recorded_and_replayed(
    raw_server: RawServer, tmp_path: Path
) -> None:
    chat_models = pytest.importorskip(
        "langchain_google_genai",
        reason="langchain-google-genai is not in the test extra: .ci/run tests it in an environment of "
        "its own, with whichever google-genai it resolves",
    )

    async def ask_langchain() -> object:
        chat = chat_models.ChatGoogleGenerativeAI(
            model=MODEL, google_api_key="test-key", base_url=raw_server.base_url, max_retries=0
        )
        assert chat.client._api_client._use_aiohttp()  # its async calls go through aiohttp
        return (await chat.ainvoke("Say hello")).content

    for version in ("v1", "v1beta"):  # the API version depends on the google-genai release
        raw_server.respond(
            f"/{version}/models/{MODEL}:generateContent",
            json.dumps(candidate("Hello from langchain!")).encode(),
            headers=[("content-type", "application/json; charset=UTF-8")],
        )
    cassette = tmp_path / "langchain.yaml"
    with use_cassette(cassette, "once"):
        recorded = asyncio.run(ask_langchain())
    assert recorded == "Hello from langchain!"
    assert len(raw_server.requests) == 1
    raw_server.httpd.shutdown()
    raw_server.httpd.server_close()

    with use_cassette(cassette, "none") as replay:
        assert asyncio.run(ask_langchain()) == recorded
    assert len(replay.exchanges) == 1
