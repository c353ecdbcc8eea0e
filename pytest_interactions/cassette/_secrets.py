"""Keeping secrets out of cassettes: scrub known places, then refuse to write any that remain."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pytest_interactions.cassette._errors import SecretLeakError
from pytest_interactions.cassette._model import Body, Cassette, RecordedRequest

REDACTED = "<REDACTED>"

DEFAULT_HEADERS: tuple[str, ...] = (
    "x-goog-api-key",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
)
DEFAULT_QUERY_PARAMETERS: tuple[str, ...] = ("key", "api_key", "access_token")
DEFAULT_JSON_KEYS: tuple[str, ...] = ("api_key", "access_token", "refresh_token", "client_secret")
DEFAULT_ENV_VARS: tuple[str, ...] = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_MIN_SECRET_LENGTH = 6


@dataclass(frozen=True)
class SecretPolicy:
    """Which places are scrubbed at write, and which environment variables must never appear."""

    headers: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_HEADERS))
    query_parameters: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_QUERY_PARAMETERS))
    json_keys: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_JSON_KEYS))
    env_vars: tuple[str, ...] = DEFAULT_ENV_VARS

    def extended(
        self,
        *,
        headers: Iterable[str] = (),
        query_parameters: Iterable[str] = (),
        json_keys: Iterable[str] = (),
        env_vars: Iterable[str] = (),
    ) -> SecretPolicy:
        return SecretPolicy(
            self.headers | {h.lower() for h in headers},
            self.query_parameters | set(query_parameters),
            self.json_keys | set(json_keys),
            (*self.env_vars, *env_vars),
        )

    def scrub_url(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.query:
            return url
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if not any(k in self.query_parameters for k, _ in pairs):
            return url
        query = urlencode([(k, REDACTED if k in self.query_parameters else v) for k, v in pairs])
        return urlunsplit(parts._replace(query=query))

    def scrub_headers(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(k, REDACTED if k.lower() in self.headers else v) for k, v in headers]

    def scrub_json(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: REDACTED if k in self.json_keys else self.scrub_json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub_json(v) for v in value]
        return value

    def scrub_body(self, body: Body | None) -> Body | None:
        if body is None or body.kind != "json":
            return body
        return Body("json", self.scrub_json(body.value), body.style)

    def scrub_request(self, request: RecordedRequest) -> RecordedRequest:
        return RecordedRequest(
            request.method,
            self.scrub_url(request.url),
            self.scrub_headers(request.headers),
            self.scrub_body(request.body),
        )

    def scrub(self, cassette: Cassette) -> None:
        """Scrub every exchange in place."""
        for exchange in cassette.exchanges:
            exchange.request = self.scrub_request(exchange.request)
            if exchange.response is not None:
                exchange.response.headers = self.scrub_headers(exchange.response.headers)
                exchange.response.body = self.scrub_body(exchange.response.body)

    def secret_values(self) -> dict[str, str]:
        """The configured environment variables that hold a value worth guarding."""
        values = {name: os.environ.get(name, "") for name in self.env_vars}
        return {name: value for name, value in values.items() if len(value) >= _MIN_SECRET_LENGTH}

    def check(self, text: str, path: str, also: dict[str, str] | None = None) -> None:
        """Refuse ``text`` when a guarded environment variable's value appears in it.

        ``also`` adds values seen earlier (a test may have unset the variable since).
        """
        for name, value in {**(also or {}), **self.secret_values()}.items():
            index = text.find(value)
            if index >= 0:
                line = text.count("\n", 0, index) + 1
                raise SecretLeakError(
                    path,
                    f"the value of ${name} appears in the cassette (line {line}); nothing was "
                    "written. Add the header, query parameter or JSON key that carries it to the "
                    "secret filters (interactions_filter_headers / _query_parameters / _json_keys).",
                    line,
                )
