"""Interception is per context: a session sees its own requests only, and leaves nothing behind.

httpx and httpx2 transports are patched while any session is active; each request is routed by a
context variable to the session of the test, thread or asyncio task that made it, or goes to the
network untouched when there is none. Replay refuses sockets to anything but loopback.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest

from pytest_interactions.cassette import Cassette, load_cassette, save_cassette
from pytest_interactions.emulator import Emulator, answer_for
from pytest_interactions.session import use_cassette
from pytest_interactions.transport import NetworkBlockedError, blocked_attempts, is_installed

MODEL = "gemini-3.5-flash"
KEY = {"x-goog-api-key": "test-key"}
TEST_NET = ("203.0.113.1", 80)  # TEST-NET-3: documentation only, never routed


def answer_of(datas: list[str]) -> str:
    """The text streamed in ``step.delta`` events (``data: ...`` lines)."""
    payloads = [json.loads(line.removeprefix("data: ")) for line in datas if line != "data: [DONE]"]
    return "".join(p["delta"]["text"] for p in payloads if p["event_type"] == "step.delta")


def inputs_in(cassette: Path) -> list[str]:
    """The ``input`` of each create request the cassette recorded."""
    return [
        e.request.body.value["input"]
        for e in load_cassette(cassette).exchanges
        if e.request.method == "POST" and e.request.body is not None
    ]


# -- asyncio tasks --------------------------------------------------------------------------------


async def converse(
    http: httpx.AsyncClient, text: str, both_inside: list[asyncio.Event], me: int
) -> list[str]:
    """Create an interaction and read its stream, while the other task does the same."""
    both_inside[me].set()
    await asyncio.gather(*(event.wait() for event in both_inside))  # both sessions are active now
    created = await http.post("/interactions", json={"model": MODEL, "input": text, "background": True})
    interaction_id = created.json()["id"]
    datas = []
    async with http.stream("GET", f"/interactions/{interaction_id}", params={"stream": "true"}) as stream:
        async for line in stream.aiter_lines():
            if line.startswith("data: "):
                datas.append(line)
                await asyncio.sleep(0)  # let the other task's stream interleave with this one
    return datas


async def in_session(cassette: Path, mode: str, http: httpx.AsyncClient, text: str, *sync: Any) -> list[str]:
    with use_cassette(cassette, mode) as session:
        seen = await converse(http, text, *sync)
    assert len(session.exchanges) == 2
    return seen


async def test_two_tasks_with_two_cassettes_do_not_mix(interactions_server: Emulator, tmp_path: Path) -> None:
    alpha, beta = tmp_path / "alpha.yaml", tmp_path / "beta.yaml"
    base_url = interactions_server.base_url + "/v1beta"

    async def both(mode: str) -> tuple[list[str], list[str]]:
        # One client, shared by both tasks: the session is the task's, not the client's.
        async with httpx.AsyncClient(base_url=base_url, headers=KEY, timeout=10) as http:
            sync = [asyncio.Event(), asyncio.Event()]
            a, b = await asyncio.gather(
                in_session(alpha, mode, http, "alpha question", sync, 0),
                in_session(beta, mode, http, "beta question", sync, 1),
            )
        return a, b

    recorded = await both("once")
    assert inputs_in(alpha) == ["alpha question"]
    assert inputs_in(beta) == ["beta question"]
    assert "alpha question" not in beta.read_text()
    assert "beta question" not in alpha.read_text()

    interactions_server.stop()
    replayed = await both("none")
    assert replayed == recorded
    assert answer_of(replayed[0]) == answer_for("alpha question")
    assert answer_of(replayed[1]) == answer_for("beta question")


# -- patches come and go --------------------------------------------------------------------------

PATCHED = [
    (httpx.HTTPTransport, "handle_request"),
    (httpx.AsyncHTTPTransport, "handle_async_request"),
    (httpx2.HTTPTransport, "handle_request"),
    (httpx2.AsyncHTTPTransport, "handle_async_request"),
]


def test_nothing_stays_patched_after_a_session_ends(interactions_server: Emulator, tmp_path: Path) -> None:
    originals = [cls.__dict__[name] for cls, name in PATCHED]
    connect = socket.socket.connect
    cassette = tmp_path / "patched.yaml"
    assert not is_installed()

    with httpx.Client(base_url=interactions_server.base_url + "/v1beta", headers=KEY) as http:
        with use_cassette(cassette, "once"):
            assert is_installed()
            assert [cls.__dict__[name] for cls, name in PATCHED] != originals
            http.post("/interactions", json={"model": MODEL, "input": "hi"})
        assert [cls.__dict__[name] for cls, name in PATCHED] == originals
        assert not is_installed()

        with use_cassette(cassette, "none"):
            assert socket.socket.connect is not connect  # replay guards the network
            http.post("/interactions", json={"model": MODEL, "input": "hi"})

        with pytest.raises(ZeroDivisionError), use_cassette(cassette, "none"):
            1 / 0  # noqa: B018  (a test that fails inside its session)

    assert [cls.__dict__[name] for cls, name in PATCHED] == originals
    assert httpx.HTTPTransport.handle_request is originals[0]
    assert socket.socket.connect is connect
    assert not is_installed()


def test_requests_outside_a_session_go_to_the_network_untouched(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "mine.yaml"
    base_url = interactions_server.base_url + "/v1beta"
    answers: list[httpx.Response] = []

    def elsewhere() -> None:
        """Another thread, not started by the code under test: it has no session."""
        with httpx.Client(base_url=base_url, headers=KEY) as other:
            answers.append(other.post("/interactions", json={"model": MODEL, "input": "not mine"}))

    with httpx.Client(base_url=base_url, headers=KEY) as http, use_cassette(cassette, "once"):
        http.post("/interactions", json={"model": MODEL, "input": "mine"})
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    with httpx.Client(base_url=base_url, headers=KEY) as http:
        after = http.post("/interactions", json={"model": MODEL, "input": "after the session"})

    assert inputs_in(cassette) == ["mine"]
    seen_by_server = [json.loads(request.body)["input"] for request in interactions_server.requests]
    assert seen_by_server == ["mine", "not mine", "after the session"]
    for response in (answers[0], after):
        assert response.status_code == 200
        assert "pytest_interactions" not in type(response.stream).__module__  # the library's own stream


def test_threads_started_inside_a_session_use_it(interactions_server: Emulator, tmp_path: Path) -> None:
    cassette = tmp_path / "threads.yaml"
    base_url = interactions_server.base_url + "/v1beta"

    def worker(results: list[str]) -> None:
        """Code under test that does its HTTP in a thread of its own."""
        with httpx2.Client(base_url=base_url, headers=KEY) as http:
            answer = http.post("/interactions", json={"model": MODEL, "input": "from a worker thread"})
            results.append(answer.json()["steps"][0]["content"][0]["text"])

    def run_worker() -> list[str]:
        results: list[str] = []
        thread = threading.Thread(target=worker, args=(results,))
        thread.start()
        thread.join()
        return results

    with use_cassette(cassette, "once", fallback=True) as recording:
        live = run_worker()
    assert inputs_in(cassette) == ["from a worker thread"]
    assert len(recording.exchanges) == 1

    interactions_server.stop()
    with use_cassette(cassette, "none", fallback=True) as replay:
        replayed = run_worker()
    assert replayed == live
    assert len(replay.exchanges) == 1


# -- the network in replay ---------------------------------------------------------------------


def test_replay_refuses_sockets_to_the_network_but_not_to_loopback(
    interactions_server: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = tmp_path / "empty.yaml"
    save_cassette(cassette, Cassette())
    reached: list[Any] = []
    real_connect = socket.socket.connect

    def spy(self: socket.socket, address: Any) -> None:
        reached.append(address)
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)  # what would actually be dialled
    swallowed = pytest.raises(NetworkBlockedError, match=r"203\.0\.113\.1:80")  # the session fails on it too
    with swallowed, use_cassette(cassette, "none"):
        started = time.monotonic()
        refused = r"blocked a connection to 203\.0\.113\.1:80 during replay"
        with pytest.raises(NetworkBlockedError, match=refused):
            socket.create_connection(TEST_NET, timeout=2)
        assert time.monotonic() - started < 1  # refused at once, not after a connect timeout
        assert len(blocked_attempts()) == 1

        with socket.create_connection((interactions_server.host, interactions_server.port), timeout=2):
            pass
        with socket.create_connection(("localhost", interactions_server.port), timeout=2):
            pass

    assert TEST_NET not in reached  # never left the machine
    assert any(address[1] == interactions_server.port for address in reached)
    assert socket.socket.connect is spy  # restored to what it was before the session
    assert issubclass(NetworkBlockedError, ConnectionRefusedError)  # what clients expect of a refusal
