"""The client code every tool replays: create an interaction, poll it, read its stream with httpx-sse."""

from __future__ import annotations

from typing import Any

import httpx
from httpx_sse import connect_sse

HEADERS = {"x-goog-api-key": "bench-key"}
CREATE = {"model": "gemini-3.5-flash", "input": "benchmark", "background": True}
STREAM_INPUT = "stream please"


def client(base_url: str, library: str = "httpx", transport: Any = None) -> Any:
    """An httpx or httpx2 client on the API's ``/v1beta`` root."""
    if library == "httpx2":
        import httpx2

        return httpx2.Client(base_url=base_url + "/v1beta", headers=HEADERS, transport=transport)
    return httpx.Client(base_url=base_url + "/v1beta", headers=HEADERS, transport=transport)


def create(http: Any, text: str = "benchmark") -> str:
    response = http.post("/interactions", json={**CREATE, "input": text})
    response.raise_for_status()
    return str(response.json()["id"])


def poll(http: Any, interaction_id: str) -> str:
    """One poll; the status it shows."""
    response = http.get(f"/interactions/{interaction_id}")
    response.raise_for_status()
    return str(response.json()["status"])


def read_stream(http: httpx.Client, interaction_id: str) -> int:
    """Read the interaction's stream to its end with httpx-sse; how many events arrived."""
    count = 0
    with connect_sse(http, "GET", f"/interactions/{interaction_id}", params={"stream": "true"}) as source:
        source.response.raise_for_status()
        for _event in source.iter_sse():
            count += 1
    return count
