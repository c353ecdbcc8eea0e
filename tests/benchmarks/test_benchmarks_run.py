"""Every benchmark runs in its tiny form and produces each of its figures, with sane values.

Timings are never asserted here (speed goals live in the benchmarks' own output); what fails a
test is a figure missing, a measurement that errored, or a replayed suite whose tests failed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS, VCRPY, CASSETTER, FLOOR = "pytest-interactions", "vcrpy", "cassetter", "MockTransport"
PEERS = [VCRPY] + ([CASSETTER] if importlib.util.find_spec("cassetter") else [])

#: Each benchmark, the figures it adds to the table, and which columns each must fill.
EXPECTED: dict[str, list[tuple[str, list[str]]]] = {
    "poll": [
        ("one poll GET replayed, httpx (µs)", [OURS, *PEERS, FLOOR]),
        ("one poll GET replayed, httpx2 (µs)", [OURS, *PEERS, FLOOR]),
    ],
    "stream": [
        ("-event SSE replayed via httpx-sse, load included (ms)", [OURS, *PEERS, FLOOR]),
        ("same, stream read only (ms)", [OURS, *PEERS, FLOOR]),
    ],
    "memory": [
        ("peak RSS growth replaying the", [OURS, *PEERS, FLOOR]),
        ("same stream, load included, the first replay in a fresh process (ms)", [OURS, *PEERS, FLOOR]),
    ],
    "cold": [
        ("first replay of the 200-event stream, load included: fresh process, empty cache", [OURS, *PEERS]),
        ("first replay of a 20-poll cassette (enter + one GET): fresh process, empty cache", [OURS, *PEERS]),
        ("save a 20-poll recording (leaving the recording context): fresh process (ms)", [OURS, *PEERS]),
        ("peak RSS growth during that first replay of the stream (MiB)", [OURS, *PEERS]),
    ],
    "files": [
        ("first load of 20 exchanges (ms)", [OURS, *PEERS]),
        ("same, loaded again: next test or next run (ms)", [OURS, *PEERS]),
        ("save 20 exchanges (ms)", [OURS, *PEERS]),
    ],
    "sweep": [
        ("`each-event` sweep of 8 cuts, whole pytest run (s)", [OURS, FLOOR]),
        ("same, `-n 2` (s)", [OURS]),
        ("plugin cost per test of the sweep (ms)", [OURS, FLOOR]),
    ],
    "suite": [
        ("plugin cost per replayed test", [OURS, FLOOR]),
        ("same, the first run: no parsed-cassette cache (ms)", [OURS]),
        ("xdist `-n 2` on 8 cassette-backed tests (s)", [OURS, "serial", "speed-up", FLOOR]),
        ("same, each test also doing about 15 ms of its own work (s)", [OURS, "serial", "speed-up", FLOOR]),
        ("8 empty tests, whole pytest run (s)", [FLOOR]),
    ],
    "collect": [("`pytest --collect-only` on an empty file (s)", [OURS, FLOOR])],
    "import": [("importing the plugin after pytest (ms)", [OURS])],
    "clock": [("virtual clock enter + leave,", [OURS, FLOOR])],
}
#: Figures that are differences of two timings, which noise may carry below zero (in a tiny run, a
#: few milliseconds of plugin cost against a whole pytest run's).
DIFFERENCES = ("plugin cost", "peak RSS growth", "same, the first run: no parsed-cassette cache")
"""Figures that are a difference of two measurements: well-formed at any sign."""


def run_tiny(benchmark: str, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--tiny",
            "--only",
            benchmark,
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results: dict[str, Any] = json.loads(out.read_text())
    assert results["table"] in done.stdout  # the table printed is the one written
    return results


@pytest.mark.timeout(900)
@pytest.mark.parametrize("benchmark", list(EXPECTED))
def test_each_benchmark_produces_its_figures(benchmark: str, tmp_path: Path) -> None:
    results = run_tiny(benchmark, tmp_path)
    rows = results["rows"]
    for figure, columns in EXPECTED[benchmark]:
        matching = [row for row in rows if figure in row["figure"]]
        assert matching, f"no figure {figure!r} in {[row['figure'] for row in rows]}"
        for row in matching:
            assert "failed" not in row["note"], row
            assert "Error" not in row["note"], row
            for column in columns:
                value = row.get(column)
                assert isinstance(value, (int, float)), f"{row['figure']}: no {column} value in {row}"
                if not any(row["figure"].startswith(d) for d in DIFFERENCES):
                    assert value > 0, row
    assert results["load_average"]["before"], results


def test_a_peer_left_out_is_named_not_measured(tmp_path: Path) -> None:
    """A peer that is left out (or not installed) is named in the output instead of failing the run."""
    out = tmp_path / "results.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--tiny", "--only", "files"]
    done = subprocess.run(
        [*command, "--without", "cassetter", "--json", str(out)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert "cassetter" in results["skipped"]
    assert "cassetter not measured" in done.stderr
    load = next(row for row in results["rows"] if row["figure"].startswith("first load"))
    assert load.get("cassetter") is None
    assert isinstance(load["vcrpy"], float)
