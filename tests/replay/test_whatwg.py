"""Other resume dialects: a WHATWG event stream (``id:`` lines, ``Last-Event-ID`` header)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from pytest_interactions.faults import FaultPlan
from pytest_interactions.session import ProtocolCheckError, use_cassette

EVENTS = b"".join(f"id: {n}\nevent: tick\ndata: tick {n}\n\n".encode() for n in range(1, 7))


def read_with_reconnect(url: str, *, resume_with_header: bool = True) -> list[str]:
    """An EventSource-style client: on a drop, reconnect with ``Last-Event-ID``."""
    seen: list[str] = []
    last = ""
    with httpx.Client() as http:
        for _ in range(5):
            headers = {"Last-Event-ID": last} if last and resume_with_header else {}
            try:
                with connect_sse(http, "GET", url, headers=headers) as source:
                    for event in source.iter_sse():
                        seen.append(event.data)
                        last = event.id
                return seen
            except httpx.RemoteProtocolError:
                continue
    return seen


@pytest.fixture
def recorded(raw_server: Any, tmp_path: Path) -> tuple[str, Path]:
    url = raw_server.respond("/events", EVENTS)
    cassette = tmp_path / "whatwg.yaml"
    with use_cassette(cassette, "once"):
        assert read_with_reconnect(url) == [f"tick {n}" for n in range(1, 7)]
    raw_server.httpd.shutdown()
    return url, cassette


def test_a_whatwg_stream_resumes_after_last_event_id(recorded: tuple[str, Path]) -> None:
    url, cassette = recorded
    with use_cassette(cassette, "none", faults=FaultPlan().disconnect("after:2")) as replay:
        assert read_with_reconnect(url) == [f"tick {n}" for n in range(1, 7)]
    first, second = replay.transcript.connections
    assert first.cut is not None
    assert first.received == ["1", "2"]
    assert second.resume_from == "2"
    assert second.received == ["3", "4", "5", "6"]


def test_a_whatwg_client_that_forgets_the_header_is_caught(recorded: tuple[str, Path]) -> None:
    url, cassette = recorded
    with pytest.raises(ProtocolCheckError, match="did not carry the Last-Event-ID header"):  # noqa: SIM117
        with use_cassette(cassette, "none", faults=FaultPlan().disconnect("after:2")):
            read_with_reconnect(url, resume_with_header=False)
