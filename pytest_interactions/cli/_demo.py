"""``pytest-interactions demo``: record a background session against the embedded emulator,
then replay it from the cassette with the emulator stopped.

The session: create, polls, a stream that the server drops and the client resumes with
``last_event_id``, a chained follow-up that is cancelled, and a delete, each step printed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from pytest_interactions import protocol
from pytest_interactions._errors import Error
from pytest_interactions.emulator import Emulator
from pytest_interactions.session import use_cassette

AGENT = "deep-research-pro-preview-12-2025"


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "demo",
        help="record a background session against the embedded emulator, then replay it",
        description="Start the emulator and record a background session through it (create, "
        "polls, a stream dropped by the server and resumed, a cancelled follow-up, a delete); "
        "then stop the emulator and replay the session from the cassette.",
        epilog="examples:\n"
        "  pytest-interactions demo\n"
        "  pytest-interactions demo --cassette demo.yaml --drop-after 3\n\n"
        "exit status:\n"
        "  0  the replay gave the client what the recording did\n"
        "  1  the session or its replay broke the protocol (the mistake is printed)\n"
        "  2  bad usage",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--cassette",
        type=Path,
        default=None,
        help="where to write the cassette (default: a temporary file, removed afterwards)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=50.0,
        help="how many times faster than real time the emulator runs (default 50)",
    )
    parser.add_argument(
        "--drop-after",
        type=int,
        default=6,
        help="events before the server drops the stream (default 6)",
    )
    parser.set_defaults(run=run)


class DemoFailure(Error, AssertionError):
    """The session did not behave as the protocol says it must."""


def run(args: argparse.Namespace) -> int:
    try:
        import httpx_sse  # noqa: F401  (the demo's client reads streams with it)
    except ImportError:
        print("FAILED: the demo needs httpx-sse: pip install 'pytest-interactions[demo]'")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        cassette = args.cassette or Path(tmp) / "demo.yaml"
        try:
            with Emulator(speed=args.speed) as emulator:
                base_url = emulator.base_url
                print(f"== recording against the emulator at {base_url} (speed x{args.speed:g})")

                def drop(interaction_id: str) -> None:
                    emulator.faults.drop_stream(args.drop_after, interaction_id=interaction_id)

                with use_cassette(cassette, "all") as recording:
                    recorded = drive_session(base_url, poll=5.0 / args.speed, drop=drop, say=print)
            print(f"== wrote {len(recording.exchanges)} exchanges to {cassette}; emulator stopped")
            print("== replaying from the cassette")
            with use_cassette(cassette, "none") as replay:
                replayed = drive_session(base_url, poll=5.0 / args.speed, drop=None, say=print)
        except DemoFailure as exc:
            print(f"FAILED: {exc}")
            return 1
        if replayed != recorded:
            print(f"FAILED: the replay differs from the recording:\n{recorded}\n{replayed}")
            return 1
        print(f"== replay answered {len(replay.exchanges)} requests from the cassette, same results")
    return 0


def drive_session(
    base_url: str,
    *,
    poll: float,
    drop: Callable[[str], None] | None,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """The scripted session; returns what it observed (ids, statuses, text).

    ``drop(interaction_id)`` asks the server to cut the next stream of that interaction (only
    while recording: a replay repeats the recorded disconnect).
    """
    from httpx_sse import connect_sse

    started = time.monotonic()

    def log(message: str) -> None:
        say(f"[{time.monotonic() - started:6.2f}s] {message}")

    def expect(condition: bool, message: str) -> None:
        if not condition:
            raise DemoFailure(message)

    headers = {"x-goog-api-key": "emulator-key"}
    with httpx.Client(base_url=base_url + "/v1beta", headers=headers, timeout=30) as http:
        created = http.post(
            "/interactions",
            json={"agent": AGENT, "input": "History of the transistor", "background": True},
        )
        created.raise_for_status()
        research = created.json()
        log(f"POST /interactions -> {created.status_code} {research['id']} status={research['status']}")
        statuses = [research["status"]]
        for _ in range(2):
            time.sleep(poll)
            current = http.get(f"/interactions/{research['id']}", params={"stream": "false"}).json()
            statuses.append(current["status"])
            log(f"GET  poll -> status={current['status']} steps={len(current['steps'])}")

        if drop is not None:
            drop(research["id"])
        seen: list[str] = []
        text: list[str] = []
        last_event_id: str | None = None
        connections = 0
        while True:
            params = {"stream": "true"}
            if last_event_id is not None:
                params["last_event_id"] = last_event_id
            connections += 1
            try:
                with connect_sse(http, "GET", f"/interactions/{research['id']}", params=params) as source:
                    for event in source.iter_sse():
                        if event.data == protocol.DONE_DATA:
                            break
                        payload = json.loads(event.data)
                        expect(
                            payload["event_id"] not in seen,
                            f"event {payload['event_id']} came twice",
                        )
                        seen.append(payload["event_id"])
                        last_event_id = payload["event_id"]
                        if (
                            payload["event_type"] == protocol.STEP_DELTA
                            and payload["delta"]["type"] == "text"
                        ):
                            text.append(payload["delta"]["text"])
                        if payload["event_type"] == protocol.INTERACTION_COMPLETED:
                            statuses.append(payload["interaction"]["status"])
                log(f"GET  stream #{connections} ended cleanly after {len(seen)} events in all")
                break
            except httpx.RemoteProtocolError as exc:
                log(f"GET  stream #{connections} dropped after event {last_event_id}: {exc}")
                expect(connections < 5, "too many reconnects")
                log(f"     resuming with last_event_id={last_event_id}")
        final = http.get(f"/interactions/{research['id']}", params={"stream": "false"}).json()
        expect(
            "".join(text) == protocol.output_text(final),
            "streamed text differs from the stored output",
        )
        expect(final["status"] == protocol.COMPLETED, f"expected completed, got {final['status']}")
        log(
            f"GET  final -> {final['status']}, {len(''.join(text))} characters of report, "
            f"{final['usage']['total_tokens']} tokens"
        )

        follow_up = http.post(
            "/interactions",
            json={
                "agent": AGENT,
                "input": "Go deeper on the early patents",
                "background": True,
                "previous_interaction_id": research["id"],
            },
        ).json()
        log(f"POST chained follow-up -> {follow_up['id']} status={follow_up['status']}")
        cancelled = http.post(f"/interactions/{follow_up['id']}/cancel").json()
        log(f"POST cancel -> status={cancelled['status']}")
        while True:
            current = http.get(f"/interactions/{follow_up['id']}", params={"stream": "false"}).json()
            log(f"GET  poll follow-up -> status={current['status']}")
            if protocol.is_terminal(current["status"]):
                break
            time.sleep(poll / 5)
        expect(current["status"] == protocol.CANCELLED, "the follow-up was not cancelled")

        deleted = http.delete(f"/interactions/{research['id']}")
        log(f"DELETE {research['id']} -> {deleted.status_code}")
        gone = http.get(f"/interactions/{research['id']}", params={"stream": "false"})
        log(f"GET  after delete -> {gone.status_code} {gone.json()['error']['status']}")
        expect(gone.status_code == 404, "a deleted interaction must answer 404")
        illegal = protocol.first_illegal_transition(statuses)
        expect(illegal is None, str(illegal))
    return {
        "research_id": research["id"],
        "statuses": statuses,
        "text": "".join(text),
        "connections": connections,
        "events": seen,
    }
