"""Contract checks over recorded sessions: validation, structural diffs, emulator conformance."""

from pytest_interactions.contract._conform import Conformance, conform
from pytest_interactions.contract._diff import (
    CATEGORIES,
    DEFAULT_TIMING_TOLERANCE,
    Drift,
    diff_cassettes,
    diff_shapes,
)
from pytest_interactions.contract._secrets import SecretFound, leaked_values, secrets_in
from pytest_interactions.contract._shape import SessionShape, session_shape
from pytest_interactions.contract._summary import summarise
from pytest_interactions.contract._transcript import cassette_transcript
from pytest_interactions.contract._validate import (
    API_RULES,
    RULES,
    Problem,
    Validation,
    validate_cassette,
    validate_file,
)

__all__ = [
    "API_RULES",
    "CATEGORIES",
    "DEFAULT_TIMING_TOLERANCE",
    "RULES",
    "Conformance",
    "Drift",
    "Problem",
    "SecretFound",
    "SessionShape",
    "Validation",
    "cassette_transcript",
    "conform",
    "diff_cassettes",
    "diff_shapes",
    "leaked_values",
    "secrets_in",
    "session_shape",
    "summarise",
    "validate_cassette",
    "validate_file",
]
