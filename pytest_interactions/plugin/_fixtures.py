"""Fixtures of the plugin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from pytest_interactions.plugin._options import MARKER, SERVER_MARKER, emulator_speed

if TYPE_CHECKING:  # loaded by the fixtures, so that a run without them does not import them
    from pytest_interactions.emulator import Emulator
    from pytest_interactions.plugin._handle import Interactions

SESSION_KEY = pytest.StashKey["Interactions"]()


@pytest.fixture
def interactions_server(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A running Interactions API emulator on a free loopback port; ``.base_url`` to connect.

    Options come from ``@pytest.mark.interactions_server(speed=..., manual=True, ...)``; the
    speed defaults to ``--interactions-emulator-speed`` / ini ``interactions_emulator_speed``.
    """
    from pytest_interactions.emulator import Emulator

    options: dict[str, object] = {"speed": emulator_speed(request.config)}
    marker = request.node.get_closest_marker(SERVER_MARKER)
    if marker is not None:
        options.update(marker.kwargs)
    with Emulator(**options) as emulator:  # type: ignore[arg-type]
        yield emulator


@pytest.fixture
def interactions(request: pytest.FixtureRequest) -> Iterator[Interactions]:
    """This test's recording session: replays its cassette, or records it (see the record mode).

    ``.base_url`` is where to point the client (the embedded emulator or the configured API while
    recording; the recorded address in replay), ``.exchanges`` what this test exchanged,
    ``.cassette_path`` where it is kept.
    """
    from pytest_interactions.faults import FaultNotAppliedError
    from pytest_interactions.plugin._handle import open_session

    failure: str | None = None
    try:
        handle = open_session(request)
    except FaultNotAppliedError as exc:
        failure = f"FaultNotAppliedError: {exc}"
    if failure is not None:  # outside the except: the report shows the message once, not chained
        pytest.fail(failure, pytrace=False)
    request.node.stash[SESSION_KEY] = handle
    try:
        with handle.session.activate():
            yield handle
    finally:
        # The item outlives the test (pytest keeps every item to the end of the run): a finished
        # session left in its stash would keep the cassette and transcript alive.
        del request.node.stash[SESSION_KEY]
        handle.close()


@pytest.fixture(autouse=True)
def _interactions_marker(request: pytest.FixtureRequest) -> None:
    """Give tests marked ``@pytest.mark.interactions`` their session without asking for it."""
    if request.node.get_closest_marker(MARKER) is not None and "interactions" not in request.fixturenames:
        request.getfixturevalue("interactions")
