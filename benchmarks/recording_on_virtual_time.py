"""A 10-minute polling session records inside pytest in seconds, on the emulator's scenario clock.

The test polls a background interaction whose run lasts ten scenario minutes, with the
production interval (``time.sleep(5)`` between GETs, with httpx): 120 polls. A second test
streams the same run and waits on each event (a minute apart). Both are recorded by a plain
``pytest --interactions-record-mode=all`` run in a subprocess, against the embedded emulator, with
no recording clock or ``advance()`` in the test: the plugin runs the test on the emulator's
scenario clock, so the sleeps and the waits for the next event move it instead of passing.

The figure is the wall time of that pytest run (interpreter start and collection included); the
cassettes then hold sessions 600 s long. On real time, the two tests would take at least 600 s
each (not run). The same cassettes are then replayed by a second run.

    python benchmarks/recording_on_virtual_time.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from pytest_interactions.cassette import Exchange, StreamEvent, load_cassette
from pytest_interactions.clock import real_monotonic

SPAN = 600.0
POLL = 5.0
GOAL = 10.0  # seconds of wall time for the recording run

SUITE = textwrap.dedent(
    f'''
    import time

    import httpx
    import pytest

    from pytest_interactions.emulator import Script

    START = {{"model": "gemini-3.5-flash", "input": "A long question", "background": True}}


    def ten_minutes(request):
        """A thought summary every minute, then the answer; completes at {SPAN:g} s."""
        script = Script(pace=0.5)
        for minute in range(1, 10):
            text = {{"type": "text", "text": f"Minute {{minute}}."}}
            summary = {{"type": "thought_summary", "content": text}}
            script.step({{"type": "thought"}}, [summary], gap=minute * 60.0 - script.duration)
        script.text("Ten minutes later, here is the answer.", gap={SPAN} - 10.0 - script.duration)
        return script.finish(gap={SPAN} - script.duration)


    @pytest.fixture
    def http(interactions):
        if interactions.emulator is not None:
            interactions.emulator.scenarios.register("ten", ten_minutes, when=lambda request: True)
        headers = {{"x-goog-api-key": interactions.api_key}}
        with httpx.Client(base_url=interactions.base_url + "/v1beta", headers=headers) as client:
            yield client


    @pytest.mark.interactions
    def test_polls(http):
        it = http.post("/interactions", json=START).raise_for_status().json()
        while it["status"] == "in_progress":
            time.sleep({POLL})
            it = http.get(f"/interactions/{{it['id']}}").raise_for_status().json()
        assert it["status"] == "completed"


    @pytest.mark.interactions
    def test_streams(http):
        with http.stream("POST", "/interactions", json={{**START, "stream": True}}) as response:
            events = [line for line in response.iter_lines() if line.startswith("event:")]
        assert "event: interaction.completed" in events
    '''
)


def _pytest(folder: Path, *args: str) -> tuple[float, float]:
    """Run pytest on the suite in a subprocess; its wall time, and the session time pytest reports
    (without interpreter start and plugin loading), in seconds."""
    started = real_monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    took = real_monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"pytest failed:\n{result.stdout}\n{result.stderr}")
    reported = re.search(r"passed in ([0-9.]+)s", result.stdout)
    return took, float(reported[1]) if reported else took


def _span(exchanges: list[Exchange]) -> float:
    ends = []
    for exchange in exchanges:
        response = exchange.response
        times = [exchange.at + (response.after if response else 0.0)]
        if response is not None and response.events:
            times += [exchange.at + e.at for e in response.events if isinstance(e, StreamEvent)]
        ends.append(max(times))
    return max(ends)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    records, replays = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_long.py").write_text(SUITE)
        (folder / "pytest.ini").write_text("[pytest]\n")
        for _ in range(args.runs):
            records.append(_pytest(folder, "--interactions-record-mode=all"))
            replays.append(_pytest(folder))
        polls = load_cassette(folder / "cassettes" / "test_long" / "test_polls.yaml").exchanges
        stream = load_cassette(folder / "cassettes" / "test_long" / "test_streams.yaml").exchanges
    assert [e.at for e in polls] == [POLL * n for n in range(len(polls))], "polls not 5 s apart"
    assert len(polls) - 1 == int(SPAN / POLL)
    poll_span, stream_span = _span(polls), _span(stream)
    assert poll_span >= SPAN
    assert stream_span >= SPAN
    record_s = statistics.median(wall for wall, _ in records)
    session_s = statistics.median(session for _, session in records)
    replay_s = statistics.median(wall for wall, _ in replays)
    summary = {
        "polls": len(polls) - 1,
        "recorded_poll_span_s": poll_span,
        "recorded_stream_span_s": stream_span,
        "record_run_wall_s_median": round(record_s, 3),
        "record_run_wall_s_runs": [round(wall, 3) for wall, _ in records],
        "record_session_s_median": round(session_s, 3),
        "replay_run_wall_s_median": round(replay_s, 3),
        "real_time_recording_s": 2 * SPAN,
    }
    print(f"{'pytest run (2 tests, subprocess)':<44}{'wall time':>12}")
    print(f"{'record, --interactions-record-mode=all':<44}{record_s:>10.2f} s")
    print(f"{'  of which the pytest session':<44}{session_s:>10.2f} s")
    print(f"{'replay':<44}{replay_s:>10.2f} s")
    print(f"{'record on real time (not run)':<44}{'>= ' + format(2 * SPAN, '.0f'):>10} s")
    print(json.dumps(summary))
    verdict = "met" if record_s < GOAL else "MISSED"
    print(
        f"{len(polls) - 1} polls over {poll_span:.0f} s and a {stream_span:.0f} s stream recorded inside "
        f"pytest in {record_s:.2f} s, {2 * SPAN / record_s:.0f}x faster than real time "
        f"(goal: under {GOAL:.0f} s, {verdict})"
    )


if __name__ == "__main__":
    main()
