"""A client in another process, recorded through the proxy, replayed by the server with faults,
swept over every cut: its mistakes named as a failing test names them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from pytest_interactions.cassette import Disconnect, load_cassette
from pytest_interactions.session import EMULATOR_BASE_URL, use_cassette
from tests.front.conftest import cli, rest_client
from tests.front.rest_client import BODY, Reader

pytestmark = pytest.mark.slow  # every test runs the command line and clients as processes


def test_a_recording_through_the_proxy_keeps_the_stream_and_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    env = {**os.environ, "GEMINI_API_KEY": "AIza-very-secret-key-0123456789"}
    done = cli("record", "--cassette", str(path), "--", *rest_client(), env=env)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout
    text = path.read_text()
    assert "AIza-very-secret-key" not in text
    (exchange,) = load_cassette(path).exchanges
    assert exchange.request.url == f"{EMULATOR_BASE_URL}/v1beta/interactions"
    assert exchange.response is not None
    events = exchange.response.events or []
    kinds = [json.loads(e.data).get("event_type") for e in events if (e.data or "").startswith("{")]
    assert kinds[-1] == "interaction.completed"
    assert len(kinds) == 10


def test_a_correct_client_passes_a_cut_and_the_verdict_shows_the_timeline(recorded_rest: Path) -> None:
    done = cli("replay", str(recorded_rest), "--disconnect", "after:4", "--", *rest_client())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no mistake found" in done.stdout
    assert "cut after evt_000004 (after:4)" in done.stdout
    assert "last_event_id=evt_000004" in done.stdout


@pytest.mark.parametrize(
    ("mode", "named"),
    [
        ("previous", "carried last_event_id=evt_000003, an earlier event than the last one fully received"),
        ("restart", "did not carry last_event_id (the stream starts again from the beginning)"),
    ],
)
def test_a_wrong_resume_is_named_and_fails_the_run(recorded_rest: Path, mode: str, named: str) -> None:
    done = cli("replay", str(recorded_rest), "--disconnect", "after:4", "--", *rest_client(mode))
    assert done.returncode == 1
    assert "[resume]" in done.stdout
    assert named in done.stdout
    assert "[duplicates]" in done.stdout
    assert "timeline (seconds since the session started):" in done.stdout  # real time, not virtual


def test_the_json_report_is_for_tools(recorded_rest: Path) -> None:
    done = cli(
        "replay",
        str(recorded_rest),
        "--disconnect",
        "after:2",
        "--report",
        "json",
        "--",
        *rest_client("restart"),
    )
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["passed"] is False
    (finding,) = report["violations"]  # the duplicates follow from the resume: folded under it
    assert finding["check"] == "resume"
    assert [a["check"] for a in finding["also"]] == ["duplicates"]
    assert report["ended"] == "the client exited with status 0"


def test_a_planned_fault_the_client_never_met_fails_the_run(recorded_rest: Path) -> None:
    done = cli("replay", str(recorded_rest), "--disconnect", "after:4", "--", sys.executable, "-c", "pass")
    assert done.returncode == 1
    assert "disconnect=after:4 never cut a stream: the client opened no stream it applies to" in done.stdout


def test_a_client_that_gives_up_is_named_with_its_exit_status(recorded_rest: Path) -> None:
    done = cli("replay", str(recorded_rest), "--disconnect", "every:1", "--", *rest_client())
    assert done.returncode == 1
    assert "the client exited with status 3" in done.stdout


def test_the_reserved_path_ends_a_session_served_to_a_client_started_elsewhere(recorded_rest: Path) -> None:
    import subprocess

    command = [
        sys.executable,
        "-m",
        "pytest_interactions.cli",
        "replay",
        str(recorded_rest),
        "--report",
        "json",
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        base = server.stdout.readline().strip()
        reader = Reader()
        with httpx.Client(base_url=base) as client:
            with client.stream("POST", "/v1beta/interactions", json=BODY) as stream:
                reader.read(stream)
            client.post("/__interactions__/finish")
        out, _ = server.communicate(timeout=30)
    finally:
        server.kill()
    assert reader.done
    report = json.loads(out)
    assert report["passed"] is True
    assert report["ended"] == "/__interactions__/finish was called"


def test_a_cassette_recorded_through_the_proxy_replays_in_a_pytest_session(recorded_rest: Path) -> None:
    reader = Reader()
    with (
        use_cassette(recorded_rest, "none", checks=True) as session,
        httpx.Client(base_url=EMULATOR_BASE_URL) as client,
        client.stream("POST", "/v1beta/interactions", json=BODY) as stream,
    ):
        reader.read(stream)
    assert reader.done
    assert session.violations() == []


def test_a_cassette_recorded_in_a_pytest_session_is_served_to_another_process(tmp_path: Path) -> None:
    from pytest_interactions.emulator import Emulator
    from pytest_interactions.session import record_on_emulator

    path = tmp_path / "inprocess.yaml"
    with Emulator(speed=50) as api, use_cassette(path, "once") as session:
        record_on_emulator(session, api)
        reader = Reader()
        with httpx.Client(base_url=api.base_url, headers={"x-goog-api-key": "k"}) as client:
            body = {
                "model": "gemini-3.5-flash",
                "input": "Tell me about tides",
                "background": True,
                "stream": True,
            }
            with client.stream("POST", "/v1beta/interactions", json=body) as stream:
                reader.read(stream)
        assert reader.done
    assert session.recording
    done = cli("replay", str(path), "--disconnect", "after:3", "--", *rest_client())
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_guides_curl_flow_is_recorded_and_passes_every_cut(tmp_path: Path) -> None:
    path = tmp_path / "curl.yaml"
    script = ["sh", str(Path(__file__).with_name("curl_stream.sh"))]
    recorded = cli("record", "--cassette", str(path), "--", *script)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    swept = cli("sweep", str(path), "--jobs", "2", "--", *script)
    assert swept.returncode == 0, swept.stdout
    assert "10 of 10 cuts passed" in swept.stdout


def test_a_real_drop_is_recorded_through_the_proxy_and_the_client_meets_it_too(tmp_path: Path) -> None:
    from pytest_interactions.emulator import Emulator

    path = tmp_path / "dropped.yaml"
    with Emulator(speed=50) as api:
        api.faults.drop_stream(after_events=4)
        done = cli("record", "--cassette", str(path), "--upstream", api.base_url, "--", *rest_client())
    assert done.returncode == 0, done.stdout + done.stderr
    first, resumed = load_cassette(path).exchanges
    assert first.response is not None
    *events, drop = first.response.events or []
    assert isinstance(drop, Disconnect)  # the drop, recorded where it happened
    assert drop.error == "RemoteProtocolError"
    assert len(events) == 4
    assert "last_event_id=evt_000004" in resumed.request.url  # the client met the drop and resumed
    replayed = cli("replay", str(path), "--", *rest_client())
    assert replayed.returncode == 0, replayed.stdout  # the recorded drop is replayed, and coped with


def test_the_watched_process_ends_the_session(recorded_rest: Path) -> None:
    import subprocess

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    try:
        done = cli("replay", str(recorded_rest), "--watch", str(sleeper.pid), "--report", "json", timeout=60)
    finally:
        sleeper.wait()
    report = json.loads(done.stdout.split("\n", 1)[1])
    assert report["ended"] == f"process {sleeper.pid} exited"
    assert report["passed"] is True


@pytest.mark.parametrize("command", ["replay", "sweep"])
def test_a_corrupt_cassette_is_named_with_its_line_and_nothing_is_served(
    tmp_path: Path, command: str
) -> None:
    path = tmp_path / "corrupt.yaml"
    path.write_text("version: 1\nexchanges:\n- at: 0.0\n  request: [not, a, mapping]\n")
    done = cli(command, str(path), "--", *rest_client())
    assert done.returncode == 2
    assert done.stderr == f"pytest-interactions: {path}:3: exchanges[0].request must be a mapping, not list\n"
    assert done.stdout == ""


def test_creates_get_the_answers_the_flags_declare(recorded_rest: Path) -> None:
    bad = cli("replay", str(recorded_rest), "--creates", "teapot", "--", sys.executable, "-c", "pass")
    assert bad.returncode == 2
    assert "creates='teapot': use an HTTP status" in bad.stderr + bad.stdout
    faults = ("--creates", "503", "--retry-after", "none")
    done = cli("replay", str(recorded_rest), *faults, "--", *rest_client())
    assert done.returncode == 1  # this client gives up on a failed create
    assert "POST   /v1beta/interactions -> 503  (injected)" in done.stdout
    assert "the client exited with status 3" in done.stdout
