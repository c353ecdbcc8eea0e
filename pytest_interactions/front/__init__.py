"""Sessions served over loopback HTTP, for clients in any language: replay with faults and checks,
and recording through a proxy."""

from pytest_interactions.front._server import FINISH_PATH, Front
from pytest_interactions.front._verdict import Verdict, verdict

__all__ = ["FINISH_PATH", "Front", "Verdict", "verdict"]
