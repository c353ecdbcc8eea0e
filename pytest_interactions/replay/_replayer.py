"""Replaying: answering intercepted requests from a cassette, streams event by event."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pytest_interactions.cassette import (
    Cassette,
    Disconnect,
    Exchange,
    RecordedRequest,
    body_to_bytes,
    event_to_bytes,
)
from pytest_interactions.replay._matching import (
    DEFAULT_MATCH_ON,
    Comparison,
    Matcher,
    body_difference,
    compare,
    resolve_matchers,
    to_vcr,
)
from pytest_interactions.replay._snapshots import DROPPED_HEADERS
from pytest_interactions.transport import Answer, Refused, Streamed, TransportFailure


@dataclass
class _Slot:
    exchange: Exchange
    uses: int = 0


@dataclass
class Replayer:
    """Answers requests from recorded exchanges: each used once, in recorded order.

    When every matching exchange has been used, a GET is answered again with the last of
    them (a poll past the end of the recording sees the final state); anything else fails.
    """

    cassette: Cassette
    path: Path
    match_on: Sequence[str | Matcher] = DEFAULT_MATCH_ON
    _slots: list[_Slot] = field(init=False)
    _matchers: list[Matcher] = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._slots = [_Slot(exchange) for exchange in self.cassette.exchanges]
        self._matchers = resolve_matchers(self.match_on)
        names = {name for name in self.match_on if isinstance(name, str)}
        # Exchanges are grouped by what the matchers are sure to compare (the method, the path),
        # so that a request is compared only with its own group: big cassettes stay fast.
        self._by_method = "method" in names
        self._by_path = bool(names & {"path", "uri"})
        self._groups: dict[tuple[str | None, str | None], list[int]] = {}
        for index, slot in enumerate(self._slots):
            request = slot.exchange.request
            self._groups.setdefault(self._group(request.method, request.url), []).append(index)
        self._converted: dict[int, Any] = {}

    def _group(self, method: str, url: str) -> tuple[str | None, str | None]:
        # As vcrpy's matchers read them: the method as given, the path as urlparse splits it.
        return (method if self._by_method else None, urlparse(url).path if self._by_path else None)

    def _recorded(self, index: int) -> Any:
        converted = self._converted.get(index)
        if converted is None:
            converted = self._converted[index] = to_vcr(self._slots[index].exchange.request)
        return converted

    def take(
        self, request: RecordedRequest, *, prefer: Callable[[Exchange], bool] | None = None
    ) -> Exchange | None:
        """The exchange that answers ``request``, marking it used; ``None`` when none does.

        ``prefer`` picks, among the unused matching exchanges, the first it accepts (else the
        first of them).
        """
        incoming = to_vcr(request)
        with self._lock:
            matching = [
                self._slots[index]
                for index in self._groups.get(self._group(request.method, request.url), ())
                if compare(0, incoming, self._recorded(index), self._matchers).matches
            ]
            unused = [slot for slot in matching if slot.uses == 0]
            preferred = [slot for slot in unused if prefer(slot.exchange)] if prefer is not None else []
            fresh = next(iter(preferred or unused), None)
            if fresh is None and matching and request.method.upper() == "GET":
                fresh = matching[-1]
            if fresh is None:
                return None
            fresh.uses += 1
            return fresh.exchange

    def take_exchange(self, exchange: Exchange) -> bool:
        """Mark ``exchange`` used, when it is not yet (a request matched by other means)."""
        with self._lock:
            for slot in self._slots:
                if slot.exchange is exchange and slot.uses == 0:
                    slot.uses = 1
                    return True
            return False

    def answered_before(self, request: RecordedRequest, besides: Exchange | None = None) -> Exchange | None:
        """The last exchange (other than ``besides``) that answered a request like ``request`` and
        is used up (a request sent again), if any."""
        incoming = to_vcr(request)
        with self._lock:
            used = [
                self._slots[index]
                for index in self._groups.get(self._group(request.method, request.url), ())
                if self._slots[index].uses
                and self._slots[index].exchange is not besides
                and compare(0, incoming, self._recorded(index), self._matchers).matches
            ]
            return used[-1].exchange if used else None

    def take_error(self, request: RecordedRequest) -> Exchange | None:
        """An unused exchange answering ``request`` with an HTTP error, marked used (what the
        server really said comes before anything made up)."""
        incoming = to_vcr(request)
        with self._lock:
            for index in self._groups.get(self._group(request.method, request.url), ()):
                slot = self._slots[index]
                response = slot.exchange.response
                if slot.uses or response is None or response.status < 400:
                    continue
                if compare(0, incoming, self._recorded(index), self._matchers).matches:
                    slot.uses = 1
                    return slot.exchange
            return None

    def release(self, exchange: Exchange) -> None:
        """Let ``exchange`` answer again: the client never learnt what its answer created."""
        with self._lock:
            for slot in self._slots:
                if slot.exchange is exchange and slot.uses > 0:
                    slot.uses -= 1
                    return

    def unused(self) -> list[Exchange]:
        return [slot.exchange for slot in self._slots if slot.uses == 0]

    def explain(self, request: RecordedRequest, mode: str) -> str:
        """A message naming the request, the cassette, and the nearest recorded requests."""
        incoming = to_vcr(request)
        comparisons = [
            compare(i, incoming, self._recorded(i), self._matchers) for i in range(len(self._slots))
        ]
        comparisons.sort(key=lambda c: (len(c.failed), c.index))
        lines = [
            f"no recorded exchange in {self.path} answers {request.method} {request.url}",
        ]
        if request.body is not None:
            lines.append(f"  request body: {_excerpt(body_to_bytes(request.body))}")
        nearest = [c for c in comparisons if len(c.passed) > 0][:3]
        if nearest:
            lines.append("nearest recorded requests:")
            for comparison in nearest:
                lines.append(self._describe(comparison, request))
        elif not self._slots:
            lines.append("the cassette holds no exchanges")
        else:
            lines.append(f"none of its {len(self._slots)} recorded requests is close")
        lines.append(
            f"record mode is {mode!r}: to record the test again, run it with "
            "--interactions-record-mode=all (new_episodes keeps the old recording and appends to it: "
            "only for requests added after the recorded ones, never for a changed request)"
        )
        return "\n".join(lines)

    def _describe(self, comparison: Comparison, request: RecordedRequest) -> str:
        slot = self._slots[comparison.index]
        recorded = slot.exchange.request
        where = f" (line {slot.exchange.line})" if slot.exchange.line else ""
        used = f", already used {slot.uses}x" if slot.uses and comparison.matches else ""
        head = f"  #{comparison.index}{where}: {recorded.method} {recorded.url}{used}"
        details = []
        for name, message in comparison.failed:
            if name == "body":
                lines = body_difference(request, recorded)
            else:
                lines = [line for line in str(message).splitlines() if line.strip()] or ["(no details)"]
            details.append(f"      differs in {name}: {lines[0].strip()}")
            details.extend(f"        {line.rstrip()}" for line in lines[1:12])
        return "\n".join([head, *details])


def recorded_answer(exchange: Exchange) -> Answer:
    """``exchange``'s recorded answer as it came: its body, each event, then any recorded drop."""
    if exchange.error is not None:
        return Refused(exchange.error.error, exchange.error.message)
    recorded = exchange.response
    assert recorded is not None
    pieces = _pieces(exchange)
    headers = [(k, v) for k, v in recorded.headers if k.lower() not in DROPPED_HEADERS]
    if not recorded.is_stream and recorded.disconnect is None:
        # Read by the client as a server's body is (``iter_raw`` included), not handed over read.
        headers.append(("content-length", str(sum(len(p) for p in pieces if isinstance(p, bytes)))))

    def chunks() -> Generator[bytes, None, None]:
        for piece in pieces:
            if isinstance(piece, Disconnect):
                if piece.partial:
                    yield piece.partial
                raise TransportFailure(piece.error, piece.message)
            yield piece

    stream = chunks()
    return Streamed(recorded.status, headers, stream, stream.close)


def _pieces(exchange: Exchange) -> list[bytes | Disconnect]:
    """The replayed body: one piece per event (or the whole body), then any disconnect."""
    recorded = exchange.response
    assert recorded is not None
    if recorded.events is not None:
        return [item if isinstance(item, Disconnect) else event_to_bytes(item) for item in recorded.events]
    pieces: list[bytes | Disconnect] = []
    body = body_to_bytes(recorded.body)
    if body:
        pieces.append(body)
    if recorded.disconnect is not None:
        pieces.append(recorded.disconnect)
    return pieces


def _excerpt(data: bytes, limit: int = 200) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[: limit - 3] + "..."
