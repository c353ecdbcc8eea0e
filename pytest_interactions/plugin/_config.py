"""One test's settings, merged in one place: ini keys and command-line options, a ``vcr_config``
fixture, the ``interactions_config`` fixture, and the marker, in that order of precedence (for the
server to record against: marker, ``interactions_config``, command line, ini, environment)."""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_interactions.cassette import SecretPolicy
from pytest_interactions.faults import FaultNotAppliedError, FaultPlan
from pytest_interactions.plugin import _options
from pytest_interactions.plugin._each_event import PARAM, CutPoint
from pytest_interactions.plugin._keys import SHARED_KEY, VCR_WARNED_KEY
from pytest_interactions.plugin._marker import OPTIONS, check_config, parse_marker
from pytest_interactions.plugin._naming import cassette_path, marker_kwargs, test_name
from pytest_interactions.plugin._shared import Role, SharedCassettes, plans_faults, role
from pytest_interactions.plugin._target import chosen_base_url
from pytest_interactions.protocol import Thresholds
from pytest_interactions.session import SessionConfig, parse_mode


@dataclass(frozen=True)
class TestSettings:
    """Everything that decides how one test's session runs."""

    __test__ = False  # not a test class, whatever pytest's naming rules say

    session: SessionConfig
    duty: Role
    """What the test does with its cassette when others share it."""
    shared: SharedCassettes | None
    base_url: str
    speed: float
    seed: int
    virtual_time: bool
    contract: bool


def settings_for(request: pytest.FixtureRequest) -> TestSettings:
    """The settings of the test ``request`` runs: command line and ini first, then ``vcr_config``,
    then ``interactions_config``, then the marker, each overriding what came before."""
    config = request.config
    defaults = {**_from_vcr_config(request), **(request.getfixturevalue("interactions_config") or {})}
    kwargs = marker_kwargs(request.node)
    failure: str | None = None
    try:
        check_config(defaults)
        options = parse_marker({**{k: v for k, v in defaults.items() if k in OPTIONS}, **kwargs})
        base_url = _base_url(config, kwargs, defaults)
    except ValueError as exc:
        failure = str(exc)
    if failure is not None:  # the marker's own words, without a traceback through the fixture
        pytest.fail(failure, pytrace=False)
    policy = SecretPolicy().extended(
        headers=[*config.getini("interactions_filter_headers"), *defaults.get("filter_headers", ())],
        query_parameters=[
            *config.getini("interactions_filter_query_parameters"),
            *defaults.get("filter_query_parameters", ()),
        ],
        json_keys=[*config.getini("interactions_filter_json_keys"), *defaults.get("filter_json_keys", ())],
        env_vars=config.getini("interactions_secret_env_vars"),
    )
    mode = parse_mode(options.record_mode or _options.record_mode(config)).value
    path = cassette_path(config, request.node, kwargs)
    live = bool(config.getoption("--interactions-disable-recording"))
    no_faults = live or bool(config.getoption("--interactions-no-faults"))
    if no_faults:
        options.faults = FaultPlan()
    shared = config.stash.get(SHARED_KEY, None)
    duty = role(
        shared if not live else None,
        path,
        request.node.nodeid,
        mode,
        plans_faults(request.node, kwargs) and not no_faults,
    )
    match_on = options.match_on or tuple(config.getini("interactions_match_on"))
    point = getattr(getattr(request.node, "callspec", None), "params", {}).get(PARAM)
    if isinstance(point, CutPoint) and point.cut is None:
        raise FaultNotAppliedError(
            f"disconnect='each-event' cannot apply to {path}: the cassette has no recorded stream "
            "to cut (record a test that streams, or remove disconnect='each-event')"
        )
    if isinstance(point, CutPoint) and point.cut is not None and not no_faults:
        options.faults.disconnect(point.cut, interaction_id=point.interaction_id)
    session_config = SessionConfig(
        path,
        duty.mode,
        match_on,
        policy,
        faults=options.faults,
        checks=options.checks,
        virtual_time=options.virtual_time,
        replay=options.replay,
        live=live,
        before_record_request=defaults.get("before_record_request"),
        before_record_response=defaults.get("before_record_response"),
        ignore_hosts=tuple(defaults.get("ignore_hosts", ())),
        allow_hosts=(*_options.allow_hosts(config), *defaults.get("allow_hosts", ())),
        keep_headers=tuple(config.getini("interactions_keep_headers")),
        max_streams=_options.max_streams(config),
        thresholds=_thresholds({**_options.thresholds(config), **options.thresholds}),
    )
    return TestSettings(
        session=session_config,
        duty=duty,
        shared=shared,
        base_url=base_url,
        speed=_options.emulator_speed(config),
        seed=_emulator_seed(request.node),
        virtual_time=options.virtual_time,
        contract=bool(config.getoption("--interactions-contract", default=False)),
    )


def _thresholds(seconds: dict[str, float]) -> Thresholds:
    """The pacing checks' floors: ini keys overridden by the marker's options."""
    return Thresholds(
        min_retry_delay=seconds.get("min_retry_delay", Thresholds.min_retry_delay),
        min_poll_interval=seconds.get("min_poll_interval", Thresholds.min_poll_interval),
    )


def _base_url(config: pytest.Config, kwargs: dict[str, Any], defaults: dict[str, Any]) -> str:
    """The server the test records against: the marker's ``base_url``, else ``interactions_config``'s,
    else the command line's, the ini file's or the environment's; ``""``: the embedded emulator."""
    return chosen_base_url(
        [
            ("@pytest.mark.interactions(base_url=...)", kwargs.get("base_url")),
            ("interactions_config['base_url']", defaults.get("base_url")),
            *_options.base_url_sources(config),
        ]
    )


def _from_vcr_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A ``vcr_config`` fixture's settings (a suite moving from pytest-recording), as far as they
    map; each key that does not is named once, in a warning."""
    try:
        value = request.getfixturevalue("vcr_config")
    except pytest.FixtureLookupError:
        return {}
    from pytest_interactions.plugin._vcr_config import VcrConfigWarning, translated

    mapped, ignored = translated({} if value is None else value)
    warned = request.config.stash.setdefault(VCR_WARNED_KEY, set())
    for line in ignored:
        if line not in warned:
            warned.add(line)
            message = f"vcr_config key not honoured by pytest-interactions: {line}"
            warnings.warn(VcrConfigWarning(message), stacklevel=2)
    return mapped


def _emulator_seed(node: pytest.Item | Any) -> int:
    """The embedded emulator's seed: fixed for a test, so that re-recording it gives the same ids
    (from any checkout: the file is named as the node id names it, relative to the rootdir), and
    different between tests, so that tests sharing a cassette never share an id."""
    module = str(getattr(node, "nodeid", "")).split("::", 1)[0] or str(node.path)
    return zlib.crc32(f"{module}::{test_name(node)}".encode())
