"""A one-line progress display for long commands, shown only on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")


class Progress:
    """``[n/total] label`` redrawn in place on ``stream`` when it is a TTY; silent otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._width = 0

    def show(self, done: int, label: str) -> None:
        if not self.enabled:
            return
        text = f"[{done}/{self.total}] {label}"[:100]
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = max(self._width, len(text))

    def clear(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def over(self, items: Iterable[T], label: str = "") -> Iterator[T]:
        """Yield ``items``, showing each one's position as it starts."""
        try:
            for done, item in enumerate(items, start=1):
                self.show(done, f"{label}{item}")
                yield item
        finally:
            self.clear()
