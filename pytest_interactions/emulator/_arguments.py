"""Function-call arguments taken from the input, as a reader would: "weather in Paris now" -> Paris.

The emulator's ``function_call`` scenario fills each declared parameter from the input text,
deterministically, so that a test can predict the call its prompt produces.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

#: Words after which the subject of a request usually comes ("in Paris", "for Tokyo").
PREPOSITIONS = frozenset({"in", "for", "at", "near", "around", "of", "from", "to", "about", "into"})

#: Words that say when, never what: a subject stops before them ("Paris right now").
TIME_WORDS = frozenset(
    {
        "now", "today", "tonight", "tomorrow", "yesterday", "currently", "right", "this", "next",
        "last", "morning", "afternoon", "evening", "night", "week", "weekend", "month", "year",
        "moment", "soon", "later", "presently", "anymore",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "january", "february", "march", "april", "june", "july", "august",
        "september", "october", "november", "december",
    }
)  # fmt: skip

#: Words that are never a subject: articles, pronouns, question words, request verbs.
STOP_WORDS = frozenset(
    {
        "a", "an", "the", "my", "your", "our", "their", "his", "her", "its", "me", "us", "it",
        "you", "i", "we", "they", "there", "here", "that", "these", "those", "what", "what's",
        "whats", "which", "who", "whom", "how", "how's", "where", "when", "why", "is", "are", "was",
        "were", "be", "been", "do", "does", "did", "can", "could", "would", "will", "should",
        "shall", "may", "might", "must", "please", "and", "or", "but", "with", "like", "tell",
        "give", "show", "find", "get", "look", "check", "list", "let", "know", "want", "need",
        "so", "if", "am", "i'm", "it's", "there's", "set", "book", "make", "send", "create",
        "turn", "play", "add", "remove", "search", "translate", "convert", "compare", "call",
        "open", "schedule", "remind", "order", "buy", "help", "say", "explain", "describe",
        "then", "than", "on", "by", "up", "any", "some", "much", "many",
        *PREPOSITIONS,
    }
)  # fmt: skip

#: Lower-case words that may sit inside a capitalised name ("Rio de Janeiro", "Isle of Man").
NAME_JOINERS = frozenset({"de", "del", "da", "do", "la", "le", "von", "van", "der", "of", "upon", "y"})

#: Parameters with these names take the whole input (a search query, a question).
WHOLE_INPUT_NAMES = frozenset({"query", "q", "question", "prompt", "text", "message", "search", "request"})

_TOKEN = re.compile(r"[^\W_][\w'\u2019-]*|[^\w\s]")
_SENTENCE_END = frozenset({".", "!", "?"})
DEFAULT = "value"


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big")


def _is_word(token: str) -> bool:
    return token[0].isalnum()


def _is_capitalised(token: str) -> bool:
    return token[0].isupper()


def _is_content(token: str) -> bool:
    low = token.lower().replace("\u2019", "'")
    return _is_word(token) and low not in STOP_WORDS and low not in TIME_WORDS and not token.isdigit()


def _name_at(tokens: list[str], start: int) -> str | None:
    """The capitalised name starting at ``start`` ("New York", "Rio de Janeiro"), if one does."""
    words: list[str] = []
    i = start
    while i < len(tokens):
        token = tokens[i]
        joins = (
            bool(words)
            and token in NAME_JOINERS
            and i + 1 < len(tokens)
            and _is_word(tokens[i + 1])
            and _is_capitalised(tokens[i + 1])
        )
        if not joins and not (_is_word(token) and _is_capitalised(token) and _is_content(token)):
            break
        words.append(token)
        i += 1
    return " ".join(words) or None


def _plain_at(tokens: list[str], start: int) -> str | None:
    """Up to three lower-case content words starting at ``start`` ("new york" in "in new york today")."""
    words: list[str] = []
    for token in tokens[start : start + 3]:
        if not _is_content(token):
            break
        words.append(token)
    return " ".join(words) or None


def subjects(text: str) -> list[str]:
    """What the input is about, most likely first.

    In order: capitalised names after a preposition ("in Paris"), other capitalised names
    inside a sentence, a sentence's capitalised first word that is not a question word or verb,
    lower-case words after a preposition, then the remaining content words, last first.
    Trailing time words ("right now", "today") never belong to a subject.
    """
    tokens = _TOKEN.findall(text)
    after_preposition: list[str] = []
    plain_after_preposition: list[str] = []
    for i, token in enumerate(tokens):
        if token.lower() not in PREPOSITIONS:
            continue
        j = i + 1
        while j < len(tokens) and tokens[j].lower() in ("the", "a", "an"):
            j += 1
        if j < len(tokens) and _is_capitalised(tokens[j]):
            if name := _name_at(tokens, j):
                after_preposition.append(name)
        elif plain := _plain_at(tokens, j):
            plain_after_preposition.append(plain)
    inside: list[str] = []
    initial: list[str] = []
    i = 0
    while i < len(tokens):
        name = _name_at(tokens, i) if _is_word(tokens[i]) and _is_capitalised(tokens[i]) else None
        if name is None:
            i += 1
            continue
        starts_sentence = i == 0 or tokens[i - 1] in _SENTENCE_END
        (initial if starts_sentence else inside).append(name)
        i += len(_TOKEN.findall(name))
    named = [*after_preposition, *inside, *initial, *plain_after_preposition]
    covered = {word.lower() for phrase in named for word in phrase.split()}
    content = [t for t in reversed(tokens) if _is_content(t) and t.lower() not in covered]
    return _unique([*named, *content])


def _unique(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    found: list[str] = []
    for value in values:
        if value.lower() not in seen:
            seen.add(value.lower())
            found.append(value)
    return found


def numbers(text: str) -> list[float]:
    """The numbers written in the input, in order ("21", "-3.5")."""
    return [float(n) for n in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", text)]


def arguments_for(decl: Mapping[str, Any], text: str) -> dict[str, Any]:
    """The arguments of a call of the declared function ``decl`` that the input ``text`` asks for.

    Parameters are filled in declaration order: a string parameter takes the next subject of
    the input (the first one when there are no more); a parameter named like ``query`` takes
    the whole input; an ``enum`` takes the value the input mentions, else its first; a number
    takes the next number in the input, else one derived from the input; a boolean is derived
    from the input; an array holds one item filled by the same rules.
    """
    params = decl.get("parameters")
    properties = params.get("properties") if isinstance(params, Mapping) else None
    if not isinstance(properties, Mapping):
        return {}
    found = subjects(text)
    counts = {"string": 0, "number": 0}
    arguments: dict[str, Any] = {}
    for name, schema in properties.items():
        arguments[str(name)] = _value(str(name), schema, text, found, counts)
    return arguments


def _value(name: str, schema: Any, text: str, found: list[str], counts: dict[str, int]) -> Any:
    schema = schema if isinstance(schema, Mapping) else {}
    kind = schema.get("type")
    kind = kind.lower() if isinstance(kind, str) else kind
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        mentioned = [v for v in enum if isinstance(v, str) and v.lower() in text.lower()]
        return mentioned[0] if mentioned else enum[0]
    if kind in ("integer", "number"):
        written = numbers(text)
        n = counts["number"]
        counts["number"] += 1
        value = written[n] if n < len(written) else float(_digest(f"{text}:{name}") % 100)
        return int(value) if kind == "integer" or value.is_integer() else value
    if kind == "boolean":
        return _digest(f"{text}:{name}") % 2 == 0
    if kind == "array":
        return [_value(name, schema.get("items"), text, found, counts)]
    if kind == "object":
        return {}
    if name.lower() in WHOLE_INPUT_NAMES and text.strip():
        return text.strip()
    n = counts["string"]
    counts["string"] += 1
    if found:
        return found[n] if n < len(found) else found[0]
    default = schema.get("default")
    return default if isinstance(default, str) else DEFAULT
