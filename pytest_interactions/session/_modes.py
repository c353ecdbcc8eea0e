"""Record modes, with vcrpy's names and meanings."""

from __future__ import annotations

from vcr.record_mode import RecordMode

#: The modes pytest-interactions supports, as vcrpy defines them.
SUPPORTED: tuple[RecordMode, ...] = (
    RecordMode.NONE,
    RecordMode.ONCE,
    RecordMode.NEW_EPISODES,
    RecordMode.ALL,
)


def parse_mode(value: str | RecordMode) -> RecordMode:
    """A supported record mode from its name; a clear error names the choices otherwise."""
    try:
        mode = RecordMode(str(value.value if isinstance(value, RecordMode) else value).lower())
    except ValueError:
        mode = None
    if mode not in SUPPORTED:
        choices = ", ".join(m.value for m in SUPPORTED)
        raise ValueError(f"unknown record mode {value!r}; choose one of: {choices}")
    assert mode is not None
    return mode
