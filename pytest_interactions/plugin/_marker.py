"""Reading ``@pytest.mark.interactions(...)``: the cassette, the mode, faults and checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_interactions.faults import FaultPlan, plan_from_options

#: Every option the marker takes, with what it does (shown when an unknown one is used).
OPTIONS: dict[str, str] = {
    "cassette": "file name under the cassette dir (default: <module path>/<test name>.yaml)",
    "record_mode": "none, once, new_episodes or all",
    "match_on": "request parts that must match in replay (vcrpy matcher names)",
    "disconnect": "cut replayed streams: after:N, mid-event:N, every:N, each-event, event:TYPE:K, "
    "random:SEED[:COUNT], stall:N (read timeout), end:N (clean early end)",
    "reconnect": "what reconnects after a cut get: 'refuse' (ConnectError) or an HTTP status (503, 429)",
    "reconnect_times": "how many reconnects get it (default 1)",
    "polls": "an HTTP status (429, 503) the next polls get",
    "poll_times": "how many polls get it (default 1)",
    "creates": "what the next creates get: an HTTP status (429, 503, 400, ...), 'refuse' (ConnectError) "
    "or 'drop' (closed before an answer)",
    "create_times": "how many creates get it (default 1)",
    "retry_after": "Retry-After seconds of injected 429/5xx answers (default 1; None: no Retry-After)",
    "inject": "a protocol fault without re-recording: 'failure:N', 'cancellation:N' or 'requires_action:N' "
    "(N stream events kept), or 'failure:poll:N' (N recorded polls kept)",
    "gives_up_after": "the client is meant to stop after this many failed reconnects in a row; "
    "the complete check then verifies it stopped there",
    "checks": "True, False, or the names of the checks to run (default: all when faults are planned)",
    "min_retry_delay": "seconds the client must wait before retrying a failure that asked for no wait "
    "(the backoff check; ini interactions_min_retry_delay, default 0.25)",
    "min_poll_interval": "seconds between polls of one run below which repeated polls are a storm "
    "(the poll_interval check; ini interactions_min_poll_interval, default 0.5)",
    "virtual_time": "replay, and record against the embedded emulator, on a virtual clock (default True)",
    "replay": "'server' (compiled state, resume from any event; default) or 'tape' (strict order)",
    "interaction": "the interaction id that cuts apply to (default: every streamed one)",
    "base_url": "the server this test records against, http(s)://host[:port][/path] (default: "
    "--interactions-base-url, else the embedded emulator); replay answers at the recorded address",
}


#: What the ``interactions_config`` fixture may set: the marker's options that do not decide
#: the cassette or its faults (those are read at collection, before fixtures exist), and more.
CONFIG_OPTIONS: dict[str, str] = {
    **{
        name: OPTIONS[name]
        for name in (
            "record_mode",
            "match_on",
            "checks",
            "virtual_time",
            "replay",
            "base_url",
            "min_retry_delay",
            "min_poll_interval",
        )
    },
    "filter_headers": "more headers scrubbed from cassettes",
    "filter_query_parameters": "more query parameters scrubbed from cassettes",
    "filter_json_keys": "more JSON body keys scrubbed from cassettes",
    "secret_values": "more values that must never be written (tokens a test obtains, say)",
    "before_record_request": "callable(RecordedRequest) -> RecordedRequest | None, run on each request "
    "before it is written; None leaves the exchange out",
    "before_record_response": "callable(RecordedResponse) -> RecordedResponse | None, run on each "
    "response before it is written; None leaves the exchange out",
    "ignore_hosts": "hosts whose requests are neither recorded nor replayed (they reach the network)",
    "allow_hosts": "hosts a replaying test (or any test under --interactions-block-network) may reach",
}


def check_config(values: Mapping[str, Any]) -> None:
    """Unknown ``interactions_config`` keys raise ``ValueError`` naming the choices."""
    unknown = sorted(set(values) - set(CONFIG_OPTIONS))
    if unknown:
        choices = "\n".join(f"  {name}: {text}" for name, text in CONFIG_OPTIONS.items())
        raise ValueError(f"interactions_config got unknown key(s) {', '.join(unknown)}; it takes:\n{choices}")


#: The options that plan faults.
FAULT_OPTIONS = ("disconnect", "reconnect", "polls", "creates", "inject")


@dataclass
class MarkerOptions:
    """The marker's options, checked and turned into the session's terms."""

    cassette: str | None = None
    record_mode: str | None = None
    match_on: tuple[str, ...] | None = None
    faults: FaultPlan = field(default_factory=FaultPlan)
    each_event: bool = False
    checks: bool | tuple[str, ...] | None = None
    virtual_time: bool = True
    replay: str = "server"
    thresholds: dict[str, float] = field(default_factory=dict)
    """The pacing checks' floors the marker sets (``min_retry_delay``, ``min_poll_interval``)."""


def parse_marker(kwargs: Mapping[str, Any]) -> MarkerOptions:
    """Check the marker's options; a mistake raises ``ValueError`` naming it and the choices."""
    unknown = sorted(set(kwargs) - set(OPTIONS))
    if unknown:
        choices = "\n".join(f"  {name}: {text}" for name, text in OPTIONS.items())
        raise ValueError(
            f"@pytest.mark.interactions got unknown option(s) {', '.join(unknown)}; it takes:\n{choices}"
        )
    plan, each_event = plan_from_options(kwargs)
    checks = kwargs.get("checks")
    match_on = kwargs.get("match_on")
    return MarkerOptions(
        cassette=kwargs.get("cassette"),
        record_mode=kwargs.get("record_mode"),
        match_on=tuple(match_on) if match_on else None,
        faults=plan,
        each_event=each_event,
        checks=checks if checks is None or isinstance(checks, bool) else tuple(checks),
        virtual_time=bool(kwargs.get("virtual_time", True)),
        replay=str(kwargs.get("replay", "server")),
        thresholds=_thresholds(kwargs),
    )


def _thresholds(kwargs: Mapping[str, Any]) -> dict[str, float]:
    found = {}
    for name in ("min_retry_delay", "min_poll_interval"):
        if kwargs.get(name) is None:
            continue
        value = kwargs[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{name}={value!r}: give a number of seconds, 0 or more")
        found[name] = float(value)
    return found
