"""Recording on a simulated server's clock: the client's time is the emulator's scenario time.

While a session records against an emulator in manual mode, the client runs on the virtual clock
and the two move together: a ``time.sleep(10)`` (or ``asyncio.sleep(10)``) moves scenario time on
by 10 s at once, and a client blocked waiting for the server (a stream's next event, a create that
answers when the run ends) makes scenario time jump to the emulator's next scheduled event. Time
only jumps when all is quiet: the emulator waits for time to pass, every request sent has reached
it and every byte it wrote has been read, so a re-recording moves time at the same points and
records the same times.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pytest_interactions.clock import Poll, VirtualClock, real_monotonic
from pytest_interactions.emulator import Emulator
from pytest_interactions.record import Traffic
from pytest_interactions.session._session import Session

#: Real seconds without any progress after which a waiting client moves scenario time on even
#: though something is unaccounted for (a client the recorder does not see holds a connection).
STALL = 1.0
#: Real seconds an event loop waits for its sockets between two looks at the emulator.
_POLL = 0.002
#: The address cassettes recorded against an emulator name, whatever its port was: re-recording
#: gives the same file, and a replaying client that is not intercepted fails at once (``.invalid``
#: never resolves).
EMULATOR_BASE_URL = "http://emulator.invalid"


def record_on_emulator(session: Session, emulator: Emulator) -> ScenarioTime | None:
    """Record what ``session`` sends to ``emulator`` so that re-recording gives the same cassette:
    under :data:`EMULATOR_BASE_URL`, starting at the scenario epoch, and, with the emulator in manual
    mode, on its scenario clock (the :class:`ScenarioTime` returned, started; stop it when done)."""
    recorder = session.recorder
    if recorder is None:
        raise ValueError(f"the session of {session.path} replays; there is nothing to record")
    recorder.record_origin_as(emulator.base_url, EMULATOR_BASE_URL)
    session.meta["base_url"] = EMULATOR_BASE_URL
    session.meta["started_at"] = emulator.clock.epoch.isoformat()
    if not emulator.clock.manual:
        return None
    traffic = Traffic()
    recorder.traffic = traffic
    recorder.retime(emulator.clock.now, emulator.clock.now())
    scenario_time = ScenarioTime(emulator, traffic).start()
    session.clock = scenario_time.clock

    def on_real_time(origin: str) -> None:
        """The client talks to another server (its base URL from its own config): that server
        runs on real time, so the session does too from here on, never a mix of the two."""
        elapsed = emulator.clock.now() - recorder.started
        scenario_time.stop()
        session.clock = None
        recorder.traffic = None
        recorder.retime(real_monotonic, real_monotonic() - elapsed)
        session.meta["base_url"] = origin
        session.meta.pop("started_at", None)

    recorder.elsewhere = on_real_time
    return scenario_time


class ScenarioTime:
    """Runs a recording client on an emulator's scenario clock (``start()`` / ``stop()``)."""

    def __init__(self, emulator: Emulator, traffic: Traffic, *, start: datetime | None = None) -> None:
        if not emulator.clock.manual:
            raise ValueError("recording on scenario time needs an emulator in manual mode")
        self.emulator = emulator
        self.traffic = traffic
        # The client's clock reads what the emulator's timestamps say now.
        self.clock = VirtualClock(start or emulator.clock.epoch + timedelta(seconds=emulator.clock.now()))
        self._address = (emulator.host, emulator.port)
        self._changed = threading.Condition()
        self._generation = 0
        self._progress_at = real_monotonic()
        self._stopped = False
        self._driver: threading.Thread | None = None
        self._syncing = threading.local()
        self._last_get: tuple[str, float] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> ScenarioTime:
        """Freeze the client's time at the emulator's, and keep them moving together."""
        self.clock.start()
        try:
            self.clock.follow(self._follow)
            self.emulator.follow(self._emulator_moved)
            self.clock.pace_with(self)
        except BaseException:
            self.clock.stop()
            raise
        self.emulator.activity.subscribe(self._note_change)
        self.traffic.subscribe(self._note_change)
        self.traffic.on_send(self._sending)
        self._driver = threading.Thread(target=self._drive, name="interactions-scenario-time", daemon=True)
        self._driver.start()
        return self

    def stop(self) -> None:
        with self._changed:
            if self._stopped:
                return
            self._stopped = True
            self._changed.notify_all()
        if self._driver is not None:
            self._driver.join(5.0)
            self._driver = None
        self.emulator.activity.unsubscribe(self._note_change)
        self.traffic.unsubscribe(self._note_change)
        self.emulator.unfollow(self._emulator_moved)
        self.clock.stop()

    def now(self) -> float:
        """Scenario seconds since the emulator started."""
        return self.emulator.clock.now()

    # -- keeping the clocks together ---------------------------------------------------------

    def _follow(self, seconds: float) -> None:
        """The client's time moved (a sleep, a jump): the emulator's moves with it."""
        self._move(self.emulator.advance, seconds)

    def _emulator_moved(self, seconds: float) -> None:
        """The test moved the emulator (``advance``, ``step``): the client's time moves with it."""
        self._move(self.clock.advance, seconds)

    def _move(self, other: Callable[[float], None], seconds: float) -> None:
        if getattr(self._syncing, "active", False):
            return  # the other clock moved this one: it has moved already
        self._syncing.active = True
        try:
            other(seconds)
        finally:
            self._syncing.active = False

    def _note_change(self) -> None:
        with self._changed:
            self._generation += 1
            self._progress_at = real_monotonic()
            self._changed.notify_all()

    def quiet(self) -> bool:
        """Only the passing of scenario time can make anything happen now."""
        return self._quiet(stalled=False)

    def _settled(self) -> bool:
        """Quiet, or all but unread bytes are, and nothing has moved for :data:`STALL` real
        seconds (a connection the recorder does not see, whose bytes nobody will ever count)."""
        return self._quiet(stalled=real_monotonic() - self._progress_at > STALL)

    def _quiet(self, *, stalled: bool) -> bool:
        server = self.emulator.activity.state()
        client = self.traffic.state()
        if not server.idle or client.unanswered != server.unanswered:
            return False
        return stalled or all(
            client.received.get((self._address, port), 0) == written
            for port, written in server.written.items()
        )

    def _next_event_in(self) -> float | None:
        upcoming = self.emulator.next_event_at()
        if upcoming is None:
            return None
        # Time moves in whole microseconds: never less than one, or the jump would be no move.
        return max(1e-6, upcoming - self.emulator.clock.now())

    # -- moving time for a waiting client ----------------------------------------------------

    def _forgotten(self) -> bool:
        """Something waits for scenario time and nothing has moved for :data:`STALL` real seconds:
        a client the recorder does not see (``requests``, a raw socket) may be waiting for it."""
        return real_monotonic() - self._progress_at > STALL and self.emulator.activity.state().waiting > 0

    def _sending(self, method: str, url: str) -> None:
        """A GET sent again with no scenario time passed since the last one is a client polling
        without pause: it waits for time as surely as a sleeping one, so once all is quiet, time
        moves to the emulator's next event before the poll goes out. The rule reads only the
        requests, so a re-recording polls the same number of times."""
        if method != "GET":
            self._last_get = None
            return
        now = self.clock.now()
        repeat = self._last_get == (url, now)
        if repeat:
            with self._changed:
                self._changed.wait_for(lambda: self._stopped or self.quiet(), timeout=STALL)
            ahead = self._next_event_in()
            if ahead is not None:
                self._progress_at = real_monotonic()
                self.clock.advance(ahead)
        self._last_get = (url, self.clock.now())

    def _drive(self) -> None:
        """For synchronous clients: while a thread is blocked on the emulator and all is quiet,
        jump to the emulator's next event."""
        while True:
            with self._changed:
                if self._stopped:
                    return
                generation = self._generation
            if (self.traffic.state().blocked and self._settled()) or self._forgotten():
                ahead = self._next_event_in()
                if ahead is not None:
                    self._progress_at = real_monotonic()
                    self.clock.advance(ahead)
                    continue
            with self._changed:
                if self._generation == generation and not self._stopped:
                    self._changed.wait(0.05)

    def jump(self, timeout: float | None) -> float | None:
        """For event loops that keep their own select (trio): how far virtual time may move now,
        towards their next timer (``timeout``) or the emulator's next event a task awaits;
        ``None`` while it may not (the loop should wait for its sockets a moment)."""
        if not self._settled():
            return None
        ahead = self._next_event_in() if self.traffic.state().awaiting else None
        if ahead is not None and (timeout is None or ahead <= timeout):
            self._progress_at = real_monotonic()
            return ahead
        return timeout

    def wait(self, poll: Poll, timeout: float | None) -> list[Any]:
        """For event loops with nothing to run: once all is quiet, jump to their next timer, or
        to the emulator's next event when it comes first and a task awaits the emulator; until
        then wait for their sockets (and for threads working for them)."""
        remaining = timeout
        while True:
            if self._settled():
                ahead = self._next_event_in() if self.traffic.state().awaiting else None
                if ahead is not None and (remaining is None or ahead <= remaining):
                    self._progress_at = real_monotonic()
                    self.clock.advance(ahead)
                    if remaining is not None:
                        remaining -= ahead
                elif remaining is not None:
                    self.clock.advance(remaining)
                    return []
            ready = poll(_POLL)
            if ready:
                return ready
