"""Transport headers that vary between runs, machines or SDK versions stay out of cassettes unless kept."""

from __future__ import annotations

from pathlib import Path

import httpx

from pytest_interactions.cassette import load_cassette
from pytest_interactions.emulator import Emulator
from pytest_interactions.record import VOLATILE_HEADERS
from pytest_interactions.session import use_cassette

START = {"model": "gemini-3.5-flash", "input": "Hello", "background": True}


def _record(path: Path, server: Emulator, **options: object) -> tuple[set[str], set[str]]:
    """Record one create; the header names of its request and response, as written."""
    with (
        use_cassette(path, "all", **options),
        httpx.Client(base_url=server.base_url + "/v1beta", headers={"x-goog-api-key": "k"}) as http,
    ):
        sent = http.post("/interactions", json=START).raise_for_status()
    assert VOLATILE_HEADERS - {"x-goog-api-client"} <= set(sent.request.headers)  # all sent, still
    assert "content-length" in sent.headers
    (exchange,) = load_cassette(path).exchanges
    assert exchange.response is not None
    return {k for k, _ in exchange.request.headers}, {k for k, _ in exchange.response.headers}


def test_volatile_headers_are_left_out(tmp_path: Path, interactions_server: Emulator) -> None:
    request, response = _record(tmp_path / "plain.yaml", interactions_server)
    assert not VOLATILE_HEADERS & (request | response)
    assert {"accept", "content-type", "x-goog-api-key"} <= request
    assert "content-type" in response


def test_named_headers_are_kept(tmp_path: Path, interactions_server: Emulator) -> None:
    request, response = _record(
        tmp_path / "kept.yaml", interactions_server, keep_headers=["User-Agent", "content-length"]
    )
    assert {"user-agent", "content-length"} <= request
    assert "content-length" in response
    assert not {"host", "accept-encoding", "connection"} & request
