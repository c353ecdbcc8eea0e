"""Where the plugin keeps its per-test and per-run state (stash keys), importable at no cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_interactions.plugin._handle import Interactions
    from pytest_interactions.plugin._shared import SharedCassettes
    from pytest_interactions.transport import Blocking

#: The test's session, while it runs.
SESSION_KEY: pytest.StashKey[Interactions] = pytest.StashKey()
#: The run-wide network block of a test (``--interactions-block-network``).
BLOCK_KEY: pytest.StashKey[Blocking] = pytest.StashKey()
#: This run's plan of shared cassettes.
SHARED_KEY: pytest.StashKey[SharedCassettes] = pytest.StashKey()
#: Whether the test failed (for the rule on saving cassettes of failed tests).
FAILED_KEY: pytest.StashKey[bool] = pytest.StashKey()
#: Unplayed exchanges reported at the end of the run.
UNPLAYED_KEY: pytest.StashKey[list[str]] = pytest.StashKey()
#: A failure the plugin raised as its own exception class, reported as its message alone.
RAISED_KEY: pytest.StashKey[BaseException] = pytest.StashKey()
#: The ``vcr_config`` keys this run has warned about already.
VCR_WARNED_KEY: pytest.StashKey[set[str]] = pytest.StashKey()
