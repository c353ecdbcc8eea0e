"""A client that takes its base URL from its own config records a server other than the embedded
emulator: the session follows it onto real time, never a mix of scenario and real clocks."""

from __future__ import annotations

import datetime
import email.utils
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

SUITE = """
import asyncio
import os
import time

import httpx
import httpx2
import pytest
from httpx_sse import aconnect_sse

BASE = os.environ["APP_GEMINI_BASE_URL"] + "/v1beta"  # the app's own config, not interactions.base_url
HEADERS = {"x-goog-api-key": "k"}
CREATE = {"model": "gemini-3.5-flash", "input": "Tides?", "background": True}


@pytest.mark.interactions
def test_an_async_stream_reads_to_its_end(interactions):
    async def read():
        async with httpx2.AsyncClient(base_url=BASE, headers=HEADERS, timeout=10) as http:
            created = (await http.post("/interactions", json=CREATE)).json()
            async with aconnect_sse(http, "GET", f"/interactions/{created['id']}",
                                    params={"stream": "true"}) as source:
                return [event.event async for event in source.aiter_sse()]

    events = asyncio.run(read())
    assert events[0] == "interaction.created"
    assert "interaction.completed" in events


@pytest.mark.interactions
def test_a_cancel_then_poll_loop_sees_the_cancel(interactions):
    with httpx.Client(base_url=BASE, headers=HEADERS, timeout=10) as http:
        created = http.post("/interactions", json=CREATE).json()
        http.post(f"/interactions/{created['id']}:cancel")
        status = "in_progress"
        for _ in range(50):
            status = http.get(f"/interactions/{created['id']}").json()["status"]
            if status != "in_progress":
                break
            time.sleep(0.1)
    assert status == "cancelled"
"""


@pytest.fixture
def served() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A second emulator, in its own process, on real time: the server the app's config names."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest_interactions.cli",
            "serve",
            "--port",
            "0",
            "--speed",
            "50",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner
        yield match[1], process
    finally:
        process.kill()
        process.wait(5)
        if process.stdout is not None:
            process.stdout.close()


def test_recording_a_server_the_app_configures_runs_on_real_time(
    pytester: pytest.Pytester, served: tuple[str, subprocess.Popen[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, server = served
    pytester.makepyfile(test_app=SUITE)
    monkeypatch.setenv("APP_GEMINI_BASE_URL", url)
    recorded = pytester.runpytest("--interactions-record-mode=once", "-p", "no:randomly")
    recorded.assert_outcomes(passed=2)
    for name in ("test_an_async_stream_reads_to_its_end", "test_a_cancel_then_poll_loop_sees_the_cancel"):
        text = (pytester.path / "cassettes" / "test_app" / f"{name}.yaml").read_text()
        assert f"base_url: {url}" in text  # the server really recorded, not the embedded emulator
        assert "emulator.invalid" not in text

    # Replayed with the server gone: the cassettes answer at the address the config names.
    server.kill()
    server.wait(5)
    replayed = pytester.runpytest("-p", "no:randomly")
    replayed.assert_outcomes(passed=2)


PLAIN = """
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"hi")

    def log_message(self, *args):
        pass


@pytest.mark.interactions
def test_a_plain_client(interactions):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert httpx.get(f"http://127.0.0.1:{server.server_address[1]}/").text == "hi"
    finally:
        server.shutdown()
        server.server_close()
"""


def test_a_test_that_never_uses_the_emulator_records_on_real_time(pytester: pytest.Pytester) -> None:
    """Its own server stamps its answers with today's date, not the emulator's epoch."""
    pytester.makepyfile(test_plain=PLAIN)
    pytester.runpytest("--interactions-record-mode=once", "-p", "no:randomly").assert_outcomes(passed=1)
    text = (pytester.path / "cassettes" / "test_plain" / "test_a_plain_client.yaml").read_text()
    (date,) = re.findall(r"date: (.+)", text)
    stamped = email.utils.parsedate_to_datetime(date)
    assert abs(stamped - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=10)
