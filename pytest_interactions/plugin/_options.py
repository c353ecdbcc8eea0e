"""Command-line options, ini keys and markers of the plugin."""

from __future__ import annotations

import os

import pytest

from pytest_interactions.session import ALIAS_NAMES, DESCRIPTIONS

SERVER_MARKER = "interactions_server"
MARKER = "interactions"
DEFAULT_EMULATOR_SPEED = 200.0
DEFAULT_CASSETTE_DIR = "cassettes"
BASE_URL_ENV = "INTERACTIONS_BASE_URL"
UNPLAYED = ("ignore", "report", "fail")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("interactions", "record and replay Interactions API sessions")
    modes = "; ".join(f"{name}: {text}" for name, text in DESCRIPTIONS.items())
    group.addoption(
        "--interactions-record-mode",
        choices=[*DESCRIPTIONS, *ALIAS_NAMES],
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
    group.addoption(
        "--interactions-disable-recording",
        action="store_true",
        default=False,
        help="run the suite live, without touching cassettes: requests go to the configured API (or "
        "the embedded emulator), nothing is replayed, recorded or written, and no fault applies",
    )
    group.addoption(
        "--interactions-no-faults",
        action="store_true",
        default=False,
        help="run without the faults markers plan: to record the cassettes that only fault tests use",
    )
    group.addoption(
        "--interactions-save-failed",
        choices=["yes", "no"],
        default=None,
        help="write the cassette of a test that failed while recording (ini: interactions_save_failed; "
        "default yes)",
    )
    group.addoption(
        "--interactions-unplayed",
        choices=UNPLAYED,
        default=None,
        help="recorded exchanges a replayed test never used: 'ignore' them, 'report' them at the end "
        "of the run, or 'fail' the test (ini: interactions_unplayed; default ignore)",
    )
    group.addoption(
        "--interactions-block-network",
        action="store_true",
        default=None,
        help="refuse every test's connections and DNS look-ups to hosts other than loopback and the "
        "allowed ones, for the whole run (ini: interactions_block_network); a refused attempt fails "
        "the test even when the code swallows the error",
    )
    group.addoption(
        "--interactions-allow-hosts",
        default=None,
        metavar="HOST,...",
        help="hosts (names or addresses) a blocked test may still reach (ini: interactions_allow_hosts)",
    )
    parser.addini(
        "interactions_block_network",
        "refuse non-loopback connections for the whole run",
        type="bool",
        default=False,
    )
    parser.addini(
        "interactions_allow_hosts", "hosts a blocked test may still reach", type="linelist", default=[]
    )
    parser.addini("interactions_unplayed", "ignore, report or fail on unplayed exchanges", default="ignore")
    parser.addini("interactions_record_mode", "record mode of cassettes (default none)", default="none")
    parser.addini(
        "interactions_save_failed",
        "write the cassette of a test that failed while recording (default true)",
        type="bool",
        default=True,
    )
    parser.addini(
        "interactions_min_retry_delay",
        "seconds a replayed client must wait before retrying a failure that asked for no wait "
        "(the backoff check; default 0.25)",
        default="0.25",
    )
    parser.addini(
        "interactions_min_poll_interval",
        "seconds between polls of one run below which repeated polls are a storm (the poll_interval "
        "check; default 0.5)",
        default="0.5",
    )
    parser.addini(
        "interactions_max_streams",
        "streams of one interaction a replaying client may open before its reconnect loop is "
        "stopped as one that never ends (default 200)",
        default="200",
    )
    parser.addini(
        "interactions_wait_timeout",
        "seconds a test waits for the test recording a cassette it shares (default 300)",
        default="300",
    )
    parser.addini(
        "interactions_cassette_dir",
        f"directory of cassettes (default {DEFAULT_CASSETTE_DIR!r})",
        default=DEFAULT_CASSETTE_DIR,
    )
    parser.addini(
        "interactions_cassette_layout",
        "where a test's cassette lies by default: 'module-path' (<cassette dir>/<module path>/<test>"
        ".yaml, the default) or 'pytest-recording' (<test module's folder>/cassettes/<module>/<test>"
        ".yaml, where pytest-recording keeps them)",
        default="module-path",
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
        "(GEMINI_API_KEY, GOOGLE_API_KEY and OPENAI_API_KEY always are)",
        type="linelist",
        default=[],
    )


def register_markers(config: pytest.Config) -> None:
    from pytest_interactions.plugin._marker import OPTIONS

    signature = ", ".join(f"{name}=..." for name in OPTIONS)
    options = "; ".join(f"{name}: {text}" for name, text in OPTIONS.items())
    config.addinivalue_line(
        "markers",
        f"{MARKER}({signature}): record or replay this test's HTTP traffic (httpx, httpx2, "
        "aiohttp, requests), cut streams, inject faults and check that the client resumed correctly; module, "
        f"class and function markers merge, the closest winning. Options: {options}. See docs/plugin.md.",
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


def unplayed(config: pytest.Config) -> str:
    """What to do about recorded exchanges a replayed test never used."""
    value = _option_or_ini(config, "--interactions-unplayed", "interactions_unplayed")
    if value not in UNPLAYED:
        raise pytest.UsageError(f"interactions_unplayed = {value!r}; choose one of: {', '.join(UNPLAYED)}")
    return value


def block_network(config: pytest.Config) -> bool:
    """Whether every test runs with the network blocked (not only replaying ones)."""
    value = config.getoption("--interactions-block-network")
    return bool(value) if value is not None else bool(config.getini("interactions_block_network"))


def allow_hosts(config: pytest.Config) -> list[str]:
    """Hosts a blocked test may still reach."""
    value = config.getoption("--interactions-allow-hosts")
    if value is not None:
        return [host.strip() for host in str(value).split(",") if host.strip()]
    return [str(host) for host in config.getini("interactions_allow_hosts")]


def save_failed(config: pytest.Config) -> bool:
    """Whether the cassette of a test that failed while recording is written."""
    value = config.getoption("--interactions-save-failed")
    return value == "yes" if value is not None else bool(config.getini("interactions_save_failed"))


def record_mode(config: pytest.Config) -> str:
    return _option_or_ini(config, "--interactions-record-mode", "interactions_record_mode")


def thresholds(config: pytest.Config) -> dict[str, float]:
    """The ini keys of the pacing checks' floors, as seconds of at least 0."""
    found = {}
    for name in ("min_retry_delay", "min_poll_interval"):
        key = f"interactions_{name}"
        value = str(config.getini(key)).strip()
        try:
            found[name] = float(value)
        except ValueError:
            found[name] = -1.0
        if not found[name] >= 0:
            raise pytest.UsageError(f"{key} = {value!r}: give a number of seconds, 0 or more")
    return found


def max_streams(config: pytest.Config) -> int:
    """The ini key ``interactions_max_streams``: a whole number of at least 1."""
    value = str(config.getini("interactions_max_streams")).strip()
    if not value.isdigit() or int(value) < 1:
        raise pytest.UsageError(f"interactions_max_streams = {value!r}: give a whole number of at least 1")
    return int(value)


def cassette_layout(config: pytest.Config) -> str:
    """``module-path`` or ``pytest-recording``; anything else is a usage error naming both."""
    layout = str(config.getini("interactions_cassette_layout") or "module-path")
    if layout not in ("module-path", "pytest-recording"):
        raise pytest.UsageError(
            f"interactions_cassette_layout = {layout!r}: use 'module-path' or 'pytest-recording'"
        )
    return layout


def cassette_dir(config: pytest.Config) -> str:
    return _option_or_ini(config, "--interactions-cassette-dir", "interactions_cassette_dir")


def base_url_sources(config: pytest.Config) -> list[tuple[str, object]]:
    """Where the run names the API to record against, closest first: command line, ini file,
    environment (a test's marker and ``interactions_config`` come before these)."""
    return [
        ("--interactions-base-url", config.getoption("--interactions-base-url")),
        ("ini interactions_base_url", config.getini("interactions_base_url")),
        (f"${BASE_URL_ENV}", os.environ.get(BASE_URL_ENV)),
    ]


def base_url(config: pytest.Config) -> str:
    """The run's API to record against, as given (``""``: the embedded emulator)."""
    return next((str(value) for _, value in base_url_sources(config) if value), "")
