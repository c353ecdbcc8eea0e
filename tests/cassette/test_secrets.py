"""Secrets never reach a cassette.

Known places (auth headers, cookies, key query parameters, credential JSON keys) are scrubbed when
the cassette is written; then, fail closed, the write is refused if the value of a guarded
environment variable (``GEMINI_API_KEY``, ``GOOGLE_API_KEY``, and any configured) is still in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from google import genai

from pytest_interactions.cassette import (
    REDACTED,
    SecretLeakError,
    SecretPolicy,
    dump,
    load_cassette,
)
from pytest_interactions.emulator import Emulator
from pytest_interactions.session import use_cassette

MODEL = "gemini-3.5-flash"
#: pytest-asyncio (installed here) warns about its own unset ini key in every inner run.
#: (hypothesis's plugin is left out too: re-imported in every in-process run, it costs a second.)
QUIET = ("-p", "no:asyncio", "-p", "no:cacheprovider", "-p", "no:hypothesispytest")

SECRETS = {
    "x-goog-api-key": "AIzaSyHeaderSecret0001",
    "authorization": "Bearer ya29.AuthorizationSecret0002",
    "cookie": "session=CookieSecret0003",
    "key": "QueryKeySecret0004",
    "api_key": "QueryApiKeySecret0005",
    "access_token": "QueryAccessTokenSecret0006",
    "json api_key": "JsonApiKeySecret0007",
    "json client_secret": "JsonClientSecret0008",
    "set-cookie": "sid=SetCookieSecret0009; HttpOnly",
}


def exchange_everything(http: httpx.Client, base: str, set_cookie_url: str, secrets: dict[str, str]) -> str:
    """Requests that carry a secret in every place the default policy knows; returns the cookie set."""
    created = http.post(
        base + "/interactions",
        params={"key": secrets["key"]},
        headers={"x-goog-api-key": secrets["x-goog-api-key"]},
        json={
            "model": MODEL,
            "input": "hello",
            "background": True,
            "api_key": secrets["json api_key"],
            "labels": {"nested": {"client_secret": secrets["json client_secret"]}},
        },
    )
    assert created.status_code == 200, created.text
    answer = http.get(
        base + f"/interactions/{created.json()['id']}",
        params={"stream": "false", "api_key": secrets["api_key"], "access_token": secrets["access_token"]},
        headers={"authorization": secrets["authorization"], "cookie": secrets["cookie"]},
    )
    assert answer.status_code == 200, answer.text
    return str(http.get(set_cookie_url).headers["set-cookie"])


@pytest.fixture
def set_cookie_url(raw_server: Any) -> str:
    """A server that sets a session cookie (the emulator sets none)."""
    return str(
        raw_server.respond(
            "/login",
            b'{"ok":true}',
            headers=[("content-type", "application/json"), ("set-cookie", SECRETS["set-cookie"])],
        )
    )


def test_secrets_in_headers_query_and_json_never_reach_the_file(
    interactions_server: Emulator, set_cookie_url: str, tmp_path: Path
) -> None:
    cassette = tmp_path / "secrets.yaml"
    base = interactions_server.base_url + "/v1beta"
    with httpx.Client(timeout=10) as http, use_cassette(cassette, "once"):
        assert exchange_everything(http, base, set_cookie_url, SECRETS) == SECRETS["set-cookie"]

    text = cassette.read_text()
    for place, secret in SECRETS.items():
        assert secret not in text, f"the secret in {place} reached the cassette"
        assert secret.split("=")[-1].split(";")[0] not in text
    create, get, login = load_cassette(cassette).exchanges

    # Each secret is replaced where it was, so the cassette still shows that it was sent.
    assert dict(create.request.headers)["x-goog-api-key"] == REDACTED
    assert create.request.url.endswith("/interactions?key=%3CREDACTED%3E")
    assert create.request.body is not None
    assert create.request.body.value["api_key"] == REDACTED
    assert create.request.body.value["labels"] == {"nested": {"client_secret": REDACTED}}
    assert create.request.body.value["input"] == "hello"  # the rest is untouched
    assert dict(get.request.headers)["authorization"] == REDACTED
    assert dict(get.request.headers)["cookie"] == REDACTED
    assert "stream=false" in get.request.url
    assert "api_key=%3CREDACTED%3E" in get.request.url
    assert "access_token=%3CREDACTED%3E" in get.request.url
    assert login.response is not None
    assert login.response.header("set-cookie") == REDACTED

    # Replay scrubs the incoming request the same way, so it matches, whatever the key is now.
    rotated = {name: value.replace("Secret", "Rotated") for name, value in SECRETS.items()}
    interactions_server.stop()
    with httpx.Client(timeout=10) as http, use_cassette(cassette, "none") as replay:
        assert exchange_everything(http, base, set_cookie_url, rotated) == REDACTED
    assert len(replay.exchanges) == 3


@pytest.mark.parametrize(
    "query",
    ["key=QueryKeySecret0004", "ke%79=QueryKeySecret0004", "a=1&api%5Fkey=QueryKeySecret0004", "stream=true"],
)
def test_a_key_parameter_is_scrubbed_however_its_name_is_written(query: str) -> None:
    url = SecretPolicy().scrub_url(f"http://127.0.0.1:9/v1beta/interactions?{query}")
    assert "QueryKeySecret0004" not in url
    assert url.endswith("stream=true") or REDACTED.replace("<", "%3C").replace(">", "%3E") in url


def test_the_sdk_key_is_scrubbed_from_what_it_sends(interactions_server: Emulator, tmp_path: Path) -> None:
    cassette = tmp_path / "sdk.yaml"
    client = genai.Client(
        api_key=SECRETS["x-goog-api-key"],
        http_options={"base_url": interactions_server.base_url, "api_version": "v1beta"},
    )
    with use_cassette(cassette, "once"):
        client.interactions.create(model=MODEL, input="hi")
    client.close()
    assert SECRETS["x-goog-api-key"] not in cassette.read_text()
    (exchange,) = load_cassette(cassette).exchanges
    assert dict(exchange.request.headers)["x-goog-api-key"] == REDACTED


def test_extra_filters_scrub_headers_query_parameters_and_json_keys(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    base = interactions_server.base_url + "/v1beta"

    def record(cassette: Path, policy: SecretPolicy) -> str:
        session = use_cassette(cassette, "once", secrets=policy)
        with httpx.Client(headers={"x-goog-api-key": "k"}) as http, session:
            http.post(
                base + "/interactions",
                params={"sig": "SignatureValue01"},
                headers={"x-custom-token": "CustomTokenValue02"},
                json={"model": MODEL, "input": "hi", "labels": {"passphrase": "PasswordValue03"}},
            )
        return cassette.read_text()

    default = record(tmp_path / "default.yaml", SecretPolicy())
    assert "SignatureValue01" in default  # not secret by default: a test says which are
    assert "CustomTokenValue02" in default
    assert "PasswordValue03" in default

    policy = SecretPolicy().extended(
        headers=["X-Custom-Token"], query_parameters=["sig"], json_keys=["passphrase"]
    )
    text = record(tmp_path / "filtered.yaml", policy)
    assert "SignatureValue01" not in text
    assert "CustomTokenValue02" not in text
    assert "PasswordValue03" not in text
    assert "x-custom-token: <REDACTED>" in text
    assert '"passphrase": "<REDACTED>"' in text
    assert "x-goog-api-key: <REDACTED>" in text  # the defaults still apply


# -- fail closed ---------------------------------------------------------------------------------


def test_a_key_left_where_nothing_scrubs_it_refuses_the_write(
    interactions_server: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaked = "AIzaSyFailClosedValue000"
    monkeypatch.setenv("GEMINI_API_KEY", leaked)
    cassette = tmp_path / "cassettes" / "leak.yaml"
    base = interactions_server.base_url + "/v1beta"
    with httpx.Client(headers={"x-goog-api-key": leaked}) as http:
        session = use_cassette(cassette, "once")
        with pytest.raises(SecretLeakError) as caught, session as recording:
            # The header is scrubbed, but the key was also pasted into the input text.
            http.post(base + "/interactions", json={"model": MODEL, "input": f"my key is {leaked}"})

    error = caught.value
    assert error.path == cassette
    assert "$GEMINI_API_KEY" in str(error)
    assert leaked not in str(error)  # the message does not repeat the secret
    assert f"(line {error.line})" in str(error)
    assert str(error).startswith(f"{cassette}:{error.line}: ")
    # The line is the one the value would have been written on: the request's input.
    would_be = dump(recording.cassette_to_write()).splitlines()
    assert error.line is not None
    assert leaked in would_be[error.line - 1]
    assert would_be[error.line - 1].strip() == f'"input": "my key is {leaked}"'
    assert not any(leaked in line for line in would_be[: error.line - 1])
    # Nothing was written.
    assert not cassette.exists()
    assert not cassette.parent.exists() or list(cassette.parent.iterdir()) == []


def test_the_same_key_in_a_scrubbed_header_is_fine(
    interactions_server: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "AIzaSyScrubbedValue0000")
    cassette = tmp_path / "ok.yaml"
    key = {"x-goog-api-key": "AIzaSyScrubbedValue0000"}
    with httpx.Client(headers=key) as http, use_cassette(cassette, "once"):
        http.post(interactions_server.base_url + "/v1beta/interactions", json={"model": MODEL, "input": "hi"})
    assert "AIzaSyScrubbedValue0000" not in cassette.read_text()


def test_configured_environment_variables_are_guarded_too(
    interactions_server: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-0123456789")
    cassette = tmp_path / "custom.yaml"
    policy = SecretPolicy().extended(env_vars=["MY_SERVICE_TOKEN"])
    with httpx.Client(headers={"x-goog-api-key": "k"}) as http:
        session = use_cassette(cassette, "once", secrets=policy)
        with pytest.raises(SecretLeakError, match=r"\$MY_SERVICE_TOKEN appears in the cassette"), session:
            http.post(
                interactions_server.base_url + "/v1beta/interactions",
                json={"model": MODEL, "input": "tok-0123456789"},
            )
    assert not cassette.exists()


def test_the_openai_key_is_guarded_by_default(
    raw_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaked = "sk-proj-FailClosed0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", leaked)
    url = raw_server.respond(
        "/v1/responses", b'{"id":"resp_1"}', headers=[("content-type", "application/json")]
    )
    with httpx.Client() as http:
        session = use_cassette(tmp_path / "openai.yaml", "once")
        with pytest.raises(SecretLeakError, match=r"\$OPENAI_API_KEY appears in the cassette"), session:
            http.post(url, json={"model": "gpt-4o", "input": f"my key is {leaked}"})
    assert not (tmp_path / "openai.yaml").exists()


def test_account_identifiers_and_url_passwords_are_scrubbed(raw_server: Any, tmp_path: Path) -> None:
    """OpenAI-Organization / OpenAI-Project name an account; a URL's userinfo carries a password
    as a Basic header does: none of them is for a repository."""
    url = raw_server.respond(
        "/v1/responses", b'{"id":"resp_1"}', headers=[("content-type", "application/json")]
    )
    host = url.split("://", 1)[1]
    cassette = tmp_path / "account.yaml"
    headers = {"OpenAI-Organization": "org-AccountSecret0001", "OpenAI-Project": "proj_AccountSecret0002"}
    with httpx.Client(headers=headers) as http, use_cassette(cassette, "once"):
        http.post(f"http://deploy:UrlPassword0003@{host}", json={"model": "gpt-4o", "input": "hi"})
    text = cassette.read_text()
    for secret in ("org-AccountSecret0001", "proj_AccountSecret0002", "UrlPassword0003"):
        assert secret not in text
    assert f"url: http://deploy:{REDACTED}@" in text


def test_ini_filters_apply_to_the_plugin_s_cassettes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-0123456789")  # as set in the shell running pytest
    pytester.makeini(
        """
        [pytest]
        interactions_filter_headers = x-custom-token
        interactions_filter_json_keys = password
        interactions_secret_env_vars = MY_SERVICE_TOKEN
        """
    )
    pytester.makepyfile(
        """
        import httpx
        import pytest

        @pytest.mark.interactions
        def test_login(interactions):
            with httpx.Client(base_url=interactions.base_url + "/v1beta") as http:
                http.post("/interactions", headers={"x-goog-api-key": interactions.api_key,
                          "x-custom-token": "CustomTokenValue02"},
                          json={"model": "m", "input": "hi", "labels": {"password": "PasswordValue03"}})

        @pytest.mark.interactions
        def test_leak(interactions):
            with httpx.Client(base_url=interactions.base_url + "/v1beta") as http:
                http.post("/interactions", headers={"x-goog-api-key": interactions.api_key},
                          json={"model": "m", "input": "tok-0123456789"})
        """
    )
    result = pytester.runpytest("--interactions-record-mode=once", *QUIET)
    result.assert_outcomes(passed=2, errors=1)  # test_leak passes, then fails at teardown (the write)
    result.stdout.fnmatch_lines(["*SecretLeakError*$MY_SERVICE_TOKEN appears in the cassette*"])
    module = pytester.path / "cassettes" / "test_ini_filters_apply_to_the_plugin_s_cassettes"
    text = module / "test_login.yaml"
    assert "CustomTokenValue02" not in text.read_text()
    assert "PasswordValue03" not in text.read_text()
    assert not text.with_name("test_leak.yaml").exists()
