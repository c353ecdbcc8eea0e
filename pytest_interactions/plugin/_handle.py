"""The ``interactions`` fixture's object: the session, where to connect, what happened."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from pytest_interactions.cassette import Exchange, SecretPolicy
from pytest_interactions.emulator import Emulator
from pytest_interactions.plugin import _options
from pytest_interactions.session import Session, SessionConfig

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-\[\]]+")
EMULATOR_KEY = "emulator-key"


class Interactions:
    """What a test sees of its session."""

    def __init__(self, session: Session, *, base_url: str, speed: float) -> None:
        self.session = session
        self._base_url = base_url
        self._speed = speed
        self._emulator: Emulator | None = None

    @property
    def cassette_path(self) -> Path:
        return self.session.path

    @property
    def record_mode(self) -> str:
        return str(self.session.mode.value)

    @property
    def recording(self) -> bool:
        """True when requests the cassette does not answer reach a real server."""
        return self.session.recording

    @property
    def exchanges(self) -> list[Exchange]:
        """The exchanges of this test so far, in request order (replayed or recorded)."""
        return list(self.session.exchanges)

    @property
    def emulator(self) -> Emulator | None:
        """The embedded emulator this session records against (started on first use)."""
        if self._emulator is None and self.recording and not self._base_url:
            self._emulator = Emulator(speed=self._speed).start()
        return self._emulator

    @property
    def base_url(self) -> str:
        """Where the client under test should connect.

        Recording: the configured API, else the embedded emulator. Replaying: the address the
        cassette was recorded against (nothing connects there; the transport answers).
        """
        if self.recording:
            url = self._base_url or (self.emulator.base_url if self.emulator else "")
            self.session.meta.setdefault("base_url", url)
            return url
        return str(self.session.meta.get("base_url") or "http://127.0.0.1:9")

    @property
    def api_key(self) -> str:
        """The key to give the client: the real one only when recording against a real API."""
        if self.recording and self._base_url:
            return os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY") or ""
        return EMULATOR_KEY

    def close(self) -> None:
        try:
            self.session.save()
        finally:
            if self._emulator is not None:
                self._emulator.stop()


def cassette_path(request: pytest.FixtureRequest, name: str | None) -> Path:
    """``<cassette dir>/<name>`` or ``<cassette dir>/<module path>/<test name>.yaml``."""
    root = Path(request.config.rootpath)
    directory = Path(_options.cassette_dir(request.config))
    if not directory.is_absolute():
        directory = root / directory
    if name:
        path = directory / name
        return path if path.suffix else path.with_suffix(".yaml")
    module = Path(str(request.node.path)).with_suffix("")
    try:
        module = module.relative_to(root)
    except ValueError:
        module = Path(module.name)
    return directory / module / f"{_UNSAFE.sub('_', request.node.name)}.yaml"


def open_session(request: pytest.FixtureRequest) -> Interactions:
    config = request.config
    marker = request.node.get_closest_marker(_options.MARKER)
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    policy = SecretPolicy().extended(
        headers=config.getini("interactions_filter_headers"),
        query_parameters=config.getini("interactions_filter_query_parameters"),
        json_keys=config.getini("interactions_filter_json_keys"),
        env_vars=config.getini("interactions_secret_env_vars"),
    )
    mode = options.pop("record_mode", None) or _options.record_mode(config)
    path = cassette_path(request, options.pop("cassette", None))
    match_on = options.pop("match_on", None) or config.getini("interactions_match_on")
    if options:
        raise pytest.UsageError(
            f"@pytest.mark.interactions got unknown options: {', '.join(sorted(options))}"
        )
    try:
        session = Session(SessionConfig(path, mode, tuple(match_on), policy))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    return Interactions(session, base_url=_options.base_url(config), speed=_options.emulator_speed(config))
