"""Where a test records when it names a server (``base_url=``), and the key its client gives there."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

#: The key handed to a client recording against another server when the environment holds none:
#: never a real key, only something an SDK that refuses an empty key accepts.
STAND_IN_KEY = "interactions-test-key"
#: Where the SDKs themselves look for their key, in the order this plugin reads them.
GEMINI_KEY_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
OPENAI_KEY_VARS = ("OPENAI_API_KEY",)


def checked_base_url(value: object, source: str) -> str:
    """``value`` as a base URL, ``http(s)://host[:port][/path]`` without a trailing slash (clients
    append their API's path to it); anything else raises ``ValueError`` naming ``source``."""
    text = value if isinstance(value, str) else ""
    problem = _problem(text) if isinstance(value, str) else f"a {type(value).__name__}, not a string"
    if problem is not None:
        raise ValueError(
            f"{source} = {value!r} is not a base URL to record against ({problem}); "
            "give http(s)://host[:port][/path], e.g. http://127.0.0.1:8080"
        )
    return text.rstrip("/")


def _problem(text: str) -> str | None:
    """What keeps ``text`` from being an ``http(s)://host[:port][/path]`` URL, or ``None``."""
    if text != text.strip() or any(c.isspace() for c in text):
        return "it holds whitespace"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        return "the scheme must be http or https"
    if "@" in parts.netloc:
        return "credentials do not belong in it"
    if not parts.hostname:
        return "it names no host"
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return "its port is not a number from 1 to 65535"
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        return "a query or fragment does not belong in it"
    return None


def chosen_base_url(candidates: Sequence[tuple[str, object]]) -> str:
    """The first set value of ``(source, value)`` pairs given closest first (marker, then
    ``interactions_config``, then command line, ini and environment), checked; ``""`` when none
    is set (the embedded emulator)."""
    for source, value in candidates:
        if value is not None and value != "":
            return checked_base_url(value, source)
    return ""


def environment_key(names: Sequence[str], environ: Mapping[str, str] | None = None) -> str:
    """The first key the environment holds under ``names``, else :data:`STAND_IN_KEY`."""
    env = os.environ if environ is None else environ
    return next((env[name] for name in names if env.get(name)), STAND_IN_KEY)
