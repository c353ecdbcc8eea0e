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
from pytest_interactions.cassette._files import cassette_lock, load_cassette, save_cassette
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
from pytest_interactions.cassette._secrets import REDACTED, SecretPolicy
from pytest_interactions.cassette._yaml import dump, load

__all__ = [
    "REDACTED",
    "SCHEMA_VERSION",
    "Body",
    "Cassette",
    "CassetteError",
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
    "cassette_lock",
    "dump",
    "event_from_sse",
    "event_to_bytes",
    "json_value",
    "load",
    "load_cassette",
    "save_cassette",
]
