"""A 10-minute recorded polling session replays in under a second.

The session: create a background interaction whose run lasts ten minutes of scenario time, then
poll it every 5 s (``time.sleep(5)`` between GETs, with httpx) until it completes: 120 polls.

Recording it does not take ten minutes either: the emulator runs in manual mode, the recording
session times exchanges on the emulator's scenario clock (``recording_clock=``), and while
recording the poll loop's "sleep" moves that clock on by 5 s instead of waiting. The cassette so
holds a session 600 s long, as if recorded against a slow server in real time.

Replay runs the real client code path, ``time.sleep(5)`` included, on the virtual clock: each
sleep moves virtual time, not the wall clock. A replay with ``virtual_time=False`` would sleep
for real, 120 times 5 s, so it is not run; its time is the recorded span.

    python benchmarks/polling_replay.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from pytest_interactions.cassette import load_cassette
from pytest_interactions.clock import real_monotonic
from pytest_interactions.emulator import Emulator, ScenarioRequest, Script
from pytest_interactions.session import use_cassette

SPAN = 600.0  # scenario seconds from creation to completion
POLL = 5.0  # seconds between two polls
TERMINAL = ("completed", "failed", "cancelled", "incomplete", "requires_action")
GOAL = 1.0  # seconds of wall time for the whole replay


def _ten_minutes(request: ScenarioRequest) -> Script:
    """A long run: a thought summary every minute, then the answer, completing at 600 s."""
    script = Script(pace=0.5)
    for minute in range(1, 10):
        summary = {"type": "thought_summary", "content": {"type": "text", "text": f"Minute {minute}."}}
        script.step({"type": "thought"}, [summary], gap=minute * 60.0 - script.duration)
    script.text("Ten minutes later, here is the answer.", gap=SPAN - 10.0 - script.duration)
    script.finish(gap=SPAN - script.duration)
    assert script.duration == SPAN
    return script


Seen = list[tuple[str, int]]


def poll_session(base_url: str, sleep: Callable[[float], None]) -> Seen:
    """The client: create in the background, then poll every ``POLL`` seconds until it ends.

    Returns what each answer showed, the create's first: its status and how many steps it had.
    """
    with httpx.Client(base_url=base_url + "/v1beta", headers={"x-goog-api-key": "k"}) as http:
        body = {"model": "m", "input": "A long question", "background": True}
        created = http.post("/interactions", json=body).raise_for_status().json()
        seen = [(str(created["status"]), len(created.get("steps") or []))]
        while seen[-1][0] not in TERMINAL:
            sleep(POLL)
            answer = http.get(f"/interactions/{created['id']}").raise_for_status().json()
            seen.append((str(answer["status"]), len(answer.get("steps") or [])))
        return seen


def record(cassette: Path) -> tuple[str, Seen, float]:
    """Record the session on the emulator's clock; its address, what it saw, and real seconds."""
    with Emulator(manual=True) as api:
        api.scenarios.register("ten-minutes", _ten_minutes, when=lambda request: True)
        started = real_monotonic()
        with use_cassette(cassette, "all", recording_clock=api.clock.now):
            statuses = poll_session(api.base_url, api.advance)
        return api.base_url, statuses, real_monotonic() - started


def replay(cassette: Path, base_url: str) -> tuple[Seen, float, float]:
    """Replay with the client's own ``time.sleep``; what it saw, real seconds, virtual seconds."""
    started = real_monotonic()
    with use_cassette(cassette, "none") as session:
        statuses = poll_session(base_url, time.sleep)
        virtual = session.now()
    return statuses, real_monotonic() - started, virtual


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cassette = Path(tmp) / "polling.yaml"
        base_url, recorded, record_s = record(cassette)
        exchanges = load_cassette(cassette).exchanges
        span = max(e.at + (e.response.after if e.response is not None else 0.0) for e in exchanges)
        runs = [replay(cassette, base_url) for _ in range(args.runs)]

    polls = len(recorded) - 1
    assert recorded[-1][0] == "completed", recorded
    assert polls == int(SPAN / POLL), recorded
    assert len({steps for _status, steps in recorded}) > 2, recorded  # the run moved on over time
    assert len(exchanges) == polls + 1
    for seen, _real, virtual in runs:
        assert seen == recorded, "replay answered other statuses (or steps) than were recorded"
        assert virtual >= SPAN
    walls = [real for _statuses, real, _virtual in runs]
    median = statistics.median(walls)
    summary = {
        "recorded_span_s": round(span, 3),
        "polls": polls,
        "record_wall_s": round(record_s, 4),
        "replay_wall_s_median": round(median, 4),
        "replay_wall_s_runs": [round(w, 4) for w in walls],
        "replay_virtual_s": round(statistics.median(v for _s, _r, v in runs), 3),
        "real_time_replay_s": round(span, 3),
        "speedup": round(span / median),
        "statuses_match": True,
    }
    print(f"{'session':<40}{'wall time':>14}")
    print(f"{'recorded span (emulator clock)':<40}{span:>12.1f} s")
    print(f"{'recording (manual emulator)':<40}{record_s * 1000:>11.1f} ms")
    print(f"{'replay, virtual time (median of ' + str(len(walls)) + ')':<40}{median * 1000:>11.1f} ms")
    print(f"{'replay, virtual_time=False (not run)':<40}{'>= ' + format(span, '.0f'):>12} s")
    print(json.dumps(summary))
    verdict = "met" if median < GOAL else "MISSED"
    print(
        f"{polls} polls over {span:.0f} s replayed in {median * 1000:.0f} ms, "
        f"{span / median:.0f}x faster than real time (goal: under {GOAL:.0f} s, {verdict})"
    )


if __name__ == "__main__":
    main()
