"""A small hand-written cassette that follows the protocol, one event per line, for breaking."""

from __future__ import annotations

from pathlib import Path

GOOD = (Path(__file__).parent / "sample.yaml").read_text(encoding="utf-8")


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the only line holding ``marker``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if marker in line]
    assert len(hits) == 1, f"{marker!r} is on lines {hits}"
    return hits[0]


def write(tmp_path: Path, text: str, name: str = "session.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
