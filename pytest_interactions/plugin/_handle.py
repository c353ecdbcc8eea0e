"""The ``interactions`` fixture's object: the session, where to connect, what happened."""

from __future__ import annotations

import os
import warnings
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_interactions import protocol
from pytest_interactions.cassette import Exchange, SecretPolicy
from pytest_interactions.faults import FaultNotAppliedError, FaultPlan
from pytest_interactions.plugin import _options
from pytest_interactions.plugin._each_event import PARAM, CutPoint
from pytest_interactions.plugin._keys import FAILED_KEY, SHARED_KEY, VCR_WARNED_KEY
from pytest_interactions.plugin._marker import OPTIONS, check_config, parse_marker
from pytest_interactions.plugin._naming import cassette_path, marker_kwargs, test_name
from pytest_interactions.plugin._shared import Role, SharedCassettes, plans_faults, role
from pytest_interactions.protocol import Transcript, Violation
from pytest_interactions.replay import compile_histories
from pytest_interactions.session import Session, SessionConfig, parse_mode

if TYPE_CHECKING:
    from pytest_interactions.emulator import Emulator
    from pytest_interactions.session import ScenarioTime

EMULATOR_KEY = "emulator-key"


class Interactions:
    """What a test sees of its session."""

    def __init__(
        self,
        session: Session,
        *,
        base_url: str,
        speed: float,
        seed: int = 0,
        virtual_time: bool = True,
        node: Any = None,
        shared: SharedCassettes | None = None,
        role: Role | None = None,
        contract: bool = False,
    ) -> None:
        self.session = session
        self._contract = contract
        self._base_url = base_url
        self._speed = speed
        self._seed = seed
        self._virtual_time = virtual_time
        self._node = node
        self._shared = shared
        self._role = role or Role(session.mode.value)
        self._emulator: Emulator | None = None
        self._scenario_time: ScenarioTime | None = None

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
        """The embedded emulator this session records against (started on first use).

        Unless the marker says ``virtual_time=False``, the test then runs on the emulator's
        scenario clock: sleeps move it on at once, and a client waiting for the next event of
        a stream jumps to it (see :class:`~pytest_interactions.session.ScenarioTime`).
        """
        if self._emulator is None and self.recording and not self._base_url:
            from pytest_interactions.emulator import Emulator
            from pytest_interactions.session import record_on_emulator

            emulator = Emulator(speed=self._speed, seed=self._seed, manual=self._virtual_time)
            # Ids recorded before stay theirs: a new interaction must not answer as an old one.
            cassette = self.session.cassette
            emulator.store.reserve(compile_histories(cassette) if cassette is not None else ())
            self._emulator = emulator.start()
            self._scenario_time = record_on_emulator(self.session, emulator)
        return self._emulator

    @property
    def base_url(self) -> str:
        """Where the client under test should connect.

        Recording: the configured API, else the embedded emulator. Replaying: the address the
        cassette was recorded against (nothing connects there; the transport answers).
        """
        if self.recording:
            if self._base_url:
                self.session.meta.setdefault("base_url", self._base_url)
                return self._base_url
            return self.emulator.base_url if self.emulator else ""
        return str(self.session.meta.get("base_url") or "http://127.0.0.1:9")

    @property
    def api_key(self) -> str:
        """The key to give the client: the real one only when recording against a real API."""
        if self.recording and self._base_url:
            return os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY") or ""
        return EMULATOR_KEY

    @property
    def faults(self) -> FaultPlan:
        """The fault plan of this test's replay: add cuts and injected answers before requesting.

        In contract mode the test is skipped here, saying why: it records live, without faults.
        """
        if self._contract:
            from pytest_interactions.plugin._contract import FAULTS_SKIPPED

            pytest.skip(FAULTS_SKIPPED.format(what="interactions.faults"))
        return self.session.faults

    @property
    def transcript(self) -> Transcript:
        """What the client did in replay: requests on virtual time, stream connections with their
        events, cuts and resumes, and the statuses it saw."""
        return self.session.transcript

    @property
    def now(self) -> float:
        """Seconds since the test started: virtual in replay, scenario seconds while recording on
        the emulator's clock."""
        return self.session.now()

    def violations(self) -> list[Violation]:
        """The protocol mistakes found so far by the enabled checks."""
        return self.session.violations()

    def recorded_text(self, interaction_id: str) -> str:
        """The output text the recording shows for an interaction (what a correct client ends with)."""
        streamed, polled = self._recorded(interaction_id)
        text = protocol.output_text(streamed) if streamed is not None else ""
        return text or (protocol.output_text(polled) if polled is not None else "")

    def recorded_calls(self, interaction_id: str) -> list[dict[str, Any]]:
        """The function calls the recording shows for an interaction: ``id``, ``name`` and the
        ``arguments`` its ``arguments_delta`` pieces join into (what a correct client ends with)."""
        for interaction in self._recorded(interaction_id):
            steps = interaction.get("steps") if interaction is not None else None
            calls = [
                {"id": step.get("id"), "name": step.get("name"), "arguments": step.get("arguments")}
                for step in steps or []
                if isinstance(step, dict) and step.get("type") == "function_call"
            ]
            if calls:
                return calls
        return []

    def _recorded(self, interaction_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The interaction as its recorded stream tells it, and as its last recorded poll shows it."""
        server = self.session.server
        histories = server.histories if server is not None else {}
        if interaction_id not in histories:
            # Tape replay reads the cassette; recording, what has been recorded so far (the first
            # run of a test that compares its result with the recording records it).
            cassette = self.session.cassette
            if cassette is not None and server is None:
                histories = compile_histories(cassette)
            if interaction_id not in histories and self.recording:
                histories = compile_histories(self.session.cassette_to_write())
        if interaction_id not in histories:
            raise KeyError(
                f"the cassette {self.cassette_path} has no replayable interaction {interaction_id!r}"
            )
        history = histories[interaction_id]
        streamed = None
        if history.events:
            streamed = (
                protocol.InteractionFold().extend(e.payload for e in history.events if e.payload).snapshot()
            )
        snapshots = [r.body.value for _, r in history.snapshots if r.body is not None]
        polled = snapshots[-1] if snapshots and isinstance(snapshots[-1], dict) else None
        return streamed, polled

    def close(self) -> None:
        """Stop scenario time, then write what was recorded (unless the test failed and such
        cassettes are not kept)."""
        outcome = "nothing was recorded"
        scenario_time, self._scenario_time = self._scenario_time, None
        try:
            if scenario_time is not None:
                scenario_time.stop()
        finally:
            try:
                failed = self._node is not None and self._node.stash.get(FAILED_KEY, False)
                if failed and self.recording and not _options.save_failed(self._node.config):
                    outcome = "the test failed while recording, and interactions_save_failed is false"
                elif self.session.save():
                    outcome = "written"
            finally:
                if self._role.records_for_others and self._shared is not None:
                    self._shared.finished(self.cassette_path, outcome)
                if self._emulator is not None:
                    self._emulator.stop()


def open_session(request: pytest.FixtureRequest) -> Interactions:
    config = request.config
    defaults = {**_from_vcr_config(request), **(request.getfixturevalue("interactions_config") or {})}
    kwargs = marker_kwargs(request.node)
    failure: str | None = None
    try:
        check_config(defaults)
        options = parse_marker({**{k: v for k, v in defaults.items() if k in OPTIONS}, **kwargs})
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
    )
    try:
        session = Session(session_config)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    return Interactions(
        session,
        base_url=_options.base_url(config),
        speed=_options.emulator_speed(config),
        seed=_emulator_seed(request.node),
        virtual_time=options.virtual_time,
        node=request.node,
        shared=shared,
        role=duty,
        contract=bool(config.getoption("--interactions-contract", default=False)),
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
