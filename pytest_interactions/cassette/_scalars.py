"""How the writer spells a string or number in YAML, and how the fast reader reads those spellings back.

Strings are written plain when YAML can only read them as that text, in single quotes when they
are one printable line, as a literal block when they are printable lines of text, and in double
quotes (JSON escapes, plus ``\\uXXXX`` for what YAML may not hold raw) otherwise. The reader
accepts exactly these spellings and nothing else: anything it does not recognise is read by the
general YAML reader.
"""

from __future__ import annotations

import json
import re

_WORD = r"(?:[A-Za-z0-9_.,;/()<>=+*?&%@~!$\-]|:(?=[A-Za-z0-9_.,;/()<>=+*?&%@~!$\-:]))"
_PLAIN = re.compile(rf"(?!<<)[A-Za-z_/(<]{_WORD}*(?: {_WORD}+)*")
"""Text YAML reads as itself when written plain: no indicator first, no ``: `` or `` #``, no
colon last, ASCII. Colons only inside a word (``http://host``)."""
RESERVED = frozenset(
    [
        "null",
        "Null",
        "NULL",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "yes",
        "Yes",
        "YES",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
    ]
)
"""Words YAML 1.1 reads as booleans or null."""
_SINGLE_UNSAFE = re.compile(
    "[^\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]"
)
"""What a single-quoted scalar may not hold raw: control characters, tabs, YAML's line breaks
(``\\x85``, ``\\u2028``, ``\\u2029``), a byte order mark, surrogates."""
_DOUBLE_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")
"""What JSON leaves raw but a double-quoted YAML scalar may not hold raw."""
_BLOCK_UNSAFE = re.compile(
    "[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]| \n"
)
"""What keeps text out of a literal block: characters YAML may not hold there, a line ending in a
space."""


def plain_ok(value: str) -> bool:
    """Whether ``value`` may be written plain (YAML reads it back as the same text)."""
    return value not in RESERVED and _PLAIN.fullmatch(value) is not None and not value.endswith(":")


def quoted(value: str) -> str:
    """``value`` on one line: plain, single-quoted or double-quoted."""
    if plain_ok(value):
        return value
    if _SINGLE_UNSAFE.search(value) is None:
        return "'" + value.replace("'", "''") + "'"
    return double_quoted(value)


def double_quoted(value: str) -> str:
    """``value`` as a double-quoted scalar: JSON's escapes, and ``\\uXXXX`` for the rest."""
    return yaml_safe_json(json.dumps(value, ensure_ascii=False))


def yaml_safe_json(text: str) -> str:
    """JSON ``text`` with what YAML may not hold raw escaped as ``\\uXXXX`` (JSON reads back the
    same characters)."""
    return _DOUBLE_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


LONGEST_KEY = 1000
"""Characters a key may take on its line: YAML reads a longer one only as an explicit ``? key``."""


def key(name: str) -> str | None:
    """``name`` spelled as a mapping key on its line, or ``None`` when it is too long to be one."""
    spelled = quoted(name)
    return spelled if len(spelled) <= LONGEST_KEY else None


def block_ok(value: str) -> bool:
    """Whether ``value`` (holding a line break) reads back the same as a literal block."""
    return (
        "\n" in value
        and value[0] not in " \t\n"
        and "\n\t" not in value  # YAML reads a tab after the indentation as misplaced indentation
        and not value.endswith(" ")
        and _BLOCK_UNSAFE.search(value) is None
        and not value.endswith("\n\n")
    )


def number(value: float | int) -> str:
    """A number as YAML 1.1 reads it back: floats always with a dot (``1.0e-06``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, int):
        return str(value)
    text = repr(value).lower()
    if text in ("inf", "-inf", "nan"):
        raise ValueError(f"{value!r} cannot be a time in a cassette")
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


_FLOAT = re.compile(r"-?[0-9]+\.[0-9]*(?:e[-+][0-9]+)?")
_INT = re.compile(r"-?[1-9][0-9]*|0")


def read_number(text: str) -> float | int | None:
    """A number as :func:`number` writes it; ``None`` for any other spelling."""
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return None


_DOUBLE_READABLE = re.compile(r'"(?:[^"\\]|\\["\\bfnrt]|\\u(?![dD][89a-fA-F])[0-9a-fA-F]{4})*"')
"""A double-quoted scalar whose escapes mean the same to JSON and YAML (no surrogate pairs)."""


def read_scalar(text: str) -> str | None:
    """The string a one-line scalar as :func:`quoted` writes it holds; ``None`` for any other
    spelling (the general reader then reads the file)."""
    first = text[:1]
    if first == "'":
        if len(text) < 2 or text[-1] != "'":
            return None
        inner = text[1:-1]
        if _SINGLE_UNSAFE.search(inner) is not None:
            return None
        if "'" in inner:
            if "'" in inner.replace("''", ""):
                return None
            inner = inner.replace("''", "'")
        return inner
    if first == '"':
        if _DOUBLE_READABLE.fullmatch(text) is None:
            return None
        try:
            value: str = json.loads(text)
        except ValueError:  # a raw control character: YAML and JSON may differ on it
            return None
        return value
    if plain_ok(text):
        return text
    return None
