"""How a session is configured, and how it answers requests: chosen once, when it starts."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vcr.record_mode import RecordMode

from pytest_interactions.cassette import RecordedRequest, RecordedResponse, SecretPolicy
from pytest_interactions.faults import FaultPlan
from pytest_interactions.protocol import DEFAULT_THRESHOLDS, Thresholds
from pytest_interactions.replay import DEFAULT_MATCH_ON, Matcher

REPLAY_STYLES = ("server", "tape")


@dataclass
class SessionConfig:
    """How a session records and replays.

    ``replay="server"`` answers from the compiled cassette (state over time, resume from any
    event, faults); ``"tape"`` answers each request with the next matching recording, in order.
    ``checks=None`` runs every check when a fault is planned; ``True``/``False`` force them on
    or off; a collection names the checks to run. ``recording_clock`` times what is recorded
    (seconds, any origin; default: the real monotonic clock): give it a simulated server's
    clock, such as an emulator's in manual mode (``emulator.clock.now``), to record a long
    session at that clock's pace instead of waiting through it for real. ``keep_headers`` names
    transport headers to record although they vary between runs (``user-agent``, ``host``, ...:
    see :data:`pytest_interactions.record.VOLATILE_HEADERS`).
    """

    cassette_path: Path
    record_mode: RecordMode | str = RecordMode.NONE
    match_on: Sequence[str | Matcher] = DEFAULT_MATCH_ON
    secrets: SecretPolicy = field(default_factory=SecretPolicy)
    block_network: bool = True
    meta: dict[str, Any] = field(default_factory=dict)
    faults: FaultPlan = field(default_factory=FaultPlan)
    checks: bool | Collection[str] | None = None
    virtual_time: bool = True
    replay: str = "server"
    recording_clock: Callable[[], float] | None = None
    live: bool = False
    """Pass requests through to the server without touching the cassette: nothing is replayed,
    recorded or written (a live run of a recorded suite)."""
    before_record_request: Callable[[RecordedRequest], RecordedRequest | None] | None = None
    """Called on each recorded request before it is written: return it (changed or not), or
    ``None`` to leave the whole exchange out of the cassette."""
    before_record_response: Callable[[RecordedResponse], RecordedResponse | None] | None = None
    """Called on each recorded response before it is written: return it, or ``None`` to drop it."""
    ignore_hosts: Collection[str] = ()
    """Hosts whose requests are neither recorded nor replayed: they go to the network as they are."""
    allow_hosts: Collection[str] = ()
    """Hosts a replaying test may still reach (loopback always may)."""
    keep_headers: Collection[str] = ()
    max_streams: int = 200
    """Streams of one interaction a replaying client may open; the next one fails the test as a
    reconnect loop that never ends (one that reconnects after the end, say)."""
    speed: float | None = None
    """Replay off the virtual clock at this many recorded seconds per real second, waiting for real
    (a replay served to another process, which no virtual clock reaches); ``None``: without the
    virtual clock, replayed time jumps ahead instead of waiting."""
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    """The floors the pacing checks hold the client to (``backoff``, ``poll_interval``)."""


@dataclass(frozen=True)
class Answering:
    """How a session answers requests, chosen once when it starts.

    ``replay`` is the style requests are first answered in from the cassette (``server``,
    ``tape``; ``None``: not replayed); ``records`` sends what replay does not answer to the
    network and records it; ``live`` passes everything through untouched.
    """

    replay: str | None
    records: bool
    live: bool = False

    @classmethod
    def choose(cls, config: SessionConfig, mode: RecordMode, exists: bool) -> Answering:
        if config.live:
            return cls(None, True, live=True)
        replays = exists and mode is not RecordMode.ALL
        records = mode in (RecordMode.ALL, RecordMode.NEW_EPISODES) or (
            mode is RecordMode.ONCE and not exists
        )
        return cls(config.replay if replays else None, records)
