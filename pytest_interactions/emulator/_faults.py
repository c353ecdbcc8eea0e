"""Server-side faults: real disconnects, stalls, refusals and error answers, for recording."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class StreamFault:
    """What to do to the next matching stream after ``after_events`` events of it."""

    after_events: int
    mid_event: bool = False
    stall: float | None = None
    interaction_id: str | None = None
    times: int = 1


@dataclass
class Rejection:
    """Answer the next matching requests with an HTTP error instead of serving them."""

    status: int
    retry_after: float | None = None
    operation: str | None = None
    times: int = 1
    message: str = ""


class ServerFaults:
    """Faults queued by a test; each applies to the next matching connection or request.

    ``drop_stream`` closes the TCP connection without the terminating chunk, exactly as a
    network failure does, so clients raise their real exception.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: list[StreamFault] = []
        self._rejections: list[Rejection] = []
        self._refusals = 0

    def drop_stream(
        self,
        after_events: int,
        *,
        mid_event: bool = False,
        times: int = 1,
        interaction_id: str | None = None,
    ) -> StreamFault:
        """Cut the next stream after ``after_events`` events (inside the next one if ``mid_event``)."""
        return self._add_stream(StreamFault(after_events, mid_event, None, interaction_id, times))

    def stall_stream(
        self,
        seconds: float,
        *,
        after_events: int = 0,
        times: int = 1,
        interaction_id: str | None = None,
    ) -> StreamFault:
        """Stop sending for ``seconds`` real seconds after ``after_events`` events, then go on."""
        return self._add_stream(StreamFault(after_events, False, seconds, interaction_id, times))

    def _add_stream(self, fault: StreamFault) -> StreamFault:
        if fault.after_events < 0 or fault.times < 1:
            raise ValueError("after_events must be >= 0 and times >= 1")
        with self._lock:
            self._streams.append(fault)
        return fault

    def refuse_connections(self, count: int = 1) -> None:
        """Reset the next ``count`` TCP connections as soon as they are accepted."""
        with self._lock:
            self._refusals += count

    def reject(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        operation: str | None = None,
        message: str = "",
    ) -> Rejection:
        """Answer the next ``times`` requests (of ``operation`` if given) with ``status``."""
        rejection = Rejection(status, retry_after, operation, times, message)
        with self._lock:
            self._rejections.append(rejection)
        return rejection

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._streams.clear()
            self._rejections.clear()
            self._refusals = 0

    def take_refusal(self) -> bool:
        with self._lock:
            if self._refusals > 0:
                self._refusals -= 1
                return True
            return False

    def take_rejection(self, operation: str) -> Rejection | None:
        with self._lock:
            for rejection in self._rejections:
                if rejection.operation in (None, operation):
                    rejection.times -= 1
                    if rejection.times == 0:
                        self._rejections.remove(rejection)
                    return rejection
            return None

    def take_stream_fault(self, interaction_id: str) -> StreamFault | None:
        with self._lock:
            for fault in self._streams:
                if fault.interaction_id in (None, interaction_id):
                    fault.times -= 1
                    if fault.times == 0:
                        self._streams.remove(fault)
                    return fault
            return None
