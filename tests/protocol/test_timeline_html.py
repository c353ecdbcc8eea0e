"""The HTML timeline, read back with an HTML parser: lanes, marks with ids, cuts, resumes,
statuses and violations where they happened, and nothing fetched from elsewhere."""

from __future__ import annotations

import itertools
from html.parser import HTMLParser

from pytest_interactions.protocol import Delivery, RequestRecord, Transcript, Violation
from pytest_interactions.protocol._timeline_html import render_html


class Page(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def having(self, attribute: str, value: str | None = None) -> list[dict[str, str | None]]:
        return [
            a
            for _, a in self.tags
            if attribute in a and (value is None or value in (a[attribute] or "").split())
        ]


def session() -> Transcript:
    transcript = Transcript()
    transcript.add_request(RequestRecord(0.0, "POST", "/v1beta/interactions", 200, "v1_a", "create"))
    transcript.saw_status(0.01, "v1_a", "in_progress", "create")
    first = transcript.open_connection("v1_a", 0.1, None)
    for n in range(1, 4):
        first.deliveries.append(
            Delivery(f"evt_{n}", "step.delta", 0.1 + n / 10, data=f'{{"event_id": "evt_{n}"}}')
        )
    first.deliveries.append(Delivery("evt_4", "step.delta", 0.55, complete=False))
    first.cut = "after:3"
    second = transcript.open_connection("v1_a", 0.7, "evt_2")
    second.deliveries.append(Delivery("evt_3", "step.delta", 0.8))
    second.deliveries.append(Delivery("evt_4", "interaction.completed", 0.9))
    second.reached_end = True
    transcript.saw_status(0.9, "v1_a", "completed", "stream #2")
    transcript.add_request(
        RequestRecord(1.0, "GET", "/v1beta/interactions/v1_b?stream=false", 404, "v1_b", "get")
    )
    return transcript


def test_a_lane_per_interaction_with_its_streams_and_statuses() -> None:
    page = Page(render_html(session(), title="demo"))
    assert [a["data-interaction"] for a in page.having("data-interaction")] == ["v1_a", "v1_b"]
    assert [a["data-status"] for a in page.having("data-status")] == ["in_progress", "completed"]
    events = page.having("class", "event")
    assert [a["data-event-id"] for a in events] == ["evt_1", "evt_2", "evt_3", "evt_4", "evt_3", "evt_4"]
    assert '"event_id": "evt_1"' in (events[0]["data-detail"] or "")
    assert events[3]["fill"] == "#fff"  # cut inside it: a hollow mark
    assert len(page.having("class", "cut")) == 1
    assert len(page.having("class", "resume")) == 1
    assert "↻ after evt_2" in "".join(page.text)
    assert [a["data-operation"] for a in page.having("data-operation")] == ["create", "get"]


def test_violations_are_listed_and_marked_on_their_connection() -> None:
    violation = Violation(
        "resume", "reconnect #2 carried last_event_id=evt_2; expected evt_3", "v1_a", 0.7, 2
    )
    page = Page(render_html(session(), [violation]))
    marks = page.having("class", "violation")
    assert [m["data-check"] for m in marks] == ["resume"]
    assert "[resume] reconnect #2 carried last_event_id=evt_2" in "".join(page.text)


def test_the_page_is_self_contained() -> None:
    page = Page(render_html(session()))
    for tag, attributes in page.tags:
        assert "src" not in attributes, tag
        assert not (attributes.get("href") or "").startswith(("http", "//")), tag
    assert [tag for tag, _ in page.tags].count("link") == 0
    assert ("meta", {"charset": "utf-8"}) in page.tags


def test_crowded_events_stay_apart() -> None:
    transcript = Transcript()
    connection = transcript.open_connection("v1_a", 0.0, None)
    connection.deliveries += [Delivery(f"evt_{n}", "step.delta", 1.0 + n * 1e-6) for n in range(5)]
    connection.deliveries.append(Delivery("evt_9", "step.stop", 100.0))
    xs = [float(a["cx"] or 0) for a in Page(render_html(transcript)).having("class", "event")]
    assert all(b - a >= 26 for a, b in itertools.pairwise(xs))
