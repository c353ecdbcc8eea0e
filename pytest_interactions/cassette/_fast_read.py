"""Reading a cassette in the writer's own layout without a YAML parser, ten times as fast.

:mod:`._writer` writes one layout: fixed keys in a fixed order at fixed indentation, strings in
the spellings of :mod:`._scalars`, JSON payloads as JSON text. This reader follows that layout
line by line (a stream's plain events, most of a long file, with one regular expression) and
checks every value as the general reader does. It reads nothing else: at the first line that
is not in the layout, or a value the general reader would refuse, it gives up and the general
YAML reader reads the file, and names what is wrong. A hand-edited file is therefore read the
same either way, only slower.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path

from pytest_interactions.cassette._model import (
    SCHEMA_VERSION,
    Body,
    Cassette,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from pytest_interactions.cassette._scalars import LONGEST_KEY, RESERVED, read_number, read_scalar
from pytest_interactions.cassette._yaml_model import MAX_SECONDS, is_header_text, is_url

_CONTROLS = tuple(chr(c) for c in (*range(0x09), *range(0x0B, 0x20), 0x7F))
_WIDE_UNREADABLE = (*(chr(c) for c in range(0x80, 0xA0)), "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff")


def _readable(text: str) -> bool:
    """Whether YAML reads every character of ``text`` as a plain character of a line: no control
    characters, no line break but ``\\n`` (``\\r``, ``\\x85``, ``\\u2028``...), no byte order mark.

    One search per character (each a fast scan of the text) beats one pass of a regular expression.
    """
    if any(c in text for c in _CONTROLS):
        return False
    return text.isascii() or not any(c in text for c in _WIDE_UNREADABLE)


_NUMBER = r"(?:0|[1-9][0-9]*)(?:\.[0-9]*(?:e[-+][0-9]+)?)?"
_PLAIN_EVENT = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_EVENT = (
    rf"    - at: ({_NUMBER})\n"
    rf"(?:      event: ({_PLAIN_EVENT})\n)?"
    r"(?:      id: ([^\n]*)\n)?"
    r"(?:      retry: ((?:0|[1-9][0-9]*))\n)?"
    r"(?:      data: ('[^\n]*')\n)?"
    r"(?!      )"
)
_EVENTS = re.compile(_EVENT)
"""A stream event with nothing but a time, type, id, retry and one-line data: almost all of them."""


_KEY = r"""('(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^'"?\-](?:[^:]|:(?! |$))*)"""
_META_ENTRY = re.compile(rf"{_KEY}: (.*)")
"""A metadata line: a key (quoted when it must be) and its value."""
_HEADER_ENTRY = re.compile(rf"{_KEY}:(?: (.*))?")
"""A header line: its name, and its value unless its values follow one a line."""
_BLOCKS: dict[int, re.Pattern[str]] = {}
"""Per indentation, the lines of a literal block."""


class _NotTheLayout(Exception):
    """The text leaves the writer's layout here: the general reader takes the file."""


def read(text: str, path: Path) -> Cassette | None:
    """The cassette in ``text`` when it is in the writer's layout and valid; else ``None``."""
    if not text.endswith("\n") or not _readable(text):
        return None
    try:
        return _Reader(text).cassette()
    except _NotTheLayout:
        return None


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._counted = (0, 1)  # a position and its line number, counted up to as the reader goes
        # Header lines, URLs and names repeat from one exchange to the next: each is read once.
        self._scalars: dict[str, str] = {}
        self._headers: dict[str, tuple[str, str]] = {}
        self._urls: set[str] = set()

    # -- lines -------------------------------------------------------------------------------

    def peek(self, prefix: str) -> bool:
        return self.text.startswith(prefix, self.pos)

    def rest(self, prefix: str) -> str:
        """The rest of the line that starts with ``prefix`` (which must be next)."""
        if not self.text.startswith(prefix, self.pos):
            raise _NotTheLayout
        start = self.pos + len(prefix)
        end = self.text.index("\n", start)
        self.pos = end + 1
        return self.text[start:end]

    def line(self, exact: str) -> None:
        if self.rest(exact) != "":
            raise _NotTheLayout

    def optional(self, prefix: str) -> str | None:
        return self.rest(prefix) if self.peek(prefix) else None

    def line_number(self) -> int:
        position, line = self._counted
        line += self.text.count("\n", position, self.pos)
        self._counted = (self.pos, line)
        return line

    # -- values ------------------------------------------------------------------------------

    def string(self, prefix: str, block: bool = False) -> str:
        """A string value after ``prefix`` (``key: ``): one line, or a literal block if ``block``."""
        value = self.rest(prefix)
        if block and value in ("|", "|-"):
            return self.block(len(prefix) - len(prefix.lstrip(" ")) + 2, keep_end=value == "|")
        return self.scalar(value)

    def scalar(self, written: str) -> str:
        found = self._scalars.get(written)
        if found is None:
            found = read_scalar(written)
            if found is None:
                raise _NotTheLayout
            self._scalars[written] = found
        return found

    def block_region(self, indent: int) -> str:
        """The lines of a literal block indented by ``indent``, as they stand in the file (its
        first line sets the indentation, as in YAML)."""
        text, start = self.text, self.pos
        margin = " " * indent
        if not text.startswith(margin, start) or text[start + indent] in " \t\n":
            raise _NotTheLayout
        pattern = _BLOCKS.get(indent)
        if pattern is None:
            pattern = _BLOCKS[indent] = re.compile(rf"(?: {{{indent}}}[^\n]*\n|\n)*")
        end = pattern.match(text, start).end()  # type: ignore[union-attr]
        region = text[start:end]
        if text[end - 2] == "\n" or f"\n{margin}\t" in region:
            raise _NotTheLayout  # trailing empty lines, tabs after the indentation: the writer writes neither
        self.pos = end
        return region

    def block(self, indent: int, keep_end: bool) -> str:
        """The text of a literal block indented by ``indent``."""
        lines = self.block_region(indent).split("\n")[:-1]
        value = "\n".join(line[indent:] for line in lines)
        return value + "\n" if keep_end else value

    def seconds(self, prefix: str) -> float:
        value = read_number(self.rest(prefix))
        if value is None or not 0 <= value <= MAX_SECONDS:
            raise _NotTheLayout
        return float(value)

    def integer(self, prefix: str) -> int:
        value = read_number(self.rest(prefix))
        if type(value) is not int:
            raise _NotTheLayout
        return value

    def headers(self, indent: str) -> list[tuple[str, str]]:
        if self.peek(f"{indent}headers: {{}}\n"):
            self.line(f"{indent}headers: {{}}")
            return []
        if not self.peek(f"{indent}headers:\n"):
            return []
        self.line(f"{indent}headers:")
        inner = indent + "  "
        item = inner + "- "
        headers: list[tuple[str, str]] = []
        known = self._headers
        names: set[str] = set()
        while self.peek(inner) and not self.peek(item):
            line = self.rest(inner)
            header = known.get(line)
            if header is None:
                entry = _HEADER_ENTRY.fullmatch(line)
                name = read_scalar(entry[1]) if entry is not None else None
                if entry is None or name is None or not is_header_text(name) or " " in name or not name:
                    raise _NotTheLayout
                if entry[2] is None:  # several values, one a line
                    if not self.peek(item) or name in names:
                        raise _NotTheLayout
                    names.add(name)
                    while self.peek(item):
                        headers.append((name, _header_value(self.rest(item))))
                    continue
                header = known[line] = (name, _header_value(entry[2]))
            if header[0] in names:
                raise _NotTheLayout  # a key given twice: the general reader names it
            names.add(header[0])
            headers.append(header)
        return headers

    def body(self, indent: str) -> Body | None:
        if self.peek(f"{indent}json: |-\n"):
            self.line(f"{indent}json: |-")
            try:
                # JSON text holds no line break inside a string: the indentation is whitespace
                # between its tokens, and the block reads the same without taking it off.
                value = json.loads(self.block_region(len(indent) + 2))
            except (ValueError, RecursionError):
                raise _NotTheLayout from None
            style = self.string(f"{indent}json_style: ") if self.peek(f"{indent}json_style: ") else "compact"
            return Body("json", value, style)
        if self.peek(f"{indent}text: "):
            return Body("text", self.string(f"{indent}text: ", block=True))
        if self.peek(f"{indent}base64: "):
            value = self.string(f"{indent}base64: ")
            _base64(value)
            return Body("base64", value)
        return None

    def data_bytes(self, indent: str, key: str) -> bytes:
        self.line(f"{indent}{key}:")
        inner = indent + "  "
        if self.peek(f"{inner}text: "):
            return self.string(f"{inner}text: ", block=True).encode("utf-8")
        return _base64(self.string(f"{inner}base64: "))

    def disconnect(self, indent: str, first: str) -> Disconnect:
        at = self.seconds(f"{first}at: ")
        error = self.string(f"{indent}disconnect: ")
        message = self.string(f"{indent}message: ", block=True) if self.peek(f"{indent}message: ") else ""
        partial = self.data_bytes(indent, "partial") if self.peek(f"{indent}partial:\n") else b""
        return Disconnect(at, error, message, partial)

    # -- the document ------------------------------------------------------------------------

    def cassette(self) -> Cassette:
        self.line(f"version: {SCHEMA_VERSION}")
        meta: dict[str, object] = {}
        if self.peek("meta: {}\n"):
            self.line("meta: {}")
        else:
            self.line("meta:")
            if not self.peek("  "):
                raise _NotTheLayout  # an empty value: null to YAML, which the general reader refuses
            while self.peek("  "):
                entry = _META_ENTRY.fullmatch(self.rest("  "))
                name = read_scalar(entry[1]) if entry is not None else None
                if entry is None or name is None or name in meta or len(entry[1]) > LONGEST_KEY:
                    raise _NotTheLayout
                meta[name] = _meta_value(entry[2])
        exchanges: list[Exchange] = []
        if self.peek("exchanges: []\n"):
            self.line("exchanges: []")
        else:
            self.line("exchanges:")
            if not self.peek("- at: "):
                raise _NotTheLayout  # an empty value: null to YAML, which the general reader refuses
            while self.peek("- at: "):
                exchanges.append(self.exchange())
        if self.integer("end: ") != len(exchanges) or self.pos != len(self.text):
            raise _NotTheLayout
        return Cassette(exchanges=exchanges, meta=meta, version=SCHEMA_VERSION)

    def exchange(self) -> Exchange:
        line = self.line_number()
        at = self.seconds("- at: ")
        self.line("  request:")
        method = self.string("    method: ")
        url = self.string("    url: ")
        if url not in self._urls:
            if not is_url(url):
                raise _NotTheLayout
            self._urls.add(url)
        request = RecordedRequest(method, url, self.headers("    "), self.body("    "))
        response = None
        if self.peek("  response:\n"):
            self.line("  response:")
            status = self.integer("    status: ")
            after = self.seconds("    after: ")
            headers = self.headers("    ")
            body = self.body("    ")
            events = None
            if self.peek("    events: []\n"):
                self.line("    events: []")
                events = []
            elif self.peek("    events:\n"):
                self.line("    events:")
                events = self.events()
            disconnect = None
            if self.peek("    disconnect:\n"):
                self.line("    disconnect:")
                disconnect = self.disconnect("      ", "      ")
            closed_early = False
            if self.peek("    closed_early: true\n"):
                self.line("    closed_early: true")
                closed_early = True
            response = RecordedResponse(status, headers, after, body, events, disconnect, closed_early)
        error = None
        if self.peek("  error:\n"):
            self.line("  error:")
            error = self.disconnect("    ", "    ")
        if response is None and error is None:
            raise _NotTheLayout
        return Exchange(at, request, response, error, line=line)

    def events(self) -> list[StreamEvent | Disconnect]:
        if not self.peek("    - at: "):
            raise _NotTheLayout  # an empty value: null to YAML, which the general reader refuses
        items: list[StreamEvent | Disconnect] = []
        while self.peek("    - at: "):
            end = _plain_events(self.text, self.pos, items)
            if end == self.pos:
                items.append(self.event())
            else:
                self.pos = end
        return items

    def event(self) -> StreamEvent | Disconnect:
        """An event the one expression leaves: comments, raw bytes, data as a block, a disconnect."""
        start = self.pos
        self.rest("    - at: ")
        if self.peek("      disconnect: "):
            self.pos = start
            return self.disconnect("      ", "    - ")
        self.pos = start
        at = self.seconds("    - at: ")
        event = self.string("      event: ") if self.peek("      event: ") else None
        event_id = self.string("      id: ") if self.peek("      id: ") else None
        retry = self.integer("      retry: ") if self.peek("      retry: ") else None
        comments: list[str] = []
        if self.peek("      comments:\n"):
            self.line("      comments:")
            while self.peek("      - "):
                comments.append(self.string("      - "))
            if not comments:
                raise _NotTheLayout
        data = self.string("      data: ", block=True) if self.peek("      data: ") else None
        raw = self.data_bytes("      ", "raw") if self.peek("      raw:\n") else None
        if self.peek("      "):
            raise _NotTheLayout
        return StreamEvent(at, event, data, event_id, retry, tuple(comments), raw)


def _plain_events(text: str, start: int, into: list[StreamEvent | Disconnect]) -> int:
    """Add the run of events at ``start`` that :data:`_EVENTS` reads to ``into``; where it ends.

    Built one match at a time: a long stream's text is not held twice over."""
    match = _EVENTS.scanner(text, start).match  # type: ignore[attr-defined]  # anchored where the last ended
    append = into.append
    names: dict[str, str] = {}  # each event type's name held once, not once per event
    end = start
    while (found := match()) is not None:
        at, event, written_id, retry, data = found.groups()
        seconds = float(at)
        if seconds > MAX_SECONDS or event in RESERVED:
            raise _NotTheLayout
        event_id = None
        if written_id:
            event_id = read_scalar(written_id)
            if event_id is None:
                raise _NotTheLayout
        value = None
        if data:
            value = data[1:-1]
            if "'" in value:
                if "'" in value.replace("''", ""):
                    raise _NotTheLayout
                value = value.replace("''", "'")
            if "\t" in value:
                raise _NotTheLayout
        name = names.setdefault(event, event) if event else None
        append(StreamEvent(seconds, name, value, event_id, int(retry) if retry else None))
        end = found.end()
    return end


def _header_value(text: str) -> str:
    value = read_scalar(text)
    if value is None or not is_header_text(value):
        raise _NotTheLayout
    return value


def _meta_value(text: str) -> object:
    number = read_number(text)
    if number is not None and type(number) is int:
        return number
    value = read_scalar(text)
    if value is None:
        raise _NotTheLayout
    return value


def _base64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _NotTheLayout from None
