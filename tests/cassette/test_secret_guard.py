"""The guard finds a guarded value in every form the file may hold it, and says where, never what."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pytest_interactions.cassette import (
    Body,
    Cassette,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    SecretLeakError,
    SecretPolicy,
    StreamEvent,
    save_cassette,
)

BASE = "http://127.0.0.1:9/v1beta/interactions"
SSE = [("content-type", "text/event-stream")]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def placed(where: str, secret: str) -> Cassette:
    """A cassette holding ``secret`` in one place no scrubber knows."""
    url, body, events = BASE, None, None
    raw = secret.encode("utf-8")
    if where == "url path":
        url = f"{BASE}/{quote(secret, safe='')}"
    elif where == "unlisted query parameter":
        url = f"{BASE}?state={quote_plus(secret)}"
    elif where == "unlisted JSON key":
        body = Body("json", {"labels": {"note": secret}})
    elif where == "long folded text":
        body = Body("text", "lorem ipsum " * 20 + secret + " dolor sit" * 20)
    elif where == "text with YAML escapes":
        body = Body("text", f'\x01"{secret}\\\x07')
    elif where == "binary base64 body":
        body = Body("base64", b64(b"\xff\xfe\x00" + raw + b"\x80"))
    elif where == "gzip body kept compressed":
        body = Body("base64", b64(gzip.compress(b"prefix " + raw)))
    elif where == "partial event cut inside a UTF-8 character":
        events = [Disconnect(0.1, "RemoteProtocolError", "cut", f"data: {secret}é".encode()[:-1])]
    elif where == "event kept as exact bytes":
        events = [StreamEvent(0.1, raw=f"data: {secret}\r\n\r\n".encode())]
    elif where == "event comment":
        events = [StreamEvent(0.1, data="x", comments=(f" {secret}",))]
    response = RecordedResponse(200, SSE if events is not None else [], body=None, events=events)
    return Cassette([Exchange(0.0, RecordedRequest("POST", url, [], body), response)])


PLACES = [
    "url path",
    "unlisted query parameter",
    "unlisted JSON key",
    "long folded text",
    "text with YAML escapes",
    "binary base64 body",
    "gzip body kept compressed",
    "partial event cut inside a UTF-8 character",
    "event kept as exact bytes",
    "event comment",
]
_secrets = st.text(
    st.characters(min_codepoint=0x21, blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs")),
    min_size=8,
    max_size=24,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=_secrets, where=st.sampled_from(PLACES))
@example(secret="interact", where="url path")
def test_a_guarded_value_is_found_wherever_the_file_holds_it(tmp_path: Path, secret: str, where: str) -> None:
    path = tmp_path / "guarded.yaml"
    policy = SecretPolicy().extended(values={"the test's token": secret})
    with pytest.raises(SecretLeakError) as caught:
        save_cassette(path, placed(where, secret), policy)
    assert "the value of the test's token appears in the cassette (line" in str(caught.value)
    # The message names the file and the filter options: a value that is part of those words
    # ("interact", a piece of the path) is there whatever the cassette holds.
    assume(secret not in _message_for(path, where))
    assert secret not in str(caught.value)
    assert not path.exists()


def _message_for(path: Path, where: str, secret: str = "\u2603" * 8) -> str:
    """The guard's message for another value in the same place."""
    policy = SecretPolicy().extended(values={"the test's token": secret})
    with pytest.raises(SecretLeakError) as caught:
        save_cassette(path, placed(where, secret), policy)
    return str(caught.value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=_secrets, other=_secrets, where=st.sampled_from(PLACES))
@example(secret="response", other="00000000", where="url path")
def test_a_cassette_without_the_value_is_written(tmp_path: Path, secret: str, other: str, where: str) -> None:
    if secret in other or any(secret in form for form in (quote(other, safe=""), quote_plus(other))):
        return
    plain = tmp_path / "plain.yaml"
    save_cassette(plain, placed(where, other))
    assume(secret not in plain.read_text())  # a word of the format itself ("response") is no secret here
    path = tmp_path / "clean.yaml"
    save_cassette(path, placed(where, other), SecretPolicy().extended(values={"the test's token": secret}))
    assert path.exists()


@pytest.mark.parametrize("where", PLACES)
def test_an_environment_key_is_found_in_each_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "AIzaSy-Key/With+Odd=Chars")
    with pytest.raises(SecretLeakError, match=r"\$GEMINI_API_KEY appears"):
        save_cassette(tmp_path / "leak.yaml", placed(where, "AIzaSy-Key/With+Odd=Chars"))


def test_a_token_from_a_response_header_is_guarded_where_the_client_reused_it(tmp_path: Path) -> None:
    login = Exchange(
        0.0,
        RecordedRequest("POST", "http://127.0.0.1:9/oauth/token"),
        RecordedResponse(200, [("x-access-token", "ya29.ResponseHeaderToken")]),
    )
    reuse = Exchange(
        1.0, RecordedRequest("GET", f"{BASE}/ya29.ResponseHeaderToken/steps"), RecordedResponse(200)
    )
    with pytest.raises(SecretLeakError, match=r"the value of the header x-access-token \(scrubbed there\)"):
        save_cassette(tmp_path / "oauth.yaml", Cassette([login, reuse]))


def test_oauth_token_fields_are_scrubbed_by_default(tmp_path: Path) -> None:
    tokens = {
        "access_token": "AccessTokenValue1",
        "refresh_token": "RefreshTokenValue2",
        "id_token": "IdTok3xx",
    }
    form = "grant_type=refresh_token&refresh_token=RefreshTokenValue2&client_secret=ClientSecretValue4"
    exchange = Exchange(
        0.0,
        RecordedRequest(
            "POST",
            "http://127.0.0.1:9/token",
            [("content-type", "application/x-www-form-urlencoded")],
            Body("text", form),
        ),
        RecordedResponse(
            200,
            [("content-type", "application/json"), ("set-cookie", "sid=SetCookieValue5; HttpOnly")],
            body=Body("json", tokens),
        ),
    )
    path = tmp_path / "token.yaml"
    save_cassette(path, Cassette([exchange]))
    text = path.read_text()
    for value in [*tokens.values(), "RefreshTokenValue2", "ClientSecretValue4", "SetCookieValue5"]:
        assert value not in text
    assert "grant_type=refresh_token" in text


def test_json_event_data_is_scrubbed(tmp_path: Path) -> None:
    event = StreamEvent(0.1, event="session", data='{"access_token":"StreamedTokenValue"}')
    response = RecordedResponse(200, SSE, events=[event])
    path = tmp_path / "events.yaml"
    save_cassette(path, Cassette([Exchange(0.0, RecordedRequest("GET", BASE), response)]))
    assert "StreamedTokenValue" not in path.read_text()
    assert '      data: \'{"access_token":"<REDACTED>"}\'\n' in path.read_text()  # one line, as JSON
