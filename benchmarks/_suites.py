"""Whole pytest runs, each in its own process: the each-event sweep, replayed suites, empty tests.

Every run is a fresh ``python -m pytest`` in a generated project with its own ini file, so that
what is timed is what a user waits for: start, collection, the tests and the end of the run.
cassetter's plugin is kept out (it registers its own ``--record-mode``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import _clients
from _timer import now

from pytest_interactions.emulator import Emulator, Script
from pytest_interactions.session import use_cassette

BASE = ["-q", "-p", "no:cacheprovider", "-p", "no:cassetter", "-p", "no:randomly"]

CLIENT = '''
import json
import pathlib
import ssl

import httpx
from httpx_sse import connect_sse

# One TLS context for every client: building one is most of what an httpx.Client costs, and it
# is the test's own cost, not the plugin's.
TLS = ssl.create_default_context()


def client(interactions):
    return httpx.Client(
        base_url=interactions.base_url + "/v1beta",
        headers={"x-goog-api-key": interactions.api_key},
        verify=TLS,
    )


def mocked(events_file):
    """The same client on httpx.MockTransport, serving the recorded stream one chunk per event."""
    chunks = [c.encode() for c in json.loads(pathlib.Path(events_file).read_text())]

    def answer(request):
        if request.method == "POST":
            return httpx.Response(200, json={"id": "v1_floor", "status": "in_progress"})
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Chunks(chunks))

    return httpx.Client(
        base_url="http://127.0.0.1:9/v1beta", verify=TLS, transport=httpx.MockTransport(answer)
    )


class Chunks(httpx.SyncByteStream):
    def __init__(self, chunks):
        self.chunks = chunks

    def __iter__(self):
        yield from self.chunks


def create(http, text):
    body = {"model": "gemini-3.5-flash", "input": text, "background": True}
    return http.post("/interactions", json=body).raise_for_status().json()["id"]


def busy(iterations):
    """The test's own work (the app's code under test), CPU-bound: sleeping is virtual in replay."""
    return sum(i * i for i in range(iterations))


def read(http, interaction_id):
    """Read the stream to its end, resuming after the last event received when it drops."""
    received = []
    while True:
        params = {"stream": "true"}
        if received:
            params["last_event_id"] = received[-1]
        try:
            with connect_sse(http, "GET", f"/interactions/{interaction_id}", params=params) as source:
                for event in source.iter_sse():
                    if event.data != "[DONE]":
                        received.append(json.loads(event.data)["event_id"])
            return received
        except httpx.RemoteProtocolError:
            continue
'''


def _stream_script(deltas: int) -> Script:
    return (
        Script(pace=0.001)
        .step({"type": "model_output"}, [{"type": "text", "text": f"w{n} "} for n in range(deltas)])
        .finish()
    )


def _project(root: Path, tests: str, ini_extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(f"[pytest]\naddopts = -p no:cacheprovider\n{ini_extra}")
    (root / "bench_client.py").write_text(CLIENT)
    (root / "test_bench.py").write_text(textwrap.dedent(tests))
    return root


SMALL = 20  # events (with ids) of the stream each replayed test reads


def make_projects(workdir: Path, cuts: int, tests: int) -> dict[str, Path]:
    """The projects: each-event sweep over ``cuts`` cuts, ``tests`` replayed tests, empty tests."""
    projects = workdir / "projects"
    sweep = _project(
        projects / "sweep",
        f"""
        import pytest
        from bench_client import client, create, read

        @pytest.mark.interactions(cassette="sweep.yaml", disconnect="each-event")
        def test_sweep(interactions):
            with client(interactions) as http:
                assert len(read(http, create(http, "sweep"))) == {cuts}
        """,
    )
    replayed_tests = f"""
        import pytest
        from bench_client import busy, client, create, read

        def replayed(n):
            return pytest.param(n, marks=pytest.mark.interactions(cassette=f"c{{n}}.yaml"))

        @pytest.mark.parametrize("n", [replayed(n) for n in range({tests})])
        def test_replayed(interactions, n):
            busy(ITERATIONS)
            with client(interactions) as http:
                assert len(read(http, create(http, "small"))) == {SMALL}
        """
    replayed = _project(projects / "replayed", replayed_tests.replace("ITERATIONS", "0"))
    iterations = _busy_iterations(BUSY_MS)
    busy = _project(projects / "replayed-busy", replayed_tests.replace("ITERATIONS", str(iterations)))
    if not (busy / "cassettes").exists():
        (busy / "cassettes").symlink_to(replayed / "cassettes", target_is_directory=True)
    (projects / "replayed" / "conftest.py").write_text("")
    empty = {
        count: _project(
            projects / f"empty{count}",
            f"""
            import pytest

            @pytest.mark.parametrize("n", range({count}))
            def test_empty(n):
                pass
            """,
        )
        for count in sorted({cuts, tests})
    }
    floors = {
        name: _project(
            projects / name,
            f"""
            import pytest
            from bench_client import busy, create, mocked, read

            @pytest.mark.parametrize("n", range({count}))
            def test_floor(n):
                busy({work})
                with mocked("{events_file}") as http:
                    assert len(read(http, create(http, "floor"))) == {events}
            """,
        )
        for name, count, events, events_file, work in (
            ("mocked-sweep", cuts, cuts, projects / "sweep-events.json", 0),
            ("mocked-replayed", tests, SMALL, projects / "small-events.json", 0),
            ("mocked-replayed-busy", tests, SMALL, projects / "small-events.json", iterations),
        )
    }
    collect = _project(projects / "collect", "")
    small = replayed / "cassettes" / "c0.yaml"
    with Emulator(speed=1000.0) as api:
        for text, events, cassette in (
            ("sweep", cuts, sweep / "cassettes" / "sweep.yaml"),
            ("small", SMALL, small),
        ):
            # ``events`` events with ids (``events`` cuts), then the closing ``[DONE]``.
            api.scenarios.register(
                text, lambda r, n=events: _stream_script(n - 4), when=lambda r, t=text: r.input_text == t
            )
            with use_cassette(cassette, "all"), _clients.client(api.base_url) as http:
                count = _clients.read_stream(http, _clients.create(http, text))
                assert count == events + 1, f"the {text} recording has {count} events, not {events}"
    recorded = small.read_text()
    interaction_id = re.search(r'"id": ?"(v1_\w+)"', recorded)
    if interaction_id is None:
        raise ValueError(f"{small} holds no interaction id")
    for n in range(1, tests):
        # Each test its own recording, as in a real suite: the same traffic under another id.
        other = f"v1_{n:0{len(interaction_id[1]) - 3}d}"
        (replayed / "cassettes" / f"c{n}.yaml").write_text(recorded.replace(interaction_id[1], other))
    from pytest_interactions.session._loaded import forget_loaded, load_for_replay

    for cassette in [*(replayed / "cassettes").glob("*.yaml"), sweep / "cassettes" / "sweep.yaml"]:
        load_for_replay(cassette).histories()  # the parsed-cassette cache warm, as in any run after the first
    forget_loaded()
    for cassette, name in (
        (sweep / "cassettes" / "sweep.yaml", "sweep-events.json"),
        (small, "small-events.json"),
    ):
        (projects / name).write_text(json.dumps(_event_chunks(cassette)))
    paths = {"sweep": sweep, "replayed": replayed, "replayed-busy": busy, "collect": collect, **floors}
    paths.update({f"empty{count}": project for count, project in empty.items()})
    return paths


BUSY_MS = 15.0
"""About how long the test's own work takes in the suite whose tests do more than replay."""


def _busy_iterations(milliseconds: float) -> int:
    """How many iterations of ``busy`` take about ``milliseconds`` on this machine."""
    iterations = 20_000
    while True:
        started = now()
        sum(i * i for i in range(iterations))  # the body of the generated client's ``busy``
        elapsed = now() - started
        if elapsed > 0.02:
            return max(1, round(iterations * milliseconds / 1e3 / elapsed))
        iterations *= 2


def _event_chunks(cassette: Path) -> list[str]:
    """The recorded stream's bytes, one string per event."""
    from pytest_interactions.cassette import StreamEvent, event_to_bytes, load_cassette

    for exchange in load_cassette(cassette).exchanges:
        if exchange.response is not None and exchange.response.events is not None:
            events = exchange.response.events
            return [event_to_bytes(e).decode() for e in events if isinstance(e, StreamEvent)]
    raise ValueError(f"{cassette} holds no stream")


def run_pytest(project: Path, *args: str, cold: bool = False) -> dict[str, Any]:
    """Seconds of one whole pytest run in ``project``; its outcome line.

    ``cold``: with an empty parsed-cassette cache, as in a first run on a fresh machine.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    if cold:
        empty = Path(tempfile.mkdtemp(prefix="cold-cache-"))
        env["INTERACTIONS_CACHE_DIR"] = str(empty)
    started = now()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *BASE, *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    seconds = now() - started
    if cold:
        shutil.rmtree(empty, ignore_errors=True)
    lines = done.stdout.strip().splitlines()
    return {
        "seconds": round(seconds, 3),
        "returncode": done.returncode,
        "outcome": lines[-1] if lines else "",
    }


def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]
