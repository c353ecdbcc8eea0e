"""Fault plans for replay: where to cut streams, what reconnects and polls get, protocol faults.

A plan is declared on the marker (``disconnect="after:3"``) or on the fixture
(``interactions.faults.disconnect("every:2")``) and applied by the replay server, which keeps what
fired in the session that replays it: a plan is a declaration, never changed by replaying it.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from pytest_interactions._errors import Error

#: What httpx and httpx2 raise when a peer drops a chunked body (the real message).
DROP_ERROR = (
    "RemoteProtocolError",
    "peer closed connection without sending complete message body (incomplete chunked read)",
)
#: What they raise when a reconnect is refused.
REFUSED_ERROR = ("ConnectError", "[Errno 111] Connection refused")
#: What they raise when the server closes the connection before answering at all.
UNANSWERED_ERROR = ("RemoteProtocolError", "Server disconnected without sending a response.")
#: What they raise when a stream stops sending for longer than the client's read timeout.
STALL_ERROR = ("ReadTimeout", "timed out")

#: How a cut ends a connection: a drop (the peer goes away mid-body), a stall (nothing more is
#: sent; the client's read timeout fires) or a clean end (the body ends without an error, as a
#: proxy's idle timeout does).
CUT_KINDS = ("drop", "stall", "end")

_SPEC = re.compile(
    r"^(?:(?P<after>after):(?P<n>\d+)|(?P<mid>mid-event):(?P<m>\d+)|(?P<every>every):(?P<k>\d+)"
    r"|(?P<each>each-event)|(?P<type>event):(?P<event_type>[\w.\-]+):(?P<nth>\d+)"
    r"|(?P<random>random):(?P<seed>\d+)(?::(?P<count>\d+))?"
    r"|(?P<stall>stall):(?P<s>\d+)|(?P<end>end):(?P<e>\d+))$"
)


class FaultSpecError(Error, ValueError):
    """A fault specification that cannot be understood; the message shows the accepted forms."""


class FaultNotAppliedError(Error, AssertionError):
    """A planned fault could not apply to the recording, or never happened in the replay.

    Either way the test did not exercise what it declares, so it must not pass.
    """


SPEC_FORMS = (
    "after:N (cut after the N-th event), mid-event:N (cut inside the N-th event), "
    "every:N (cut after every N-th event), each-event (one test per cut point), "
    "event:TYPE:K (cut after the K-th event of TYPE), random:SEED[:COUNT] (seeded random cuts), "
    "stall:N (the stream stops sending after the N-th event; the client's read timeout fires), "
    "end:N (the stream ends cleanly after the N-th event, without its terminal event)"
)


@dataclass(frozen=True)
class Cut:
    """Where a stream is cut: after ``position`` events (1-based), or inside event ``position``.

    ``error`` is the exception (class name, message) to raise; a drop's by default.
    """

    position: int
    mid_event: bool = False
    label: str = ""
    error: tuple[str, str] = DROP_ERROR
    partial: bytes = b""
    """For a cut inside an event: the bytes sent before the drop (default: half the event)."""
    how: str = "drop"
    """``drop``, ``stall`` or ``end`` (see :data:`CUT_KINDS`)."""


@dataclass(frozen=True)
class CutRule:
    """A parsed ``disconnect=`` specification."""

    spec: str
    kind: str
    number: int = 0
    event_type: str = ""
    seed: int = 0
    count: int = 1

    def cuts(self, event_types: Sequence[str]) -> list[Cut]:
        """The cut points this rule gives for a stream with these event types, in order."""
        total = len(event_types)
        if self.kind == "after":
            return [Cut(self.number, False, self.spec)] if 0 < self.number <= total else []
        if self.kind == "mid-event":
            return [Cut(self.number, True, self.spec)] if 0 < self.number <= total else []
        if self.kind in ("stall", "end"):
            if not 0 < self.number <= total:
                return []
            error = STALL_ERROR if self.kind == "stall" else DROP_ERROR
            return [Cut(self.number, False, self.spec, error, how=self.kind)]
        if self.kind == "every":
            return [Cut(n, False, self.spec) for n in range(self.number, total + 1, self.number)]
        if self.kind == "event":
            seen = 0
            for index, kind in enumerate(event_types, start=1):
                seen += kind == self.event_type
                if kind == self.event_type and seen == self.number:
                    return [Cut(index, False, self.spec)]
            return []
        if self.kind == "random":
            if total == 0:
                return []
            chooser = random.Random(self.seed)
            positions = sorted(chooser.sample(range(1, total + 1), min(self.count, total)))
            return [Cut(p, chooser.random() < 0.5, self.spec) for p in positions]
        return []


def parse_disconnect(spec: str) -> CutRule:
    """Parse a ``disconnect=`` specification (see :data:`SPEC_FORMS`)."""
    match = _SPEC.match(spec.strip())
    if match is None:
        raise FaultSpecError(f"cannot understand disconnect={spec!r}; use one of: {SPEC_FORMS}")
    if match["after"]:
        rule = CutRule(spec, "after", int(match["n"]))
    elif match["mid"]:
        rule = CutRule(spec, "mid-event", int(match["m"]))
    elif match["every"]:
        rule = CutRule(spec, "every", int(match["k"]))
    elif match["each"]:
        rule = CutRule(spec, "each-event")
    elif match["stall"]:
        rule = CutRule(spec, "stall", int(match["s"]))
    elif match["end"]:
        rule = CutRule(spec, "end", int(match["e"]))
    elif match["type"]:
        rule = CutRule(spec, "event", int(match["nth"]), match["event_type"])
    else:
        rule = CutRule(spec, "random", seed=int(match["seed"]), count=int(match["count"] or 1))
    if rule.kind in ("after", "mid-event", "every", "event", "stall", "end") and rule.number < 1:
        raise FaultSpecError(f"disconnect={spec!r}: the count must be at least 1")
    return rule


@dataclass(frozen=True, eq=False)
class Answer:
    """An injected answer instead of the real one, ``times`` times: an HTTP error, or a refused
    connection. Each declared answer is its own (two alike are used up one after the other)."""

    status: int | None
    retry_after: float | None = None
    times: int = 1
    label: str = ""
    drops: bool = False
    """No answer after the request was sent: the server closed the connection (not a refusal)."""

    @property
    def refuses(self) -> bool:
        return self.status is None


@dataclass(frozen=True)
class ProtocolFault:
    """Turn a run into a failure, a cancellation or a requires_action pause after event N.

    ``on="polls"`` counts recorded poll answers instead of stream events: the first
    ``after_events`` polls show the recorded states, later ones the injected ending. A run with no
    recorded stream counts its polls whatever ``on`` says.
    """

    kind: str
    after_events: int
    message: str = "Injected failure."
    on: str = "events"

    @property
    def spec(self) -> str:
        middle = ":poll" if self.on == "polls" else ""
        return f"{self.kind}{middle}:{self.after_events}"


PROTOCOL_FAULTS = ("failure", "cancellation", "requires_action")


@dataclass
class FaultPlan:
    """The faults a test declares. Each stream cut fires once per session; each answer is given
    ``times`` times. Declaring adds to the plan; replaying it changes nothing in it."""

    rules: list[CutRule] = field(default_factory=list)
    interaction_id: str | None = None
    reconnects: list[Answer] = field(default_factory=list)
    polls: list[Answer] = field(default_factory=list)
    creates: list[Answer] = field(default_factory=list)
    protocol: ProtocolFault | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    planned: bool = False
    answers: list[Answer] = field(default_factory=list)
    """Every injected answer declared, in order."""
    gives_up_after: int | None = None
    """The client is meant to stop after this many failed reconnects in a row (None: never)."""

    @property
    def active(self) -> bool:
        """True when any fault was planned, used up or not (checks then run by default)."""
        return self.planned or bool(
            self.rules or self.reconnects or self.polls or self.creates or self.protocol
        )

    # -- declaring ---------------------------------------------------------------------------

    def disconnect(self, spec: str | Cut, *, interaction_id: str | None = None) -> FaultPlan:
        """Cut replayed streams as ``spec`` says (``after:3``, ``mid-event:2``, ``every:4``, ...)."""
        if isinstance(spec, Cut):
            rule = CutRule(
                spec.label or f"after:{spec.position}",
                "mid-event" if spec.mid_event else "after",
                spec.position,
            )
        else:
            rule = parse_disconnect(spec)
            if rule.kind == "each-event":
                raise FaultSpecError(
                    "disconnect='each-event' parametrizes a test at collection; declare it on the marker"
                )
        with self._lock:
            self.rules.append(rule)
            if interaction_id is not None:
                self.interaction_id = interaction_id
        return self

    def refuse_reconnects(self, times: int = 1) -> FaultPlan:
        """The next ``times`` reconnects after a cut fail with ``ConnectError``."""
        return self._answer(self.reconnects, Answer(None, None, times, f"refuse x{times}"))

    def fail_reconnects(
        self, status: int = 503, *, times: int = 1, retry_after: float | None = 1.0
    ) -> FaultPlan:
        """The next ``times`` reconnects after a cut are answered ``status`` (5xx or 429)."""
        return self._answer(self.reconnects, Answer(status, retry_after, times, f"{status} x{times}"))

    def fail_polls(self, status: int = 429, *, times: int = 1, retry_after: float | None = 1.0) -> FaultPlan:
        """The next ``times`` polls (GETs without stream) are answered ``status``."""
        return self._answer(self.polls, Answer(status, retry_after, times, f"polls {status} x{times}"))

    def fail_creates(
        self, status: int | str = 503, *, times: int = 1, retry_after: float | None = 1.0
    ) -> FaultPlan:
        """The next ``times`` creates (any create, continuation hops included) get ``status``
        (429, 5xx, or a 4xx that must not be retried), ``"refuse"`` (``ConnectError``: the
        request never left) or ``"drop"`` (the server closed the connection before answering)."""
        if status == "refuse":
            return self._answer(self.creates, Answer(None, None, times, f"creates refuse x{times}"))
        if status == "drop":
            return self._answer(self.creates, Answer(None, None, times, f"creates drop x{times}", drops=True))
        if not isinstance(status, int) and not str(status).isdigit():
            raise FaultSpecError(
                f"creates={status!r}: use an HTTP status (429, 503, 400, ...), 'refuse' or 'drop'"
            )
        code = int(status)
        if not 400 <= code <= 599:
            raise FaultSpecError(f"creates={status!r}: an injected answer is an HTTP error (400-599)")
        return self._answer(
            self.creates,
            Answer(
                code, retry_after if code == 429 or code >= 500 else None, times, f"creates {code} x{times}"
            ),
        )

    def _answer(self, queue: list[Answer], answer: Answer) -> FaultPlan:
        if answer.times < 1:
            raise FaultSpecError(f"{answer.label}: the count must be at least 1")
        with self._lock:
            queue.append(answer)
            self.answers.append(answer)
            self.planned = True
        return self

    def expect_give_up(self, after_failed_reconnects: int) -> FaultPlan:
        """Declare that the client is meant to stop after this many failed reconnects in a row
        (0: at the first cut, asking for nothing more: right for a stream that cannot be resumed).

        The ``complete`` check then verifies that it stopped exactly there, instead of asking it
        to read its stream to the end.
        """
        if after_failed_reconnects < 0:
            raise FaultSpecError("gives_up_after must be 0 (gives up at the first cut) or more")
        self.gives_up_after = after_failed_reconnects
        return self

    def inject(
        self, kind: str, *, after_events: int, message: str = "Injected failure.", on: str = "events"
    ) -> FaultPlan:
        """Turn each replayed run into a ``failure``, ``cancellation`` or ``requires_action``.

        The run keeps its first ``after_events`` events (at least one), or with ``on="polls"`` its
        first ``after_events`` recorded poll answers (0: the first poll already shows the ending);
        what follows is the injected ending, on the stream and in every later poll.
        """
        if kind not in PROTOCOL_FAULTS:
            raise FaultSpecError(f"unknown protocol fault {kind!r}; use one of: {', '.join(PROTOCOL_FAULTS)}")
        if on not in ("events", "polls"):
            raise FaultSpecError(f"inject on={on!r}: use 'events' or 'polls'")
        if after_events < (0 if on == "polls" else 1):
            raise FaultSpecError(
                f"inject='{kind}:{after_events}': a run keeps at least its first stream event "
                f"(the one that names it); for a run that shows {kind} from its first poll on, "
                f"use inject='{kind}:poll:0'"
                if on == "events"
                else f"inject='{kind}:poll:{after_events}': the number of recorded polls kept is 0 or more"
            )
        self.protocol = ProtocolFault(kind, after_events, message, on)
        return self

    # -- applying ----------------------------------------------------------------------------

    def cuts_for(self, interaction_id: str, event_types: Sequence[str]) -> list[Cut]:
        if self.interaction_id not in (None, interaction_id):
            return []
        return sorted(
            (cut for rule in self.rules for cut in rule.cuts(event_types)),
            key=lambda c: (c.position, not c.mid_event),
        )
