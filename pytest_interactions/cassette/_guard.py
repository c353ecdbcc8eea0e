"""Finding a guarded value in a cassette's text in every form the file may hold it.

A value may sit in the file as written, URL-encoded, JSON- or YAML-escaped, folded over lines by
YAML, or inside a base64-stored body (binary, invalid UTF-8, compressed). The search looks at the
text, then at every YAML scalar as it loads (escapes and folds undone), decoding base64 ones.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterator, Mapping
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAX_INFLATED = 64 * 1024 * 1024


def forms(value: str) -> set[str]:
    """The ways a value can be spelled in text: as is, URL-encoded, JSON or YAML escaped."""
    spelled = {value, quote(value, safe=""), quote_plus(value), quote(value, safe="/:@")}
    spelled |= {s.replace("%", "%25") for s in list(spelled) if "%" in s}  # encoded twice
    spelled |= {_lower_hex(s) for s in list(spelled)}
    spelled.add(json.dumps(value)[1:-1])
    spelled.add(json.dumps(value, ensure_ascii=False)[1:-1])
    spelled.add(value.replace("'", "''"))
    return {s for s in spelled if s}


def _lower_hex(text: str) -> str:
    parts = text.split("%")
    return parts[0] + "".join(p[:2].lower() + p[2:] for p in parts[1:])


def find_leak(text: str, guarded: Mapping[str, str], layout: bool = False) -> tuple[str, int] | None:
    """The name of the first guarded value found in ``text`` and its line, or ``None``.

    ``layout``: the text is in the writer's own layout, where a value is hidden only by double
    quotes (JSON's escapes, which :func:`forms` spells), URL encoding, base64 or a line break.
    """
    spelled = {name: forms(value) for name, value in guarded.items() if value}
    if not spelled:
        return None
    found = _first(text, spelled)
    if found is not None:
        return found
    if layout and not any("\n" in value for value in guarded.values()):
        return _in_layout(text, spelled)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None
    as_bytes = {name: {w.encode("utf-8") for w in ways} for name, ways in spelled.items()}
    for node, is_base64 in _scalars(root):
        line = node.start_mark.line + 1
        value = str(node.value)
        readings = {value, unquote(value), unquote_plus(value)}
        for name, ways in spelled.items():
            if any(w in reading for w in ways for reading in readings):
                return name, line
        if is_base64:
            for data in _decoded(value):
                for name, ways_b in as_bytes.items():
                    if any(w in data for w in ways_b):
                        return name, line
    return None


def _first(text: str, spelled: Mapping[str, set[str]]) -> tuple[str, int] | None:
    """The first guarded value spelled in ``text`` as it stands, and its line."""
    for name, ways in spelled.items():
        index = min((i for i in (text.find(w) for w in ways) if i >= 0), default=-1)
        if index >= 0:
            return name, text.count("\n", 0, index) + 1
    return None


_BASE64 = re.compile(r"^ *base64: '?([A-Za-z0-9+/=]+)'?$", re.M)


def _in_layout(text: str, spelled: Mapping[str, set[str]]) -> tuple[str, int] | None:
    """A guarded value URL-encoded in any way, or inside base64, in a text in the writer's layout
    (each line holds whole values: one line decoded is as good as each value on it)."""
    for sign in "%+":
        at = text.find(sign)
        while at >= 0:
            start, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
            line = text[start:end]
            for decoded in (unquote(line), unquote_plus(line)):
                if decoded != line and (found := _first(decoded, spelled)) is not None:
                    return found[0], text.count("\n", 0, start) + 1
            at = text.find(sign, end)
    as_bytes = {name: {w.encode("utf-8") for w in ways} for name, ways in spelled.items()}
    for match in _BASE64.finditer(text):
        for data in _decoded(match.group(1)):
            for name, ways_b in as_bytes.items():
                if any(w in data for w in ways_b):
                    return name, text.count("\n", 0, match.start()) + 1
    return None


def redact(text: str, guarded: Mapping[str, str]) -> str:
    """``text`` with every spelling of every guarded value replaced by ``<REDACTED name>``."""
    for name, value in guarded.items():
        if value:
            for way in sorted(forms(value), key=len, reverse=True):
                text = text.replace(way, f"<REDACTED {name}>")
    return text


def _scalars(root: yaml.Node | None) -> Iterator[tuple[yaml.ScalarNode, bool]]:
    """Every scalar of the document, and whether it is the value of a ``base64`` key."""
    stack: list[tuple[yaml.Node, bool]] = [(root, False)] if root is not None else []
    seen: set[int] = set()
    while stack:
        node, is_base64 = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            yield node, is_base64
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, False) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, child in node.value:
                stack.append((key, False))
                stack.append((child, isinstance(key, yaml.ScalarNode) and key.value == "base64"))


def _decoded(value: str) -> list[bytes]:
    """The bytes of a base64 scalar, and their inflation when they are gzip or zlib data."""
    try:
        data = base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        return []
    found = [data]
    for wbits in (16 + zlib.MAX_WBITS, zlib.MAX_WBITS, -zlib.MAX_WBITS):
        try:
            found.append(zlib.decompressobj(wbits).decompress(data, _MAX_INFLATED))
            break
        except zlib.error:
            continue
    return found
