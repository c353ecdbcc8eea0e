"""Keeping secrets out of cassettes: scrub known places, then refuse to write any that remain."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pytest_interactions.cassette._bodies import compact_json, to_compact_json
from pytest_interactions.cassette._errors import SecretLeakError
from pytest_interactions.cassette._guard import find_leak, redact
from pytest_interactions.cassette._model import Body, Cassette, RecordedRequest, StreamEvent

REDACTED = "<REDACTED>"

DEFAULT_HEADERS: tuple[str, ...] = (
    "x-goog-api-key",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-access-token",
    "x-refresh-token",
    "x-id-token",
    "x-csrf-token",
    "x-xsrf-token",
    "x-amz-security-token",
    "openai-organization",
    "openai-project",
)
DEFAULT_QUERY_PARAMETERS: tuple[str, ...] = (
    "key",
    "api_key",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "token",
)
DEFAULT_JSON_KEYS: tuple[str, ...] = (
    "api_key",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "password",
    "private_key",
    "session_token",
)
DEFAULT_ENV_VARS: tuple[str, ...] = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY")
_MIN_SECRET_LENGTH = 6
_MIN_SCRUBBED_LENGTH = 8
"""Scrubbed values shorter than this (``k``, ``1``) are too common to guard elsewhere in the file."""
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class SecretPolicy:
    """Which places are scrubbed at write, and which values must never appear in a cassette.

    Guarded are: the values of ``env_vars``, the named ``values`` (a token a test obtained, say),
    and every value the policy scrubbed, wherever else it turns up in the file.
    """

    headers: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_HEADERS))
    query_parameters: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_QUERY_PARAMETERS))
    json_keys: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_JSON_KEYS))
    env_vars: tuple[str, ...] = DEFAULT_ENV_VARS
    values: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """``(name, value)`` pairs guarded besides the environment variables."""

    def extended(
        self,
        *,
        headers: Iterable[str] = (),
        query_parameters: Iterable[str] = (),
        json_keys: Iterable[str] = (),
        env_vars: Iterable[str] = (),
        values: Mapping[str, str] | None = None,
    ) -> SecretPolicy:
        """This policy with more places to scrub and more values to guard."""
        return SecretPolicy(
            self.headers | {h.lower() for h in headers},
            self.query_parameters | set(query_parameters),
            self.json_keys | set(json_keys),
            (*self.env_vars, *env_vars),
            (*self.values, *(values or {}).items()),
        )

    def scrub_url(self, url: str, found: dict[str, str] | None = None) -> str:
        if "@" not in url:  # no credentials: only the query can hold a secret (every request asks)
            raw = url.partition("?")[2].partition("#")[0]
            if not raw or self._scrub_pairs(raw, self.query_parameters, "query parameter", None) is None:
                return url
        parts = urlsplit(url)
        if parts.password:  # http://user:pw@host/: the credentials of a Basic header, in the URL
            _remember(found, "the password in the URL", parts.password)
            userinfo, _, host = parts.netloc.rpartition("@")
            user = userinfo.partition(":")[0]
            parts = parts._replace(netloc=f"{user}:{REDACTED}@{host}")
            url = urlunsplit(parts)
        if not parts.query:
            return url
        query = self._scrub_pairs(parts.query, self.query_parameters, "query parameter", found)
        return url if query is None else urlunsplit(parts._replace(query=query))

    def _scrub_pairs(
        self, text: str, names: frozenset[str], kind: str, found: dict[str, str] | None
    ) -> str | None:
        if "%" not in text and "+" not in text and not any(name in text for name in names):
            return None  # no name can be there, even once decoded: every request asks
        pairs = parse_qsl(text, keep_blank_values=True)
        if not any(k in names for k, _ in pairs):
            return None
        for k, v in pairs:
            if k in names:
                _remember(found, f"the {kind} {k}", v)
        return urlencode([(k, REDACTED if k in names else v) for k, v in pairs])

    def scrub_headers(
        self, headers: list[tuple[str, str]], found: dict[str, str] | None = None
    ) -> list[tuple[str, str]]:
        scrubbed = []
        for name, value in headers:
            if name.lower() in self.headers:
                for part in _credentials(name.lower(), value):
                    _remember(found, f"the header {name.lower()}", part)
                value = REDACTED
            scrubbed.append((name, value))
        return scrubbed

    def scrub_json(self, value: Any, found: dict[str, str] | None = None) -> Any:
        if isinstance(value, Mapping):
            out = {}
            for k, v in value.items():
                if k in self.json_keys:
                    if isinstance(v, str):
                        _remember(found, f"the JSON key {k}", v)
                    out[k] = REDACTED
                else:
                    out[k] = self.scrub_json(v, found)
            return out
        if isinstance(value, list):
            return [self.scrub_json(v, found) for v in value]
        return value

    def scrub_body(
        self, body: Body | None, content_type: str | None = None, found: dict[str, str] | None = None
    ) -> Body | None:
        if body is None:
            return None
        if body.kind == "json":
            try:
                if not self._may_hold_keys(json.dumps(body.value, ensure_ascii=False)):
                    return body
            except (TypeError, ValueError):
                pass  # not JSON the writer can write: it says so

            return Body("json", self.scrub_json(body.value, found), body.style)
        if body.kind == "text" and (content_type or "").split(";")[0].strip().lower() == _FORM:
            names = self.query_parameters | self.json_keys
            form = self._scrub_pairs(body.value, names, "form field", found)
            return body if form is None else Body("text", form)
        return body

    def _may_hold_keys(self, text: str) -> bool:
        """Whether JSON ``text`` may hold a filtered key (a quick look before reading it: most
        payloads hold none). An escape in the text may spell a key otherwise: it is read."""
        return "\\" in text or any(f'"{key}"' in text for key in self.json_keys)

    def scrub_event(self, event: StreamEvent, found: dict[str, str] | None = None) -> None:
        """Scrub JSON event data in place (events kept as exact bytes are left to the guard)."""
        if event.raw is not None or event.data is None or not self._may_hold_keys(event.data):
            return
        parsed = compact_json(event.data)
        if parsed is not None:
            scrubbed = self.scrub_json(parsed, found)
            if scrubbed != parsed:
                event.data = to_compact_json(scrubbed)

    def scrub_request(self, request: RecordedRequest, found: dict[str, str] | None = None) -> RecordedRequest:
        content_type = next((v for k, v in request.headers if k.lower() == "content-type"), None)
        return RecordedRequest(
            request.method,
            self.scrub_url(request.url, found),
            self.scrub_headers(request.headers, found),
            self.scrub_body(request.body, content_type, found),
        )

    def scrub(self, cassette: Cassette) -> dict[str, str]:
        """Scrub every exchange in place; return the values scrubbed, by where they were."""
        found: dict[str, str] = {}
        for exchange in cassette.exchanges:
            exchange.request = self.scrub_request(exchange.request, found)
            response = exchange.response
            if response is not None:
                response.headers = self.scrub_headers(response.headers, found)
                response.body = self.scrub_body(response.body, response.header("content-type"), found)
                for event in response.events or []:
                    if isinstance(event, StreamEvent):
                        self.scrub_event(event, found)
        return found

    def secret_values(self) -> dict[str, str]:
        """The guarded values worth looking for, by name (``$VAR`` for environment variables)."""
        values = {f"${name}": os.environ.get(name, "") for name in self.env_vars}
        values.update(self.values)
        return {name: value for name, value in values.items() if len(value) >= _MIN_SECRET_LENGTH}

    def check(
        self, text: str, path: str, also: Mapping[str, str] | None = None, layout: bool = False
    ) -> None:
        """Refuse ``text`` when a guarded value appears in it, in any form the file may hold.

        ``also`` adds values seen earlier (a test may have unset the variable since); ``layout``
        says the text is in the writer's own layout (see :func:`find_leak`). The error
        names the value and the line, never the value itself.
        """
        guarded = {**self.secret_values(), **(also or {})}
        leak = find_leak(text, guarded, layout)
        if leak is None:
            return
        name, line = leak
        del guarded, text, also
        raise SecretLeakError(
            path,
            f"the value of {name} appears in the cassette (line {line}); nothing was "
            "written. Add the header, query parameter or JSON key that carries it to the "
            "secret filters (interactions_filter_headers / _query_parameters / _json_keys).",
            line,
        )

    def redact(self, text: str, also: Mapping[str, str] | None = None) -> str:
        """``text`` with every guarded value replaced by its name, for messages and reports."""
        return redact(text, {**(also or {}), **self.secret_values()})


def _remember(found: dict[str, str] | None, where: str, value: str) -> None:
    if found is None or value == REDACTED or len(value) < _MIN_SCRUBBED_LENGTH:
        return
    name = f"{where} (scrubbed there)"
    n = 2
    while name in found and found[name] != value:
        name = f"{where} #{n} (scrubbed there)"
        n += 1
    found[name] = value


def _credentials(header: str, value: str) -> list[str]:
    """The secret parts of a header value: a token after its scheme, the values of cookies."""
    if header in ("authorization", "proxy-authorization"):
        _scheme, _, credentials = value.strip().partition(" ")
        return [value, credentials.strip()] if credentials.strip() else [value]
    if header in ("cookie", "set-cookie"):
        pairs = value.split(";")
        if header == "set-cookie":
            pairs = pairs[:1]
        return [value, *(pair.partition("=")[2].strip() for pair in pairs)]
    return [value]
