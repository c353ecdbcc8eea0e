"""Recorded answers go out with the bytes they came in with, JSON layout included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_interactions.session import use_cassette

STREAM = b"".join(
    b"event: %s\ndata: %s\n\n" % (kind.encode(), json.dumps(payload, separators=(",", ":")).encode())
    for kind, payload in [
        (
            "response.created",
            {
                "type": "response.created",
                "sequence_number": 0,
                "response": {"id": "resp_1", "status": "in_progress"},
            },
        ),
        (
            "response.completed",
            {
                "type": "response.completed",
                "sequence_number": 1,
                "response": {"id": "resp_1", "status": "completed"},
            },
        ),
    ]
)


@pytest.mark.parametrize(
    "answer",
    [
        b'{"id": "resp_1", "object": "response", "status": "completed"}',
        b'{\n  "id": "resp_1",\n  "status": "completed"\n}',
        b'{"id":"resp_1","status":"completed","note":"caf\\u00e9"}',
        b'{\n  "id": "resp_1",\n  "status": "completed"\n}\n',  # kept as text: no style writes it
    ],
    ids=["spaced", "indented", "ascii-escaped", "trailing-newline"],
)
def test_a_poll_of_a_response_with_a_stream_keeps_its_recorded_bytes(
    raw_server: Any, tmp_path: Path, answer: bytes
) -> None:
    raw_server.respond("/v1/responses", STREAM)
    raw_server.respond("/v1/responses/resp_1", answer, headers=[("content-type", "application/json")])
    base = raw_server.base_url

    def session() -> bytes:
        with httpx.Client(base_url=base) as client:
            with client.stream("POST", "/v1/responses", json={"model": "m", "stream": True}) as stream:
                stream.read()
            return client.get("/v1/responses/resp_1").content

    cassette = tmp_path / "poll.yaml"
    with use_cassette(cassette, "once", checks=False):
        assert session() == answer
    raw_server.httpd.shutdown()
    raw_server.httpd.server_close()
    with use_cassette(cassette, "none", checks=False):
        assert session() == answer
