"""One replay session answering the threads the code under test starts, all at once."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pytest_interactions.faults import FaultPlan
from pytest_interactions.session import use_cassette

TEXT = Path(__file__).parents[2] / "cassettes" / "reference" / "text.yaml"
BASE = "http://127.0.0.1:33483/v1beta/interactions"
RUN = "v1_y0cq65zt4wn6isigq8jtgev4"
THREADS = 8


@pytest.fixture(autouse=True)
def busy_switching() -> Iterator[None]:
    """Threads switch as often as the interpreter allows: races show at once."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def stream_ids(client: httpx.Client, after: str | None = None) -> list[str]:
    query = f"&last_event_id={after}" if after else ""
    with client.stream("GET", f"{BASE}/{RUN}?stream=true{query}") as answer:
        events = [json.loads(line[6:]) for line in answer.iter_lines() if line.startswith("data: {")]
        return [event["event_id"] for event in events]


def test_threads_sharing_one_replay_session_each_get_whole_consistent_answers(tmp_path: Path) -> None:
    cassette = tmp_path / "text.yaml"
    shutil.copyfile(TEXT, cassette)
    results: dict[int, tuple[list[str], list[str], str]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def client_thread(n: int) -> None:
        try:
            with httpx.Client() as client:
                start.wait()
                first = stream_ids(client)
                resumed = stream_ids(client, after="evt_000004")
                status = client.get(f"{BASE}/{RUN}?stream=false").json()["status"]
                results[n] = (first, resumed, status)
        except BaseException as exc:
            errors.append(exc)

    with use_cassette(cassette, "none", fallback=True, checks=False) as session:
        threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    whole = [f"evt_{n:06d}" for n in range(1, 11)]
    for first, resumed, status in results.values():
        assert first == whole
        assert resumed == whole[4:]
        assert status == "completed"
    connections = session.transcript.connections_of(RUN)
    assert len(connections) == 2 * THREADS
    assert sorted(len(c.received) for c in connections) == [6] * THREADS + [10] * THREADS
    assert len(session.transcript.requests) == 3 * THREADS
    assert session.problems() == []
    # Each exchange served pairs the request with its own answer, whichever thread asked.
    for exchange in session.exchanges:
        assert exchange.response is not None
        streamed = exchange.response.events is not None
        assert ("stream=true" in exchange.request.url) == streamed, exchange.request.url


def test_a_cut_planned_once_fires_once_whichever_thread_meets_it(tmp_path: Path) -> None:
    cassette = tmp_path / "text.yaml"
    shutil.copyfile(TEXT, cassette)
    cut: list[int] = []
    start = threading.Barrier(THREADS)

    def client_thread(n: int) -> None:
        with httpx.Client() as client:
            start.wait()
            try:
                stream_ids(client)
            except httpx.RemoteProtocolError:
                cut.append(n)

    plan = FaultPlan().disconnect("after:5")
    with use_cassette(cassette, "none", fallback=True, faults=plan, checks=False) as session:
        threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert len(cut) == 1
    assert session.unapplied_faults() == []
