"""Cassettes: the data model, its YAML form, atomic persistence and secret scrubbing.

This layer knows HTTP and SSE, nothing of interactions.
"""

from pytest_interactions.cassette._bodies import (
    body_from_bytes,
    body_to_bytes,
    event_from_sse,
    event_to_bytes,
    json_value,
)
from pytest_interactions.cassette._errors import CassetteError, CorruptCassetteError, SecretLeakError
from pytest_interactions.cassette._files import (
    cache_derived,
    cached_cassette,
    cached_derived,
    cassette_key,
    cassette_lock,
    decode_cassette,
    is_cached,
    keep_now,
    load_cassette,
    parse_cassette,
    parse_text,
    read_cassette,
    save_cassette,
)
from pytest_interactions.cassette._guard import find_leak
from pytest_interactions.cassette._lines import CassetteLines, cassette_lines, line_of_key
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
from pytest_interactions.cassette._secrets import DEFAULT_ENV_VARS, REDACTED, SecretPolicy
from pytest_interactions.cassette._yaml import dump, load

__all__ = [
    "DEFAULT_ENV_VARS",
    "REDACTED",
    "SCHEMA_VERSION",
    "Body",
    "Cassette",
    "CassetteError",
    "CassetteLines",
    "CorruptCassetteError",
    "Disconnect",
    "Exchange",
    "RecordedRequest",
    "RecordedResponse",
    "SecretLeakError",
    "SecretPolicy",
    "StreamEvent",
    "body_from_bytes",
    "body_to_bytes",
    "cache_derived",
    "cached_cassette",
    "cached_derived",
    "cassette_key",
    "cassette_lines",
    "cassette_lock",
    "decode_cassette",
    "dump",
    "event_from_sse",
    "event_to_bytes",
    "find_leak",
    "is_cached",
    "json_value",
    "keep_now",
    "line_of_key",
    "load",
    "load_cassette",
    "parse_cassette",
    "parse_text",
    "read_cassette",
    "save_cassette",
]
