"""The guide's streaming flow over REST, as a team's non-SDK client writes it: a background
interaction streamed, resumed with ``last_event_id`` after a dropped connection, done at
``interaction.completed``. The server is the one ``INTERACTIONS_BASE_URL`` names.

    python rest_client.py [correct|previous|restart]

``previous`` resumes from the event before the last one read; ``restart`` reconnects without
``last_event_id``: the mistakes the checks must name.
"""

from __future__ import annotations

import json
import os
import sys
import time

import httpx

HEADERS = {"x-goog-api-key": os.environ.get("GEMINI_API_KEY", "test-key")}
BODY = {"model": "gemini-3.5-flash", "input": "Tell me about tides", "background": True, "stream": True}


class Reader:
    def __init__(self) -> None:
        self.last: str | None = None
        self.before_last: str | None = None
        self.interaction: str | None = None
        self.text = ""
        self.done = False

    def read(self, response: httpx.Response) -> None:
        for line in response.iter_lines():
            if not line.startswith("data: {"):
                continue
            event = json.loads(line[len("data: ") :])
            if "event_id" in event:
                self.before_last, self.last = self.last, event["event_id"]
            kind = event.get("event_type")
            if kind == "interaction.created":
                self.interaction = event["interaction"]["id"]
            elif kind == "step.delta":
                self.text += event.get("delta", {}).get("text", "")
            elif kind == "interaction.completed":
                self.done = True
                return


def main(mode: str) -> int:
    reader = Reader()
    base = os.environ["INTERACTIONS_BASE_URL"]
    with httpx.Client(base_url=base, timeout=httpx.Timeout(10.0)) as client:
        try:
            with client.stream("POST", "/v1beta/interactions", json=BODY, headers=HEADERS) as stream:
                reader.read(stream)
        except httpx.TransportError as exc:
            print(f"dropped: {exc}", file=sys.stderr)
        for attempt in range(5):
            if reader.done or reader.interaction is None:
                break
            time.sleep(float(os.environ.get("INTERACTIONS_BACKOFF", "0.1")) * 2**attempt)
            after = reader.before_last if mode == "previous" else reader.last
            query = f"&last_event_id={after}" if after and mode != "restart" else ""
            path = f"/v1beta/interactions/{reader.interaction}?stream=true{query}"
            try:
                with client.stream("GET", path, headers=HEADERS) as stream:
                    reader.read(stream)
            except httpx.TransportError as exc:
                print(f"dropped: {exc}", file=sys.stderr)
    print(reader.text.strip().splitlines()[0] if reader.text.strip() else "")
    return 0 if reader.done else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "correct"))
