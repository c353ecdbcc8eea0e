"""Clients run as other processes against sessions served over loopback HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

HERE = Path(__file__).parent
FAST_CLIENTS = {"INTERACTIONS_BACKOFF": "0.01", "INTERACTIONS_BACKOFF_MS": "10"}
"""The clients' waits before reconnecting, shortened: served sessions run on real time."""
REST_CLIENT = [sys.executable, str(HERE / "rest_client.py")]


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``pytest-interactions ARGS...`` in a process of its own."""
    command = [sys.executable, "-m", "pytest_interactions.cli", *args]
    env = {**FAST_CLIENTS, **(os.environ if env is None else env)}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def rest_client(mode: str = "correct") -> Sequence[str]:
    return [*REST_CLIENT, mode]


@pytest.fixture(scope="session")
def recorded_rest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The REST client's session, recorded through the proxy against the embedded emulator."""
    path = tmp_path_factory.mktemp("front") / "rest.yaml"
    done = cli("record", "--cassette", str(path), "--", *rest_client())
    assert done.returncode == 0, done.stdout + done.stderr
    return path
