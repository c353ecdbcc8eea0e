"""Command-line options, ini keys and markers of the plugin."""

from __future__ import annotations

import os

import pytest

from pytest_interactions.session import DESCRIPTIONS, SUPPORTED

SERVER_MARKER = "interactions_server"
MARKER = "interactions"
DEFAULT_EMULATOR_SPEED = 200.0
DEFAULT_CASSETTE_DIR = "cassettes"
BASE_URL_ENV = "INTERACTIONS_BASE_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("interactions", "record and replay Interactions API sessions")
    modes = "; ".join(f"{name}: {text}" for name, text in DESCRIPTIONS.items())
    group.addoption(
        "--interactions-record-mode",
        choices=[mode.value for mode in SUPPORTED],
        default=None,
        help=f"record mode of cassettes (ini: interactions_record_mode). {modes}",
    )
    group.addoption(
        "--interactions-cassette-dir",
        default=None,
        help="directory of cassettes, relative to the rootdir "
        f"(ini: interactions_cassette_dir; default {DEFAULT_CASSETTE_DIR!r})",
    )
    group.addoption(
        "--interactions-base-url",
        default=None,
        help="API to record against, e.g. https://generativelanguage.googleapis.com "
        f"(ini: interactions_base_url, env ${BASE_URL_ENV}); unset: the embedded emulator",
    )
    group.addoption(
        "--interactions-emulator-speed",
        type=float,
        default=None,
        help="speed factor of the emulator used by interactions_server, and for recording with "
        "virtual_time=False (recording otherwise runs on the emulator's scenario clock) "
        f"(ini: interactions_emulator_speed; default {DEFAULT_EMULATOR_SPEED:g})",
    )
    parser.addini("interactions_record_mode", "record mode of cassettes (default none)", default="none")
    parser.addini(
        "interactions_cassette_dir",
        f"directory of cassettes (default {DEFAULT_CASSETTE_DIR!r})",
        default=DEFAULT_CASSETTE_DIR,
    )
    parser.addini("interactions_base_url", "API to record against (unset: the embedded emulator)", default="")
    parser.addini(
        "interactions_emulator_speed",
        f"speed factor of the embedded emulator (default {DEFAULT_EMULATOR_SPEED:g})",
        default=str(DEFAULT_EMULATOR_SPEED),
    )
    parser.addini(
        "interactions_match_on",
        "request parts that must match in replay (vcrpy matcher names)",
        type="args",
        default=["method", "path", "query", "body"],
    )
    parser.addini(
        "interactions_filter_headers", "more headers scrubbed from cassettes", type="linelist", default=[]
    )
    parser.addini(
        "interactions_filter_query_parameters",
        "more query parameters scrubbed from cassettes",
        type="linelist",
        default=[],
    )
    parser.addini(
        "interactions_filter_json_keys",
        "more JSON body keys scrubbed from cassettes",
        type="linelist",
        default=[],
    )
    parser.addini(
        "interactions_keep_headers",
        "transport headers to keep in cassettes although they vary between runs (user-agent, "
        "x-goog-api-client, content-length, host, accept-encoding, connection are left out)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "interactions_secret_env_vars",
        "more environment variables whose values must never appear in a cassette "
        "(GEMINI_API_KEY and GOOGLE_API_KEY always are)",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(cassette=None, record_mode=None, match_on=None, disconnect=None, reconnect=None, "
        "polls=None, inject=None, checks=None, virtual_time=True, replay='server'): record or replay "
        "this test's httpx / httpx2 traffic; in replay, cut streams (disconnect='after:N', "
        "'mid-event:N', 'every:N', 'each-event', ...), inject answers and protocol faults, and check "
        "that the client resumed correctly. See docs/plugin.md.",
    )
    config.addinivalue_line(
        "markers",
        f"{SERVER_MARKER}(**options): options for the interactions_server emulator, as "
        "pytest_interactions.emulator.Emulator takes them (speed=, manual=, seed=, "
        "cancel_delay=, api_keys=, max_streams=).",
    )


def _option_or_ini(config: pytest.Config, option: str, ini: str) -> str:
    value = config.getoption(option)
    return str(value) if value is not None else str(config.getini(ini))


def emulator_speed(config: pytest.Config) -> float:
    """The emulator speed from the command line, else the ini file, else the default."""
    return float(_option_or_ini(config, "--interactions-emulator-speed", "interactions_emulator_speed"))


def record_mode(config: pytest.Config) -> str:
    return _option_or_ini(config, "--interactions-record-mode", "interactions_record_mode")


def cassette_dir(config: pytest.Config) -> str:
    return _option_or_ini(config, "--interactions-cassette-dir", "interactions_cassette_dir")


def base_url(config: pytest.Config) -> str:
    return _option_or_ini(config, "--interactions-base-url", "interactions_base_url") or os.environ.get(
        BASE_URL_ENV, ""
    )
