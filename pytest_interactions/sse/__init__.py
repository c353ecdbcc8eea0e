"""Server-Sent Events wire codec (WHATWG rules), byte-exact where a cassette needs it."""

from pytest_interactions.sse._codec import SSEDecoder, SSEEvent, decode_stream, encode_event

__all__ = ["SSEDecoder", "SSEEvent", "decode_stream", "encode_event"]
