"""Secrets in existing cassettes: what the secret filters would change, and leaked values."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pytest_interactions.cassette import Body, Cassette, CassetteLines, SecretPolicy, find_leak, line_of_key


@dataclass(frozen=True)
class SecretFound:
    """A place of exchange ``exchange`` that holds a secret: ``where`` names it."""

    exchange: int
    where: str
    part: str
    """``request`` or ``response``: the part of the exchange holding it."""

    @property
    def key(self) -> str:
        """The header, query parameter or JSON key named last in ``where``."""
        last = self.where.rsplit(".", 1)[-1]
        return last.split("[", 1)[0]

    def line(self, text: str, lines: CassetteLines) -> int | None:
        """The line of the cassette's ``text`` holding this secret."""
        where = lines.of(self.exchange)
        start = (where.request if self.part == "request" else where.response) or where.exchange
        return line_of_key(text, start, self.key)


def _json_paths(before: Any, after: Any, prefix: str) -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        return [p for key in before for p in _json_paths(before[key], after.get(key), f"{prefix}.{key}")]
    if isinstance(before, list) and isinstance(after, list):
        return [
            p
            for i, (b, a) in enumerate(zip(before, after, strict=False))
            for p in _json_paths(b, a, f"{prefix}[{i}]")
        ]
    return [] if before == after else [prefix]


def _headers(before: list[tuple[str, str]], after: list[tuple[str, str]], prefix: str) -> list[str]:
    return [f"{prefix}.headers.{b[0].lower()}" for b, a in zip(before, after, strict=True) if b != a]


def _body(before: Body | None, after: Body | None, prefix: str) -> list[str]:
    if before is None or after is None or before.kind != "json":
        return []
    return _json_paths(before.value, after.value, f"{prefix}.json")


def secrets_in(cassette: Cassette, policy: SecretPolicy) -> list[SecretFound]:
    """Every place the policy's filters would scrub, and has not been scrubbed yet."""
    scrubbed = copy.deepcopy(cassette)
    policy.scrub(scrubbed)
    found: list[SecretFound] = []
    for index, (old, new) in enumerate(zip(cassette.exchanges, scrubbed.exchanges, strict=True)):
        where = f"exchanges[{index}]"
        request = [f"{where}.request.url"] if old.request.url != new.request.url else []
        request += _headers(old.request.headers, new.request.headers, f"{where}.request")
        request += _body(old.request.body, new.request.body, f"{where}.request")
        found += [SecretFound(index, w, "request") for w in request]
        if old.response is not None and new.response is not None:
            response = _headers(old.response.headers, new.response.headers, f"{where}.response")
            response += _body(old.response.body, new.response.body, f"{where}.response")
            found += [SecretFound(index, w, "response") for w in response]
    return found


def leaked_values(text: str, policy: SecretPolicy) -> list[tuple[str, int]]:
    """Guarded values (environment variables, named values) that appear in ``text``, with the
    line of each: found by the record-time guard's own finder, so in every form it knows
    (URL-encoded, escaped, folded, inside base64-stored bytes)."""
    leaks = []
    for name, value in policy.secret_values().items():
        found = find_leak(text, {name: value})
        if found is not None:
            leaks.append(found)
    return leaks
