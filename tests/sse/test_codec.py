"""The SSE wire codec against the WHATWG event-stream rules, and byte-exactness for cassettes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_interactions.sse import SSEDecoder, SSEEvent, decode_stream, encode_event

BOM = b"\xef\xbb\xbf"


def feed_in_chunks(stream: bytes, cuts: list[int]) -> tuple[list[SSEEvent], bytes]:
    """Decode ``stream`` fed in pieces cut at the given offsets, the last one marked final."""
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    previous = 0
    for cut in sorted(set(cuts) - {len(stream)}):
        events += decoder.feed(stream[previous:cut])
        previous = cut
    events += decoder.feed(stream[previous:], final=True)
    return events, decoder.pending


def fields(events: list[SSEEvent]) -> list[tuple[str | None, str | None, str | None, int | None]]:
    return [(e.event, e.data, e.id, e.retry) for e in events]


# -- encoding -------------------------------------------------------------------------------------


def test_encode_event_writes_the_canonical_form() -> None:
    encoded = encode_event(event="step.delta", id="evt_1", retry=1500, data='{"a":1}', comments=["hi"])
    assert encoded == b':hi\nevent: step.delta\nid: evt_1\nretry: 1500\ndata: {"a":1}\n\n'


field_text = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=8)


@settings(max_examples=300)
@given(
    st.none() | field_text,
    st.none() | st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.none() | field_text,
)
def test_every_event_encodes_in_the_canonical_form(
    event: str | None, data: str | None, id: str | None
) -> None:
    encoded = encode_event(event=event, data=data, id=id)
    lines = [f"event: {event}"] if event is not None else []
    lines += [] if id is None else [f"id: {id}" if id else "id"]
    lines += [] if data is None else [f"data: {part}" if part else "data" for part in data.split("\n")]
    assert encoded == ("\n".join(lines) + "\n\n").encode()  # however it is made (usual events at once)


def test_encode_event_splits_multi_line_data_into_data_lines() -> None:
    assert encode_event(data="one\ntwo\n\nfour") == b"data: one\ndata: two\ndata\ndata: four\n\n"
    [event], _ = decode_stream(encode_event(data="one\ntwo\n\nfour"))
    assert event.data == "one\ntwo\n\nfour"


def test_encode_event_writes_an_empty_id_as_a_bare_field() -> None:
    assert encode_event(id="", data="x") == b"id\ndata: x\n\n"


def test_the_interactions_done_sentinel() -> None:
    assert encode_event(event="done", data="[DONE]") == b"event: done\ndata: [DONE]\n\n"


# -- line ends and chunk boundaries -----------------------------------------------------------------


@pytest.mark.parametrize("newline", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_every_line_end_style_decodes_alike(newline: bytes) -> None:
    stream = b"event: a\nid: 1\ndata: x\ndata: y\n\nevent: b\ndata: z\n\n".replace(b"\n", newline)
    events, pending = decode_stream(stream)
    assert fields(events) == [("a", "x\ny", "1", None), ("b", "z", None, None)]
    assert pending == b""
    assert b"".join(e.raw for e in events) == stream


def test_a_crlf_inside_an_event_is_one_line_end_not_a_blank_line() -> None:
    events, _ = decode_stream(b"event: x\r\ndata: y\r\n\r\n")
    assert fields(events) == [("x", "y", None, None)]


def test_mixed_line_ends_in_one_stream() -> None:
    events, _ = decode_stream(b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r")
    assert [e.data for e in events] == ["a\nb\nc", "d"]


@pytest.mark.parametrize("newline", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_byte_by_byte_feeding_gives_the_same_events(newline: bytes) -> None:
    stream = (b"event: a\nid: 1\ndata: x\n\n: comment\n\ndata: z\n\n").replace(b"\n", newline)
    whole, _ = decode_stream(stream)
    by_byte, pending = feed_in_chunks(stream, list(range(len(stream))))
    assert by_byte == whole
    assert pending == b""


def test_a_crlf_split_between_two_chunks_is_still_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\n\r") == []  # the CR may be the start of a CRLF
    [event] = decoder.feed(b"\ndata: b\r\n\r\n")[:1]
    assert event.data == "a"
    assert event.raw == b"data: a\r\n\r\n"


def test_a_trailing_cr_waits_for_a_possible_lf_unless_the_stream_has_ended() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\r") == []
    [event] = decoder.feed(b"", final=True)
    assert event.data == "a"
    [event], pending = decode_stream(b"data: a\r\r")  # a whole body has ended
    assert (event.data, pending) == ("a", b"")


def test_an_unterminated_event_stays_pending_and_is_not_dispatched() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'event: step.delta\ndata: {"event_type":"step.de') == []
    assert decoder.pending == b'event: step.delta\ndata: {"event_type":"step.de'


# -- BOM ----------------------------------------------------------------------------------------------


def test_a_leading_bom_is_skipped_but_kept_in_raw() -> None:
    stream = BOM + b"data: a\n\n"
    [event], _ = decode_stream(stream)
    assert event.data == "a"
    assert event.raw == stream


def test_a_bom_split_across_chunks_is_still_skipped() -> None:
    events, _ = feed_in_chunks(BOM + b"data: a\n\n", [1, 2])
    assert [e.data for e in events] == ["a"]


def test_a_bom_later_in_the_stream_is_an_ordinary_character() -> None:
    events, _ = decode_stream(b"data: a\n\n" + BOM + b"data: b\n\n")
    assert [e.data for e in events] == ["a", None]  # the field is named "\ufeffdata": unknown


# -- fields ---------------------------------------------------------------------------------------------


def test_comments_are_kept_and_a_comment_only_block_has_no_data() -> None:
    [keepalive, event], _ = decode_stream(b": keep-alive\n\n:x\ndata: d\n\n")
    assert keepalive.comments == (" keep-alive",)
    assert keepalive.data is None
    assert event.comments == ("x",)
    assert event.data == "d"


def test_only_one_space_after_the_colon_is_removed() -> None:
    [event], _ = decode_stream(b"data:  two spaces\n\n")
    assert event.data == " two spaces"
    [event], _ = decode_stream(b"data:none\n\n")
    assert event.data == "none"


def test_a_field_without_colon_has_an_empty_value() -> None:
    [event], _ = decode_stream(b"data\n\n")
    assert event.data == ""


def test_unknown_fields_are_ignored() -> None:
    [event], _ = decode_stream(b"foo: bar\ndata: x\n\n")
    assert fields([event]) == [(None, "x", None, None)]
    assert event.type == "message"


def test_the_last_event_id_persists_and_an_empty_id_resets_it() -> None:
    events, _ = decode_stream(b"id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n")
    assert [e.id for e in events] == ["7", None, ""]
    assert [e.last_event_id for e in events] == ["7", "7", ""]


def test_an_id_containing_nul_is_ignored() -> None:
    events, _ = decode_stream(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n")
    assert events[1].id is None
    assert events[1].last_event_id == "1"


@pytest.mark.parametrize(
    ("line", "retry"),
    [
        (b"retry: 1500", 1500),
        (b"retry: 0", 0),
        (b"retry: 15a", None),
        (b"retry: -1", None),
        (b"retry: 1.5", None),
        (b"retry: ", None),
        ("retry: \u0661\u0662".encode(), None),  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_retry_takes_ascii_digits_only(line: bytes, retry: int | None) -> None:
    [event], _ = decode_stream(line + b"\ndata: x\n\n")
    assert event.retry == retry


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    [event], _ = decode_stream(b"data: \xff\n\n")
    assert event.data == "\ufffd"


# -- properties -----------------------------------------------------------------------------------------

_text = st.text(st.characters(blacklist_characters="\r\n\x00", blacklist_categories=("Cs",)), max_size=20)
_data = st.lists(_text, min_size=1, max_size=3).map("\n".join)
_event = st.fixed_dictionaries(
    {
        "event": st.none() | _text.filter(lambda s: s != "" and not s.startswith(" ")),
        "data": st.none() | _data,
        "id": st.none() | _text,
        "retry": st.none() | st.integers(0, 10**6),
        "comments": st.lists(_text, max_size=2).map(tuple),
    }
)


@settings(max_examples=150, deadline=None)
@given(
    events=st.lists(_event, max_size=6),
    newline=st.sampled_from([b"\n", b"\r", b"\r\n"]),
    bom=st.booleans(),
    data=st.data(),
)
def test_any_split_of_an_encoded_stream_decodes_to_the_same_events(
    events: list[dict[str, object]], newline: bytes, bom: bool, data: st.DataObject
) -> None:
    body = b"".join(encode_event(**e) for e in events)  # type: ignore[arg-type]
    stream = (BOM if bom else b"") + body.replace(b"\n", newline)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=12))

    whole, whole_pending = decode_stream(stream)
    split, split_pending = feed_in_chunks(stream, cuts)

    assert split == whole
    assert split_pending == whole_pending
    assert b"".join(e.raw for e in split) + split_pending == stream
    assert split_pending == (stream if not body else b"")  # a lone BOM is kept, not lost
    assert fields(split) == [(e["event"], e["data"], e["id"], e["retry"]) for e in events]
    assert [e.comments for e in split] == [e["comments"] for e in events]


@settings(max_examples=150, deadline=None)
@given(
    stream=st.binary(max_size=60)
    | st.lists(
        st.sampled_from(
            [b"\r", b"\n", b"\r\n", b"data", b": ", b":", b"id", b"event", b"retry", b"1", b"x", BOM, b"\x00"]
        ),
        max_size=30,
    ).map(b"".join),
    data=st.data(),
)
def test_any_split_of_any_bytes_decodes_alike_and_loses_no_byte(stream: bytes, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=12))
    whole, whole_pending = decode_stream(stream)
    split, split_pending = feed_in_chunks(stream, cuts)
    assert split == whole
    assert split_pending == whole_pending
    assert b"".join(e.raw for e in split) + split_pending == stream
