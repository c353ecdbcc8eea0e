"""A cassette's YAML document built in one pass over libyaml's events, with the line of every mapping.

PyYAML reads a document in three passes (libyaml's events, a tree of nodes, then the objects) and
the checks against alias bombs and deep nesting take a fourth. A cassette as written holds no
anchors, aliases, tags or complex keys, so its objects can be built straight from the events, with
PyYAML's own resolver and constructors deciding what each plain scalar is. Anything outside that
subset (or a duplicate key) is left to the full reader, which also writes the error for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from pytest_interactions.cassette._errors import CorruptCassetteError

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_VALUE_TYPES = (str, int, float, bool, type(None))
_NO_KEY: Any = object()
"""An open mapping's slot for the key awaiting its value, while no key awaits."""


class NeedsFullReader(Exception):
    """The document uses YAML this reader leaves to PyYAML's (anchors, tags, complex or repeated keys)."""


def build_document(text: str, path: Path, max_depth: int) -> tuple[Any, dict[int, int]]:
    """The document in ``text`` and the line of each mapping in it, keyed by ``id``.

    Raises :class:`NeedsFullReader` for YAML outside a cassette's subset, and
    :class:`CorruptCassetteError` (naming the line) for YAML that does not parse or nests deeper
    than ``max_depth``.
    """
    loader = _BaseLoader(text)
    try:
        with yaml_errors(path, text, max_depth):
            return _build(loader, path, max_depth)
    finally:
        loader.dispose()


@contextlib.contextmanager
def yaml_errors(path: Path, text: str, max_depth: int) -> Iterator[None]:
    """PyYAML's errors as :class:`CorruptCassetteError` naming ``path`` and the line at fault.

    An error that a limit of the YAML library itself raised past ``max_depth`` levels of nesting
    (libyaml 0.2.5's scanner stops at 1,000, before any event reaches the reader) becomes the
    reader's own "nested deeper" error, so the refusal reads the same whichever PyYAML is installed.
    """
    try:
        yield
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and (deep := too_deep(_before(text, mark.line, mark.column), max_depth)):
            raise CorruptCassetteError(path, f"nested deeper than {max_depth} levels", deep) from None
        line = mark.line + 1 if mark is not None else None
        raise CorruptCassetteError(path, f"not valid YAML: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise CorruptCassetteError(path, f"not valid YAML: {exc}") from None


def too_deep(text: str, max_depth: int) -> int | None:
    """The line where ``text`` first opens more than ``max_depth`` nested collections, if it does.

    Reads events only as far as that line; text that does not parse counts as not too deep.
    """
    loader = _BaseLoader(text)
    depth = 0
    try:
        while (event := loader.get_event()) is not None:
            kind = type(event)
            if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                depth += 1
                if depth > max_depth:
                    return int(event.start_mark.line) + 1
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                depth -= 1
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return None


def _before(text: str, line: int, column: int) -> str:
    """The part of ``text`` before ``line`` and ``column`` (both counted from 0)."""
    start = 0
    for _ in range(line):
        start = text.find("\n", start) + 1
        if start == 0:
            return text
    return text[: start + column]


def _build(loader: Any, path: Path, max_depth: int) -> tuple[Any, dict[int, int]]:
    get_event = loader.get_event
    resolve = loader.resolve
    constructors = loader.yaml_constructors
    plain: dict[str, Any] = {}  # a plain scalar's text -> its value (all immutable)
    lines: dict[int, int] = {}
    # Each open collection: [container, the key awaiting its value or _NO_KEY]; a list's slot unused.
    stack: list[list[Any]] = []
    document: Any = None
    documents = 0
    while (event := get_event()) is not None:
        kind = type(event)
        if kind is yaml.ScalarEvent:
            if event.anchor is not None:
                raise NeedsFullReader
            tag = event.tag
            value: Any = event.value
            if tag is None or tag == "!":
                if event.implicit[0]:
                    if value in plain:
                        value = plain[value]
                    else:
                        text = value
                        tag = resolve(yaml.ScalarNode, text, event.implicit)
                        if tag != _STR:
                            value = _construct(loader, constructors, tag, event, path)
                        plain[text] = value
            elif tag != _STR:
                value = _construct(loader, constructors, tag, event, path)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            if event.anchor is not None or (event.tag is not None and not event.implicit):
                raise NeedsFullReader
            if len(stack) >= max_depth:
                line = event.start_mark.line + 1 if event.start_mark is not None else None
                raise CorruptCassetteError(path, f"nested deeper than {max_depth} levels", line)
            if stack and type(stack[-1][0]) is dict and stack[-1][1] is _NO_KEY:
                raise NeedsFullReader  # a mapping or list as a key
            if kind is yaml.MappingStartEvent:
                container: Any = {}
                lines[id(container)] = event.start_mark.line + 1
            else:
                container = []
            stack.append([container, _NO_KEY])
            continue
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            value = stack.pop()[0]
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise NeedsFullReader  # PyYAML's reader names the second document
            continue
        elif kind is yaml.AliasEvent:
            raise NeedsFullReader
        else:
            continue
        if not stack:
            document = value
            continue
        top = stack[-1]
        container = top[0]
        if type(container) is list:
            container.append(value)
        elif top[1] is _NO_KEY:
            if value in container:
                raise NeedsFullReader  # PyYAML's reader names the repeated key
            top[1] = value
        else:
            container[top[1]] = value
            top[1] = _NO_KEY
    return document, lines


def _construct(loader: Any, constructors: dict[str, Any], tag: str, event: Any, path: Path) -> Any:
    """A scalar that is not text, made by PyYAML's constructor for ``tag``; plain values only."""
    constructor = constructors.get(tag)
    if constructor is None:
        raise NeedsFullReader  # an unknown tag: PyYAML's reader names it
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        value = constructor(loader, node)
    except (ValueError, OverflowError) as exc:  # a 5,000-digit number, the 45th of a month
        kind = tag.rsplit(":", 1)[-1]
        message = f"the value {event.value[:40]!r} cannot be read as {kind}: {exc}"[:300]
        raise CorruptCassetteError(path, message, event.start_mark.line + 1) from None
    if not isinstance(value, _VALUE_TYPES):
        raise NeedsFullReader  # a date, binary data, a merge key: rare, left to PyYAML
    return value
