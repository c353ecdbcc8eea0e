"""The ``pytest-interactions`` command: ``serve`` and ``demo``, run as real subprocesses."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pytest_interactions.cli import main

SCRIPT = Path(sys.executable).with_name("pytest-interactions")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "pytest_interactions.cli"]


class Output:
    """The lines a process prints, read by a thread so that a test can wait with a timeout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.text = ""
        self._reader = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._reader.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.put(line)

    def next_line(self, timeout: float = 10.0) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output within {timeout} s") from None
        self.text += line
        return line


def _interruptible() -> None:
    # As from a terminal: a suite started in the background of a script inherits SIGINT ignored.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def serve() -> Iterator[tuple[subprocess.Popen[str], Output]]:
    process = subprocess.Popen(
        [*COMMAND, "serve", "--port", "0", "--speed", "100"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )
    try:
        yield process, Output(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)


def test_serve_prints_its_base_url_serves_and_stops_on_sigint(
    serve: tuple[subprocess.Popen[str], Output],
) -> None:
    process, output = serve
    banner = output.next_line()
    match = re.search(r"listening on (http://127\.0\.0\.1:(\d+))", banner)
    assert match, banner
    base_url = match[1]
    assert int(match[2]) > 0

    answer = httpx.post(
        f"{base_url}/v1beta/interactions",
        json={"model": "gemini-3.5-flash", "input": "hello", "background": True},
        headers={"x-goog-api-key": "k"},
        timeout=5,
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "in_progress"
    assert output.next_line().startswith("Stop it with Ctrl-C")
    assert output.next_line().strip() == "200 POST /v1beta/interactions"  # the request log

    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=5) in (0, 130)
    assert time.monotonic() - started < 5
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/v1beta/interactions/x", timeout=2)


def test_demo_runs_the_session_and_shows_the_resume() -> None:
    # At the default speed: much faster, the follow-up may finish before the demo cancels it.
    result = subprocess.run(
        [*COMMAND, "demo", "--drop-after", "4"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dropped after event evt_000004" in result.stdout
    assert "resuming with last_event_id=evt_000004" in result.stdout
    assert "GET  after delete -> 404 NOT_FOUND" in result.stdout
    assert "FAILED" not in result.stdout


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "serve" in out
    assert "demo" in out


def test_help_through_the_installed_script() -> None:
    result = subprocess.run([*COMMAND, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert re.search(r"^\s+serve\s", result.stdout, re.MULTILINE)
    assert re.search(r"^\s+demo\s", result.stdout, re.MULTILINE)


def test_serve_help_documents_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--speed", "--seed", "--quiet"):
        assert option in out


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "COMMAND" in capsys.readouterr().err
