"""Pausing the garbage collector while many small objects are built at once."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Building thousands of objects triggers full collections that find nothing, each one
    walking every object already alive (a loaded cassette holds hundreds of thousands)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
