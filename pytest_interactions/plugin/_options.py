"""Command-line options, ini keys and markers of the plugin."""

from __future__ import annotations

import pytest

SERVER_MARKER = "interactions_server"
DEFAULT_EMULATOR_SPEED = 200.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("interactions", "record and replay Interactions API sessions")
    group.addoption(
        "--interactions-emulator-speed",
        type=float,
        default=None,
        help="speed factor of the interactions_server emulator "
        f"(ini: interactions_emulator_speed; default {DEFAULT_EMULATOR_SPEED:g})",
    )
    parser.addini(
        "interactions_emulator_speed",
        help=f"speed factor of the interactions_server emulator (default {DEFAULT_EMULATOR_SPEED:g})",
        default=str(DEFAULT_EMULATOR_SPEED),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SERVER_MARKER}(**options): options for the interactions_server emulator, as "
        "pytest_interactions.emulator.Emulator takes them (speed=, manual=, seed=, "
        "cancel_delay=, api_keys=, max_streams=).",
    )


def emulator_speed(config: pytest.Config) -> float:
    """The emulator speed from the command line, else the ini file, else the default."""
    option = config.getoption("--interactions-emulator-speed")
    if option is not None:
        return float(option)
    return float(config.getini("interactions_emulator_speed"))
