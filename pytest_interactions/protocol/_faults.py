"""What a protocol fault (a run turned into a failure, a cancellation, a pause) may not mean."""

from __future__ import annotations

from pytest_interactions._errors import Error


class FaultWithoutForm(Error, ValueError):
    """A protocol fault that means nothing in an API: the message names the API, the fault and why."""
