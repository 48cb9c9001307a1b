"""A case's dates as an SVG timeline: events on a month axis, one lane per deadline, today."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from cspr.engine.runtime.deadlines import DeadlineStatus as S

from .svgtext import (
    MONTHS,
    _num,
    _prefix,
    _svg_open,
    _text,
    esc,
    text_width,
    truncate,
    wrap,
)

TL_WIDTH = 820.0
TL_LABEL_W = 200.0
TL_STATUS_W = 84.0
TL_LANE = 32.0
TL_EVENT_FONT = 11.5
TL_LEVEL = 15.0
TL_MAX_LEVELS = 8
TL_FONT = 12.0
HALO = ' stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
TL_SMALL = 11.5

RED, AMBER, GREEN, ORANGE, BLUE, GREY = "#c62828", "#f0a000", "#2e7d32", "#d84315", "#1f3b73", "#8a8f98"


def day_words(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _diamond(x: float, y: float, fill: str, stroke: str, *, r: float = 6.0, dash: str = "", width: float = 1.5) -> str:
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<path d="M{_num(x)},{_num(y - r)} L{_num(x + r)},{_num(y)} L{_num(x)},{_num(y + r)}'
            f' L{_num(x - r)},{_num(y)} z" fill="{fill}" stroke="{stroke}" stroke-width="{_num(width)}"{dashes}/>')


def _square(x: float, y: float, fill: str, r: float = 4.5) -> str:
    return (f'<rect x="{_num(x - r)}" y="{_num(y - r)}" width="{_num(2 * r)}" height="{_num(2 * r)}" fill="{fill}"'
            f' stroke="#000" stroke-width="1"/>')


def _circle(x: float, y: float, fill: str, r: float = 5.0) -> str:
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}" fill="{fill}" stroke="#000" stroke-width="1"/>'


def _due_marker(status: S, x: float, y: float) -> str:
    if status is S.OVERDUE:
        return _diamond(x, y, RED, "#000", width=1.5)
    if status is S.DUE_SOON:
        return _diamond(x, y, AMBER, "#000", width=1.5)
    if status is S.NOT_STARTED:
        return _diamond(x, y, "#fff", GREY, dash="2 1.5")
    if status is S.NOT_APPLICABLE:
        return _diamond(x, y, "#eee", "#bbb", width=1)
    if status in (S.MET, S.MET_EXTENDED, S.MET_LATE):
        return _diamond(x, y, "#fff", "#555", width=1.3)
    return _diamond(x, y, "#fff", BLUE, width=1.8)


def _statutory_marker(x: float, y: float) -> str:
    """The statutory date of an extended deadline: a small grey diamond with a dashed outline."""
    return _diamond(x, y, "#fff", GREY, r=4.5, dash="2 1.5", width=1.3)


def timeline_svg(start: dt.date, end: dt.date, today: dt.date, events: list[tuple[dt.date, str]],
                 deadlines: list[dict[str, Any]], *, id_prefix: str | None = None) -> str:
    """A case's dates: events on an axis from ``start`` to ``end``, a lane per deadline, today."""
    if end < start:
        start, end = end, start
    span = max((end - start).days, 1)
    x0, x1 = TL_LABEL_W + 12, TL_WIDTH - TL_STATUS_W - 14
    pid = _prefix(id_prefix, "timeline", start.isoformat(), end.isoformat(), today.isoformat(),
                  repr(sorted((d.isoformat(), str(t)) for d, t in events)),
                  repr([(str(x.get("title")), str(x.get("due")), str(x.get("met_on")), str(x.get("status")))
                        for x in deadlines]))

    def X(day: dt.date) -> float:
        offset = min(max((day - start).days, 0), span)
        return x0 + (x1 - x0) * offset / span

    shown = [x for x in deadlines if x.get("due") is not None]
    hidden = len(deadlines) - len(shown)

    # Event labels: levels above the axis, placed latest first so that earlier
    # labels climb over later ones and no leader line crosses a label.
    placed: list[tuple[float, int, str, str, dt.date, str]] = []  # x, level, text, anchor, date, full
    labels: list[list[tuple[float, float]]] = [[] for _ in range(TL_MAX_LEVELS)]
    leaders: list[list[float]] = [[] for _ in range(TL_MAX_LEVELS)]
    for day, label in sorted(events, key=lambda ev: ev[0], reverse=True):
        x = X(day)
        text = truncate(label, 220, TL_EVENT_FONT)
        if day < start:
            text = "\u2190 " + text
        elif day > end:
            text += " \u2192"
        w = text_width(text, TL_EVENT_FONT)
        if x + w + 4 <= TL_WIDTH - 6:
            lo, hi, anchor = x + 2, x + 2 + w, "start"
        else:
            lo, hi, anchor = x - 2 - w, x - 2, "end"

        level = min(range(TL_MAX_LEVELS), key=lambda k: (_clashes(labels, leaders, k, lo, hi, x), k))
        labels[level].append((lo, hi))
        for k in range(level):
            leaders[k].append(x)
        placed.append((x, level, text, anchor, day, label))
    levels = max((p[1] for p in placed), default=-1) + 1

    in_range = start <= today <= end
    y = 8.0
    today_label_y = y + 10
    y += 18
    events_top = y
    axis_y = events_top + max(levels, 1) * TL_LEVEL + 10
    ticks_y = axis_y + 16
    lanes_top = axis_y + 30
    lanes_bottom = lanes_top + len(shown) * TL_LANE
    note_y = lanes_bottom + (16 if hidden else 0)
    legend_y = note_y + 10
    legend, legend_h = _timeline_legend(legend_y)
    height = legend_y + legend_h + 8

    out = _svg_open(pid, TL_WIDTH, height, f"Timeline from {day_words(start)} to {day_words(end)}")
    out.append(f'<rect x="0" y="0" width="{_num(TL_WIDTH)}" height="{_num(height)}" fill="#fff"/>')

    # Lanes: background stripes and titles first.
    for k in range(len(shown)):
        top = lanes_top + k * TL_LANE
        if k % 2 == 0:
            out.append(f'<rect x="4" y="{_num(top)}" width="{_num(TL_WIDTH - 8)}" height="{_num(TL_LANE)}"'
                       f' fill="#f1f3f6"/>')

    # Axis and ticks.
    out.append(f'<line class="cspr-axis" x1="{_num(x0)}" y1="{_num(axis_y)}" x2="{_num(x1)}" y2="{_num(axis_y)}"'
               f' stroke="#222" stroke-width="1.5"/>')
    for day, label, major in _ticks(start, end, x1 - x0):
        x = X(day)
        out.append(f'<line class="cspr-tick" x1="{_num(x)}" y1="{_num(axis_y - (5 if major else 3))}" x2="{_num(x)}"'
                   f' y2="{_num(axis_y + (5 if major else 3))}" stroke="#222" stroke-width="1"/>')
        if major and shown:
            out.append(f'<line x1="{_num(x)}" y1="{_num(lanes_top)}" x2="{_num(x)}" y2="{_num(lanes_bottom)}"'
                       f' stroke="#d0d4da" stroke-width="0.8"/>')
        if label:
            out.append(_text(x, ticks_y, label, TL_SMALL, anchor="middle", fill="#333", extra=HALO))

    # Today.
    if in_range:
        tx = X(today)
        anchor = "end" if tx > TL_WIDTH - 120 else ("start" if tx < 120 else "middle")
        out.append(f'<g class="cspr-today"><line class="cspr-today-line" x1="{_num(tx)}" y1="{_num(events_top - 4)}"'
                   f' x2="{_num(tx)}"'
                   f' y2="{_num(lanes_bottom + 2)}" stroke="#000" stroke-width="1.6" stroke-dasharray="5 3"/>'
                   + _text(tx, today_label_y, f"Today {day_words(today)}", TL_FONT, anchor=anchor, weight="bold")
                   + "</g>")

    # Events.
    for x, level, text, anchor, day, label in placed:
        ly = axis_y - 12 - level * TL_LEVEL
        out.append(f'<g class="cspr-event"><title>{esc(day_words(day))}: {esc(label)}</title>')
        out.append(f'<line x1="{_num(x)}" y1="{_num(axis_y - 4)}" x2="{_num(x)}" y2="{_num(ly + 3)}" stroke="#888"'
                   f' stroke-width="0.8"/>')
        out.append(f'<circle class="cspr-event-dot" cx="{_num(x)}" cy="{_num(axis_y)}" r="4" fill="#222" stroke="#fff"'
                   f' stroke-width="1"/>')
        out.append(_text(x + (2 if anchor == "start" else -2), ly, text, TL_EVENT_FONT, anchor=anchor, fill="#222",
                         extra=HALO))
        out.append("</g>")

    # Deadlines.
    for k, deadline in enumerate(shown):
        cy = lanes_top + k * TL_LANE + TL_LANE / 2
        status = S(deadline.get("status") or S.UPCOMING)
        title = str(deadline.get("title") or "")
        due: dt.date = deadline["due"]
        met_on: dt.date | None = deadline.get("met_on")
        statutory: dt.date | None = deadline.get("statutory_due")
        faded = status is S.NOT_APPLICABLE
        out.append(f'<g class="cspr-deadline" data-status="{esc(status.value)}">')
        tip = f"{title}: due {day_words(due)}" + (
            f" (extended by {deadline.get('extended_by') or 'agreement'} from the statutory date {day_words(statutory)})"
            if statutory else "") + (f", met {day_words(met_on)}" if met_on else "") + f" ({status.heading})"
        out.append(f"<title>{esc(tip)}</title>")
        lines = wrap(title, TL_LABEL_W - 16, TL_FONT)
        if len(lines) > 2:
            lines = [lines[0], truncate(" ".join(lines[1:]), TL_LABEL_W - 16, TL_FONT)]
        first = cy + 4 - (len(lines) - 1) * TL_FONT * 1.1 / 2
        ink = "#888" if faded else "#111"
        out.append(f'<text class="cspr-deadline-title" x="12" font-size="{_num(TL_FONT)}" fill="{ink}">')
        for n, line in enumerate(lines):
            out.append(f'<tspan x="12" y="{_num(first + n * TL_FONT * 1.1)}">{esc(line)}</tspan>')
        out.append("</text>")
        xd = X(due)
        if statutory is not None:  # extended: the statutory date stays visible, joined to the agreed one
            xs = X(statutory)
            out.append(f'<g class="cspr-statutory"><line x1="{_num(xs)}" y1="{_num(cy)}" x2="{_num(xd)}" y2="{_num(cy)}"'
                       f' stroke="{GREY}" stroke-width="1.3" stroke-dasharray="2 2"/>{_statutory_marker(xs, cy)}</g>')
        if status is S.OVERDUE:
            xt = X(today)
            out.append(f'<line class="cspr-overdue-line" x1="{_num(xd)}" y1="{_num(cy)}" x2="{_num(xt)}"'
                       f' y2="{_num(cy)}" stroke="{RED}" stroke-width="3" stroke-dasharray="6 3"/>')
            out.append(f'<line x1="{_num(xt)}" y1="{_num(cy - 6)}" x2="{_num(xt)}" y2="{_num(cy + 6)}" stroke="{RED}"'
                       f' stroke-width="2"/>')
        elif status is S.DUE_SOON and today <= due:
            out.append(f'<line x1="{_num(X(today))}" y1="{_num(cy)}" x2="{_num(xd)}" y2="{_num(cy)}"'
                       f' stroke="{AMBER}" stroke-width="2.5" stroke-dasharray="1.5 2.5"/>')
        if met_on is not None and status in (S.MET, S.MET_EXTENDED, S.MET_LATE):
            xm = X(met_on)
            if status is S.MET_LATE:
                out.append(f'<line class="cspr-late-line" x1="{_num(xd)}" y1="{_num(cy)}" x2="{_num(xm)}"'
                           f' y2="{_num(cy)}" stroke="{ORANGE}" stroke-width="3"/>')
            else:
                out.append(f'<line x1="{_num(xm)}" y1="{_num(cy)}" x2="{_num(xd)}" y2="{_num(cy)}" stroke="#9aa0a8"'
                           f' stroke-width="1"/>')
        out.append(f'<g class="cspr-due">{_due_marker(status, xd, cy)}</g>')
        if met_on is not None and status in (S.MET, S.MET_EXTENDED, S.MET_LATE):
            xm = X(met_on)
            mark = _square(xm, cy, ORANGE) if status is S.MET_LATE else _circle(xm, cy, GREEN)
            out.append(f'<g class="cspr-met">{mark}</g>')
        out.append(_text(TL_WIDTH - TL_STATUS_W, cy + 4, status.heading, TL_FONT, weight="bold" if status in
                         (S.OVERDUE, S.DUE_SOON, S.MET_LATE) else None, fill="#888" if faded else "#111"))
        out.append("</g>")

    if hidden:
        words = "1 deadline has" if hidden == 1 else f"{hidden} deadlines have"
        out.append(_text(12, note_y, f"{words} no due date yet and {'is' if hidden == 1 else 'are'} not shown.",
                         TL_SMALL, fill="#444"))
    if not shown and not placed:
        out.append(_text((x0 + x1) / 2, axis_y - 14, "No events or deadlines to show yet.", TL_FONT, anchor="middle",
                         fill="#444"))
    out.append(legend)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _clashes(labels: list[list[tuple[float, float]]], leaders: list[list[float]], level: int, lo: float, hi: float,
             x: float) -> int:
    """How badly a label over [lo, hi] at ``level``, led from ``x``, would clash; text over text counts most."""
    n = 10 * sum(1 for a, b in labels[level] if not (hi + 6 < a or lo - 6 > b))
    n += sum(1 for p in leaders[level] if lo - 1 <= p <= hi + 1)
    n += sum(1 for k in range(level) for a, b in labels[k] if a - 1 <= x <= b + 1)
    return n


def _ticks(start: dt.date, end: dt.date, width: float) -> list[tuple[dt.date, str, bool]]:
    """Month ticks (labelled often enough to stay apart), or day ticks for a short range."""
    span = max((end - start).days, 1)
    months: list[dt.date] = []
    year, month = start.year, start.month
    day = dt.date(year, month, 1)
    while day <= end:
        if day >= start:
            months.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        day = dt.date(year, month, 1)
    per_month = width * 30.4 / span
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if per_month * s >= 48), 120)
    ticks: list[tuple[dt.date, str, bool]] = []
    labelled = 0
    for day in months:
        index = day.year * 12 + day.month - 1
        show = index % step == 0
        label = ""
        if show:
            label = MONTHS[day.month - 1] if step < 12 else str(day.year)
            if step < 12 and (day.month == 1 or labelled == 0):
                label += f" {day.year}"
            labelled += 1
        ticks.append((day, label, bool(label)))
    if len(months) < 2:
        every = 1 if span <= 12 else 7 if span <= 70 else 14
        per_label = width * every / span
        label_every = max(1, math.ceil(44 / per_label))
        day, k = start, 0
        while day <= start + dt.timedelta(days=span):
            label = f"{day.day} {MONTHS[day.month - 1]}" if k % label_every == 0 else ""
            if day not in months:
                ticks.append((day, label, False))
            day += dt.timedelta(days=every)
            k += 1
    return ticks


def _timeline_legend(y: float) -> tuple[str, float]:
    items: list[tuple[Callable[[float, float], str], str]] = [
        (lambda x, cy: _diamond(x + 8, cy, "#fff", BLUE, width=1.8), f"Due date ({S.UPCOMING.label})"),
        (lambda x, cy: f'<line x1="{_num(x - 6)}" y1="{_num(cy)}" x2="{_num(x + 8)}" y2="{_num(cy)}" stroke="{AMBER}"'
         f' stroke-width="2.5" stroke-dasharray="1.5 2.5"/>' + _diamond(x + 8, cy, AMBER, "#000"),
         f"{S.DUE_SOON.heading} (dotted: today to due)"),
        (lambda x, cy: _diamond(x, cy, RED, "#000") + f'<line x1="{_num(x)}" y1="{_num(cy)}" x2="{_num(x + 22)}"'
         f' y2="{_num(cy)}" stroke="{RED}" stroke-width="3" stroke-dasharray="6 3"/>',
         f"{S.OVERDUE.heading} (dashed: due to today)"),
        (lambda x, cy: _circle(x + 8, cy, GREEN), S.MET.heading),
        (lambda x, cy: f'<line x1="{_num(x)}" y1="{_num(cy)}" x2="{_num(x + 20)}" y2="{_num(cy)}" stroke="{ORANGE}"'
         f' stroke-width="3"/>' + _diamond(x, cy, "#fff", "#555", width=1.3) + _square(x + 20, cy, ORANGE),
         f"{S.MET_LATE.heading} (solid: due to met)"),
        (lambda x, cy: _diamond(x + 8, cy, "#fff", GREY, dash="2 1.5"), S.NOT_STARTED.heading),
        (lambda x, cy: _statutory_marker(x, cy) + f'<line x1="{_num(x)}" y1="{_num(cy)}" x2="{_num(x + 20)}"'
         f' y2="{_num(cy)}" stroke="{GREY}" stroke-width="1.3" stroke-dasharray="2 2"/>'
         + _diamond(x + 20, cy, "#fff", BLUE, width=1.8), "Extended (statutory date to the agreed one)"),
        (lambda x, cy: f'<circle cx="{_num(x + 8)}" cy="{_num(cy)}" r="4" fill="#222"/>', "Event"),
        (lambda x, cy: f'<line x1="{_num(x + 8)}" y1="{_num(cy - 8)}" x2="{_num(x + 8)}" y2="{_num(cy + 8)}"'
         f' stroke="#000" stroke-width="1.6" stroke-dasharray="5 3"/>', "Today"),
    ]
    parts = ['<g class="cspr-legend">']
    x, line = 12.0, 0
    for glyph, label in items:
        w = 34 + text_width(label, TL_SMALL) + 14
        if x + w > TL_WIDTH - 8:
            x, line = 12.0, line + 1
        cy = y + 10 + line * 21
        parts.append(glyph(x + 4, cy))
        parts.append(_text(x + 34, cy + 4, label, TL_SMALL, fill="#222"))
        x += w
    parts.append("</g>")
    return "".join(parts), (line + 1) * 21 + 4
