"""Injected faults look exactly like real ones: same exception class and message as a real drop."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest

from pytest_interactions.emulator import Emulator
from pytest_interactions.faults import FaultPlan
from pytest_interactions.replay import StallWithoutTimeoutError
from pytest_interactions.session import FaultNotAppliedError, use_cassette

LIBRARIES = {"httpx": httpx, "httpx2": httpx2}
HEADERS = {"x-goog-api-key": "k"}


def read_stream(
    module: object, base: str, interaction_id: str, *, read: float | None = 5.0
) -> tuple[list[str], BaseException | None]:
    """The lines a client reads from a stream (``read``: its read timeout, ``None`` for none),
    and the error that ended it, if any."""
    lines: list[str] = []
    timeout = module.Timeout(5.0, read=read)  # type: ignore[attr-defined]
    client = module.Client(base_url=base, headers=HEADERS, timeout=timeout)  # type: ignore[attr-defined]
    try:
        with client.stream("GET", f"/v1beta/interactions/{interaction_id}", params={"stream": "true"}) as r:
            for line in r.iter_lines():
                lines.append(line)
    except Exception as exc:
        return lines, exc
    finally:
        client.close()
    return lines, None


def finished_interaction(api: Emulator) -> str:
    created = httpx.post(
        api.url("/v1beta/interactions"),
        headers=HEADERS,
        json={"model": "gemini-3.5-flash", "input": "drops", "background": True},
    ).json()
    while api.interaction(created["id"])["status"] != "completed":
        time.sleep(0.01)
    return str(created["id"])


def record_straight(
    api: Emulator, module: object, interaction_id: str, tmp_path: Path
) -> tuple[Path, list[str]]:
    """Record one undisturbed read of the stream, then stop the server: replay has only the cassette."""
    cassette = tmp_path / "straight.yaml"
    with use_cassette(cassette, "once"):
        lines, _ = read_stream(module, api.base_url, interaction_id)
    api.stop()
    return cassette, lines


@pytest.mark.parametrize("library", LIBRARIES)
def test_an_injected_drop_raises_what_a_real_drop_raises(
    library: str, interactions_server: Emulator, tmp_path: Path
) -> None:
    module = LIBRARIES[library]
    interaction_id = finished_interaction(interactions_server)
    base = interactions_server.base_url

    interactions_server.faults.drop_stream(3)
    real_lines, real_error = read_stream(module, base, interaction_id)  # a real socket drop
    assert real_error is not None

    cassette, _ = record_straight(interactions_server, module, interaction_id, tmp_path)

    plan = FaultPlan().disconnect("after:3")
    with use_cassette(cassette, "none", faults=plan, checks=False):
        injected_lines, injected_error = read_stream(module, base, interaction_id)

    assert type(injected_error) is type(real_error)
    assert type(injected_error).__module__.split(".")[0] == library
    assert str(injected_error) == str(real_error)
    assert injected_lines == real_lines  # cut at the same point: after the third event


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_refused_reconnect_raises_the_libraries_connect_error(
    library: str, interactions_server: Emulator, tmp_path: Path
) -> None:
    module = LIBRARIES[library]
    interaction_id = finished_interaction(interactions_server)
    base = interactions_server.base_url
    cassette, _ = record_straight(interactions_server, module, interaction_id, tmp_path)

    plan = FaultPlan().disconnect("after:2").refuse_reconnects(1)
    with use_cassette(cassette, "none", faults=plan, checks=False):
        _, first = read_stream(module, base, interaction_id)
        _, second = read_stream(module, base, interaction_id)
        _, third = read_stream(module, base, interaction_id)
    assert type(first).__name__ == "RemoteProtocolError"
    assert isinstance(second, module.ConnectError)  # type: ignore[attr-defined]
    assert third is None


def test_a_fault_that_never_happens_fails_the_replay(interactions_server: Emulator, tmp_path: Path) -> None:
    interaction_id = finished_interaction(interactions_server)
    base = interactions_server.base_url
    cassette, _ = record_straight(interactions_server, httpx, interaction_id, tmp_path)

    cannot_cut = pytest.raises(
        FaultNotAppliedError, match=r"disconnect='after:99' cannot apply: the longest recorded stream has 9"
    )
    with cannot_cut, use_cassette(cassette, "none", faults=FaultPlan().disconnect("after:99")):
        read_stream(httpx, base, interaction_id)
    cannot_turn = pytest.raises(FaultNotAppliedError, match=r"inject='failure:40' cannot apply")
    with cannot_turn, use_cassette(cassette, "none", faults=FaultPlan().inject("failure", after_events=40)):
        read_stream(httpx, base, interaction_id)
    never_cut = pytest.raises(
        FaultNotAppliedError, match=r"disconnect=after:5 never cut a stream: the client opened no stream"
    )
    with never_cut, use_cassette(cassette, "none", faults=FaultPlan().disconnect("after:5")):
        pass


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_stall_fires_the_clients_read_timeout_on_virtual_time(
    library: str, interactions_server: Emulator, tmp_path: Path
) -> None:
    module = LIBRARIES[library]
    interaction_id = finished_interaction(interactions_server)
    base = interactions_server.base_url

    interactions_server.faults.stall_stream(3.0, after_events=3)
    # A real stall: the read timeout leaves a loaded machine time to send the first three events.
    real_lines, real_error = read_stream(module, base, interaction_id, read=1.0)
    assert real_error is not None

    cassette, _ = record_straight(interactions_server, module, interaction_id, tmp_path)

    started = time.monotonic()
    with use_cassette(cassette, "none", faults=FaultPlan().disconnect("stall:3"), checks=False) as session:
        before = session.now()
        lines, error = read_stream(module, base, interaction_id, read=30.0)
        waited = session.now() - before
    assert time.monotonic() - started < 5  # thirty seconds of read timeout, on virtual time
    assert type(error) is type(real_error)
    assert type(error).__module__.split(".")[0] == library
    assert str(error) == str(real_error)
    assert lines == real_lines
    assert waited >= 30.0
    assert session.transcript.connections[0].cut is not None
    assert "read timeout after 30s" in session.transcript.connections[0].cut


def test_a_stall_without_a_read_timeout_fails_the_replay(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    """Against a real server such a client would wait forever; replay says so instead of hanging."""
    interaction_id = finished_interaction(interactions_server)
    base = interactions_server.base_url
    cassette, _ = record_straight(interactions_server, httpx, interaction_id, tmp_path)

    forever = pytest.raises(
        StallWithoutTimeoutError, match=r"stalled after evt_000002 \(stall:2\).*no read timeout"
    )
    with forever, use_cassette(cassette, "none", faults=FaultPlan().disconnect("stall:2"), checks=False):
        _, error = read_stream(httpx, base, interaction_id, read=None)
        assert isinstance(error, httpx.ReadTimeout)


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_clean_early_end_is_an_ordinary_end_of_body(
    library: str, interactions_server: Emulator, raw_server: Any, tmp_path: Path
) -> None:
    """A proxy closing an idle stream ends the body properly: no exception, just fewer events."""
    module = LIBRARIES[library]
    interaction_id = finished_interaction(interactions_server)
    base = interactions_server.base_url
    cassette, full = record_straight(interactions_server, module, interaction_id, tmp_path)

    events = [block for block in "\n".join(full).split("\n\n") if block][:3]
    raw_server.respond(f"/v1beta/interactions/{interaction_id}", ("\n\n".join(events) + "\n\n").encode())
    real_lines, real_error = read_stream(module, raw_server.base_url, interaction_id)
    assert real_error is None

    plan = FaultPlan().disconnect("end:3")
    with use_cassette(cassette, "none", faults=plan, checks=False) as session:
        lines, error = read_stream(module, base, interaction_id)
    assert error is None
    assert lines == real_lines
    assert session.transcript.connections[0].cut == "ended cleanly after evt_000003 (end:3)"
    assert not session.transcript.connections[0].reached_end
