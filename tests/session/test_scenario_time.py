"""Recording on an emulator's scenario clock, outside pytest: ``record_on_emulator``.

The client runs on the emulator's clock: sleeps move it, a client blocked on a stream makes it jump
to the next event, an event loop jumps to its own timer or the emulator's next event, whichever
comes first. What is recorded carries scenario times and the emulator's stable address.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pytest_interactions.cassette import StreamEvent, load_cassette
from pytest_interactions.emulator import Emulator, ScenarioRequest, Script
from pytest_interactions.session import EMULATOR_BASE_URL, Session, record_on_emulator, use_cassette

START = {"model": "gemini-3.5-flash", "input": "A slow question", "background": True}
KEY = {"x-goog-api-key": "k"}


def _slow(request: ScenarioRequest) -> Script:
    """Three beats: at once, after 30 s, after 90 s."""
    script = Script(pace=0.0)
    for text, gap in (("a", 0.0), ("b", 30.0)):
        summary = {"type": "thought_summary", "content": {"type": "text", "text": text}}
        script.step({"type": "thought"}, [summary], gap=gap)
    script.text("The answer.", gap=60.0)
    return script.finish()


@pytest.fixture
def api() -> Iterator[Emulator]:
    with Emulator(manual=True) as emulator:
        emulator.scenarios.register("slow", _slow, when=lambda request: True)
        yield emulator


@contextlib.contextmanager
def _recording(path: Path, api: Emulator) -> Iterator[Session]:
    with use_cassette(path, "all") as session:
        scenario_time = record_on_emulator(session, api)
        assert scenario_time is not None
        try:
            yield session
        finally:
            scenario_time.stop()


def _event_times(path: Path) -> list[float]:
    times = []
    for exchange in load_cassette(path).exchanges:
        events = exchange.response.events if exchange.response is not None else None
        times += [exchange.at + e.at for e in events or [] if isinstance(e, StreamEvent) and e.event]
    return times


def test_a_sleep_moves_the_emulator_and_is_recorded_as_scenario_time(tmp_path: Path, api: Emulator) -> None:
    path = tmp_path / "poll.yaml"
    with (
        _recording(path, api) as session,
        httpx.Client(base_url=api.base_url + "/v1beta", headers=KEY) as http,
    ):
        created = http.post("/interactions", json=START).raise_for_status().json()
        time.sleep(7)
        assert api.clock.now() == 7.0
        assert session.now() == 7.0
        assert datetime.now(UTC) == api.clock.epoch + timedelta(seconds=7)
        http.get(f"/interactions/{created['id']}").raise_for_status()
    cassette = load_cassette(path)
    assert [e.at for e in cassette.exchanges] == [0.0, 7.0]
    assert all(e.request.url.startswith(EMULATOR_BASE_URL + "/v1beta/") for e in cassette.exchanges)
    assert cassette.meta["started_at"] == "2026-05-20T12:00:00+00:00"
    assert cassette.meta["base_url"] == EMULATOR_BASE_URL


def _poll_without_pause(path: Path, api: Emulator, *, asynchronous: bool) -> list[str]:
    """The guide's poll loop without its sleep: GET again the moment an answer comes."""

    async def apoll() -> list[str]:
        async with httpx.AsyncClient(base_url=api.base_url + "/v1beta", headers=KEY) as http:
            created = (await http.post("/interactions", json=START)).raise_for_status().json()
            statuses = [created["status"]]
            while statuses[-1] == "in_progress":
                statuses.append((await http.get(f"/interactions/{created['id']}")).json()["status"])
            return statuses

    with _recording(path, api):
        if asynchronous:
            return asyncio.run(apoll())
        with httpx.Client(base_url=api.base_url + "/v1beta", headers=KEY) as http:
            created = http.post("/interactions", json=START).raise_for_status().json()
            statuses = [created["status"]]
            while statuses[-1] == "in_progress":
                statuses.append(http.get(f"/interactions/{created['id']}").json()["status"])
            return statuses


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_poll_repeated_without_pause_moves_time_to_the_next_event(
    tmp_path: Path, api: Emulator, asynchronous: bool
) -> None:
    """No sleep between polls: each repeat waits for scenario time as a sleep would, so the run
    ends after a poll per event, at the scenario's own moments, and a re-recording is identical."""
    statuses = _poll_without_pause(tmp_path / "busy.yaml", api, asynchronous=asynchronous)
    assert statuses[-1] == "completed"
    cassette = load_cassette(tmp_path / "busy.yaml")
    polls = [e.at for e in cassette.exchanges if e.request.method == "GET"]
    assert polls[0] == 0.0  # the first poll goes out at once
    assert polls[-1] == 90.0  # the last one finds the answer, at its moment
    assert len(polls) <= 5  # one per event still to come, not thousands
    with Emulator(manual=True) as again:
        again.scenarios.register("slow", _slow, when=lambda request: True)
        _poll_without_pause(tmp_path / "again.yaml", again, asynchronous=asynchronous)
    assert (tmp_path / "again.yaml").read_bytes() == (tmp_path / "busy.yaml").read_bytes()


def test_a_client_blocked_on_a_stream_jumps_to_each_next_event(tmp_path: Path, api: Emulator) -> None:
    path = tmp_path / "stream.yaml"
    with _recording(path, api):
        with (
            httpx.Client(base_url=api.base_url + "/v1beta", headers=KEY) as http,
            http.stream("POST", "/interactions", json={**START, "stream": True}) as response,
        ):
            kinds = [line for line in response.iter_lines() if line.startswith("event:")]
        assert "event: interaction.completed" in kinds
        assert api.clock.now() == 90.0
    times = _event_times(path)
    assert times[0] == 0.0
    assert 30.0 in times
    assert times[-1] == 90.0
    assert times == sorted(times)


def test_an_event_loop_jumps_to_its_timer_or_the_next_event_whichever_is_first(
    tmp_path: Path, api: Emulator
) -> None:
    path = tmp_path / "both.yaml"
    woke: list[float] = []

    async def read_stream(http: httpx.AsyncClient) -> list[str]:
        async with http.stream("POST", "/interactions", json={**START, "stream": True}) as response:
            return [line async for line in response.aiter_lines() if line.startswith("event:")]

    async def sleep_then_note(seconds: float) -> None:
        await asyncio.sleep(seconds)
        woke.append(api.clock.now())

    async def main() -> list[str]:
        timeout = httpx.Timeout(5.0, read=None)  # events come a minute apart
        async with httpx.AsyncClient(base_url=api.base_url + "/v1beta", headers=KEY, timeout=timeout) as http:
            kinds, _ = await asyncio.gather(read_stream(http), sleep_then_note(45.0))
        return kinds

    with _recording(path, api):
        kinds = asyncio.run(main())
    assert "event: interaction.completed" in kinds
    assert woke == [45.0]  # between the events at 30 s and 90 s, which came on time all the same
    times = _event_times(path)
    assert 30.0 in times
    assert times[-1] == 90.0


def test_a_connection_nobody_reads_slows_recording_down_but_never_hangs_it(
    tmp_path: Path, api: Emulator
) -> None:
    """Bytes written to a client the recorder does not see are never counted as read: after a
    second without progress, time moves on anyway."""
    path = tmp_path / "unseen.yaml"
    with socket.create_connection((api.host, api.port)) as unseen:
        body = b'{"model": "m", "input": "q", "stream": true}'
        head = (
            "POST /v1beta/interactions HTTP/1.1\r\nhost: x\r\nx-goog-api-key: k\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        )
        unseen.sendall(head.encode() + body)
        with (
            _recording(path, api),
            httpx.Client(base_url=api.base_url + "/v1beta", headers=KEY) as http,
            http.stream("POST", "/interactions", json={**START, "stream": True}) as response,
        ):
            kinds = [line for line in response.iter_lines() if line.startswith("event:")]
    assert "event: interaction.completed" in kinds
    assert _event_times(path)[-1] == 90.0


def test_an_emulator_on_real_time_records_without_scenario_time(tmp_path: Path) -> None:
    with Emulator(speed=100) as api, use_cassette(tmp_path / "real.yaml", "all") as session:
        assert record_on_emulator(session, api) is None
        with httpx.Client(base_url=api.base_url + "/v1beta", headers=KEY) as http:
            http.post("/interactions", json=START).raise_for_status()
    (exchange,) = load_cassette(tmp_path / "real.yaml").exchanges
    assert exchange.request.url == EMULATOR_BASE_URL + "/v1beta/interactions"


def test_a_client_the_recorder_does_not_see_still_gets_every_event(tmp_path: Path, api: Emulator) -> None:
    """A stream read over a raw socket moves nothing the recorder counts: after a second without
    progress, time moves on to the next event all the same."""
    body = b'{"model": "m", "input": "q", "stream": true}'
    head = (
        "POST /v1beta/interactions HTTP/1.1\r\nhost: x\r\nx-goog-api-key: k\r\nconnection: close\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    received = b""
    with _recording(tmp_path / "unseen.yaml", api), socket.create_connection((api.host, api.port)) as raw:
        raw.settimeout(30)
        raw.sendall(head.encode() + body)
        while chunk := raw.recv(65536):
            received += chunk
    assert b"event: interaction.completed" in received
    assert api.clock.now() == 90.0


def test_moving_the_emulator_by_hand_moves_the_client_with_it(tmp_path: Path, api: Emulator) -> None:
    with _recording(tmp_path / "steps.yaml", api) as session:
        api.advance(30)
        assert session.now() == 30.0
        assert datetime.now(UTC) == api.clock.epoch + timedelta(seconds=30)
        time.sleep(5)
        assert api.clock.now() == 35.0
        with httpx.Client(base_url=api.base_url + "/v1beta", headers=KEY) as http:
            http.post("/interactions", json=START).raise_for_status()
            assert api.step()  # to the run's next event, 30 s on
            assert session.now() == 65.0
    (exchange,) = load_cassette(tmp_path / "steps.yaml").exchanges
    assert exchange.at == 35.0
