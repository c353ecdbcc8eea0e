"""Scripts: what an emulated interaction does over time, written as a list of timed beats."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_interactions import protocol


@dataclass(frozen=True)
class Beat:
    """One event of a run, ``at`` scenario seconds after the interaction was created.

    ``body`` is the event payload without ``event_type`` and ``event_id``; the run adds those,
    and the interaction's identity and timestamps, when it is created.
    """

    at: float
    event_type: str
    body: Mapping[str, Any] = field(default_factory=dict)


class Script:
    """A builder for the beats of one run.

    Scenario functions return one::

        Script().step({"type": "thought"}, [{"type": "thought_summary", ...}]).text("Hi").finish()

    ``pace`` is the scenario time between consecutive beats unless a call says otherwise.
    """

    def __init__(self, *, pace: float = 0.1) -> None:
        self.pace = pace
        self.beats: list[Beat] = []
        self.final_status: str | None = None
        self.usage: dict[str, Any] | None = None
        self._time = 0.0
        self._next_index = 0

    @property
    def duration(self) -> float:
        """Scenario seconds from creation to the last beat."""
        return self._time

    def _add(self, event_type: str, body: Mapping[str, Any], gap: float | None) -> None:
        if self.final_status is not None:
            raise ValueError("a finished script takes no more beats")
        self._time += self.pace if gap is None else gap
        self.beats.append(Beat(round(self._time, 6), event_type, copy.deepcopy(dict(body))))

    def wait(self, seconds: float) -> Script:
        """Let scenario time pass before the next beat."""
        self._time += seconds
        return self

    def status(self, status: str, *, gap: float | None = None, **extra: Any) -> Script:
        """An ``interaction.status_update`` beat."""
        self._add(protocol.STATUS_UPDATE, {"status": status, **extra}, gap)
        return self

    def step(
        self,
        step: Mapping[str, Any],
        deltas: Sequence[Mapping[str, Any]] = (),
        *,
        gap: float | None = None,
        every: float | None = None,
    ) -> Script:
        """A step: ``step.start`` with ``step``, one ``step.delta`` per delta, ``step.stop``."""
        index = self._next_index
        self._next_index += 1
        self._add(protocol.STEP_START, {"index": index, "step": step}, gap)
        for delta in deltas:
            self._add(protocol.STEP_DELTA, {"index": index, "delta": delta}, every)
        self._add(protocol.STEP_STOP, {"index": index}, every)
        return self

    def text(self, text: str, *, words_per_delta: int = 3, gap: float | None = None) -> Script:
        """A ``model_output`` step streaming ``text`` a few words per delta."""
        return self.step(
            {"type": "model_output"},
            [{"type": "text", "text": chunk} for chunk in split_words(text, words_per_delta)],
            gap=gap,
        )

    def error(self, code: str, message: str, *, gap: float | None = None) -> Script:
        """An ``error`` event; a run usually fails right after it."""
        self._add(protocol.ERROR, {"error": {"code": code, "message": message}}, gap)
        return self

    def finish(
        self,
        status: str = protocol.COMPLETED,
        *,
        usage: Mapping[str, Any] | None = None,
        gap: float | None = None,
        **fields: Any,
    ) -> Script:
        """End the run with ``status``.

        Runs that end well or wait for the client close with ``interaction.completed``
        carrying the status; failed, cancelled or cut-short runs close with a
        ``status_update``.
        """
        if status in (protocol.COMPLETED, *protocol.WAITING):
            self._add(protocol.INTERACTION_COMPLETED, {"status": status, **fields}, gap)
        else:
            self._add(protocol.STATUS_UPDATE, {"status": status, **fields}, gap)
        self.final_status = status
        self.usage = dict(usage) if usage is not None else None
        return self


def split_words(text: str, per_chunk: int) -> list[str]:
    """Split text into chunks of ``per_chunk`` words that concatenate back to ``text``."""
    if per_chunk < 1:
        raise ValueError("per_chunk must be at least 1")
    words = text.split(" ")
    chunks = [" ".join(words[i : i + per_chunk]) for i in range(0, len(words), per_chunk)]
    return [chunk if i == 0 else " " + chunk for i, chunk in enumerate(chunks)] or [""]
