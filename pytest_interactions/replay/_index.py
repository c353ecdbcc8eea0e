"""One cassette as replay uses it, worked out once for every session that replays it.

Between a YAML file and a served event sit: the parsed cassette (kept in the cache directory by
``cassette``), each interaction's compiled history (whose events' facts are kept there too, for
long streams), each stream's serving plan, and the poll answers a fault-free replay gives. The
last three live here, in one index per cassette, built on first use.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from pathlib import Path

from pytest_interactions.cassette import Cassette, cache_derived, cached_derived
from pytest_interactions.replay import _facts, _history
from pytest_interactions.replay._facts import CassetteFacts
from pytest_interactions.replay._history import History, compile_histories
from pytest_interactions.replay._regenerations import Tokens
from pytest_interactions.replay._served import StreamPlan
from pytest_interactions.replay._snapshots import PollAnswer

FACTS_FROM = 200
"""Stream events a cassette holds from which its compiled facts are kept between runs: below, a
compile costs less than reading the facts back."""


class CassetteIndex:
    """A cassette's histories, stream plans and fault-free poll answers, each worked out once.

    Shared by every session replaying the same bytes (they only read it); ``key`` is the hash of
    the file's bytes under which compiled facts are kept between runs (``None``: not kept).
    """

    def __init__(self, cassette: Cassette, key: str | None = None, size: int = 0) -> None:
        self.cassette = cassette
        self.key = key
        self.size = size
        self._histories: dict[str, History] | None = None
        self._plans: dict[str, StreamPlan] = {}
        self._answers: dict[str, dict[int, PollAnswer]] = {}
        self._tokens: Tokens | None = None
        self._lock = threading.Lock()

    def histories(self) -> dict[str, History]:
        """Each interaction's history, compiled on first use."""
        with self._lock:
            if self._histories is None:
                self._histories = self._compile()
            return self._histories

    def tokens(self) -> Tokens:
        """Every continuation token the recording holds, where it was handed out and which
        recorded creates carry it (worked out on the first continuation a replay meets)."""
        tokens = self._tokens
        if tokens is None:
            tokens = self._tokens = Tokens.of(self.cassette.exchanges, self.histories())
        return tokens

    def plan(self, history: History) -> StreamPlan:
        """How the history's own (unfaulted) events are served."""
        plan = self._plans.get(history.interaction_id)
        if plan is None or plan.events is not history.events or len(plan.times) != len(history.events):
            plan = self._plans[history.interaction_id] = StreamPlan(history.events)
        return plan

    def answers(self, history: History) -> dict[int, PollAnswer]:
        """The poll answers of ``history`` a fault-free replay has given, by what they show."""
        return self._answers.setdefault(history.interaction_id, {})

    def _compile(self) -> dict[str, History]:
        """The histories, reading the events' facts from the cache when a run kept them."""
        cassette, key = self.cassette, self.key
        if key is None or _stream_events(cassette) < FACTS_FROM or (name := facts_name()) is None:
            return compile_histories(cassette)
        facts = CassetteFacts.from_json(cached_derived(key, name)) or CassetteFacts()
        histories = compile_histories(cassette, facts)
        if facts.learned:
            cache_derived(key, name, facts.to_json())
        return histories


def _stream_events(cassette: Cassette) -> int:
    return sum(len(e.response.events or ()) for e in cassette.exchanges if e.response is not None)


@functools.cache
def facts_name() -> str | None:
    """The cache name for facts worked out by this code: it changes whenever the code does.

    ``None`` when the code's sources cannot be read (then nothing is kept).
    """
    from pytest_interactions import protocol

    digest = hashlib.sha256(f"facts {_facts.FORMAT}\n".encode())
    try:
        sources = sorted(Path(protocol.__file__).parent.glob("*.py"))
        for source in [*sources, Path(_facts.__file__), Path(_history.__file__)]:
            digest.update(source.read_bytes())
    except (OSError, TypeError):
        return None
    return f"facts-{digest.hexdigest()[:16]}"
