"""Text recorded from a server, made safe to print: control characters shown, never obeyed."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, and C1 controls: ESC and OSC sequences, BEL, a CR that
# would overwrite the line, all start with one of these.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` with every control character but tab and newline written as ``\\xNN``."""
    if _CONTROLS.search(text) is None:
        return text
    return _CONTROLS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
