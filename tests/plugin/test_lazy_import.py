"""Loading the plugin at pytest's start imports none of the heavy parts: they load when a test needs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "vcr",
    "time_machine",
    "httpx_sse",
    "requests",
    "yaml",
    "pytest_interactions.emulator",
    "pytest_interactions.cassette",
    "pytest_interactions.replay",
    "pytest_interactions.session._session",
    "pytest_interactions.clock",
)


def _modules_after(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_importing_the_plugin_loads_no_heavy_module() -> None:
    loaded = _modules_after("import pytest_interactions.plugin")
    assert sorted(name for name in HEAVY if name in loaded) == []


def test_the_heavy_modules_load_once_a_session_is_opened() -> None:
    loaded = _modules_after(
        "import pytest_interactions.plugin\nfrom pytest_interactions.session import Session"
    )
    assert "vcr" in loaded
    assert "pytest_interactions.replay" in loaded


def test_the_option_offers_every_supported_record_mode() -> None:
    from pytest_interactions.session import DESCRIPTIONS, SUPPORTED

    assert list(DESCRIPTIONS) == [mode.value for mode in SUPPORTED]


def test_a_session_test_runs_without_warnings(pytester: pytest.Pytester) -> None:
    """Other plugins that rewrite vcrpy's modules (pytest-recording) find them not yet imported."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.interactions(record_mode="once")
        def test_replay(interactions):
            assert interactions.exchanges == []
        """
    )
    result = pytester.runpytest_subprocess("-W", "error::pytest.PytestAssertRewriteWarning")
    result.assert_outcomes(passed=1)
    assert "warning" not in result.stdout.lines[-1]


def test_a_replaying_test_does_not_load_the_emulator() -> None:
    loaded = _modules_after("import pytest_interactions.plugin._handle")
    assert "pytest_interactions.session._session" in loaded
    assert "pytest_interactions.emulator" not in loaded


def test_the_contract_options_default_is_the_differs() -> None:
    from pytest_interactions.contract import DEFAULT_TIMING_TOLERANCE
    from pytest_interactions.plugin._contract import DEFAULT_TIMING_TOLERANCE as SHOWN

    assert SHOWN == DEFAULT_TIMING_TOLERANCE
