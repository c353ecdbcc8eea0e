"""Record modes, with vcrpy's names and meanings."""

from __future__ import annotations

from vcr.record_mode import RecordMode

from pytest_interactions.session._mode_names import ALIAS_NAMES

#: The modes pytest-interactions supports, as vcrpy defines them.
SUPPORTED: tuple[RecordMode, ...] = (
    RecordMode.NONE,
    RecordMode.ONCE,
    RecordMode.NEW_EPISODES,
    RecordMode.ALL,
)


#: Other names users type for a mode (pytest-recording's ``rewrite``).
ALIASES: dict[str, RecordMode] = {alias: RecordMode(mode) for alias, mode in ALIAS_NAMES.items()}


def parse_mode(value: str | RecordMode) -> RecordMode:
    """A supported record mode from its name; a clear error names the choices otherwise."""
    name = str(value.value if isinstance(value, RecordMode) else value).lower()
    if name in ALIASES:
        return ALIASES[name]
    try:
        mode = RecordMode(name)
    except ValueError:
        mode = None
    if mode not in SUPPORTED:
        choices = ", ".join([*(m.value for m in SUPPORTED), *ALIASES])
        raise ValueError(f"unknown record mode {value!r}; choose one of: {choices}")
    assert mode is not None
    return mode
