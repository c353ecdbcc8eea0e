"""Counters that other threads watch: listeners called after every change."""

from __future__ import annotations

import contextlib
from collections.abc import Callable


class Observable:
    """Keeps listeners and calls each after a change (from the thread that made it)."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every change."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()
