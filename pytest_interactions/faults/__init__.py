"""Fault plans: where replayed streams are cut, what reconnects and polls get, protocol faults."""

from pytest_interactions.faults._options import plan_from_options
from pytest_interactions.faults._plan import (
    CUT_KINDS,
    DROP_ERROR,
    PROTOCOL_FAULTS,
    REFUSED_ERROR,
    SPEC_FORMS,
    STALL_ERROR,
    UNANSWERED_ERROR,
    Answer,
    Cut,
    CutRule,
    FaultNotAppliedError,
    FaultPlan,
    FaultSpecError,
    ProtocolFault,
    parse_disconnect,
)

__all__ = [
    "CUT_KINDS",
    "DROP_ERROR",
    "PROTOCOL_FAULTS",
    "REFUSED_ERROR",
    "SPEC_FORMS",
    "STALL_ERROR",
    "UNANSWERED_ERROR",
    "Answer",
    "Cut",
    "CutRule",
    "FaultNotAppliedError",
    "FaultPlan",
    "FaultSpecError",
    "ProtocolFault",
    "parse_disconnect",
    "plan_from_options",
]
