"""A small cassette that follows the protocol (version 3 layout: each event's data on one line),
for breaking."""

from __future__ import annotations

from pathlib import Path

GOOD = (Path(__file__).parent / "sample.yaml").read_text(encoding="utf-8")


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the only line holding ``marker``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if marker in line]
    assert len(hits) == 1, f"{marker!r} is on lines {hits}"
    return hits[0]


def event_line(text: str, marker: str) -> int:
    """The 1-based line where the stream item holding ``marker`` starts (its ``- at:`` line)."""
    lines = text.splitlines()
    number = line_of(text, marker)
    while not lines[number - 1].startswith("    - "):
        number -= 1
        assert number > 0, f"{marker!r} is in no stream item"
        assert not lines[number - 1].startswith("- "), f"{marker!r} is in no stream item"
    return number


def body_line(text: str, marker: str) -> int:
    """The 1-based line where the JSON body holding ``marker`` starts (the first line of its block,
    after ``json: |-``)."""
    lines = text.splitlines()
    number = line_of(text, marker)
    while not lines[number - 2].endswith("json: |-"):
        number -= 1
        assert number > 1, f"{marker!r} is in no JSON body"
        assert not lines[number - 1].startswith("- "), f"{marker!r} is in no JSON body"
    return number


def write(tmp_path: Path, text: str, name: str = "session.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
