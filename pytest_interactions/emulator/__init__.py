"""A faithful local emulator of the Interactions API, served over real sockets on loopback."""

from pytest_interactions.emulator._activity import Activity, ActivityState
from pytest_interactions.emulator._answers import AnsweredRequest
from pytest_interactions.emulator._arguments import arguments_for
from pytest_interactions.emulator._clock import EmulatorClock
from pytest_interactions.emulator._emulator import Emulator
from pytest_interactions.emulator._faults import Rejection, ServerFaults, StreamFault
from pytest_interactions.emulator._scenarios import (
    BUILTIN,
    SCENARIO_HEADER,
    Scenario,
    ScenarioBook,
    ScenarioRequest,
    answer_for,
)
from pytest_interactions.emulator._script import Beat, Script

__all__ = [
    "BUILTIN",
    "SCENARIO_HEADER",
    "Activity",
    "ActivityState",
    "AnsweredRequest",
    "Beat",
    "Emulator",
    "EmulatorClock",
    "Rejection",
    "Scenario",
    "ScenarioBook",
    "ScenarioRequest",
    "Script",
    "ServerFaults",
    "StreamFault",
    "answer_for",
    "arguments_for",
]
