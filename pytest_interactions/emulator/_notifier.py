"""How the emulator's stream writers and waiting requests learn that something changed, across
threads: time advanced, a cancel, a delete."""

from __future__ import annotations

import asyncio
import contextlib

from pytest_interactions.emulator._activity import Activity


class Notifier:
    """Wakes stream writers when something changes (time advanced, a cancel, a delete)."""

    def __init__(self, activity: Activity | None = None) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self.activity = activity or Activity()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Safe from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            self.activity.waking()
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        self.activity.woke()
        if self._event is not None:
            self._event.set()
            self._event = asyncio.Event()

    def waiter(self) -> asyncio.Event:
        """The event the next notification sets: take it *before* reading the state waited on,
        so that a notification arriving in between is not lost."""
        assert self._event is not None
        return self._event

    async def wait(self, timeout: float | None, waiter: asyncio.Event | None = None) -> None:
        event = waiter if waiter is not None else self.waiter()
        with self.activity.waiting(woken=event.is_set()), contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
