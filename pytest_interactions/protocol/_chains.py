"""How a create continues an earlier run (chaining), and when the API refuses to.

A chained create names the run it continues and may answer that run's function calls. Replay
records every chain for the checks and refuses, as the API does, one made while the earlier run
is still going; the rule for each API lives here, in its definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Payload = Mapping[str, Any]


@dataclass(frozen=True)
class ChainRule:
    """Where a create names the run it continues, and what the API says of it."""

    previous_field: str
    """The create's field naming the earlier run (``previous_interaction_id``)."""
    refused_while: frozenset[str]
    """Statuses of the earlier run in which the API refuses the chain (400)."""
    unless_field: str | None
    """A field whose presence makes the create a continuation the API accepts at any time."""
    refusal_reason: str
    """The error status the API refuses with (``FAILED_PRECONDITION``)."""
    result_type: str
    """The input item type that answers a function call (``function_result``)."""
    call_type: str
    """The step or output item type of a function call (``function_call``)."""
    call_id_key: str
    """The key of a function call's id in its step or item (``id``)."""
    step_key: str
    """The key an event carries a step or item under (``step``)."""
    steps_key: str
    """The key a resource lists its steps or items under (``steps``)."""
    resource_key: str = "interaction"
    """The key an event carries the whole resource under (its token may be there)."""
    bookkeeping: frozenset[str] = frozenset()
    """Event types that carry no output: a stream cut after only these since a continuation
    token resumes from that token without generating anything twice."""

    def continuation(self, body: Any) -> str | None:
        """The continuation token a create's JSON ``body`` carries, if any."""
        if self.unless_field is None or not isinstance(body, Mapping):
            return None
        value = body.get(self.unless_field)
        return value if isinstance(value, str) and value else None

    def token_of(self, payload: Payload) -> str | None:
        """The continuation token a stream event (or a resource) hands out, if any."""
        if self.unless_field is None:
            return None
        value = payload.get(self.unless_field)
        resource = payload.get(self.resource_key)
        if not value and isinstance(resource, Mapping):
            value = resource.get(self.unless_field)
        return value if isinstance(value, str) and value else None

    def previous(self, body: Any) -> str | None:
        """The run a create's JSON ``body`` continues, if it names one."""
        if not isinstance(body, Mapping):
            return None
        value = body.get(self.previous_field)
        return value if isinstance(value, str) else None

    def answered_calls(self, body: Payload) -> tuple[bool, tuple[str, ...]]:
        """Whether the create answers function calls, and the call ids it answers."""
        value = body.get("input")
        items = value if isinstance(value, list) else []
        results = [i for i in items if isinstance(i, Mapping) and i.get("type") == self.result_type]
        return bool(results), tuple(str(i.get("call_id")) for i in results)

    def refusal(self, body: Payload, previous_id: str, status: str | None) -> str | None:
        """The API's refusal message for chaining onto a run in ``status`` (``None``: accepted)."""
        if status not in self.refused_while or (self.unless_field and body.get(self.unless_field)):
            return None
        return (
            f"Previous interaction '{previous_id}' is still {status}; "
            "wait for it to finish before chaining onto it."
        )

    def calls(self, event_payloads: Iterable[Payload], resources: Iterable[Any]) -> tuple[str, ...]:
        """The ids of the function calls a run made, from its stream events and its polled states."""
        ids: list[str] = []
        for payload in event_payloads:
            self._add_call(ids, payload.get(self.step_key))
        for resource in resources:
            steps = resource.get(self.steps_key) if isinstance(resource, Mapping) else None
            for step in steps if isinstance(steps, list) else []:
                self._add_call(ids, step)
        return tuple(dict.fromkeys(ids))

    def _add_call(self, ids: list[str], step: Any) -> None:
        if isinstance(step, Mapping) and step.get("type") == self.call_type and step.get(self.call_id_key):
            ids.append(str(step[self.call_id_key]))
