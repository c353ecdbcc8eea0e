"""Entering and leaving the virtual clock, per test, against the number of modules imported.

The virtual clock stands on time-machine, which patches the C time functions themselves: its
cost should not grow with the size of the program under test. freezegun's start (what the clock
stood on before) scans every loaded module for references to the time functions; it is measured
beside it when installed.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from _timer import now


def _import_modules(workdir: Path, count: int) -> None:
    """Import ``count`` small modules holding what real modules hold: time functions, datetimes."""
    package = workdir / "clock_mods"
    package.mkdir(exist_ok=True)
    for n in range(count):
        module = package / f"m{n}.py"
        if not module.exists():
            module.write_text(
                "import time\nfrom datetime import datetime, date\nfrom time import monotonic\n"
                f"VALUE = {n}\n\n\ndef f():\n"
                "    return time.time(), monotonic(), datetime.now(), date.today()\n"
            )
    sys.path.insert(0, str(workdir))
    for n in range(count):
        importlib.import_module(f"clock_mods.m{n}")


def enter_leave(workdir: Path, extra_modules: int, rounds: int) -> dict[str, Any]:
    """Milliseconds to start and stop each clock once, medians over ``rounds``."""
    _import_modules(workdir, extra_modules)
    from pytest_interactions.clock import VirtualClock

    candidates: dict[str, Any] = {"VirtualClock": lambda: VirtualClock()}
    try:
        import time_machine

        candidates["time-machine"] = lambda: time_machine.travel(0, tick=False)
    except ImportError:
        pass
    try:
        import freezegun

        candidates["freezegun"] = lambda: freezegun.freeze_time("2026-01-01")
    except ImportError:
        pass
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, make in candidates.items():
            clock = make()
            started = now()
            clock.__enter__()
            clock.__exit__(None, None, None)
            samples[name].append(round((now() - started) * 1e3, 4))
    return {"unit": "ms", "modules": len(sys.modules), "samples": samples}
