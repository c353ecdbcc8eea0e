#!/bin/sh
# The guide's REST flow with curl: a background interaction streamed, resumed with last_event_id
# when the connection drops before interaction.completed. The server is $INTERACTIONS_BASE_URL.
set -u
BASE="$INTERACTIONS_BASE_URL"
KEY="${GEMINI_API_KEY:-test-key}"
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT

curl -sSN -X POST "$BASE/v1beta/interactions" \
  -H "x-goog-api-key: $KEY" -H "content-type: application/json" \
  -d '{"model": "gemini-3.5-flash", "input": "Tell me about tides", "background": true, "stream": true}' \
  >> "$OUT" 2>/dev/null
ID="$(sed -n 's/.*"interaction": {"id": "\([^"]*\)".*/\1/p; s/.*"interaction":{"id":"\([^"]*\)".*/\1/p' "$OUT" | head -n 1)"
tries=0
while ! grep -q '"interaction.completed"' "$OUT"; do
  tries=$((tries + 1))
  [ -n "$ID" ] && [ "$tries" -le 5 ] || { echo "gave up" >&2; exit 3; }
  LAST="$(sed -n 's/.*"event_id": *"\([^"]*\)".*/\1/p' "$OUT" | tail -n 1)"
  sleep "${INTERACTIONS_BACKOFF:-0.1}"
  curl -sSN "$BASE/v1beta/interactions/$ID?stream=true&last_event_id=$LAST" \
    -H "x-goog-api-key: $KEY" >> "$OUT" 2>/dev/null
done
echo "completed $ID"
