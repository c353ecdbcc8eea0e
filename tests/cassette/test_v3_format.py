"""Schema version 3 on disk: JSON payloads as JSON text, older files still loading, hostile files refused.

An event's ``data`` is one line as the server sent it and a JSON body a literal block of indented
JSON, so that a pull request shows each payload as it was and a changed event as a one-line diff.
Version 2 files (JSON as YAML structure) load to the same cassette and are rewritten as version 3.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import time
from pathlib import Path

import pytest

from pytest_interactions.cassette import (
    Body,
    Cassette,
    CorruptCassetteError,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    _yaml,
    dump,
    load_cassette,
    save_cassette,
)
from pytest_interactions.cassette import _fast_read as fast_read
from pytest_interactions.cassette._scalars import quoted

V2 = """\
version: 2
meta:
  recorded_with: pytest-interactions 0.1.0
  started_at: '2026-11-22T00:29:18+00:00'
exchanges:
- at: 0.012
  request:
    method: POST
    url: http://127.0.0.1:9/v1beta/interactions
    headers:
      accept: '*/*'
      content-type: application/json
    json:
      model: gemini-3.5-flash
      input: Weather in Paris?
      background: true
      tools:
      - type: function
        name: get_weather
  response:
    status: 200
    after: 0.0015
    headers:
      content-type: application/json
    json:
      id: v1_a
      status: in_progress
      steps: []
    json_style: spaced
- at: 0.5
  request:
    method: GET
    url: http://127.0.0.1:9/v1beta/interactions/v1_a?stream=true
    headers:
      accept: text/event-stream
  response:
    status: 200
    after: 0.0006
    headers:
      content-type: text/event-stream
      x-served-by:
      - a
      - b
    events:
    - at: 0.01
      event: interaction.created
      id: evt_1
      data:
        event_type: interaction.created
        interaction:
          id: v1_a
          status: in_progress
    - at: 0.02
      event: step.delta
      id: evt_2
      retry: 3000
      comments:
      - ' keep-alive'
      data:
        event_type: step.delta
        index: 0
        delta:
          type: text
          text: It is sunny.
    - at: 0.03
      data: plain text, not JSON
    - at: 0.04
      event: step.delta
      data: '{"b": 1}'
    - at: 0.05
      disconnect: RemoteProtocolError
      message: peer closed connection
      partial:
        text: 'data: {"par'
- at: 0.7
  request:
    method: GET
    url: http://127.0.0.1:9/notes
  response:
    status: 200
    after: 0.001
    headers:
      content-type: text/plain
    text: |
      line one
      line two
end: 3
"""
"""A session as the version 2 writer wrote it: JSON bodies and JSON event data as YAML structure."""

V3 = """\
version: 3
meta:
  recorded_with: pytest-interactions 0.1.0
  started_at: '2026-11-22T00:29:18+00:00'
exchanges:
- at: 0.012
  request:
    method: POST
    url: http://127.0.0.1:9/v1beta/interactions
    headers:
      accept: '*/*'
      content-type: application/json
    json: |-
      {
        "model": "gemini-3.5-flash",
        "input": "Weather in Paris?",
        "background": true,
        "tools": [
          {
            "type": "function",
            "name": "get_weather"
          }
        ]
      }
  response:
    status: 200
    after: 0.0015
    headers:
      content-type: application/json
    json: |-
      {
        "id": "v1_a",
        "status": "in_progress",
        "steps": []
      }
    json_style: spaced
- at: 0.5
  request:
    method: GET
    url: http://127.0.0.1:9/v1beta/interactions/v1_a?stream=true
    headers:
      accept: text/event-stream
  response:
    status: 200
    after: 0.0006
    headers:
      content-type: text/event-stream
      x-served-by:
      - a
      - b
    events:
    - at: 0.01
      event: interaction.created
      id: evt_1
      data: '{"event_type":"interaction.created","interaction":{"id":"v1_a","status":"in_progress"}}'
    - at: 0.02
      event: step.delta
      id: evt_2
      retry: 3000
      comments:
      - ' keep-alive'
      data: '{"event_type":"step.delta","index":0,"delta":{"type":"text","text":"It is sunny."}}'
    - at: 0.03
      data: plain text, not JSON
    - at: 0.04
      event: step.delta
      data: '{"b": 1}'
    - at: 0.05
      disconnect: RemoteProtocolError
      message: peer closed connection
      partial:
        text: 'data: {"par'
- at: 0.7
  request:
    method: GET
    url: http://127.0.0.1:9/notes
  response:
    status: 200
    after: 0.001
    headers:
      content-type: text/plain
    text: |
      line one
      line two
end: 3
"""
"""The same session as version 3 writes it."""


def without_lines(cassette: Cassette) -> list[Exchange]:
    return [dataclasses.replace(e, line=None) for e in cassette.exchanges]


def line_of(text: str, line: str, nth: int = 1) -> int:
    """The number of the ``nth`` line of ``text`` that is exactly ``line``."""
    numbers = [n for n, found in enumerate(text.split("\n"), start=1) if found == line]
    return numbers[nth - 1]


def changed_lines(before: str, after: str) -> list[tuple[str, list[str], list[str]]]:
    """What a line diff of the two texts shows: each change with the lines it removes and adds."""
    old, new = before.split("\n"), after.split("\n")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(tag, old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


# -- version 2 files still load, and are rewritten as version 3 ---------------------------------------


def test_a_version_2_file_loads_to_the_same_cassette_as_its_version_3_rewrite(tmp_path: Path) -> None:
    (tmp_path / "v2.yaml").write_text(V2)
    (tmp_path / "v3.yaml").write_text(V3)
    old = load_cassette(tmp_path / "v2.yaml")
    new = load_cassette(tmp_path / "v3.yaml")
    assert (old.version, new.version) == (2, 3)
    assert without_lines(old) == without_lines(new)
    assert old.meta == new.meta
    assert new.meta == {
        "recorded_with": "pytest-interactions 0.1.0",
        "started_at": "2026-11-22T00:29:18+00:00",
    }
    assert [e.line for e in old.exchanges] == [line_of(V2, f"- at: {at}") for at in ("0.012", "0.5", "0.7")]
    assert [e.line for e in new.exchanges] == [line_of(V3, f"- at: {at}") for at in ("0.012", "0.5", "0.7")]
    # Version 2 kept JSON event data as YAML structure: it reads back as the compact JSON sent.
    response = new.exchanges[1].response
    assert response is not None
    assert response.events is not None
    created = response.events[0]
    assert isinstance(created, StreamEvent)
    assert created.data == (
        '{"event_type":"interaction.created","interaction":{"id":"v1_a","status":"in_progress"}}'
    )
    body = new.exchanges[0].request.body
    assert body == Body(
        "json",
        {
            "model": "gemini-3.5-flash",
            "input": "Weather in Paris?",
            "background": True,
            "tools": [{"type": "function", "name": "get_weather"}],
        },
    )
    assert dump(old) == V3


def test_only_the_version_3_file_takes_the_fast_reader() -> None:
    assert fast_read.read(V2, Path("v2.yaml")) is None
    assert _yaml.read(V2, Path("v2.yaml"))[1] is True
    assert _yaml.read(V3, Path("v3.yaml"))[1] is False
    assert fast_read.read(V3, Path("v3.yaml")) == _yaml._read_general(V3, Path("v3.yaml"))


def test_saving_a_version_2_cassette_writes_version_3(tmp_path: Path) -> None:
    path = tmp_path / "session.yaml"
    path.write_text(V2)
    save_cassette(path, load_cassette(path))
    text = path.read_text()
    assert text.startswith("version: 3\n")
    assert text == V3
    again = load_cassette(path)
    assert again.version == 3
    assert without_lines(again) == without_lines(_yaml.load(V2, path))


# -- readable: one payload a line, a small change a small diff ----------------------------------------


def test_event_data_is_one_line_and_a_json_body_a_block_of_json() -> None:
    lines = V3.split("\n")
    cassette = _yaml.load(V3, Path("v3.yaml"))
    response = cassette.exchanges[1].response
    assert response is not None
    assert response.events is not None
    events = [e for e in response.events if isinstance(e, StreamEvent)]
    # One event a block: its time first, its payload on one line, exactly as the server sent it.
    blocks = [n for n, line in enumerate(lines) if line.startswith("    - at: ")]
    assert len(blocks) == len(response.events)
    data_lines = [line for line in lines if line.startswith("      data:")]
    assert data_lines == [f"      data: {quoted(e.data)}" for e in events if e.data is not None]
    assert (
        '      data: \'{"event_type":"step.delta","index":0,'
        '"delta":{"type":"text","text":"It is sunny."}}\'' in lines
    )
    assert "      data: '{\"b\": 1}'" in lines
    assert "      data: plain text, not JSON" in lines
    # A JSON body: a literal block of indented JSON, one member a line, that JSON reads as the body.
    start = line_of(V3, "    json: |-")
    block = []
    for line in lines[start:]:
        if not line.startswith("      "):
            break
        block.append(line.removeprefix("      "))
    assert block[:3] == ["{", '  "model": "gemini-3.5-flash",', '  "input": "Weather in Paris?",']
    body = cassette.exchanges[0].request.body
    assert body is not None
    assert json.loads("\n".join(block)) == body.value


def stream_session(events: int = 20) -> Cassette:
    stream: list[StreamEvent | Disconnect] = [
        StreamEvent(
            0.01 * i, "step.delta", json.dumps({"index": i, "text": f"part {i}"}, separators=(",", ":"))
        )
        for i in range(events)
    ]
    body = Body("json", {"model": "m", "input": [{"role": "user", "text": "hi"}], "stream": True})
    request = RecordedRequest("POST", "http://127.0.0.1:9/v1beta/interactions", [("accept", "*/*")], body)
    response = RecordedResponse(200, [("content-type", "text/event-stream")], 0.001, events=stream)
    return Cassette([Exchange(0.0, request, response)], {"note": "diff"})


def test_changing_one_event_changes_one_line_of_the_file() -> None:
    cassette = stream_session()
    before = dump(cassette)
    response = cassette.exchanges[0].response
    assert response is not None
    assert response.events is not None
    event = response.events[7]
    assert isinstance(event, StreamEvent)
    event.data = json.dumps({"index": 7, "text": "part seven"}, separators=(",", ":"))
    after = dump(cassette)
    assert changed_lines(before, after) == [
        (
            "replace",
            ['      data: \'{"index":7,"text":"part 7"}\''],
            ['      data: \'{"index":7,"text":"part seven"}\''],
        )
    ]


def test_changing_one_member_of_a_json_body_changes_one_line_of_the_file() -> None:
    cassette = stream_session()
    before = dump(cassette)
    body = cassette.exchanges[0].request.body
    assert body is not None
    body.value["input"][0]["text"] = "hello"
    after = dump(cassette)
    assert changed_lines(before, after) == [
        ("replace", ['            "text": "hi"'], ['            "text": "hello"'])
    ]


# -- hostile version 3 files are refused, naming file and line ----------------------------------------


def billion_laughs(indent: str) -> str:
    """Nine levels of ten aliases each: a few hundred bytes that stand for 10**9 strings."""
    lines = [f"{indent}a0: &a0 lol"]
    for level in range(1, 10):
        previous = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"{indent}a{level}: &a{level} [{previous}]")
    return "\n".join(lines) + "\n"


def replaced(old: str, new: str, count: int = 1) -> str:
    assert old in V3
    return V3.replace(old, new, count)


SECOND_GET = "    method: GET\n    url: http://127.0.0.1:9/v1beta/interactions/v1_a?stream=true\n"
FIRST_EXCHANGE = range(line_of(V3, "- at: 0.012"), line_of(V3, "- at: 0.5"))


def at(line: str) -> range:
    """The line of ``V3`` that is ``line``, as the only line an error may name."""
    number = line_of(V3, line)
    return range(number, number + 1)


HOSTILE: dict[str, tuple[str, str, range]] = {
    "json block not JSON": (
        replaced('    "steps": []\n', '    "steps": [}\n'),
        "exchanges[0].response.json is not JSON text",
        FIRST_EXCHANGE,
    ),
    "alias bomb": (
        replaced("meta:\n", "meta:\n" + billion_laughs("  ")),
        "expands the file beyond 8 times its size (an alias bomb?)",
        range(line_of(V3, "meta:") + 1, line_of(V3, "meta:") + 11),
    ),
    "status twice": (
        replaced("    status: 200\n", "    status: 200\n    status: 500\n"),
        "found the key 'status' twice",
        range(line_of(V3, "    status: 200") + 1, line_of(V3, "    status: 200") + 2),
    ),
    "cut short": (
        V3[: V3.index("- at: 0.5\n")],
        "the file is cut short: it lacks its closing 'end:' line",
        range(line_of(V3, "- at: 0.5") - 1, line_of(V3, "- at: 0.5")),
    ),
    "end miscounted": (
        replaced("end: 3\n", "end: 4\n"),
        "'end: 4' but it holds 3 exchanges",
        at("end: 3"),
    ),
    "tab-indented line": (
        replaced(SECOND_GET, SECOND_GET.replace("    method", "\tmethod")),
        "not valid YAML",
        at("    method: GET"),
    ),
    "event before its request": (
        replaced("    - at: 0.01\n", "    - at: -1\n"),
        "exchanges[1].response.events[0].at must be between 0 and 1e+07 seconds, not -1",
        at("    - at: 0.01"),
    ),
    "not an http(s) URL": (
        replaced("http://127.0.0.1:9/notes", "file:///etc/passwd"),
        "exchanges[2].request.url must be an absolute http(s) URL, not 'file:///etc/passwd'",
        range(
            line_of(V3, "    url: http://127.0.0.1:9/notes") - 1,
            line_of(V3, "    url: http://127.0.0.1:9/notes"),
        ),
    ),
    "deep nesting": (
        replaced("meta:\n", "meta:\n  deep: " + "[" * 1000 + "]" * 1000 + "\n"),
        "nested deeper than 128 levels",
        range(line_of(V3, "meta:") + 1, line_of(V3, "meta:") + 2),
    ),
}


def refused(tmp_path: Path, text: str) -> CorruptCassetteError:
    """The error loading ``text`` from a file raises, checked to name that file; in a few seconds."""
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    started = time.monotonic()
    with pytest.raises(CorruptCassetteError) as caught:
        load_cassette(path)
    assert time.monotonic() - started < 5
    assert caught.value.path == path
    assert caught.value.line is not None
    assert f"{path}:{caught.value.line}: " in str(caught.value)
    assert fast_read.read(text, path) is None  # the fast reader declines; the general one names the fault
    return caught.value


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_version_3_file_is_refused_naming_file_and_line(tmp_path: Path, case: str) -> None:
    text, reason, lines = HOSTILE[case]
    error = refused(tmp_path, text)
    assert reason in error.reason
    assert error.line in lines


def test_a_json_block_nested_beyond_what_python_reads_is_refused_naming_file_and_line(
    tmp_path: Path,
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    start = V3.index("    json: |-", V3.index("  response:"))
    text = V3[:start] + f"    json: |-\n      {deep}\n" + V3[V3.index("    json_style: spaced") :]
    error = refused(tmp_path, text)
    assert error.line in FIRST_EXCHANGE


def test_event_data_that_yaml_reads_as_a_date_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    # A hand-edited ``data: 2026-05-20`` is a date to YAML: neither text nor JSON.
    text = replaced("      data: plain text, not JSON\n", "      data: 2026-05-20\n")
    error = refused(tmp_path, text)
    assert error.line in range(line_of(V3, "    - at: 0.03"), line_of(V3, "    - at: 0.04"))
