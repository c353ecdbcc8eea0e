"""The package's version, in a module of its own so that any layer may read it without importing
the package's public names."""

from __future__ import annotations

__version__ = "0.1.0"
