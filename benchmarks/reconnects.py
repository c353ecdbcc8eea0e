"""Opening a replay session stays linear in the number of recorded reconnects.

A cassette holds one interaction whose stream was read over N connections of 50 events each,
every connection resuming after the last event of the one before. The benchmark compiles the
histories a replay serves (``compile_histories``) for growing N; the time per reconnect must stay
flat (each doubling of N at most 3x the time), where a history that re-read every earlier event
per connection grew with N squared (2,000 reconnects: 53 s).

    python benchmarks/reconnects.py [--largest 2000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

from pytest_interactions.cassette import (
    Cassette,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from pytest_interactions.replay import compile_histories

PER_CONNECTION = 50
BASE = "http://127.0.0.1:9/v1beta/interactions/v1_reconnects?stream=true"


def reconnecting_session(reconnects: int) -> Cassette:
    """One interaction streamed over ``reconnects`` connections, each cut after 50 new events."""
    exchanges = []
    sent = 0
    for connection in range(reconnects):
        events: list[StreamEvent | Disconnect] = []
        resume = f"&last_event_id=evt_{sent:07d}" if connection else ""
        for i in range(PER_CONNECTION):
            sent += 1
            data = {"event_type": "content.delta", "event_id": f"evt_{sent:07d}", "delta": {"text": "x"}}
            events.append(StreamEvent(at=0.001 * i, event="content.delta", data=json.dumps(data)))
        events.append(Disconnect(at=0.06, error="RemoteProtocolError", message="peer closed connection"))
        response = RecordedResponse(200, [("content-type", "text/event-stream")], events=events)
        exchanges.append(Exchange(float(connection), RecordedRequest("GET", BASE + resume), response))
    return Cassette(exchanges)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--largest", type=int, default=2000)
    args = parser.parse_args()
    sizes = [args.largest // 8, args.largest // 4, args.largest // 2, args.largest]
    seconds = []
    for reconnects in sizes:
        cassette = reconnecting_session(reconnects)
        started = time.perf_counter()
        (history,) = compile_histories(cassette).values()
        seconds.append(time.perf_counter() - started)
        assert len(history.events) == reconnects * PER_CONNECTION
    growth = [later / earlier for earlier, later in itertools.pairwise(seconds)]
    for reconnects, took in zip(sizes, seconds, strict=True):
        print(f"{reconnects:>6} reconnects x {PER_CONNECTION} events: {took:8.3f} s")
    verdict = "linear" if max(growth) <= 3.0 else "NOT LINEAR"
    print(json.dumps({"reconnects": sizes, "seconds": [round(s, 3) for s in seconds], "growth": growth}))
    print(f"time per doubling x{max(growth):.2f} at most: {verdict}")


if __name__ == "__main__":
    main()
