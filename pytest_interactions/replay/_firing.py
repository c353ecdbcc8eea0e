"""What of a declared fault plan happened in one replay: cuts fired, injected answers given.

The plan is the test's declaration and stays as declared; each session that replays it keeps its
own record here, so that two sessions (or one session's threads) never share what fired.
"""

from __future__ import annotations

import threading

from pytest_interactions.faults import Answer, Cut, FaultPlan


class Firing:
    """The faults of ``plan`` that happened so far in one session."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.fired: set[tuple[str, int, bool]] = set()
        """Cuts that happened: (interaction, position, inside the event)."""
        self.fired_rules: set[str] = set()
        """The specs of the declared rules that cut a stream at least once."""
        self.cuts_fired = 0
        """Declared cuts that happened (recorded drops replayed again are not counted)."""
        self._given: dict[int, int] = {}
        self._lock = threading.Lock()

    def take_cut(self, interaction_id: str, cut: Cut) -> bool:
        """True the first time this cut is reached (a resumed stream passes it untouched)."""
        key = (interaction_id, cut.position, cut.mid_event)
        with self._lock:
            if key in self.fired:
                return False
            self.fired.add(key)
            if cut.label != "recorded":
                self.cuts_fired += 1
                self.fired_rules.add(cut.label)
            return True

    def has_fired(self, interaction_id: str, position: int, mid_event: bool) -> bool:
        return (interaction_id, position, mid_event) in self.fired

    def take_reconnect(self) -> Answer | None:
        """The injected answer the next reconnect after a cut gets, if one is left."""
        return self._take(self.plan.reconnects)

    def take_poll(self) -> Answer | None:
        """The injected answer the next poll gets, if one is left."""
        return self._take(self.plan.polls)

    def take_create(self) -> Answer | None:
        """The injected answer the next create gets, if one is left."""
        return self._take(self.plan.creates) if self.plan.creates else None

    def given(self, answer: Answer) -> int:
        """How often ``answer`` has been given."""
        return self._given.get(id(answer), 0)

    def _take(self, answers: list[Answer]) -> Answer | None:
        with self._lock:
            for answer in answers:
                given = self._given.get(id(answer), 0)
                if given < answer.times:
                    self._given[id(answer)] = given + 1
                    return answer
            return None
