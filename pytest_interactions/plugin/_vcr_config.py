"""A pytest-recording suite's ``vcr_config`` fixture, read as this plugin's configuration.

What maps onto an ``interactions_config`` key is honoured, so that a header pytest-recording
scrubbed is never written in clear after the move; what does not is named once, in a warning, with
what to use instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest


class VcrConfigWarning(pytest.PytestWarning):
    """A ``vcr_config`` key this plugin cannot honour (the warning says what to use instead)."""


#: vcr_config keys this plugin honours, and the interactions_config key each becomes.
MAPPED = {
    "filter_headers": "filter_headers",
    "filter_query_parameters": "filter_query_parameters",
    "filter_post_data_parameters": "filter_json_keys",
    "match_on": "match_on",
    "record_mode": "record_mode",
    "ignore_hosts": "ignore_hosts",
    "allowed_hosts": "allow_hosts",
}

#: vcr_config keys that have no equivalent here, with what to use instead.
NOT_HONOURED = {
    "before_record_request": "it takes vcrpy's Request: give interactions_config's before_record_request "
    "(it takes a RecordedRequest) instead",
    "before_record_response": "it takes vcrpy's response dict: give interactions_config's "
    "before_record_response (it takes a RecordedResponse) instead",
    "cassette_library_dir": "set the ini key interactions_cassette_dir, or interactions_cassette_layout = "
    "pytest-recording",
    "serializer": "cassettes are written in this plugin's YAML format (vcrpy cassettes are still read)",
    "decode_compressed_response": "bodies are kept as recorded; compressed ones are stored as base64",
}


def translated(vcr_config: Any) -> tuple[dict[str, Any], list[str]]:
    """The ``interactions_config`` values a ``vcr_config`` stands for, and a line for each key
    left out (``name: why``)."""
    config: dict[str, Any] = {}
    ignored: list[str] = []
    if not isinstance(vcr_config, Mapping):
        return config, [f"(the whole fixture): it returned {type(vcr_config).__name__}, not a dict"]
    for name, value in vcr_config.items():
        if name in MAPPED:
            config[MAPPED[name]] = _names(value) if name.startswith("filter_") else value
        else:
            ignored.append(f"{name}: {NOT_HONOURED.get(name, 'no equivalent in pytest-interactions')}")
    if isinstance(config.get("match_on"), (list, tuple)):
        config["match_on"] = tuple(config["match_on"])
    return config, ignored


def _names(value: Any) -> list[str]:
    """vcrpy's filters may pair a name with its replacement, ``("X-Token", "XXX")``; the names."""
    return [item[0] if isinstance(item, (tuple, list)) else str(item) for item in value or ()]
