"""Writing a cassette as YAML in one fixed layout: readable on disk, a small change a small diff.

The layout is what PyYAML's block style would write, produced directly (several times faster)
and in one form only, so that :mod:`._fast_read` can read it back without a YAML parser. JSON
payloads are kept as JSON: a stream event's ``data`` on one line as received, a JSON body as a
literal block of indented JSON (one member a line). Long lines are never folded.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import yaml

from pytest_interactions.cassette._bodies import body_to_bytes
from pytest_interactions.cassette._model import (
    SCHEMA_VERSION,
    Body,
    Cassette,
    Disconnect,
    Exchange,
    StreamEvent,
)
from pytest_interactions.cassette._scalars import block_ok, double_quoted, key, number, quoted, yaml_safe_json


class _Out:
    """The lines of the document being written."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.add = self.lines.append
        self.in_layout = True
        """False once a value was left to PyYAML (metadata that is not a string or number)."""
        self._quoted: dict[str, str] = {}  # header lines and URLs repeat from one exchange to the next

    def quoted(self, value: str) -> str:
        found = self._quoted.get(value)
        if found is None:
            found = self._quoted[value] = quoted(value)
        return found

    def text(self, indent: str, key: str, value: str) -> None:
        """``key: value`` for a string value: one line, or a literal block for lines of text."""
        if "\n" in value and block_ok(value):
            chomp = "" if value.endswith("\n") else "-"
            self.add(f"{indent}{key}: |{chomp}")
            inner = indent + "  "
            self.lines.extend(
                f"{inner}{line}" if line else "" for line in value.removesuffix("\n").split("\n")
            )
        else:
            self.add(f"{indent}{key}: {quoted(value)}")

    def headers(self, indent: str, headers: list[tuple[str, str]], always: bool) -> None:
        if not headers:
            if always:
                self.add(f"{indent}headers: {{}}")
            return
        self.add(f"{indent}headers:")
        inner = indent + "  "
        grouped: dict[str, list[str]] = {}
        for name, value in headers:
            grouped.setdefault(name.lower(), []).append(value)
        for name, values in grouped.items():
            spelled = key(name)
            if spelled is None:  # an explicit key, which the general reader reads
                self.add(f"{inner}? {quoted(name)}")
                start = f"{inner}:"
            else:
                start = f"{inner}{spelled}:"
            if len(values) == 1:
                self.add(f"{start} {self.quoted(values[0])}")
            else:
                self.add(start)
                self.lines.extend(f"{inner}- {self.quoted(value)}" for value in values)

    def body(self, indent: str, body: Body | None) -> None:
        if body is None:
            return
        if body.kind == "json":
            try:
                self.json_block(indent, "json", body.value)
            except RecursionError:  # nested too deeply to indent: kept as the text it was sent as
                self.text(indent, "text", body_to_bytes(body).decode("utf-8"))
                return
            if body.style != "compact":
                self.add(f"{indent}json_style: {quoted(body.style)}")
        else:
            self.text(indent, body.kind, str(body.value))

    def json_block(self, indent: str, key: str, value: Any) -> None:
        """``value`` as indented JSON in a literal block (JSON reads back the same, whatever YAML
        makes of the indentation: JSON text holds no line break inside a string)."""
        text = json.dumps(value, indent=2, ensure_ascii=False)
        text = yaml_safe_json(text)
        inner = indent + "  "
        self.add(f"{indent}{key}: |-")
        self.lines.extend(inner + line for line in text.split("\n"))

    def bytes_value(self, indent: str, key: str, data: bytes) -> None:
        self.add(f"{indent}{key}:")
        try:
            self.text(indent + "  ", "text", data.decode("utf-8"))
        except UnicodeDecodeError:
            self.add(f"{indent}  base64: {quoted(base64.b64encode(data).decode('ascii'))}")

    def disconnect(self, indent: str, first: str, item: Disconnect) -> None:
        """A transport failure; ``first`` starts its first line (``- `` in a list)."""
        self.add(f"{first}at: {number(round(item.at, 6))}")
        self.add(f"{indent}disconnect: {quoted(item.error)}")
        self.text(indent, "message", item.message)
        if item.partial:
            self.bytes_value(indent, "partial", item.partial)

    def event(self, item: StreamEvent) -> None:
        add = self.add
        add(f"    - at: {number(round(item.at, 6))}")
        if item.event is not None:
            add(f"      event: {self.quoted(item.event)}")
        if item.id is not None:
            add(f"      id: {quoted(item.id)}")
        if item.retry is not None:
            add(f"      retry: {number(item.retry)}")
        if item.comments:
            add("      comments:")
            self.lines.extend(f"      - {_one_line(comment)}" for comment in item.comments)
        if item.data is not None:
            self.text("      ", "data", item.data)
        if item.raw is not None:
            self.bytes_value("      ", "raw", item.raw)

    def exchange(self, exchange: Exchange) -> None:
        add = self.add
        request = exchange.request
        add(f"- at: {number(round(exchange.at, 6))}")
        add("  request:")
        add(f"    method: {self.quoted(request.method)}")
        add(f"    url: {self.quoted(request.url)}")
        self.headers("    ", request.headers, always=False)
        self.body("    ", request.body)
        response = exchange.response
        if response is not None:
            add("  response:")
            add(f"    status: {number(response.status)}")
            add(f"    after: {number(round(response.after, 6))}")
            self.headers("    ", response.headers, always=True)
            self.body("    ", response.body)
            if response.events is not None:
                if not response.events:
                    add("    events: []")
                else:
                    add("    events:")
                    for item in response.events:
                        if isinstance(item, Disconnect):
                            self.disconnect("      ", "    - ", item)
                        else:
                            self.event(item)
            if response.disconnect is not None:
                add("    disconnect:")
                self.disconnect("      ", "      ", response.disconnect)
            if response.closed_early:
                add("    closed_early: true")
        if exchange.error is not None:
            add("  error:")
            self.disconnect("    ", "    ", exchange.error)


def _one_line(value: str) -> str:
    """A list item's string: a literal block would need its own indentation, so one line always."""
    return quoted(value) if "\n" not in value else double_quoted(value)


def _meta(out: _Out, meta: Mapping[str, Any]) -> None:
    """The session's metadata: strings and numbers as the rest of the file; anything else as
    PyYAML writes it (the fast reader leaves such a file to the general one)."""
    if not meta:
        out.add("meta: {}")
        return
    out.add("meta:")
    for name_key, value in meta.items():
        name = key(name_key) if isinstance(name_key, str) else None
        if name is not None and isinstance(value, str) and "\n" not in value:
            out.add(f"  {name}: {quoted(value)}")
        elif name is not None and isinstance(value, int) and not isinstance(value, bool):
            out.add(f"  {name}: {value}")
        else:
            out.in_layout = False
            dumped = yaml.dump(
                {name_key: value}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=2**30
            )
            out.lines.extend("  " + line for line in dumped.rstrip("\n").split("\n"))


_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(cassette: Cassette) -> str:
    """Serialise a cassette to YAML text (the current schema version)."""
    return write(cassette)[0]


def write(cassette: Cassette) -> tuple[str, bool]:
    """The cassette's YAML text, and whether all of it is in the layout :mod:`._fast_read` reads
    (where no value is hidden by YAML's escapes or folding but double quotes and base64)."""
    out = _Out()
    out.add(f"version: {SCHEMA_VERSION}")
    _meta(out, cassette.meta)
    if not cassette.exchanges:
        out.add("exchanges: []")
    else:
        out.add("exchanges:")
        for exchange in cassette.exchanges:
            out.exchange(exchange)
    out.add(f"end: {len(cassette.exchanges)}")
    out.add("")
    return "\n".join(out.lines), out.in_layout
