"""The SDK paths the grade runs: each one's row, the code that runs it, and the calls a bug report
shows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from _clients import (
    gemini_continuation,
    gemini_continuation_async,
    gemini_polling,
    gemini_reconnect_loop,
    gemini_reconnect_loop_async,
    openai_polling,
    openai_retrieve,
    openai_retrieve_async,
    openai_stream_helper,
    openai_stream_helper_async,
)


@dataclass(frozen=True)
class SdkPath:
    """One way of using one SDK: its row in the grade, the code that runs, the calls to report."""

    key: str
    """A short stable name (``--tiny`` picks paths by it)."""
    sdk: str
    """The SDK's distribution name, whose installed version the grade shows."""
    path: str
    run: Callable[[str], str]
    snippet: str


def _lines(*lines: str) -> str:
    return "\n".join(lines)


_GEMINI_CLIENT = 'client = genai.Client(api_key=KEY, http_options={"base_url": URL, "api_version": "v1beta"})'
_OPENAI_CLIENT = 'client = openai.OpenAI(base_url=URL + "/v1", api_key=KEY)'
_OPENAI_CREATE = (
    'stream = client.responses.create(model="gpt-4o", input=PROMPT, background=True, stream=True)'
)
_OPENAI_READ = _lines(
    "for event in stream:  # the connection drops after sequence_number N",
    "    last = event.sequence_number  # response_id came with response.created",
)

PATHS: tuple[SdkPath, ...] = (
    SdkPath(
        "genai-sync-reconnect",
        "google-genai",
        "sync: background create, the guide's reconnect loop (`interactions.get(id, stream=True, "
        "last_event_id=…)`)",
        gemini_reconnect_loop,
        _lines(
            _GEMINI_CLIENT,
            "interaction = client.interactions.create(",
            '    model="gemini-3.5-flash", input=PROMPT, background=True)',
            "last_event_id, done = None, False",
            "while not done:",
            "    try:",
            "        for event in client.interactions.get(interaction.id, stream=True, "
            "last_event_id=last_event_id):",
            "            last_event_id = event.event_id or last_event_id",
            '            if event.event_type == "interaction.completed":',
            "                done = True",
            "                break",
            "    except APIConnectionError:  # from google.genai._interactions: the connection dropped",
            "        pass",
        ),
    ),
    SdkPath(
        "genai-async-reconnect",
        "google-genai",
        "async: background create, the guide's reconnect loop (`aio.interactions.get(id, stream=True, "
        "last_event_id=…)`)",
        gemini_reconnect_loop_async,
        _lines(
            _GEMINI_CLIENT,
            "interaction = await client.aio.interactions.create(",
            '    model="gemini-3.5-flash", input=PROMPT, background=True)',
            "last_event_id, done = None, False",
            "while not done:",
            "    try:",
            "        stream = await client.aio.interactions.get(interaction.id, stream=True, "
            "last_event_id=last_event_id)",
            "        async for event in stream:",
            "            last_event_id = event.event_id or last_event_id",
            '            if event.event_type == "interaction.completed":',
            "                done = True",
            "                break",
            "    except APIConnectionError:  # from google.genai._interactions: the connection dropped",
            "        pass",
        ),
    ),
    SdkPath(
        "genai-sync-continuation",
        "google-genai",
        "sync: streamed create, automatic continuation (`gemini-continuation-preview`)",
        gemini_continuation,
        _lines(
            _GEMINI_CLIENT,
            'for event in client.interactions.create(model="gemini-continuation-preview", input=PROMPT, '
            "stream=True):",
            "    ...  # the SDK continues each hop by itself; the connection drops after event N",
        ),
    ),
    SdkPath(
        "genai-async-continuation",
        "google-genai",
        "async: streamed create, automatic continuation (`gemini-continuation-preview`)",
        gemini_continuation_async,
        _lines(
            _GEMINI_CLIENT,
            "stream = await client.aio.interactions.create(",
            '    model="gemini-continuation-preview", input=PROMPT, stream=True)',
            "async for event in stream:",
            "    ...  # the SDK continues each hop by itself; the connection drops after event N",
        ),
    ),
    SdkPath(
        "genai-sync-polling",
        "google-genai",
        "sync: background create, polling `interactions.get(id)`",
        gemini_polling,
        _lines(
            _GEMINI_CLIENT,
            "interaction = client.interactions.create(",
            '    model="gemini-3.5-flash", input=PROMPT, background=True)',
            'while interaction.status == "in_progress":',
            "    time.sleep(3)",
            "    interaction = client.interactions.get(interaction.id)",
        ),
    ),
    SdkPath(
        "openai-sync-stream-helper",
        "openai",
        "sync: background stream, resumed with `responses.stream(response_id=…, starting_after=N)`",
        openai_stream_helper,
        _lines(
            _OPENAI_CLIENT,
            _OPENAI_CREATE,
            _OPENAI_READ,
            "with client.responses.stream(response_id=response_id, starting_after=last) as resumed:",
            "    for event in resumed:",
            "        ...",
        ),
    ),
    SdkPath(
        "openai-async-stream-helper",
        "openai",
        "async: background stream, resumed with `responses.stream(response_id=…, starting_after=N)`",
        openai_stream_helper_async,
        _lines(
            'client = openai.AsyncOpenAI(base_url=URL + "/v1", api_key=KEY)',
            "stream = await client.responses.create(",
            '    model="gpt-4o", input=PROMPT, background=True, stream=True)',
            "async for event in stream:  # the connection drops after sequence_number N",
            "    last = event.sequence_number  # response_id came with response.created",
            "async with client.responses.stream(response_id=response_id, starting_after=last) as resumed:",
            "    async for event in resumed:",
            "        ...",
        ),
    ),
    SdkPath(
        "openai-sync-retrieve",
        "openai",
        "sync: background stream, resumed with `responses.retrieve(id, stream=True, starting_after=N)`",
        openai_retrieve,
        _lines(
            _OPENAI_CLIENT,
            _OPENAI_CREATE,
            _OPENAI_READ,
            "for event in client.responses.retrieve(response_id, stream=True, starting_after=last):",
            "    ...",
        ),
    ),
    SdkPath(
        "openai-async-retrieve",
        "openai",
        "async: background stream, resumed with `responses.retrieve(id, stream=True, starting_after=N)`",
        openai_retrieve_async,
        _lines(
            'client = openai.AsyncOpenAI(base_url=URL + "/v1", api_key=KEY)',
            "stream = await client.responses.create(",
            '    model="gpt-4o", input=PROMPT, background=True, stream=True)',
            "async for event in stream:  # the connection drops after sequence_number N",
            "    last = event.sequence_number  # response_id came with response.created",
            "resumed = await client.responses.retrieve(response_id, stream=True, starting_after=last)",
            "async for event in resumed:",
            "    ...",
        ),
    ),
    SdkPath(
        "openai-sync-polling",
        "openai",
        "sync: background create, polling `responses.retrieve(id)`",
        openai_polling,
        _lines(
            _OPENAI_CLIENT,
            'response = client.responses.create(model="gpt-4o", input=PROMPT, background=True)',
            'while response.status in ("queued", "in_progress"):',
            "    time.sleep(3)",
            "    response = client.responses.retrieve(response.id)",
        ),
    ),
)


def paths(keys: Iterable[str] | None = None) -> Iterator[SdkPath]:
    """The Python paths, all of them or those named by ``keys``."""
    wanted = set(keys) if keys is not None else None
    return (path for path in PATHS if wanted is None or path.key in wanted)
