"""The guide's JavaScript flows, recorded through the proxy and swept over every cut by the replay
server: the correct loop passes every cut, each planted mistake is named at the cuts it shows at.
The same cassettes serve the Python world: a JavaScript recording replays in a pytest session."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from node import JS_DIR, ensure_node_modules, missing_tools

from pytest_interactions.session import EMULATOR_BASE_URL, use_cassette

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(missing_tools()),
        reason=f"the JavaScript tests need node and npm on PATH (missing: {', '.join(missing_tools())})",
    ),
]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest_interactions.cli", *args]
    env = {**os.environ, "INTERACTIONS_BACKOFF_MS": "10"}  # served sessions run on real time
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False)


def node(script: str) -> Sequence[str]:
    return ["node", str(JS_DIR / script)]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The streaming and the function-calling flows, recorded through the proxy."""
    ensure_node_modules()
    folder = tmp_path_factory.mktemp("js")
    found = {}
    for name, script in (("stream", "stream_resume.mjs"), ("function_call", "function_call.mjs")):
        path = folder / f"{name}.yaml"
        done = cli("record", "--cassette", str(path), "--", *node(script))
        assert done.returncode == 0, done.stdout + done.stderr
        found[name] = path
    return found


def test_the_guides_reconnect_loop_passes_every_cut(recorded: dict[str, Path]) -> None:
    done = cli("sweep", str(recorded["stream"]), "--jobs", "2", "--", *node("stream_resume.mjs"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "12 of 12 cuts passed" in done.stdout


def test_a_resume_from_the_event_before_the_last_is_named_at_every_cut(recorded: dict[str, Path]) -> None:
    done = cli("sweep", str(recorded["stream"]), "--jobs", "2", "--", *node("resume_previous_id.mjs"))
    assert done.returncode == 1
    cut = done.stdout[done.stdout.index("cut-04-step.delta: FAILED") :].split("\ncut-")[0]
    assert "[resume]" in cut
    assert "carried last_event_id=evt_000003, an earlier event than the last one" in cut
    assert "[duplicates]" in cut
    # Cut after the stream's last event, the client had read everything: nothing to resume.
    assert "cut-12-interaction.completed: passed" in done.stdout


def test_a_restart_from_the_beginning_is_named(recorded: dict[str, Path]) -> None:
    script = node("restart_from_start.mjs")
    done = cli("replay", str(recorded["stream"]), "--disconnect", "after:4", "--", *script)
    assert done.returncode == 1
    assert "[resume]" in done.stdout
    assert "did not carry last_event_id (the stream starts again from the beginning)" in done.stdout
    assert "[duplicates] evt_000001..evt_000004 (4 events)" in done.stdout


def test_stopping_at_requires_action_is_named(recorded: dict[str, Path]) -> None:
    done = cli("replay", str(recorded["function_call"]), "--", *node("stops_at_requires_action.mjs"))
    assert done.returncode == 1
    assert "[requires_action]" in done.stdout
    assert "the client treated it as finished" in done.stdout
    correct = cli("replay", str(recorded["function_call"]), "--", *node("function_call.mjs"))
    assert correct.returncode == 0, correct.stdout


def test_a_javascript_recording_replays_in_a_pytest_session(recorded: dict[str, Path]) -> None:
    from tests.front.rest_client import HEADERS, Reader

    body = {
        "model": "gemini-3.5-flash",
        "input": "Explain how a background interaction survives a dropped stream.",
        "background": True,
        "stream": True,
    }
    reader = Reader()
    with (
        use_cassette(recorded["stream"], "none", match_on=["method", "path"], checks=True) as session,
        httpx.Client(base_url=EMULATOR_BASE_URL, headers=HEADERS) as client,
        client.stream("POST", "/v1beta/interactions", json=body) as stream,
    ):
        reader.read(stream)
    assert reader.done
    assert session.violations() == []


def test_the_readme_example_records_and_replays_under_faults(tmp_path: Path) -> None:
    """The JavaScript client and the commands README.md gives a team to paste into its CI."""
    readme = (JS_DIR.parents[1] / "README.md").read_text()
    section = readme[readme.index("## Other languages") :]
    client = JS_DIR / f"_readme_client_{os.getpid()}.mjs"  # beside node_modules, so that it imports
    client.write_text(re.search(r"```js\n(.*?)```", section, re.S).group(1))  # type: ignore[union-attr]
    try:
        ensure_node_modules()
        path = tmp_path / "tides.yaml"
        recorded = cli("record", "--cassette", str(path), "--", "node", str(client))
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
        replayed = cli(
            "replay", str(path), "--disconnect", "after:3", "--reconnect", "503", "--report", "json",
            "--", "node", str(client),
        )  # fmt: skip
        assert json.loads(replayed.stdout)["passed"] is True
    finally:
        client.unlink()
