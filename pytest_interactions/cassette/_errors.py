"""Errors of the cassette layer: each names the file, and the line where it knows it."""

from __future__ import annotations

from pathlib import Path

from pytest_interactions._errors import Error


class CassetteError(Error):
    """A cassette could not be read or written."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {message}")


class CorruptCassetteError(CassetteError):
    """The file is not a cassette this version can read."""


class SecretLeakError(CassetteError):
    """The cassette about to be written contains a secret; nothing was written."""
