"""pytest-interactions: record, replay and fault-inject Interactions API sessions in pytest."""

__version__ = "0.1.0"

__all__ = ["__version__"]
