"""MCP Streamable HTTP streams are judged by MCP's grammar (JSON-RPC 2.0 messages, SSE ids), not by
Gemini's or OpenAI's."""

from __future__ import annotations

from pathlib import Path

from pytest_interactions.contract import validate_cassette
from tests.contract.sample import line_of, write

STREAM = """\
version: 1
meta: {}
exchanges:
- at: 0.0
  request: {method: GET, url: 'http://127.0.0.1:1/mcp', headers: {accept: text/event-stream}}
  response:
    status: 200
    headers: {content-type: text/event-stream}
    events:
    - {at: 0.01, id: '1', data: ''}
    - {at: 0.02, id: '2', event: message, data: {jsonrpc: '2.0', method: notifications/progress}}
    - {at: 0.03, id: '3', event: message, data: {jsonrpc: '2.0', id: 7, result: {content: []}}}
"""


def test_a_stream_of_json_rpc_messages_is_judged_as_mcp(tmp_path: Path) -> None:
    validation = validate_cassette(write(tmp_path, STREAM))
    assert validation.problems == []
    assert set(validation.judged.values()) == {"mcp"}


def test_a_message_that_is_not_json_rpc_is_named(tmp_path: Path) -> None:
    text = STREAM.replace("{jsonrpc: '2.0', id: 7,", "{id: 7,")
    (problem,) = validate_cassette(write(tmp_path, text)).problems
    assert (problem.rule, problem.api, problem.line) == ("required-fields", "mcp", line_of(text, "id: '3'"))
    assert problem.message == "the message is not a JSON-RPC 2.0 message"


def test_an_sse_id_given_twice_is_named(tmp_path: Path) -> None:
    text = STREAM.replace("id: '3'", "id: '2'")
    (problem,) = validate_cassette(write(tmp_path, text)).problems
    assert (problem.rule, problem.api) == ("event-ids", "mcp")
    assert "SSE id 2 appears twice in one stream" in problem.message
