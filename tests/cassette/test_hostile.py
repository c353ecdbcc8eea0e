"""Hostile or malformed cassettes fail fast, naming file, line and field; none exhausts memory or stack."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import httpx
import pytest
import vcr
import yaml

from pytest_interactions.cassette import CorruptCassetteError, _yaml, _yaml_events, load_cassette
from pytest_interactions.emulator import Emulator

HEAD = "version: 2\nexchanges:\n"
GET = "- at: 0\n  request: {method: GET, url: 'http://127.0.0.1:9/x'}\n"


def billion_laughs(indent: str) -> str:
    """Nine levels of ten aliases each: a few hundred bytes that stand for 10**9 strings."""
    lines = [f"{indent}a0: &a0 lol"]
    for level in range(1, 10):
        previous = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"{indent}a{level}: &a{level} [{previous}]")
    return "\n".join(lines) + "\n"


def load_text(tmp_path: Path, text: str) -> CorruptCassetteError:
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    with pytest.raises(CorruptCassetteError) as caught:
        load_cassette(path)
    assert caught.value.path == path
    return caught.value


@pytest.mark.parametrize("place", ["event data", "json body"])
def test_an_alias_bomb_fails_fast_with_file_and_line(tmp_path: Path, place: str) -> None:
    if place == "event data":
        text = (
            HEAD
            + GET
            + "  response:\n    status: 200\n    events:\n    - at: 0\n      data:\n"
            + billion_laughs("        ")
        )
    else:
        text = HEAD + GET + "  response:\n    status: 200\n    json:\n" + billion_laughs("      ")
    assert len(text) < 1024
    started = time.monotonic()
    error = load_text(tmp_path, text + "end: 1\n")
    assert time.monotonic() - started < 5
    assert "the alias *a" in error.reason
    assert "expands the file beyond" in error.reason
    assert error.line is not None
    assert text.splitlines()[error.line - 1].lstrip().startswith("a")


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text(
        HEAD
        + "- at: 0\n  request: &get {method: GET, url: 'http://127.0.0.1:9/x'}\n  response: {status: 204}\n"
        + "- at: 1\n  request: *get\n  response: {status: 204}\nend: 2\n"
    )
    assert [e.request.url for e in load_cassette(path).exchanges] == ["http://127.0.0.1:9/x"] * 2


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each reader PyYAML may give a user: its libyaml binding where installed, else pure Python."""
    if request.param == "pure-python":
        monkeypatch.setattr(_yaml_events, "_BaseLoader", yaml.SafeLoader)
        monkeypatch.setattr(_yaml, "_BaseLoader", yaml.SafeLoader)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("this PyYAML has no libyaml binding")
    return str(request.param)


@pytest.mark.parametrize("depth", [200, 999, 1_000, 100_000])
def test_deep_nesting_is_refused_at_its_line_whatever_the_yaml_library(
    tmp_path: Path, depth: int, yaml_reader: str
) -> None:
    # libyaml 0.2.5 (PyYAML 6.0.4's wheels) stops at 1,000 levels itself; older builds and the
    # pure-Python reader have no limit of their own. A user sees one refusal from all three.
    flow = "[" * depth + "]" * depth
    tracemalloc.start()
    started = time.monotonic()
    try:
        text = HEAD + GET + "  response:\n    status: 200\n    json: " + flow + "\nend: 1\n"
        error = load_text(tmp_path, text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Nothing hangs: PyYAML's pure-Python scanner takes about 2 s for 1,000 open brackets on its
    # own (it scans a flow collection to its end before the reader sees an event), more on a
    # loaded CI machine; an unguarded reader at 100,000 levels would take hours.
    assert time.monotonic() - started < 30
    assert peak < 64 * 2**20
    assert error.reason == "nested deeper than 128 levels"
    assert error.line == 7
    assert str(error).endswith("hostile.yaml:7: nested deeper than 128 levels")


def test_nesting_through_an_alias_counts(tmp_path: Path) -> None:
    deep = "[" * 100 + "]" * 100
    around = "[" * 30 + "*deep" + "]" * 30
    text = f"{HEAD}{GET}  response:\n    status: 200\n    json: {{a: &deep {deep}, b: {around}}}\nend: 1\n"
    error = load_text(tmp_path, text)
    assert "the alias *deep nests deeper than 128 levels" in error.reason


def test_a_key_given_twice_is_an_error_not_last_one_wins(tmp_path: Path) -> None:
    text = HEAD + GET + "  response:\n    status: 200\n    status: 500\nend: 1\n"
    error = load_text(tmp_path, text)
    assert "found the key 'status' twice" in error.reason
    assert error.line == 7


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("9" * 5000, "cannot be read as int: Exceeds the limit (4300 digits)"),
        ("2026-13-45", "the value '2026-13-45' cannot be read as timestamp: month must be in 1..12"),
    ],
)
def test_a_value_python_cannot_hold_names_file_and_line(tmp_path: Path, value: str, reason: str) -> None:
    error = load_text(tmp_path, HEAD + GET + f"  note: {value}\n  response: {{status: 200}}\nend: 1\n")
    assert reason in error.reason
    assert error.line == HEAD.count("\n") + GET.count("\n") + 1


def test_a_value_python_cannot_hold_beside_an_alias_still_names_the_file(tmp_path: Path) -> None:
    text = HEAD + GET + f"  note: [&n 1, *n, {'9' * 5000}]\n  response: {{status: 200}}\nend: 1\n"
    error = load_text(tmp_path, text)
    assert "a value cannot be read: Exceeds the limit (4300 digits)" in error.reason


def exchange(at: str = "0", url: str = "http://h/", response: str = "{status: 200}") -> str:
    return f"- at: {at}\n  request: {{method: GET, url: '{url}'}}\n  response: {response}\n"


STREAM = "\n    status: 200\n    events:\n    - {at: .nan, data: x}"
HEADER = "\n    status: 200\n    headers:\n      x-note: "
BETWEEN = "must be between 0 and 1e+07 seconds"
MALFORMED = {
    "infinite at": (exchange(at=".inf"), f"exchanges[0].at {BETWEEN}, not inf", 3),
    "huge at": (exchange(at="1.0e+300"), f"exchanges[0].at {BETWEEN}", 3),
    "huge integer at": (exchange(at=str(10**400)), f"exchanges[0].at {BETWEEN}", 3),
    "negative after": (exchange(response="{status: 200, after: -1}"), "exchanges[0].response.after must", 5),
    "not-a-number event at": (exchange(response=STREAM), "exchanges[0].response.events[0].at must", 8),
    "relative url": (
        exchange(url="/v1beta/x"),
        "request.url must be an absolute http(s) URL, not '/v1beta/x'",
        4,
    ),
    "bad port": (exchange(url="http://h:99999999/"), "exchanges[0].request.url is not a URL", 4),
    "url with a space": (exchange(url="http://h/a b"), "exchanges[0].request.url must be an absolute", 4),
    "non-ASCII header": (
        exchange(response=HEADER + "café"),
        "response.headers.x-note must be printable ASCII",
        8,
    ),
    "header with a newline": (
        exchange(response=HEADER + '"a\\r\\nx-evil: 1"'),
        "exchanges[0].response.headers.x-note must be printable ASCII",
        8,
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_value_names_file_line_and_field(tmp_path: Path, case: str) -> None:
    body, reason, line = MALFORMED[case]
    error = load_text(tmp_path, HEAD + body + "end: 1\n")
    assert reason in error.reason
    assert error.line == line


@pytest.mark.parametrize("version", [0, -1])
def test_a_schema_version_that_does_not_exist_is_refused(tmp_path: Path, version: int) -> None:
    error = load_text(tmp_path, f"version: {version}\nexchanges: []\n")
    assert error.reason == f"schema version {version} does not exist (versions start at 1)"
    assert error.line == 1


VCR_REQUEST = "  request: {method: GET, uri: 'http://h/x', body: null, headers: {}}\n"
VCR_RESPONSE = "  response: {status: {code: 200, message: OK}, headers: {}, body: {string: ''}}\n"
VCRPY = {
    "no status": (
        VCR_REQUEST + "  response: {headers: {}, body: {string: ''}}\n",
        "interactions[0].response.status must be a mapping",
        4,
    ),
    "status as text": (
        VCR_REQUEST + "  response: {status: {code: abc}, headers: {}, body: {string: ''}}\n",
        "interactions[0].response.status.code has the wrong type (str)",
        4,
    ),
    "body as a list": (
        VCR_REQUEST + "  response: {status: {code: 200}, headers: {}, body: [1]}\n",
        "interactions[0].response.body must be a mapping, not list",
        4,
    ),
    "relative uri": (
        "  request: {method: GET, uri: '/x', body: null, headers: {}}\n" + VCR_RESPONSE,
        "interactions[0].request.uri must be an absolute http(s) URL",
        3,
    ),
    "non-ASCII header": (
        "  request: {method: GET, uri: 'http://h/', body: null, headers: {x-note: [café]}}\n" + VCR_RESPONSE,
        "interactions[0].request.headers.x-note must be printable ASCII",
        3,
    ),
}


@pytest.mark.parametrize("case", list(VCRPY))
def test_a_malformed_vcrpy_cassette_names_file_line_and_field(tmp_path: Path, case: str) -> None:
    body, reason, line = VCRPY[case]
    error = load_text(tmp_path, "version: 1\ninteractions:\n- " + body.lstrip())
    assert reason in error.reason
    assert error.line == line


def test_a_vcrpy_cassette_with_another_version_is_refused(tmp_path: Path) -> None:
    error = load_text(tmp_path, "version: 7\ninteractions: []\n")
    assert error.reason == "a vcrpy cassette has 'version: 1', not 7"


def test_a_cassette_vcrpy_wrote_still_loads(interactions_server: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "vcrpy.yaml"
    with vcr.use_cassette(str(path)), httpx.Client(headers={"x-goog-api-key": "k"}) as http:
        body = {"model": "m", "input": "hi", "stream": True}
        assert http.post(interactions_server.url("/v1beta/interactions"), json=body).status_code == 200
    (exchange,) = load_cassette(path).exchanges
    assert exchange.line == 2
    assert exchange.response is not None
    assert len(exchange.response.events or []) > 3
