"""Whether another process still runs: the holder of a lock, the recorder of a shared cassette."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True unless process ``pid`` is known to be gone (another user's process counts as alive)."""
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """The process has exited and only waits for its parent to reap it (Linux: state ``Z``)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False
