"""requests clients are recorded and replayed through its adapter: bodies, streams, drops."""

from __future__ import annotations

import json
import time
from pathlib import Path

import requests

from pytest_interactions.cassette import Disconnect, SecretPolicy, load_cassette
from pytest_interactions.emulator import Emulator, answer_for
from pytest_interactions.faults import FaultPlan
from pytest_interactions.session import use_cassette
from tests.conftest import RawServer

HEADERS = {"x-goog-api-key": "k"}
MODEL = "gemini-3.5-flash"


def create(api: str, text: str) -> str:
    answer = requests.post(
        f"{api}/v1beta/interactions",
        headers=HEADERS,
        json={"model": MODEL, "input": text, "background": True},
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json()["id"])


def read_lines(api: str, interaction_id: str) -> tuple[list[str], BaseException | None]:
    """The lines a client reads from a stream, and the error that ended it, if any."""
    lines: list[str] = []
    try:
        with requests.get(
            f"{api}/v1beta/interactions/{interaction_id}",
            params={"stream": "true"},
            headers=HEADERS,
            stream=True,
            timeout=10,
        ) as answer:
            lines.extend(line.decode() for line in answer.iter_lines())
    except requests.RequestException as exc:
        return lines, exc
    return lines, None


def finished(api: Emulator, text: str) -> str:
    interaction_id = create(api.base_url, text)
    while api.interaction(interaction_id)["status"] != "completed":
        time.sleep(0.01)
    return interaction_id


def test_a_session_through_requests_is_recorded_and_replayed(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    base = interactions_server.base_url
    cassette = tmp_path / "requests.yaml"

    def session() -> tuple[str, list[str], dict[str, object]]:
        interaction_id = create(base, "What is SSE?")
        lines, error = read_lines(base, interaction_id)
        assert error is None
        polled = requests.get(f"{base}/v1beta/interactions/{interaction_id}", headers=HEADERS, timeout=10)
        return interaction_id, lines, polled.json()

    with use_cassette(cassette, "once"):
        recorded = session()
    payloads = [json.loads(line[6:]) for line in recorded[1] if line.startswith("data: {")]
    text = "".join(p["delta"]["text"] for p in payloads if p["event_type"] == "step.delta")
    assert text == answer_for("What is SSE?")
    stream = load_cassette(cassette).exchanges[1].response
    assert stream is not None
    assert stream.events is not None  # event-level entries, not a blob
    interactions_server.stop()

    with use_cassette(cassette, "none") as replay:
        replayed = session()
    assert replayed == recorded
    assert len(replay.exchanges) == 3


def test_an_injected_drop_raises_what_requests_raises_on_a_real_drop(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    base = interactions_server.base_url
    interaction_id = finished(interactions_server, "drops")

    interactions_server.faults.drop_stream(3)
    real_lines, real_error = read_lines(base, interaction_id)  # a real socket drop
    assert isinstance(real_error, requests.exceptions.ChunkedEncodingError)

    cassette = tmp_path / "straight.yaml"
    with use_cassette(cassette, "once"):
        read_lines(base, interaction_id)
    interactions_server.stop()

    with use_cassette(cassette, "none", faults=FaultPlan().disconnect("after:3"), checks=False):
        injected_lines, injected_error = read_lines(base, interaction_id)
    assert type(injected_error) is type(real_error)
    assert str(injected_error) == str(real_error)
    assert injected_lines == real_lines


def test_a_drop_while_recording_is_replayed_as_the_same_error(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    base = interactions_server.base_url
    interaction_id = finished(interactions_server, "drops while recording")
    interactions_server.faults.drop_stream(2)
    cassette = tmp_path / "dropped.yaml"
    with use_cassette(cassette, "once"):
        recorded_lines, recorded_error = read_lines(base, interaction_id)
    assert isinstance(recorded_error, requests.exceptions.ChunkedEncodingError)
    events = load_cassette(cassette).exchanges[-1].response.events  # type: ignore[union-attr]
    assert events is not None
    assert isinstance(events[-1], Disconnect)
    interactions_server.stop()

    with use_cassette(cassette, "none"):
        lines, error = read_lines(base, interaction_id)
    assert lines == recorded_lines
    assert type(error) is type(recorded_error)
    assert str(error) == str(recorded_error)


def test_cookies_an_answer_sets_reach_the_session_in_replay(raw_server: RawServer, tmp_path: Path) -> None:
    raw_server.respond(
        "/login",
        b'{"ok": true}',
        headers=[("content-type", "application/json"), ("set-cookie", "session=abc123; Path=/")],
    )
    cassette = tmp_path / "cookies.yaml"
    # This cookie is no secret: keep it in the cassette (Set-Cookie is scrubbed by default).
    policy = SecretPolicy(headers=SecretPolicy().headers - {"set-cookie"})

    def log_in() -> dict[str, str]:
        with requests.Session() as http:
            http.get(f"{raw_server.base_url}/login", timeout=10).raise_for_status()
            return http.cookies.get_dict()

    with use_cassette(cassette, "once", secrets=policy):
        assert log_in() == {"session": "abc123"}
    raw_server.httpd.shutdown()
    raw_server.httpd.server_close()
    with use_cassette(cassette, "none", secrets=policy):
        assert log_in() == {"session": "abc123"}
