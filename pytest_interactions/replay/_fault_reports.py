"""Faults a test declared that could not apply to its recording, or never happened in its replay.

Either way the test did not exercise what it declares, so it must not pass. Pure functions of the
plan, what the session's plan made of each history, what fired, and the transcript.
"""

from __future__ import annotations

from pytest_interactions import protocol
from pytest_interactions.faults import CutRule, FaultPlan, ProtocolFault
from pytest_interactions.protocol import Transcript
from pytest_interactions.replay._faulted import INJECTED_STATUS, FaultedHistory, Views
from pytest_interactions.replay._firing import Firing


def inapplicable(plan: FaultPlan, views: Views) -> list[str]:
    """Planned faults the recording has no place for."""
    found = []
    targets = views.targets()
    for rule in plan.rules:
        if not any(rule.cuts([e.event_type for e in v.events]) for v in targets):
            found.append(f"disconnect={rule.spec!r} cannot apply: {_longest(targets)}")
    can_cut = bool(plan.rules) or any(h.recorded_cuts for h in views.histories.values())
    for answer in plan.reconnects:
        if not can_cut:
            found.append(
                f"reconnect answers ({answer.label}) cannot apply: nothing cuts a stream "
                "(declare disconnect=...)"
            )
    for answer in plan.polls:
        if not any(h.snapshots or h.events for h in views.histories.values()):
            found.append(f"{answer.label} cannot apply: the cassette has no interaction to poll")
    fault = plan.protocol
    if fault is not None and not any(v.injection for v in views.all()):
        formless = _formless(fault, views)
        if formless:
            found.append(f"inject={fault.spec!r} cannot apply: {'; '.join(formless)}")
        else:
            counted = "polls" if fault.on == "polls" else "events or polls"
            found.append(
                f"inject={fault.spec!r} cannot apply: no recorded interaction has more than "
                f"{fault.after_events} {counted} ({_longest(targets)})"
            )
    return found


def unapplied(plan: FaultPlan, firing: Firing, views: Views, transcript: Transcript) -> list[str]:
    """Planned faults that never happened.

    A cut placed after the event that ends a stream is no failure when the client stopped
    reading at that event: it had read its stream, and nothing was left to cut.
    """
    found = []
    moot_rules = 0
    targets = views.targets()
    for rule in plan.rules:
        if rule.spec in firing.fired_rules:
            continue
        if _beyond_terminal(rule, targets, transcript):
            moot_rules += 1
            continue
        found.append(f"disconnect={rule.spec} never cut a stream: {_why_not_cut(rule, targets, transcript)}")
    all_moot = bool(plan.rules) and moot_rules == len(plan.rules)
    for answer in plan.answers:
        if firing.given(answer) or (all_moot and answer in plan.reconnects):
            continue
        what = "poll" if answer.label.startswith("polls") else "reconnect after a cut"
        if answer.label.startswith("creates"):
            what = "create"
        found.append(f"{answer.label} was never answered: the client made no {what}")
    fault = plan.protocol
    if fault is not None and not _injection_seen(views, transcript):
        found.append(
            _silent_end(fault, views, transcript)
            or f"inject={fault.spec} changed nothing: the client never reached the injected "
            f"{INJECTED_STATUS[fault.kind]} (no stream read past event {fault.after_events}, "
            "no poll after it)"
        )
    return found


def _longest(targets: list[FaultedHistory]) -> str:
    streams = [len(v.events) for v in targets if v.history.events]
    if not streams:
        return "the cassette has no recorded stream"
    return f"the longest recorded stream has {max(streams)} events"


def _formless(fault: ProtocolFault, views: Views) -> list[str]:
    """Why the planned protocol fault means nothing in the APIs of some recorded runs."""
    reasons = {}
    for history in views.histories.values():
        try:
            history.api.fault_state(fault.kind, fault.message)
        except protocol.FaultWithoutForm as exc:
            reasons[history.api.name] = str(exc)
    return [reasons[name] for name in sorted(reasons)]


def _beyond_terminal(rule: CutRule, targets: list[FaultedHistory], transcript: Transcript) -> bool:
    """The rule cuts only after the end of a stream whose end the client read."""
    for view in targets:
        terminal = view.terminal_position()
        if terminal is None:
            continue
        if not any(c.read_terminal for c in transcript.connections_of(view.interaction_id)):
            continue
        cuts = rule.cuts([e.event_type for e in view.events])
        if cuts and all(c.position > terminal or (c.position == terminal and not c.mid_event) for c in cuts):
            return True
    return False


def _why_not_cut(rule: CutRule, targets: list[FaultedHistory], transcript: Transcript) -> str:
    opened = [v for v in targets if transcript.connections_of(v.interaction_id)]
    if not opened:
        return f"the client opened no stream it applies to ({_longest(targets)})"
    view = opened[0]
    cuts = rule.cuts([e.event_type for e in view.events])
    received = {e for c in transcript.connections_of(view.interaction_id) for e in c.received}
    where = f"the client stopped reading {view.interaction_id} after {len(received)} event(s)"
    return f"{where}, before the cut point (event {cuts[0].position})" if cuts else where


def _silent_end(fault: ProtocolFault, views: Views, transcript: Transcript) -> str | None:
    """The mistake of a client that read to the end a stream the fault ends without an event
    (a cancelled OpenAI response) and never asked how the run ended."""
    for view in views.all():
        if view.injection is None or view.endings:
            continue
        for connection in transcript.connections_of(view.interaction_id):
            if connection.reached_end and not connection.read_terminal:
                status = INJECTED_STATUS[fault.kind]
                return (
                    f"inject={fault.spec}: the stream of {view.interaction_id} ended after event "
                    f"{fault.after_events} with no event that ends a run (the {view.history.api.name} API "
                    f"tells a {status} run so), and the client never asked how the run ended: it took "
                    "a stream that stopped for a finished run; when a stream ends without its ending "
                    f"event, poll the run (it reads {status!r})"
                )
    return None


def _injection_seen(views: Views, transcript: Transcript) -> bool:
    for view in views.all():
        if view.injection is None:
            continue
        status = view.turned_status
        if any(
            s.status == status and s.at >= view.injection[0] and s.source in ("poll", "stream")
            for s in transcript.statuses_of(view.interaction_id)
        ):
            return True
        if any(
            d.event_id and d.event_id.endswith("-injected")
            for c in transcript.connections_of(view.interaction_id)
            for d in c.deliveries
        ):
            return True
    return False
