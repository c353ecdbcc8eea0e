"""Fault plans: where replayed streams are cut, what reconnects and polls get, protocol faults."""

from pytest_interactions.faults._plan import (
    DROP_ERROR,
    PROTOCOL_FAULTS,
    REFUSED_ERROR,
    SPEC_FORMS,
    Answer,
    Cut,
    CutRule,
    FaultPlan,
    FaultSpecError,
    ProtocolFault,
    parse_disconnect,
)

__all__ = [
    "DROP_ERROR",
    "PROTOCOL_FAULTS",
    "REFUSED_ERROR",
    "SPEC_FORMS",
    "Answer",
    "Cut",
    "CutRule",
    "FaultPlan",
    "FaultSpecError",
    "ProtocolFault",
    "parse_disconnect",
]
