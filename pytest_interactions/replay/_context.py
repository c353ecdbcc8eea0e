"""What one replaying session's responders share: its clock, its transcript, what its fault plan
did, what it noted, and the one lock under which a request is answered."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from pytest_interactions.cassette import Exchange
from pytest_interactions.protocol import ApiDefinition, RequestRecord, Transcript
from pytest_interactions.replay._call import Call
from pytest_interactions.replay._faulted import Views
from pytest_interactions.replay._firing import Firing
from pytest_interactions.replay._made_up import ErrorAnswers, MadeUpError
from pytest_interactions.transport import Complete


@dataclass
class Serving:
    """One session's replay state; responders read and add to it while holding :attr:`lock`."""

    now: Callable[[], float]
    reach: Callable[[float], float]
    """Lets time reach a moment (never back) and tells the time then."""
    transcript: Transcript
    firing: Firing
    views: Views
    note: Callable[[Exchange], None]
    """Told of every exchange served: the client's request with what it was answered."""
    error_answers: ErrorAnswers
    max_streams: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Held while a request is answered or a stream's next chunk worked out: a fallback session
    serves the threads the code under test starts."""
    problems: list[str] = field(default_factory=list)
    """Resumes from positions the stream never had."""
    stalls: list[str] = field(default_factory=list)
    """Stalls met by a client without a read timeout (it would wait forever)."""
    loops: list[str] = field(default_factory=list)
    """Reconnect loops stopped at ``max_streams`` streams of one interaction."""
    touched: set[str] = field(default_factory=set)
    """Interactions whose state or stream the client read (their polls and streams are played)."""
    deleted: dict[str, float] = field(default_factory=dict)

    def error(
        self,
        call: Call,
        api: ApiDefinition,
        error: MadeUpError,
        interaction_id: str | None,
        operation: str | None,
        *,
        note: str = "",
        record: bool = True,
        target: str | None = None,
    ) -> Complete:
        """A made-up error answer to ``call``, in the transcript (unless ``record`` is false: the
        request is there already) and among the exchanges served."""
        if record:
            self.transcript.add_request(
                RequestRecord(
                    call.now,
                    call.request.method,
                    call.target if target is None else target,
                    error.status,
                    interaction_id,
                    operation,
                    note,
                    error.retry_after,
                )
            )
        answer, shown = self.error_answers.answer(api, error)
        self.note(Exchange(call.now, call.request, shown))
        return answer
