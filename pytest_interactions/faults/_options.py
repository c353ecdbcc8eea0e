"""Fault plans from named options, as the marker and the command line take them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_interactions.faults._plan import PROTOCOL_FAULTS, FaultPlan, FaultSpecError


def plan_from_options(options: Mapping[str, Any]) -> tuple[FaultPlan, bool]:
    """The plan the marker's (and the command line's) fault options declare, and whether they ask
    for one run per cut point (``disconnect="each-event"``)."""
    plan = FaultPlan()
    each_event = False
    target = options.get("interaction")
    disconnect = options.get("disconnect")
    for spec in [disconnect] if isinstance(disconnect, str) else list(disconnect or []):
        if spec == "each-event":
            each_event = True
        else:
            plan.disconnect(spec, interaction_id=target)
    wait = options.get("retry_after", 1.0)
    retry_after = None if wait is None else float(wait)  # None: answers that ask for no wait
    reconnect = options.get("reconnect")
    times = int(options.get("reconnect_times", 1))
    if reconnect == "refuse":
        plan.refuse_reconnects(times)
    elif reconnect is not None:
        plan.fail_reconnects(int(reconnect), times=times, retry_after=retry_after)
    if options.get("polls") is not None:
        plan.fail_polls(
            int(options["polls"]), times=int(options.get("poll_times", 1)), retry_after=retry_after
        )
    if options.get("creates") is not None:
        plan.fail_creates(
            options["creates"], times=int(options.get("create_times", 1)), retry_after=retry_after
        )
    inject = options.get("inject")
    if inject is not None:
        kind, _, count = str(inject).partition(":")
        on = "events"
        if count.startswith("poll:"):
            on, count = "polls", count[len("poll:") :]
        if kind not in PROTOCOL_FAULTS or not count.isdigit():
            raise FaultSpecError(
                f"inject={inject!r}: use 'failure:N', 'cancellation:N' or 'requires_action:N' "
                "(N: stream events kept before the injected ending), or 'failure:poll:N' "
                "(N: recorded polls kept)"
            )
        plan.inject(kind, after_events=int(count), on=on)
    gives_up = options.get("gives_up_after")
    if gives_up is not None:
        plan.expect_give_up(int(gives_up))
    return plan, each_event
