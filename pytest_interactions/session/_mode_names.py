"""The record modes' names and meanings, readable without importing vcrpy (the plugin's options)."""

from __future__ import annotations

DESCRIPTIONS: dict[str, str] = {
    "none": "replay only; the network is blocked and an unmatched request fails (default)",
    "once": "record when the cassette does not exist yet, else replay as 'none'",
    "new_episodes": "replay what matches, record what does not, and append it",
    "all": "record everything again and overwrite the cassette (alias: rewrite)",
}

#: Other names users type for a mode (pytest-recording's ``rewrite``), and the mode they mean.
ALIAS_NAMES: dict[str, str] = {"rewrite": "all"}
