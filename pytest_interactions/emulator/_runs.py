"""Emulated interactions: each one's events over scenario time, and its state at any moment."""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_interactions import protocol
from pytest_interactions.emulator._clock import EmulatorClock
from pytest_interactions.emulator._script import Script


@dataclass(frozen=True)
class TimedEvent:
    """A stream event of a run: when it happens, and its JSON payload (with its id)."""

    at: float
    payload: Mapping[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.payload["event_id"])

    @property
    def event_type(self) -> str:
        return str(self.payload["event_type"])


@dataclass
class Run:
    """One interaction: its request, its events (fixed at creation, cut short by a cancel)."""

    id: str
    request: Mapping[str, Any]
    created_at: float
    base: dict[str, Any]
    events: list[TimedEvent] = field(default_factory=list)
    deleted: bool = False
    cancelled_at: float | None = None
    _times: list[float] = field(default_factory=list)

    def visible_count(self, now: float) -> int:
        """How many events have happened by scenario time ``now``."""
        return bisect.bisect_right(self._times, now)

    def position_of(self, event_id: str) -> int | None:
        """Index of the event with this id among the events already emitted, or ``None``."""
        for index, event in enumerate(self.events):
            if event.event_id == event_id:
                return index
        return None

    def snapshot(self, now: float, clock: EmulatorClock) -> dict[str, Any]:
        """The Interaction object as a GET at ``now`` sees it."""
        count = self.visible_count(now)
        fold = protocol.InteractionFold(self.base)
        fold.extend(event.payload for event in self.events[:count])
        result = fold.snapshot()
        last = self.events[count - 1].at if count else self.created_at
        result["updated"] = clock.timestamp(last)
        return result

    def status(self, now: float) -> str:
        """The status a GET at ``now`` reports."""
        status = str(self.base.get("status", protocol.IN_PROGRESS))
        for event in self.events[: self.visible_count(now)]:
            status = protocol.status_carried(event.payload) or status
        return status

    @property
    def ends_at(self) -> float:
        """Scenario time of the run's last event."""
        return self._times[-1] if self._times else self.created_at

    def next_event_at(self, now: float) -> float | None:
        """When the next event after ``now`` happens (``None``: no more events)."""
        count = self.visible_count(now)
        return self._times[count] if count < len(self._times) else None

    def append(self, at: float, payload: dict[str, Any]) -> None:
        payload.setdefault("event_id", f"evt_{len(self.events) + 1:06d}")
        self.events.append(TimedEvent(at, payload))
        self._times.append(at)

    def cut_after(self, now: float) -> None:
        """Drop every event that has not happened by ``now``."""
        count = self.visible_count(now)
        del self.events[count:]
        del self._times[count:]


class RunStore:
    """Every interaction the emulator knows, safe to use from the server and test threads."""

    def __init__(self, clock: EmulatorClock, *, seed: int = 0, cancel_delay: float = 1.0) -> None:
        self.clock = clock
        self.cancel_delay = cancel_delay
        self.lock = threading.RLock()
        self._runs: dict[str, Run] = {}
        self._random = random.Random(seed)
        self._reserved: set[str] = set()

    def reserve(self, ids: Iterable[str]) -> None:
        """Never hand out these ids: they belong to interactions recorded before (new_episodes)."""
        with self.lock:
            self._reserved.update(ids)

    def new_id(self) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        with self.lock:
            while True:
                run_id = "v1_" + "".join(self._random.choice(alphabet) for _ in range(24))
                if run_id not in self._reserved and run_id not in self._runs:
                    return run_id

    def create(
        self,
        request: Mapping[str, Any],
        script: Script,
        base: Mapping[str, Any],
        *,
        run_id: str | None = None,
    ) -> Run:
        """Start a run of ``script`` now and return it."""
        with self.lock:
            now = self.clock.now()
            run_id = run_id or self.new_id()
            created = self.clock.timestamp(now)
            base_obj = {
                "id": run_id,
                "object": "interaction",
                "status": protocol.IN_PROGRESS,
                **base,
                "created": created,
                "updated": created,
            }
            run = Run(run_id, request, now, base_obj)
            identity = {k: base_obj[k] for k in ("id", "status", "object", "model", "agent") if k in base_obj}
            run.append(
                now,
                {
                    "event_type": protocol.INTERACTION_CREATED,
                    "interaction": {**identity, "created": created},
                },
            )
            usage = script.usage or _usage(request, script)
            for beat in script.beats:
                at = now + beat.at
                payload: dict[str, Any] = {"event_type": beat.event_type}
                if beat.event_type == protocol.INTERACTION_COMPLETED:
                    payload["interaction"] = {
                        **{k: v for k, v in base_obj.items() if k != "steps"},
                        **beat.body,
                        "usage": usage,
                        "updated": self.clock.timestamp(at),
                        "steps": [],
                    }
                elif beat.event_type == protocol.STATUS_UPDATE:
                    payload.update({"interaction_id": run_id, **beat.body})
                else:
                    payload.update(beat.body)
                run.append(at, payload)
            self._runs[run_id] = run
            return run

    def find(self, run_id: str) -> Run | None:
        """The live (not deleted) run with this id."""
        with self.lock:
            run = self._runs.get(run_id)
            return None if run is None or run.deleted else run

    def cancel(self, run: Run) -> None:
        """Cancel a running interaction: it stops, and reads ``cancelled`` after the delay."""
        with self.lock:
            now = self.clock.now()
            if protocol.is_terminal(run.status(now)) or run.cancelled_at is not None:
                return
            run.cancelled_at = now
            run.cut_after(now)
            run.append(
                now + self.cancel_delay,
                {
                    "event_type": protocol.STATUS_UPDATE,
                    "interaction_id": run.id,
                    "status": protocol.CANCELLED,
                },
            )

    def delete(self, run: Run) -> None:
        with self.lock:
            run.deleted = True

    def runs(self) -> list[Run]:
        with self.lock:
            return [run for run in self._runs.values() if not run.deleted]

    def clear(self) -> None:
        with self.lock:
            self._runs.clear()


def _count_words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, Mapping):
        return sum(_count_words(v) for k, v in value.items() if k not in ("type", "data", "signature"))
    if isinstance(value, list):
        return sum(_count_words(v) for v in value)
    return 0


def _usage(request: Mapping[str, Any], script: Script) -> dict[str, Any]:
    """Token usage counted as words: deterministic, and honest about what was produced."""
    fold = protocol.InteractionFold().extend(
        {"event_type": beat.event_type, **beat.body} for beat in script.beats
    )
    steps = fold.snapshot()["steps"]
    thought = sum(_count_words(s.get("summary")) for s in steps if s.get("type") == "thought")
    output = sum(_count_words(s) for s in steps if s.get("type") != "thought")
    inputs = _count_words(request.get("input"))
    return {
        "total_input_tokens": inputs,
        "total_output_tokens": output,
        "total_thought_tokens": thought,
        "total_cached_tokens": 0,
        "total_tool_use_tokens": 0,
        "total_tokens": inputs + output + thought,
        "input_tokens_by_modality": [{"modality": "text", "tokens": inputs}],
    }
