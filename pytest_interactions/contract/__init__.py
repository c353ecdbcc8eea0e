"""Contract checks over recorded sessions: validation, structural diffs, emulator conformance."""

from pytest_interactions.contract._validate import RULES, Problem, validate_file

__all__ = ["RULES", "Problem", "validate_file"]
