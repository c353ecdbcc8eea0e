"""The ``interactions`` fixture's object: the session, where to connect, what happened."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_interactions.cassette import Cassette, Exchange
from pytest_interactions.faults import FaultPlan
from pytest_interactions.plugin import _options
from pytest_interactions.plugin._config import settings_for
from pytest_interactions.plugin._keys import FAILED_KEY
from pytest_interactions.plugin._shared import Role, SharedCassettes
from pytest_interactions.plugin._target import GEMINI_KEY_VARS, OPENAI_KEY_VARS, environment_key
from pytest_interactions.protocol import Transcript, Violation
from pytest_interactions.replay import History, compile_histories, continued_text, recorded_states
from pytest_interactions.session import Session

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
        self._raised: set[str] = set()

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
        """The key to give a Gemini client. Recording against a server the test names (base URL):
        ``$GEMINI_API_KEY``, else ``$GOOGLE_API_KEY``, else a stand-in (never a real key) for SDKs
        that refuse an empty one; otherwise the emulator's key."""
        return self._key(GEMINI_KEY_VARS)

    @property
    def openai_api_key(self) -> str:
        """The key to give an OpenAI client: as :attr:`api_key`, from ``$OPENAI_API_KEY``."""
        return self._key(OPENAI_KEY_VARS)

    def _key(self, names: tuple[str, ...]) -> str:
        if self.recording and self._base_url:
            return environment_key(names)
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

    def raise_for_violations(self) -> None:
        """Raise :class:`~pytest_interactions.ProtocolCheckError` now if the checks found mistakes
        so far (for ``pytest.raises``); mistakes raised here fail the test again at its end only
        when more were found since."""
        from pytest_interactions.session import ProtocolCheckError, session_report

        found = {str(violation) for violation in self.session.violations()}
        report = session_report(self.session) if found else None
        if report is not None:
            self._raised |= found
            raise ProtocolCheckError(report)

    def all_violations_raised(self) -> bool:
        """True when every mistake the checks find now was raised by :meth:`raise_for_violations`."""
        return {str(violation) for violation in self.session.violations()} <= self._raised

    def recorded_text(self, interaction_id: str) -> str:
        """The output text the recording shows for an interaction (what a correct client ends with)."""
        history = self._history(interaction_id)
        # Hops that continued the run (``requires_continuation``) are part of its output.
        histories, cassette = self._histories(interaction_id), self._cassette()
        return continued_text(history, histories, cassette) if cassette is not None else ""

    def recorded_calls(self, interaction_id: str) -> list[dict[str, Any]]:
        """The function calls the recording shows for an interaction: ``id``, ``name`` and the
        ``arguments`` its ``arguments_delta`` pieces join into (what a correct client ends with)."""
        for interaction in recorded_states(self._history(interaction_id)):
            # Gemini lists steps; OpenAI lists output items, naming a call's id ``call_id``.
            items = (
                (interaction.get("steps") or interaction.get("output")) if interaction is not None else None
            )
            calls = [
                {
                    "id": item.get("id") if "call_id" not in item else item.get("call_id"),
                    "name": item.get("name"),
                    "arguments": item.get("arguments"),
                }
                for item in items or []
                if isinstance(item, dict) and item.get("type") == "function_call"
            ]
            if calls:
                return calls
        return []

    def _cassette(self) -> Cassette | None:
        """The recording the helpers read: the cassette replayed, or what is recorded so far."""
        if self.recording:
            return self.session.cassette_to_write()
        return self.session.cassette

    def _history(self, interaction_id: str) -> History:
        """The recorded history of an interaction (of what is recorded so far, while recording)."""
        return self._histories(interaction_id)[interaction_id]

    def _histories(self, interaction_id: str) -> Mapping[str, History]:
        """The recorded histories, ``interaction_id``'s among them (else ``KeyError``)."""
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
        return histories

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
    """The test's session, opened with the settings merged for it."""
    settings = settings_for(request)
    try:
        session = Session(settings.session)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    return Interactions(
        session,
        base_url=settings.base_url,
        speed=settings.speed,
        seed=settings.seed,
        virtual_time=settings.virtual_time,
        node=request.node,
        shared=settings.shared,
        role=settings.duty,
        contract=settings.contract,
    )
