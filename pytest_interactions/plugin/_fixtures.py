"""Fixtures of the plugin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_interactions.faults import FaultNotAppliedError
from pytest_interactions.plugin import _options
from pytest_interactions.plugin._failures import raise_as_itself
from pytest_interactions.plugin._keys import BLOCK_KEY, SESSION_KEY
from pytest_interactions.plugin._options import MARKER, SERVER_MARKER, emulator_speed
from pytest_interactions.plugin._shared import RecordingUnavailableError

# What a test needs is imported when a test needs it, so that the plugin's start stays cheap.
if TYPE_CHECKING:
    from pytest_interactions.emulator import Emulator
    from pytest_interactions.plugin._handle import Interactions

__all__ = ["BLOCK_KEY", "SESSION_KEY"]


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


@pytest.fixture(scope="session")
def interactions_config() -> dict[str, Any]:
    """Defaults for every test's ``interactions`` session. Override it in a conftest.py, at any
    scope, to set ``record_mode``, ``match_on``, ``checks``, ``virtual_time``, ``replay``,
    ``base_url`` (the server to record against), more ``filter_headers`` /
    ``filter_query_parameters`` / ``filter_json_keys`` / ``secret_values``,
    ``before_record_request`` / ``before_record_response`` hooks and ``ignore_hosts``. A marker's
    options win over these; the cassette and faults belong on markers.
    """
    return {}


@pytest.fixture
def interactions(request: pytest.FixtureRequest) -> Iterator[Interactions]:
    """This test's recording session: replays its cassette, or records it (see the record mode).

    Attributes: ``base_url``, ``api_key`` and ``openai_api_key`` (where and how the client
    connects: the configured API or the embedded emulator while recording, the recorded address in
    replay), ``recording``, ``record_mode``, ``cassette_path``, ``exchanges`` (what this test
    exchanged), ``emulator`` (the embedded emulator while recording against it, else None), ``now``
    (seconds since the test started, virtual in replay), ``faults`` (the replay's FaultPlan),
    ``transcript`` (what the client did in replay), ``violations()`` and ``raise_for_violations()``,
    ``recorded_text(id)`` and ``recorded_calls(id)`` (what a correct client ends with),
    ``session``. See docs/plugin.md.
    """

    from pytest_interactions.plugin._handle import open_session

    failure: Exception | None = None
    try:
        handle = open_session(request)
    except (FaultNotAppliedError, RecordingUnavailableError) as exc:
        failure = exc
    if failure is not None:  # outside the except: the report shows the message once, not chained
        raise_as_itself(request.node, failure)
    request.node.stash[SESSION_KEY] = handle
    try:
        with handle.session.activate():
            # Recording on the embedded emulator's clock starts now, before the test body: an
            # event loop the test starts (a trio run) must find virtual time already running.
            _ = handle.emulator
            yield handle
    finally:
        # The item outlives the test (pytest keeps every item to the end of the run): a finished
        # session left in its stash would keep the cassette and transcript alive.
        del request.node.stash[SESSION_KEY]
        handle.close()


@pytest.fixture(autouse=True)
def _interactions_network(request: pytest.FixtureRequest) -> Iterator[None]:
    """``--interactions-block-network``: no test reaches hosts other than loopback and the allowed."""
    if not _options.block_network(request.config):
        yield
        return
    from pytest_interactions.transport import block_network

    allowed = _options.allow_hosts(request.config)
    with block_network(allowed, reason="(--interactions-block-network)") as block:
        request.node.stash[BLOCK_KEY] = block
        yield


@pytest.fixture(autouse=True)
def _interactions_marker(request: pytest.FixtureRequest) -> None:
    """Give tests marked ``@pytest.mark.interactions`` their session without asking for it."""
    if request.node.get_closest_marker(MARKER) is not None and "interactions" not in request.fixturenames:
        request.getfixturevalue("interactions")
