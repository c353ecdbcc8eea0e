"""Fixtures of the plugin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_interactions.emulator import Emulator
from pytest_interactions.plugin._options import SERVER_MARKER, emulator_speed


@pytest.fixture
def interactions_server(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A running Interactions API emulator on a free loopback port; ``.base_url`` to connect.

    Options come from ``@pytest.mark.interactions_server(speed=..., manual=True, ...)``; the
    speed defaults to ``--interactions-emulator-speed`` / ini ``interactions_emulator_speed``.
    """
    options: dict[str, object] = {"speed": emulator_speed(request.config)}
    marker = request.node.get_closest_marker(SERVER_MARKER)
    if marker is not None:
        options.update(marker.kwargs)
    with Emulator(**options) as emulator:  # type: ignore[arg-type]
        yield emulator
