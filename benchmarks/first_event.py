"""Time to first event of an SSE stream: unrecorded, recorded by pytest-interactions, recorded by vcrpy.

Each run opens a stream whose events the emulator sends 0.1 s apart (five text deltas, then the
end), and times the arrival of the first ``step.delta`` at the client. Side by side in one run:

    python benchmarks/first_event.py [--runs 5]

The recording tee must stay within 10% of unrecorded streaming; vcrpy buffers the whole body
before the client sees a byte.
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
import vcr

from pytest_interactions.emulator import Emulator, Script
from pytest_interactions.session import use_cassette

PACE = 0.1


def _spaced(request: object) -> Script:
    script = Script(pace=PACE)
    return script.step(
        {"type": "model_output"}, [{"type": "text", "text": f"part {n} "} for n in range(5)]
    ).finish()


def first_delta(base_url: str, interaction_id: str) -> tuple[float, float]:
    """Seconds to the first step.delta, and to the end of the stream."""
    started = time.perf_counter()
    first = None
    with httpx.Client(base_url=base_url, headers={"x-goog-api-key": "k"}) as client:
        url = f"/v1beta/interactions/{interaction_id}"
        with client.stream("GET", url, params={"stream": "true"}) as response:
            for line in response.iter_lines():
                if first is None and line.startswith("data:") and '"step.delta"' in line:
                    first = time.perf_counter() - started
    assert first is not None
    return first, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {"unrecorded": [], "pytest-interactions": [], "vcrpy": []}
    with Emulator(speed=1.0) as api, tempfile.TemporaryDirectory() as tmp:
        api.scenarios.register("spaced", _spaced, when=lambda request: True)

        def create() -> str:
            body = {"model": "m", "input": "benchmark", "background": True}
            response = httpx.post(api.url("/v1beta/interactions"), json=body, headers={"x-goog-api-key": "k"})
            return str(response.json()["id"])

        def unrecorded(run: int) -> tuple[float, float]:
            return first_delta(api.base_url, create())

        def ours(run: int) -> tuple[float, float]:
            interaction_id = create()
            with use_cassette(Path(tmp) / f"ours-{run}.yaml", "all"):
                return first_delta(api.base_url, interaction_id)

        def vcrpy(run: int) -> tuple[float, float]:
            interaction_id = create()
            with vcr.use_cassette(str(Path(tmp) / f"vcr-{run}.yaml"), record_mode="all"):
                return first_delta(api.base_url, interaction_id)

        runners: dict[str, Callable[[int], tuple[float, float]]] = {
            "unrecorded": unrecorded,
            "pytest-interactions": ours,
            "vcrpy": vcrpy,
        }
        for run in range(args.runs):
            for name, runner in runners.items():  # interleaved, so that drift hits all alike
                results[name].append(runner(run))

    base = statistics.median(first for first, _ in results["unrecorded"])
    print(f"{'client':<22}{'first delta (median)':>22}{'whole stream':>15}{'ratio':>9}")
    summary = {}
    for name, samples in results.items():
        first = statistics.median(s[0] for s in samples)
        whole = statistics.median(s[1] for s in samples)
        summary[name] = {
            "first_delta_s": round(first, 4),
            "stream_s": round(whole, 4),
            "ratio": round(first / base, 3),
        }
        print(f"{name:<22}{first * 1000:>19.1f} ms{whole * 1000:>12.1f} ms{first / base:>9.3f}")
    print(json.dumps(summary))
    ratio = summary["pytest-interactions"]["ratio"]
    print(f"recording overhead on time to first event: {100 * (ratio - 1):+.1f}% (goal: within 10%)")


if __name__ == "__main__":
    main()
