"""The Server-Sent Events wire codec, following the WHATWG event-stream rules.

The decoder keeps the exact bytes of every event block so that a recorded stream can be
re-encoded byte for byte; the encoder writes the canonical form the Interactions API uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE_END = re.compile(rb"\r\n|\r|\n")
# A CR directly followed by LF is one line end (CRLF), never two: without the lookahead the
# regex would backtrack and read the CRLF inside an event as CR + LF, a blank line.
_BLOCK_END = re.compile(rb"(\r\n|\r(?!\n)|\n)(\r\n|\r(?!\n)|\n)")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched event block: its fields as a client reads them, and its exact bytes.

    ``id`` is the value of an ``id:`` line in this block (``None`` when the block has none);
    ``last_event_id`` is the WHATWG last-event-id buffer after this block.
    """

    event: str | None = None
    data: str | None = None
    id: str | None = None
    retry: int | None = None
    comments: tuple[str, ...] = ()
    raw: bytes = b""
    last_event_id: str = ""

    @property
    def type(self) -> str:
        """The event type a WHATWG client dispatches (``message`` when none is named)."""
        return self.event or "message"


def encode_event(
    *,
    event: str | None = None,
    data: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comments: tuple[str, ...] | list[str] = (),
) -> bytes:
    """Encode one event block in canonical form: comments, event, id, retry, data lines, blank."""
    if event and data and retry is None and not comments and "\n" not in data:  # the usual events, at once
        if id:
            return f"event: {event}\nid: {id}\ndata: {data}\n\n".encode()
        if id is None:
            return f"event: {event}\ndata: {data}\n\n".encode()
    lines: list[str] = [f":{comment}" for comment in comments]
    if event is not None:
        lines.append(f"event: {event}")
    if id is not None:
        lines.append(f"id: {id}" if id else "id")
    if retry is not None:
        lines.append(f"retry: {retry}")
    if data is not None:
        lines.extend(f"data: {part}" if part else "data" for part in data.split("\n"))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


@dataclass
class SSEDecoder:
    """Incremental decoder: feed bytes as they arrive, get back every completed event block.

    Blocks made only of comments are returned too (with ``data`` ``None``) so that no byte of
    the stream is lost; ``pending`` holds the bytes of an event not yet terminated.
    """

    last_event_id: str = ""
    pending: bytes = b""
    _started: bool = field(default=False, repr=False)
    _first_block: bool = field(default=True, repr=False)

    def feed(self, chunk: bytes, *, final: bool = False) -> list[SSEEvent]:
        """Add bytes; return the event blocks completed by them, in order.

        ``final`` says the stream ends with ``chunk``, so a trailing CR is a whole line end.
        """
        buf = self.pending + chunk
        if not self._started:
            if len(buf) < len(_BOM) and _BOM.startswith(buf):
                self.pending = buf
                return []
            self._started = True
        events: list[SSEEvent] = []
        start = 0
        while True:
            match = _BLOCK_END.search(buf, start)
            if match is None:
                break
            # A lone CR at the very end may be the first half of a CRLF still in flight.
            if match.group(2) == b"\r" and match.end() == len(buf) and not final:
                break
            raw = buf[start : match.end()]
            start = match.end()
            events.append(self._parse_block(raw))
        self.pending = buf[start:]
        return events

    def _parse_block(self, raw: bytes) -> SSEEvent:
        # Only the stream's first bytes may be a BOM; later ones are ordinary characters.
        body = raw[len(_BOM) :] if self._first_block and raw.startswith(_BOM) else raw
        self._first_block = False
        event: str | None = None
        data_lines: list[str] = []
        has_data = False
        event_id: str | None = None
        retry: int | None = None
        comments: list[str] = []
        for line_bytes in _LINE_END.split(body):
            if not line_bytes:
                continue
            line = line_bytes.decode("utf-8", errors="replace")
            if line.startswith(":"):
                comments.append(line[1:])
                continue
            name, sep, value = line.partition(":")
            if sep and value.startswith(" "):
                value = value[1:]
            if name == "event":
                event = value
            elif name == "data":
                data_lines.append(value)
                has_data = True
            elif name == "id":
                if "\0" not in value:
                    event_id = value
                    self.last_event_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                retry = int(value)
        return SSEEvent(
            event=event,
            data="\n".join(data_lines) if has_data else None,
            id=event_id,
            retry=retry,
            comments=tuple(comments),
            raw=raw,
            last_event_id=self.last_event_id,
        )


def decode_stream(body: bytes) -> tuple[list[SSEEvent], bytes]:
    """Decode a whole body; return its event blocks and any unterminated tail."""
    decoder = SSEDecoder()
    events = decoder.feed(body, final=True)
    return events, decoder.pending
