"""The session timeline as one self-contained HTML page: a lane per interaction, on time.

Statuses are coloured bands, requests are ticks, each stream connection is a row of event marks
with their ids; cuts, resumes and violations are marked where they happened. Hover shows a
summary, a click shows the event's data. No network, no external assets.
"""

from __future__ import annotations

import bisect
import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from pytest_interactions.protocol._transcript import Connection, StatusSeen, Transcript
from pytest_interactions.protocol._validate import Violation

STATUS_COLOURS: dict[str, str] = {
    "queued": "#b0bec5",
    "in_progress": "#64b5f6",
    "requires_action": "#ffb74d",
    "requires_continuation": "#ffd54f",
    "completed": "#81c784",
    "failed": "#e57373",
    "cancelled": "#90a4ae",
    "incomplete": "#ba68c8",
    "budget_exceeded": "#ba68c8",
}
_UNKNOWN_COLOUR = "#e0e0e0"
_LABEL_WIDTH = 250
_ROW = 30
_MIN_PLOT = 900
_MAX_PLOT = 8000
_PX_PER_EVENT = 14
_MIN_GAP = 26.0

_STYLE = """
body{font:14px system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}
h1{font-size:18px;margin:0 0 4px} .sub{color:#666;margin-bottom:12px}
.plot{overflow-x:auto;border:1px solid #ddd;background:#fff}
svg text{font:12px system-ui,sans-serif} .lane-label{font-weight:600}
.event{cursor:pointer} .event:hover{stroke:#000;stroke-width:2}
.violation-list{color:#b71c1c} .legend span{display:inline-block;margin-right:12px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
#details{background:#263238;color:#eceff1;padding:10px;min-height:3em;white-space:pre-wrap;
max-height:320px;overflow:auto}
"""

_SCRIPT = """
function show(mark) {
  document.getElementById('details').textContent = mark.getAttribute('data-detail');
}
document.querySelectorAll('[data-detail]').forEach(function (mark) {
  mark.addEventListener('click', function () { show(mark); });
});
if (location.hash.indexOf('#event=') === 0) {
  var wanted = decodeURIComponent(location.hash.slice(7));
  var found = Array.prototype.find.call(document.querySelectorAll('.event'), function (mark) {
    return mark.getAttribute('data-event-id') === wanted;
  });
  if (found) { show(found); }
}
"""


@dataclass
class _Canvas:
    """SVG elements on a time axis that is linear except where events crowd: there it
    stretches so that marks of distinct moments stay at least ``_MIN_GAP`` pixels apart."""

    times: list[float]
    width: float
    parts: list[str] = field(default_factory=list)
    grid: list[str] = field(default_factory=list)
    stretched: bool = False
    _xs: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.times = sorted(set(self.times)) or [0.0]
        span = (self.times[-1] - self.times[0]) or 1.0
        scale = self.width / span
        xs = [0.0]
        for previous, current in zip(self.times, self.times[1:], strict=False):
            linear = (current - previous) * scale
            xs.append(xs[-1] + max(linear, _MIN_GAP))
            self.stretched = self.stretched or linear < _MIN_GAP
        self._xs = xs
        self.width = max(self.width, xs[-1])

    @property
    def start(self) -> float:
        return self.times[0]

    @property
    def end(self) -> float:
        return self.times[-1]

    def x(self, at: float) -> float:
        index = bisect.bisect_left(self.times, at)
        if index < len(self.times) and self.times[index] == at:
            offset = self._xs[index]
        elif index == 0:
            offset = 0.0
        elif index == len(self.times):
            offset = self._xs[-1]
        else:
            t0, t1 = self.times[index - 1], self.times[index]
            x0, x1 = self._xs[index - 1], self._xs[index]
            offset = x0 + (at - t0) / (t1 - t0) * (x1 - x0)
        return round(_LABEL_WIDTH + offset, 1)

    def add(self, element: str) -> None:
        self.parts.append(element)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _title(text: str) -> str:
    return f"<title>{_e(text)}</title>"


def _detail(data: str | None) -> str:
    if data is None:
        return ""
    try:
        return json.dumps(json.loads(data), indent=2, ensure_ascii=False)
    except ValueError:
        return data


def _times(transcript: Transcript, violations: Sequence[Violation]) -> list[float]:
    times = [r.at for r in transcript.requests]
    times += [d.at for c in transcript.connections for d in c.deliveries] + [
        c.at for c in transcript.connections
    ]
    times += [s.at for s in transcript.statuses] + [v.at for v in violations if v.at is not None]
    return times


def _lanes(transcript: Transcript) -> list[str | None]:
    seen: dict[str | None, None] = {}
    for request in transcript.requests:
        seen.setdefault(request.interaction_id, None)
    for interaction_id in transcript.interaction_ids():
        seen.setdefault(interaction_id, None)
    ordered: list[str | None] = [key for key in seen if key is not None]
    return [*ordered, None] if None in seen else ordered


def _axis(canvas: _Canvas, top: float, bottom: float) -> None:
    span = canvas.end - canvas.start
    step = _nice_step(span / 8) if span > 0 else 1.0
    tick = math.floor(canvas.start / step) * step
    last_x = -100.0
    while tick <= canvas.end + step / 2:
        x = canvas.x(tick)
        if tick >= canvas.start and x - last_x >= 40:
            canvas.grid.append(f'<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#e3e3e3"/>')
            canvas.grid.append(
                f'<text x="{x}" y="{top - 8}" text-anchor="middle" fill="#666">{tick:.6g}s</text>'
            )
            last_x = x
        tick = round(tick + step, 9)


def _nice_step(raw: float) -> float:
    for scale in (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0):
        for base in (1, 2, 5):
            if base * scale >= raw:
                return base * scale
    return raw


def _status_band(canvas: _Canvas, transcript: Transcript, interaction_id: str, y: float) -> None:
    seen: list[StatusSeen] = []
    for status in sorted(transcript.statuses_of(interaction_id), key=lambda s: s.at):
        if not seen or seen[-1].status != status.status:
            seen.append(status)
    for index, status in enumerate(seen):
        until = seen[index + 1].at if index + 1 < len(seen) else canvas.end
        x1, x2 = canvas.x(status.at), canvas.x(until)
        colour = STATUS_COLOURS.get(status.status, _UNKNOWN_COLOUR)
        canvas.add(
            f'<rect class="status" data-status="{_e(status.status)}" x="{x1}" y="{y + 4}" '
            f'width="{max(x2 - x1, 1.5)}" height="{_ROW - 8}" fill="{colour}">'
            f"{_title(f'{status.status} (seen by {status.source} at {status.at:.3f}s)')}</rect>"
        )
        if x2 - x1 > 70:
            canvas.add(f'<text x="{x1 + 4}" y="{y + _ROW / 2 + 4}" fill="#1a1a1a">{_e(status.status)}</text>')


def _requests(canvas: _Canvas, transcript: Transcript, interaction_id: str | None, y: float) -> None:
    for request in transcript.requests:
        if request.interaction_id != interaction_id or request.operation == "stream":
            continue
        x = canvas.x(request.at)
        status = request.status if request.status is not None else "no answer"
        label = f"{request.method} {request.target} -> {status} at {request.at:.3f}s"
        if request.note:
            label += f" ({request.note})"
        colour = "#c62828" if request.status is None or request.status >= 400 else "#37474f"
        canvas.add(
            f'<g class="request" data-operation="{_e(request.operation or "other")}">'
            f'<line x1="{x}" y1="{y}" x2="{x}" y2="{y + _ROW}" stroke="{colour}" stroke-width="2"/>'
            f'<text x="{x + 3}" y="{y + 11}" fill="{colour}">{_e(request.operation or request.method)}</text>'
            f"{_title(label)}</g>"
        )


def _connection(canvas: _Canvas, connection: Connection, previous: Connection | None, y: float) -> None:
    middle = y + _ROW / 2
    start = canvas.x(connection.at)
    times = [d.at for d in connection.deliveries]
    end = canvas.x(max(times, default=connection.at))
    canvas.add(
        f'<line x1="{start}" y1="{middle}" x2="{max(end, start + 2)}" y2="{middle}" stroke="#90a4ae"/>'
    )
    if connection.resume_from is not None:
        if previous is not None and previous.deliveries:
            px = canvas.x(previous.deliveries[-1].at)
            canvas.add(
                f'<path class="resume" d="M{px},{middle - _ROW} L{start},{middle}" stroke="#6a1b9a" '
                f'stroke-dasharray="4 3" fill="none">'
                f"{_title(f'resumed after {connection.resume_from}')}</path>"
            )
        canvas.add(
            f'<text class="resume-label" x="{start - 6}" y="{middle + 4}" text-anchor="end" fill="#6a1b9a">'
            f"↻ after {_e(connection.resume_from)}</text>"
        )
    for delivery in connection.deliveries:
        x = canvas.x(delivery.at)
        name = delivery.event_id or "-"
        summary = f"{name} {delivery.event_type} at {delivery.at:.3f}s"
        if not delivery.complete:
            summary += " (cut inside this event)"
        fill = "#1565c0" if delivery.complete else "#fff"
        canvas.add(
            f'<circle class="event" data-event-id="{_e(name)}" data-event-type="{_e(delivery.event_type)}" '
            f'data-detail="{_e(summary + chr(10) + _detail(delivery.data))}" cx="{x}" cy="{middle}" r="5" '
            f'fill="{fill}" stroke="#1565c0">{_title(summary)}</circle>'
            f'<text class="event-id" x="{x}" y="{middle + 15}" text-anchor="middle" font-size="9" '
            f'fill="#455a64">{_e(_short(name))}</text>'
        )
    if connection.cut:
        canvas.add(
            f'<text class="cut" x="{end + 6}" y="{middle + 5}" fill="#c62828" font-size="15">✂'
            f"{_title(f'cut: {connection.cut}')}</text>"
        )
    elif connection.reached_end:
        canvas.add(
            f'<rect class="end" x="{end + 6}" y="{middle - 4}" width="8" height="8" fill="#37474f">'
            f"{_title('end of stream')}</rect>"
        )
    if connection.refused:
        canvas.add(
            f'<text class="cut" x="{start + 4}" y="{middle + 5}" fill="#c62828">'
            f"✂ {_e(connection.refused)}</text>"
        )


def _short(event_id: str) -> str:
    """The distinguishing tail of an event id (``evt_000012`` -> ``12``)."""
    tail = event_id.rsplit("_", 1)[-1]
    return (tail.lstrip("0") or "0") if tail.isdigit() else tail[-5:]


def _violation(canvas: _Canvas, violation: Violation, y: float) -> None:
    x = canvas.x(violation.at or 0.0)
    canvas.add(
        f'<g class="violation" data-check="{_e(violation.check)}" data-detail="{_e(str(violation))}">'
        f'<path d="M{x},{y + 9} l6,-9 l-12,0 z" fill="#c62828"/>'
        f"{_title(str(violation))}</g>"
    )


def render_html(
    transcript: Transcript, violations: Sequence[Violation] = (), *, title: str = "session"
) -> str:
    """One self-contained HTML page of the session's timeline."""
    # Findings folded under a cause are marked where each happened, on the page as its own.
    violations = [m for v in violations for m in (v, *v.also)]
    busiest = max((len(c.deliveries) for c in transcript.connections), default=0)
    width = min(_MAX_PLOT, max(_MIN_PLOT, busiest * _PX_PER_EVENT))
    canvas = _Canvas(_times(transcript, violations), width)
    top = 34.0
    y = top
    lanes = _lanes(transcript)
    body: list[str] = []
    for interaction_id in lanes:
        connections = transcript.connections_of(interaction_id) if interaction_id else []
        rows = 1 + len(connections)
        height = rows * _ROW + 10
        label = interaction_id or "other requests"
        canvas.add(
            f'<g class="lane" data-interaction="{_e(label)}">'
            f'<rect x="0" y="{y}" width="{_LABEL_WIDTH + canvas.width + 50}" height="{height - 4}" '
            'fill="#f5f7fa" fill-opacity="0.6"/>'
            f'<text class="lane-label" x="8" y="{y + 19}">{_e(label)}</text>'
        )
        if interaction_id is not None:
            _status_band(canvas, transcript, interaction_id, y)
        _requests(canvas, transcript, interaction_id, y)
        previous: Connection | None = None
        for row, connection in enumerate(connections, start=1):
            row_y = y + row * _ROW
            canvas.add(
                f'<text x="20" y="{row_y + _ROW / 2 + 4}" fill="#546e7a">stream #{connection.number}</text>'
            )
            _connection(canvas, connection, previous, row_y)
            previous = connection
        for violation in violations:
            if violation.interaction_id == interaction_id and interaction_id is not None:
                row = next((i for i, c in enumerate(connections, 1) if c.number == violation.connection), 0)
                _violation(canvas, violation, y + row * _ROW)
        canvas.add("</g>")
        y += height
    bottom = y
    _axis(canvas, top, bottom)
    svg_height = bottom + 10
    svg_width = _LABEL_WIDTH + canvas.width + 60
    legend = "".join(
        f'<span><i style="background:{colour}"></i>{_e(name)}</span>'
        for name, colour in STATUS_COLOURS.items()
    )
    body.append(f"<h1>{_e(title)}</h1>")
    body.append(
        f'<div class="sub">{len(transcript.requests)} requests, {len(transcript.connections)} stream '
        f"connection(s), {len(violations)} violation(s); time in seconds from the session's start"
        f"{' (the axis stretches where events crowd)' if canvas.stretched else ''}. "
        "Hover a mark for a summary, click an event for its data (or open the page at #event=ID).</div>"
    )
    if violations:
        items = "".join(f"<li>{_e(v)}</li>" for v in violations)
        body.append(f'<ol class="violation-list">{items}</ol>')
    body.append(
        f'<div class="legend">{legend}<span>● event</span><span>○ cut inside</span>'
        "<span>✂ cut</span><span>↻ resume</span><span>■ end</span><span>▲ violation</span></div>"
    )
    body.append(
        f'<div class="plot"><svg width="{svg_width}" height="{svg_height}">'
        f"{''.join(canvas.grid)}{''.join(canvas.parts)}</svg></div>"
    )
    body.append('<h2 style="font-size:15px">Details</h2><pre id="details">Click an event.</pre>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(body)
        + f"<script>{_SCRIPT}</script></body></html>\n"
    )
