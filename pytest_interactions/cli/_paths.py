"""Finding the cassettes a command works on: files as given, directories searched."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pytest_interactions._errors import Error

SUFFIXES = (".yaml", ".yml")


class PathError(Error):
    """A path given on the command line that does not exist."""


def cassette_files(paths: Sequence[Path]) -> list[Path]:
    """Every cassette under ``paths``: files as given, directories searched for YAML files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix in SUFFIXES and not p.name.startswith(".")
            )
        elif path.is_file():
            files.append(path)
        else:
            raise PathError(f"{path}: no such file or directory")
    return files
