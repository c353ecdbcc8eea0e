"""The YAML form of a cassette: read safely (libyaml when present) and checked line by line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pytest_interactions._gc import paused
from pytest_interactions.cassette._errors import CorruptCassetteError
from pytest_interactions.cassette._fast_read import read as read_layout
from pytest_interactions.cassette._model import OLDEST_SCHEMA_VERSION, SCHEMA_VERSION, Cassette
from pytest_interactions.cassette._vcrpy import from_vcrpy, looks_like_vcrpy
from pytest_interactions.cassette._writer import dump, write
from pytest_interactions.cassette._yaml_events import NeedsFullReader, build_document, yaml_errors
from pytest_interactions.cassette._yaml_model import DocumentReader, is_header_text

__all__ = ["dump", "load", "read", "write"]

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 128
"""Deepest nesting of mappings and lists a cassette may hold (real ones stay under 20)."""
MAX_EXPANSION = 8
"""How many times its own size a document may grow when its aliases are expanded."""


class _Loader(_BaseLoader):  # type: ignore[misc]
    """A safe loader that remembers the line of every mapping, for error messages."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: dict[int, int] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice",
                    key_node.start_mark,
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=True)
        self.lines[id(mapping)] = node.start_mark.line + 1
        return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


def _check_shape(text: str, path: Path) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` and alias bombs, from the event stream.

    Runs before composing: libyaml composes recursively (deep nesting overflows the C stack) and
    aliases share nodes that later code would expand (a 1 KB file can stand for gigabytes).
    """
    expanded = 0
    events = 0
    open_nodes: list[tuple[str | None, int, int]] = []  # anchor, expanded count at start, depth
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> expanded size, height
    heights: list[int] = []
    loader = _BaseLoader(text)
    try:
        with yaml_errors(path, text, MAX_DEPTH):
            while (event := loader.get_event()) is not None:
                events += 1
                line = event.start_mark.line + 1 if event.start_mark is not None else None
                if isinstance(event, yaml.CollectionStartEvent):
                    expanded += 1
                    open_nodes.append((event.anchor, expanded - 1, len(open_nodes) + 1))
                    heights.append(1)
                    if len(open_nodes) > MAX_DEPTH:
                        raise CorruptCassetteError(path, f"nested deeper than {MAX_DEPTH} levels", line)
                elif isinstance(event, yaml.CollectionEndEvent):
                    anchor, start, _ = open_nodes.pop()
                    height = heights.pop()
                    if heights:
                        heights[-1] = max(heights[-1], height + 1)
                    if anchor is not None:
                        sizes[anchor] = (expanded - start, height)
                elif isinstance(event, yaml.ScalarEvent):
                    expanded += 1
                    if event.anchor is not None:
                        sizes[event.anchor] = (1, 0)
                elif isinstance(event, yaml.AliasEvent):
                    size, height = sizes.get(event.anchor or "", (1, 0))
                    expanded += size
                    if heights:
                        heights[-1] = max(heights[-1], height + 1)
                    if len(open_nodes) + height > MAX_DEPTH:
                        raise CorruptCassetteError(
                            path, f"the alias *{event.anchor} nests deeper than {MAX_DEPTH} levels", line
                        )
                    if expanded > MAX_EXPANSION * events + 10_000:
                        raise CorruptCassetteError(
                            path,
                            f"the alias *{event.anchor} expands the file beyond {MAX_EXPANSION} times "
                            "its size (an alias bomb?)",
                            line,
                        )
    finally:
        loader.dispose()


def load(text: str, path: Path) -> Cassette:
    """Parse cassette YAML; errors name ``path`` and the line at fault."""
    return read(text, path)[0]


def read(text: str, path: Path) -> tuple[Cassette, bool]:
    """The cassette in ``text``, and whether it took the general YAML reader (it was not in the
    writer's own layout: an older version, a vcrpy file, an edited one)."""
    with paused():
        fast = read_layout(text, path)
    if fast is not None:
        return fast, False
    return _read_general(text, path), True


def _read_general(text: str, path: Path) -> Cassette:
    with paused():
        try:
            document, lines = build_document(text, path, MAX_DEPTH)
        except NeedsFullReader:
            document, lines = _read_document(text, path)
    reader = DocumentReader(path, lines)
    if document is None:
        raise CorruptCassetteError(path, "the file is empty")
    root = reader.mapping(document, None, "the cassette")
    if looks_like_vcrpy(root):
        exchange_lines = _check_vcrpy(reader, root)
        cassette = from_vcrpy(text, path)
        for exchange, line in zip(cassette.exchanges, exchange_lines, strict=True):
            exchange.line = line
        return cassette
    version = root.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise reader.fail(root, "no schema 'version' (is this a pytest-interactions cassette?)")
    if version > SCHEMA_VERSION:
        raise reader.fail(
            root,
            f"schema version {version} is newer than this pytest-interactions reads "
            f"({SCHEMA_VERSION}); upgrade pytest-interactions",
        )
    if version < OLDEST_SCHEMA_VERSION:
        raise reader.fail(
            root, f"schema version {version} does not exist (versions start at {OLDEST_SCHEMA_VERSION})"
        )
    reader.version = version
    exchanges = reader.field(root, "exchanges", list, "the cassette")
    if version >= 2:
        _check_end(reader, root, len(exchanges), text)
    meta = reader.optional(root, "meta", Mapping, "the cassette") or {}
    return Cassette(
        exchanges=[reader.exchange(item, root, i) for i, item in enumerate(exchanges)],
        meta=dict(meta),
        version=version,
    )


def _read_document(text: str, path: Path) -> tuple[Any, dict[int, int]]:
    """PyYAML's full reader, for YAML beyond what a cassette writes: aliases, tags, complex keys."""
    _check_shape(text, path)
    loader = _Loader(text)
    try:
        with yaml_errors(path, text, MAX_DEPTH):
            return loader.get_single_data(), loader.lines
    except RecursionError:
        raise CorruptCassetteError(path, "nested too deeply to read") from None
    except (ValueError, OverflowError) as exc:  # a value PyYAML's constructors refuse
        raise CorruptCassetteError(path, f"a value cannot be read: {exc}"[:300]) from None
    finally:
        loader.dispose()


def _check_vcrpy(reader: DocumentReader, root: Mapping[str, Any]) -> list[int | None]:
    """Check a vcrpy cassette's shape with file, line and field before vcrpy reads it.

    Returns the line of each interaction.
    """
    version = root.get("version")
    if version != 1 or isinstance(version, bool):
        raise reader.fail(root, f"a vcrpy cassette has 'version: 1', not {version!r}")
    items = reader.field(root, "interactions", list, "the cassette")
    lines = []
    for index, value in enumerate(items):
        what = f"interactions[{index}]"
        node = reader.mapping(value, root, what)
        request = reader.mapping(node.get("request"), node, f"{what}.request")
        reader.field(request, "method", str, f"{what}.request")
        reader.url(request, f"{what}.request", key="uri")
        _check_vcrpy_headers(reader, request, f"{what}.request")
        response = reader.mapping(node.get("response"), node, f"{what}.response")
        status = reader.mapping(response.get("status"), response, f"{what}.response.status")
        code = reader.field(status, "code", int, f"{what}.response.status")
        if not 100 <= code <= 599:
            raise reader.fail(status, f"{what}.response.status.code must be an HTTP status, not {code}")
        _check_vcrpy_headers(reader, response, f"{what}.response")
        if response.get("body") is not None:
            body = reader.mapping(response["body"], response, f"{what}.response.body")
            string = body.get("string")
            if string is not None and not isinstance(string, (str, bytes)):
                raise reader.fail(body, f"{what}.response.body.string must be text or bytes")
        lines.append(reader.lines.get(id(node)))
    return lines


def _check_vcrpy_headers(reader: DocumentReader, node: Mapping[str, Any], what: str) -> None:
    headers = node.get("headers")
    if headers is None:
        return
    headers = reader.mapping(headers, node, f"{what}.headers")
    for name, values in headers.items():
        for item in values if isinstance(values, list) else [values]:
            if not isinstance(item, (str, int)) or isinstance(item, bool) or not is_header_text(str(item)):
                raise reader.fail(headers, f"{what}.headers.{name} must be printable ASCII text")


def _check_end(reader: DocumentReader, root: Mapping[str, Any], count: int, text: str) -> None:
    """A version 2 file closes with ``end: <count>``; anything else means it was cut short."""
    last_line = text.count("\n", 0, len(text.rstrip())) + 1
    if "end" not in root:
        raise CorruptCassetteError(
            reader.path, "the file is cut short: it lacks its closing 'end:' line", last_line
        )
    end = root["end"]
    if list(root)[-1] != "end" or end != count or isinstance(end, bool):
        raise CorruptCassetteError(
            reader.path,
            f"the file is cut short or edited: 'end: {end}' but it holds {count} exchanges "
            "(the closing line must be the last key and give their number)",
            last_line,
        )
