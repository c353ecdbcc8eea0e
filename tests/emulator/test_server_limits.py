"""The emulator as a server: slow or idle clients are closed in bounded time, memory stays bounded,
odd requests (HEAD, deep JSON, other HTTP versions) get answers, and a full server refuses with 503."""

from __future__ import annotations

import asyncio
import json
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from pytest_interactions import protocol
from pytest_interactions.clock import VirtualClock, real_monotonic
from pytest_interactions.emulator import Emulator, ScenarioRequest, Script

MODEL = "gemini-3.5-flash"
KEY = {"x-goog-api-key": "test-key"}
GIVE_UP = 10.0
"""Socket timeout: a server that never closes fails the test instead of hanging it."""


@pytest.fixture
def strict() -> Iterator[Emulator]:
    """An emulator with short read and idle timeouts."""
    with Emulator(request_timeout=0.5, idle_timeout=0.5) as api:
        yield api


def read_all(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_a_slowloris_client_gets_408_and_is_closed(strict: Emulator) -> None:
    with socket.create_connection((strict.host, strict.port), timeout=GIVE_UP) as sock:
        sock.sendall(b"GET /v1beta/interactions/x HTTP/1.1\r\n")
        for _ in range(30):  # one header byte at a time, never finishing, until the server answers
            sock.sendall(b"X")
            if select.select([sock], [], [], 0.1)[0]:
                break
        answer = read_all(sock)
    assert status_of(answer) == 408
    assert b"connection: close" in answer.lower()
    assert b'"status":"DEADLINE_EXCEEDED"' in answer


def test_a_half_sent_body_gets_408_and_is_closed(strict: Emulator) -> None:
    with socket.create_connection((strict.host, strict.port), timeout=GIVE_UP) as sock:
        sock.sendall(b'POST /v1beta/interactions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"mo')
        answer = read_all(sock)
    assert status_of(answer) == 408
    assert strict.requests == []


def test_an_idle_connection_is_closed_without_an_answer(strict: Emulator) -> None:
    with socket.create_connection((strict.host, strict.port), timeout=GIVE_UP) as sock:
        assert read_all(sock) == b""


def test_a_kept_alive_connection_is_closed_once_idle(strict: Emulator) -> None:
    with socket.create_connection((strict.host, strict.port), timeout=GIVE_UP) as sock:
        sock.sendall(b"GET /v1beta/interactions/nope HTTP/1.1\r\nHost: x\r\nx-goog-api-key: k\r\n\r\n")
        answer = read_all(sock)
    assert answer.count(b"HTTP/1.1 404") == 1


def test_head_gets_the_headers_of_get_without_a_body(interactions_server: Emulator) -> None:
    base = interactions_server.base_url + "/v1beta"
    created = httpx.post(base + "/interactions", headers=KEY, json={"model": MODEL, "input": "hi"}).json()
    got = httpx.get(f"{base}/interactions/{created['id']}", headers=KEY)
    head = httpx.head(f"{base}/interactions/{created['id']}", headers=KEY)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    missing = httpx.head(f"{base}/interactions/v1_nope", headers=KEY)
    assert missing.status_code == 404
    assert missing.content == b""
    streamed = httpx.head(f"{base}/interactions/{created['id']}", params={"stream": "true"}, headers=KEY)
    assert streamed.status_code == 200
    assert streamed.headers["content-type"].startswith("text/event-stream")
    # The connection is still usable: HEAD answers left nothing half-written.
    assert httpx.get(f"{base}/interactions/{created['id']}", headers=KEY).status_code == 200


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_400_not_500(interactions_server: Emulator, depth: int) -> None:
    body = b'{"model": "m", "input": ' + b"[" * depth + b"]" * depth + b"}"
    answer = httpx.post(
        interactions_server.url("/v1beta/interactions"),
        headers={**KEY, "content-type": "application/json"},
        content=body,
    )
    assert answer.status_code == 400
    assert "nested too deeply" in answer.json()["error"]["message"]


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/0.9", b"HTTP/1.2", b"HTTP/3"])
def test_a_request_line_of_another_http_version_gets_505(
    interactions_server: Emulator, version: bytes
) -> None:
    with socket.create_connection(
        (interactions_server.host, interactions_server.port), timeout=GIVE_UP
    ) as sock:
        sock.sendall(b"GET /v1beta/interactions/x " + version + b"\r\nHost: x\r\n\r\n")
        answer = read_all(sock)
    assert status_of(answer) == 505
    assert b"HTTP/1.0 and 1.1" in answer


def test_rejected_large_bodies_are_not_kept(interactions_server: Emulator) -> None:
    big = b'{"model": "m", "input": 1, "padding": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    with httpx.Client(headers={**KEY, "content-type": "application/json"}, timeout=30) as http:
        for _ in range(10):
            answer = http.post(interactions_server.url("/v1beta/interactions"), content=big)
            assert answer.status_code == 400
    kept = sum(len(request.body) for request in interactions_server.requests)
    assert len(interactions_server.requests) == 10
    assert kept <= 10 * 64 * 1024


def test_past_max_connections_every_client_gets_503_never_a_reset() -> None:
    with Emulator(max_connections=4, idle_timeout=30) as api:
        held = [socket.create_connection((api.host, api.port), timeout=GIVE_UP) for _ in range(4)]
        try:
            for sock in held:  # each is being served once it answered a request (kept alive)
                sock.sendall(
                    b"GET /v1beta/interactions/nope HTTP/1.1\r\nHost: x\r\nx-goog-api-key: k\r\n\r\n"
                )
                assert sock.recv(12) == b"HTTP/1.1 404"
            body = b"x" * (1024 * 1024)  # unread bytes at close would make the kernel send a reset
            request = (
                b"POST /v1beta/interactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            answers = []
            for _ in range(20):
                with socket.create_connection((api.host, api.port), timeout=GIVE_UP) as sock:
                    sock.sendall(request)  # the server reads (and drops) the body it does not want
                    answers.append(read_all(sock))
        finally:
            for sock in held:
                sock.close()
    assert [status_of(answer) for answer in answers] == [503] * 20
    assert all(b"serves at most 4 connections" in answer for answer in answers)


def test_a_burst_past_max_connections_gets_exactly_that_many_served() -> None:
    """A limit of 10 and 20 connections at once: 10 answers and 10 refusals, never more refused."""
    with Emulator(max_connections=10, idle_timeout=30) as api:
        sockets = [socket.create_connection((api.host, api.port), timeout=GIVE_UP) for _ in range(20)]
        try:
            for sock in sockets:  # all connected before any sends: one burst
                sock.sendall(
                    b"GET /v1beta/interactions/nope HTTP/1.1\r\nHost: x\r\nx-goog-api-key: k\r\n\r\n"
                )
            statuses = sorted(status_of(sock.recv(65536)) for sock in sockets)
        finally:
            for sock in sockets:
                sock.close()
    assert statuses == [404] * 10 + [503] * 10


CLIENTS = 200


async def test_two_hundred_clients_each_get_their_whole_stream() -> None:
    with Emulator(speed=200) as api:
        limits = httpx.Limits(max_connections=CLIENTS + 10)
        async with httpx.AsyncClient(
            base_url=api.base_url + "/v1beta", headers=KEY, timeout=60, limits=limits
        ) as client:

            async def one(n: int) -> list[str]:
                body = {"model": MODEL, "input": f"client {n}", "stream": True}
                kinds = []
                async with client.stream("POST", "/interactions", json=body) as response:
                    assert response.status_code == 200
                    async for line in response.aiter_lines():
                        if line.startswith("data: ") and line != f"data: {protocol.DONE_DATA}":
                            kinds.append(json.loads(line[6:])["event_type"])
                return kinds

            results = await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(CLIENTS))), 150)
    assert all(kinds[0] == protocol.INTERACTION_CREATED for kinds in results)
    assert all(kinds[-1] == protocol.INTERACTION_COMPLETED for kinds in results)
    events = sum(len(kinds) for kinds in results)
    assert events > CLIENTS * 3


def test_an_emulator_keeps_real_time_while_a_test_runs_on_virtual_time() -> None:
    request = b"GET /v1beta/interactions/nope HTTP/1.1\r\nHost: x\r\nx-goog-api-key: k\r\n\r\n"
    with Emulator(idle_timeout=30) as api:
        held = socket.create_connection((api.host, api.port), timeout=GIVE_UP)  # waits on its idle timer
        try:
            with VirtualClock() as clock:
                # A request wakes the emulator's loop while the test's clock is virtual.
                with socket.create_connection((api.host, api.port), timeout=GIVE_UP) as other:
                    other.sendall(request.replace(b"Host: x", b"Host: x\r\nConnection: close"))
                    assert status_of(read_all(other)) == 404
                deadline = real_monotonic() + 0.5
                while real_monotonic() < deadline:
                    pass  # real time passes; nothing in this test sleeps
                assert clock.now() < 1  # the emulator's timers did not move the test's clock
            held.sendall(request.replace(b"Host: x", b"Host: x\r\nConnection: close"))
            assert status_of(read_all(held)) == 404  # still open: no idle timeout fired
        finally:
            held.close()


def test_a_client_that_stops_reading_a_stream_is_dropped() -> None:
    def flood(request: ScenarioRequest) -> Script:
        script = Script(pace=0.0)
        script.text(" ".join(["word" * 25] * 200_000), words_per_delta=2_000, gap=0.0)  # about 20 MB
        return script.finish(gap=0.0)

    with Emulator(speed=1000, write_timeout=0.5) as api:
        api.scenarios.register("flood", flood, when=lambda request: True)
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(GIVE_UP)
            sock.connect((api.host, api.port))
            body = json.dumps({"model": MODEL, "input": "flood", "stream": True}).encode()
            sock.sendall(
                b"POST /v1beta/interactions HTTP/1.1\r\nHost: x\r\nx-goog-api-key: k\r\n"
                + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            assert sock.recv(12) == b"HTTP/1.1 200"  # then it reads no more
            deadline = real_monotonic() + GIVE_UP
            while api.open_streams == 0 and real_monotonic() < deadline:
                time.sleep(0.01)
            assert api.open_streams == 1
            while api.open_streams and real_monotonic() < deadline:
                time.sleep(0.05)
            assert api.open_streams == 0, "the stream to a client that reads nothing was never dropped"
