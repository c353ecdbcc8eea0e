"""What the emulator is busy with, so that whoever drives its manual clock knows when all is quiet.

A request counts from the moment its head is read until its answer is written; while it waits for
scenario time to pass (a stream for its next event, a blocking create for the run's end) it counts
as waiting. Body bytes are counted per client connection, so that a driver can tell whether the
client has read everything written to it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pytest_interactions._observable import Observable


@dataclass(frozen=True)
class ActivityState:
    """One consistent reading of :class:`Activity`."""

    handling: int
    """Requests read and not yet fully answered."""
    unanswered: int
    """Of those, requests whose response headers are not written yet."""
    waiting: int
    """Of those, requests waiting for scenario time to pass."""
    written: dict[int, int] = field(default_factory=dict)
    """Body bytes written on each open connection, by the client's port (each complete body
    counts one more)."""

    @property
    def idle(self) -> bool:
        """Nothing runs: every request in hand waits for scenario time."""
        return self.handling == self.waiting


class Activity(Observable):
    """Counters the emulator keeps up to date from its own thread; read from any other."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._handling = 0
        self._unanswered = 0
        self._waits: set[object] = set()
        # Wake-ups sent (from any thread) and carried out (on the emulator's loop): while one
        # is on its way, a wait that begins ends at once and does not count as waiting.
        self._wakeups_sent = 0
        self._wakeups_done = 0
        self._written: dict[int, int] = {}

    def state(self) -> ActivityState:
        with self._lock:
            return ActivityState(self._handling, self._unanswered, len(self._waits), dict(self._written))

    @contextlib.contextmanager
    def request(self) -> Iterator[Callable[[], None]]:
        """Count a request for the duration; call the yielded function once its headers are written."""
        answered = False

        def headers_written() -> None:
            nonlocal answered
            if not answered:
                answered = True
                with self._lock:
                    self._unanswered -= 1
                self._changed()

        with self._lock:
            self._handling += 1
            self._unanswered += 1
        self._changed()
        try:
            yield headers_written
        finally:
            with self._lock:
                self._handling -= 1
                if not answered:
                    self._unanswered -= 1
            self._changed()

    @contextlib.contextmanager
    def waiting(self, *, woken: bool = False) -> Iterator[None]:
        """Count a wait for scenario time to pass, unless it is ``woken`` already (or a wake-up
        is on its way)."""
        token = object()
        with self._lock:
            counted = not woken and self._wakeups_sent == self._wakeups_done
            if counted:
                self._waits.add(token)
        if counted:
            self._changed()
        try:
            yield
        finally:
            with self._lock:
                counted = token in self._waits
                self._waits.discard(token)
            if counted:
                self._changed()

    def waking(self) -> None:
        """A wake-up of every wait is on its way (time moved, or state changed): none counts as
        waiting from now."""
        with self._lock:
            self._wakeups_sent += 1
            self._waits.clear()
        self._changed()

    def woke(self) -> None:
        """A wake-up was carried out."""
        with self._lock:
            self._wakeups_done += 1

    def wrote(self, port: int, size: int) -> None:
        """``size`` body bytes were written to the client connected from ``port``."""
        with self._lock:
            self._written[port] = self._written.get(port, 0) + size
        self._changed()

    def ended(self, port: int) -> None:
        """A body written to ``port`` is complete: its end counts as one more byte, so that a
        client still reading up to it is not taken for one waiting for time to pass."""
        self.wrote(port, 1)

    def opened(self, port: int) -> None:
        with self._lock:
            self._written[port] = 0
        self._changed()

    def closed(self, port: int) -> None:
        with self._lock:
            self._written.pop(port, None)
        self._changed()
