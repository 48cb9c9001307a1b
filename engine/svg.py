"""The process and a case's dates as inline SVG, for a printable report.

Pure functions from values to SVG text; no I/O, standard library only. The SVG
is self-contained: generic font families, no images, scripts or links. Its
only references are to its own arrowhead markers (``url(#...)``), and every id
starts with ``cspr-`` plus a prefix (given, or a hash of the content) so that
several diagrams can share one HTML page. Every piece of text is escaped:
titles come from user-editable YAML.

``process_svg`` draws the definition: one column per stage, in definition
order, each state a rounded box, transitions as orthogonal arrows routed
through the gaps between columns and rows so they never cross a box.
``timeline_svg`` draws a case's dates: events on a month axis, one lane per
deadline, a "today" line and a legend. Both use ``width="100%"`` and a
viewBox sized to the content, so they scale to the page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .model import Definition

FONT = "Helvetica, Arial, sans-serif"
CHAR_WIDTH = 0.55  # estimated glyph width, as a fraction of the font size
BOLD_CAPS_WIDTH = 0.72  # the same for bold capitals (badges)
PX_PER_UNIT = 0.83  # the largest scale on screen: about 180 mm of A4 for an 820-unit drawing
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# --- text helpers ------------------------------------------------------------


def esc(text: Any) -> str:
    """Text made safe for XML content and for attribute values in either quote."""
    text = _NOT_XML.sub("", str(text))
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def text_width(text: str, size: float) -> float:
    return len(text) * CHAR_WIDTH * size


def _chars(width: float, size: float) -> int:
    return max(1, int(width // (CHAR_WIDTH * size)))


def wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy word wrap to ``width`` units at font ``size``; over-long words are cut."""
    limit = _chars(width, size)
    lines: list[str] = []
    line = ""
    for word in str(text).split():
        while len(word) > limit:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:limit])
            word = word[limit:]
        if not word:
            continue
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= limit:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines or [""]


def truncate(text: str, width: float, size: float) -> str:
    """One line of at most ``width`` units, ending in an ellipsis if cut."""
    limit = _chars(width, size)
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    return text[: max(1, limit - 1)].rstrip() + "\u2026"


def _prefix(given: str | None, *parts: str) -> str:
    if given:
        clean = re.sub(r"[^A-Za-z0-9_-]", "-", given)
        return clean if clean.startswith("cspr-") else "cspr-" + clean
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:10]
    return "cspr-" + digest


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text.removesuffix(".0")


def _text(x: float, y: float, text: str, size: float, *, anchor: str = "start", weight: str | None = None,
          fill: str = "#111", extra: str = "") -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" text-anchor="{anchor}"'
            f' fill="{fill}"{bold}{extra}>{esc(text)}</text>')


def _svg_open(pid: str, width: float, height: float, title: str) -> list[str]:
    # width="100%" fills the page; max-width stops a small diagram from being
    # blown up, so text comes out the same size in every diagram that fits.
    return [
        (f'<svg xmlns="http://www.w3.org/2000/svg" id="{pid}" viewBox="0 0 {_num(width)} {_num(height)}"'
         f' width="100%" style="max-width:{_num(round(width * PX_PER_UNIT))}px;height:auto" role="img"'
         f' aria-labelledby="{pid}-title" font-family="{FONT}">'),
        f'<title id="{pid}-title">{esc(title)}</title>',
    ]


def _rounded_path(points: list[tuple[float, float]], radius: float = 5.0) -> str:
    """An orthogonal polyline with its corners rounded."""
    pts = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    out = [f"M{_num(pts[0][0])},{_num(pts[0][1])}"]
    for i in range(1, len(pts) - 1):
        (ax, ay), (bx, by), (cx, cy) = pts[i - 1], pts[i], pts[i + 1]
        r = min(radius, math.hypot(bx - ax, by - ay) / 2, math.hypot(cx - bx, cy - by) / 2)
        if r <= 0.5 or (ax == bx == cx) or (ay == by == cy):
            out.append(f"L{_num(bx)},{_num(by)}")
            continue

        def toward(px: float, py: float, qx: float, qy: float, dist: float) -> tuple[float, float]:
            length = math.hypot(qx - px, qy - py) or 1.0
            return px + (qx - px) * dist / length, py + (qy - py) * dist / length

        p1 = toward(bx, by, ax, ay, r)
        p2 = toward(bx, by, cx, cy, r)
        out.append(f"L{_num(p1[0])},{_num(p1[1])}Q{_num(bx)},{_num(by)} {_num(p2[0])},{_num(p2[1])}")
    out.append(f"L{_num(pts[-1][0])},{_num(pts[-1][1])}")
    return "".join(out)


# --- the process diagram -----------------------------------------------------

STATE_FONT = 13.5
STATE_LINE = 16.5
HEAD_FONT = 13.5
HEAD_LINE = 16.5
BADGE_FONT = 10.0
COL_W = 138.0
BOX_PAD = 7.0
BADGE_ROOM = 16.0
LANE = 7.0
GUTTER_PAD = 13.0
MIN_GUTTER = 30.0
TRACK = 7.0
MIN_CORRIDOR = 26.0
CORRIDOR_PAD = 8.0
MARGIN = 8.0
EDGE_COLOURS = ("#1f3b73", "#7a1f5c", "#0b5345", "#7b3f00", "#303030", "#4a2c8a")
HIGHLIGHT_FILL = "#ffb000"
LEGEND_MIN_WIDTH = 300.0  # the widest legend entry, with room to spare


@dataclass
class _Edge:
    event: str
    title: str
    source: str
    target: str
    colour: str
    kind: str = ""  # down, forward, back, same, long_forward, long_back
    points: list[tuple[float, float]] = field(default_factory=list)


def process_svg(definition: Definition, highlight: str | None = None, *, id_prefix: str | None = None) -> str:
    """The process as an SVG diagram; ``highlight`` names a case's current state."""
    d = definition
    pid = _prefix(id_prefix, "process", d.content_hash, highlight or "")
    stages = list(d.stages.values())
    columns = [[s for s in d.states.values() if s.stage == stage.id] for stage in stages]
    col = {s.id: c for c, states in enumerate(columns) for s in states}
    ncol = len(columns)

    edges: list[_Edge] = []
    for number, event in enumerate(d.events.values()):
        for source in event.sources:
            if source in col and event.target in col:
                edges.append(_Edge(event.id, event.title, source, event.target,
                                   EDGE_COLOURS[number % len(EDGE_COLOURS)]))

    # Rows: definition order, except that a column with no transitions inside it
    # (typically the end states) is ordered by where its arrows come from.
    row: dict[str, int] = {}
    for c, states in enumerate(columns):
        ids = {s.id for s in states}
        if c > 0 and not any(e.source in ids and e.target in ids for e in edges):
            def key(item: tuple[int, Any]) -> tuple[float, int]:
                index, state = item
                rows = [row[e.source] for e in edges if e.target == state.id and e.source in row]
                return (sum(rows) / len(rows) if rows else math.inf, index)
            columns[c] = states = [s for _, s in sorted(enumerate(states), key=key)]
        for r, state in enumerate(states):
            row[state.id] = r
    nrow = max((len(states) for states in columns), default=0)

    # Box text and row heights.
    text_w = COL_W - 2 * BOX_PAD
    lines = {s.id: wrap(s.title, text_w, STATE_FONT) for s in d.states.values() if s.id in col}
    marked = {s.id for s in d.states.values() if s.initial or s.id == highlight}

    def box_height(sid: str) -> float:
        return len(lines[sid]) * STATE_LINE + 2 * BOX_PAD + 2 + (BADGE_ROOM if sid in marked else 0)

    row_h = [max([box_height(s.id) for states in columns for s in states if row[s.id] == r] + [40.0])
             for r in range(nrow)]
    heads = [wrap(f"{n}. {stage.title}", COL_W - 10, HEAD_FONT) for n, stage in enumerate(stages, 1)]
    head_h = max([len(h) for h in heads] + [1]) * HEAD_LINE + 10

    # Classify each edge and decide which corridor (gap above row k) a long one uses.
    pair_seen: set[tuple[str, str]] = set()
    corridor_use: list[tuple[_Edge, int, int, int]] = []  # edge, corridor, gutter from, gutter to
    for e in edges:
        cs, ct, rs, rt = col[e.source], col[e.target], row[e.source], row[e.target]
        if cs == ct:
            if rt == rs + 1 and (e.source, e.target) not in pair_seen:
                e.kind = "down"
                pair_seen.add((e.source, e.target))
            else:
                e.kind = "same"
        elif ct == cs + 1:
            e.kind = "forward"
        elif ct == cs - 1:
            e.kind = "back"
        else:
            corridor = rt if rs <= rt else rt + 1
            if ct > cs:
                e.kind = "long_forward"
                corridor_use.append((e, corridor, cs + 1, ct))
            else:
                e.kind = "long_back"
                corridor_use.append((e, corridor, ct + 1, cs))

    # Tracks in each corridor: overlapping horizontal runs get different tracks.
    track_of: dict[int, int] = {}
    tracks: dict[int, list[list[tuple[int, int]]]] = {}
    for e, corridor, g1, g2 in sorted(corridor_use, key=lambda u: (u[1], u[2], u[3])):
        lanes = tracks.setdefault(corridor, [])
        for k, used in enumerate(lanes):
            if all(g2 < a or g1 > b for a, b in used):
                used.append((g1, g2))
                track_of[id(e)] = k
                break
        else:
            lanes.append([(g1, g2)])
            track_of[id(e)] = len(lanes) - 1
    corridor_h = [max(MIN_CORRIDOR, len(tracks.get(k, [])) * TRACK + 2 * CORRIDOR_PAD) for k in range(nrow + 1)]

    # Vertical layout.
    top = MARGIN
    head_y = top
    y = top + head_h
    corridor_y: list[float] = []
    row_y: list[float] = []
    for r in range(nrow):
        corridor_y.append(y)
        y += corridor_h[r]
        row_y.append(y)
        y += row_h[r]
    corridor_y.append(y)
    y += corridor_h[nrow] if nrow else 0
    body_bottom = y

    def track_y(e: _Edge, corridor: int) -> float:
        n = len(tracks[corridor])
        start = corridor_y[corridor] + (corridor_h[corridor] - (n - 1) * TRACK) / 2
        return start + track_of[id(e)] * TRACK

    # Ports: where each edge leaves or meets a box side, spread along that side.
    ports: dict[tuple[str, str], list[tuple[float, int, _Edge, str]]] = {}

    def add_port(state: str, side: str, e: _Edge, end: str, other: str) -> None:
        ports.setdefault((state, side), []).append((row[other] + col[other] * 0.01, len(ports), e, end))

    for e in edges:
        if e.kind == "down":
            continue
        if e.kind in ("forward", "long_forward"):
            add_port(e.source, "right", e, "source", e.target)
            add_port(e.target, "left", e, "target", e.source)
        elif e.kind in ("back", "long_back"):
            add_port(e.source, "left", e, "source", e.target)
            add_port(e.target, "right", e, "target", e.source)
        else:
            add_port(e.source, "right", e, "source", e.target)
            add_port(e.target, "right", e, "target", e.source)
    port_y: dict[tuple[int, str], float] = {}
    for (state, _side), entries in ports.items():
        y0 = row_y[row[state]] + (BADGE_ROOM if state in marked else 0)
        h = row_y[row[state]] + row_h[row[state]] - y0
        entries.sort(key=lambda t: (t[0], t[1]))
        for k, (_, _, e, end) in enumerate(entries):
            port_y[(id(e), end)] = y0 + h * (k + 1) / (len(entries) + 1)

    # Vertical segments in the gutters (gutter g is left of column g), then lanes.
    verticals: dict[int, list[tuple[float, float, _Edge, str]]] = {}

    def add_vertical(gutter: int, y1: float, y2: float, e: _Edge, which: str) -> None:
        verticals.setdefault(gutter, []).append((min(y1, y2), max(y1, y2), e, which))

    for e in edges:
        cs, ct = col[e.source], col[e.target]
        ys, yt = port_y.get((id(e), "source"), 0.0), port_y.get((id(e), "target"), 0.0)
        if e.kind in ("forward", "same"):
            add_vertical(cs + 1, ys, yt, e, "only")
        elif e.kind == "back":
            add_vertical(cs, ys, yt, e, "only")
        elif e.kind in ("long_forward", "long_back"):
            corridor = next(u[1] for u in corridor_use if u[0] is e)
            ty = track_y(e, corridor)
            out_g, in_g = (cs + 1, ct) if e.kind == "long_forward" else (cs, ct + 1)
            add_vertical(out_g, ys, ty, e, "out")
            add_vertical(in_g, ty, yt, e, "in")
    lane_of: dict[tuple[int, str], int] = {}
    lane_count: dict[int, int] = {}
    for gutter, segments in verticals.items():
        ends: list[float] = []
        for y1, y2, e, which in sorted(segments, key=lambda s: (s[0], s[1])):
            for k, last in enumerate(ends):
                if y1 > last + 6:
                    ends[k] = y2
                    lane_of[(id(e), which)] = k
                    break
            else:
                ends.append(y2)
                lane_of[(id(e), which)] = len(ends) - 1
        lane_count[gutter] = len(ends)

    # Horizontal layout.
    gutter_w = [max(MIN_GUTTER, 2 * GUTTER_PAD + (lane_count.get(g, 0) - 1) * LANE) for g in range(ncol + 1)]
    gutter_x: list[float] = []
    col_x: list[float] = []
    natural = 2 * MARGIN + sum(gutter_w) + ncol * COL_W
    x = MARGIN + max(0.0, (LEGEND_MIN_WIDTH - natural) / 2)
    for g in range(ncol + 1):
        gutter_x.append(x)
        x += gutter_w[g]
        if g < ncol:
            col_x.append(x)
            x += COL_W
    width = max(x + MARGIN, LEGEND_MIN_WIDTH)

    def lane_x(gutter: int, e: _Edge, which: str) -> float:
        n = lane_count[gutter]
        start = gutter_x[gutter] + (gutter_w[gutter] - (n - 1) * LANE) / 2
        return start + lane_of[(id(e), which)] * LANE

    def box(state: str) -> tuple[float, float, float, float]:
        return col_x[col[state]], row_y[row[state]], COL_W, row_h[row[state]]

    for e in edges:
        sx, sy, sw, sh = box(e.source)
        tx, ty, tw, _ = box(e.target)
        cs, ct = col[e.source], col[e.target]
        ys, yt = port_y.get((id(e), "source"), 0.0), port_y.get((id(e), "target"), 0.0)
        if e.kind == "down":
            e.points = [(sx + sw / 2, sy + sh), (tx + tw / 2, ty)]
        elif e.kind == "forward":
            lx = lane_x(cs + 1, e, "only")
            e.points = [(sx + sw, ys), (lx, ys), (lx, yt), (tx, yt)]
        elif e.kind == "same":
            lx = lane_x(cs + 1, e, "only")
            e.points = [(sx + sw, ys), (lx, ys), (lx, yt), (tx + tw, yt)]
        elif e.kind == "back":
            lx = lane_x(cs, e, "only")
            e.points = [(sx, ys), (lx, ys), (lx, yt), (tx + tw, yt)]
        else:
            corridor = next(u[1] for u in corridor_use if u[0] is e)
            cy = track_y(e, corridor)
            if e.kind == "long_forward":
                x1, x2 = lane_x(cs + 1, e, "out"), lane_x(ct, e, "in")
                e.points = [(sx + sw, ys), (x1, ys), (x1, cy), (x2, cy), (x2, yt), (tx, yt)]
            else:
                x1, x2 = lane_x(cs, e, "out"), lane_x(ct + 1, e, "in")
                e.points = [(sx, ys), (x1, ys), (x1, cy), (x2, cy), (x2, yt), (tx + tw, yt)]

    # Legend under the diagram.
    legend_y = body_bottom + 6
    legend, legend_h = _process_legend(MARGIN + 4, legend_y, width - MARGIN)
    height = legend_y + legend_h + MARGIN

    out = _svg_open(pid, width, height, f"{d.title} ({d.label}): process diagram")
    colours = sorted({e.colour for e in edges})
    out.append("<defs>")
    for k, colour in enumerate(colours):
        out.append(f'<marker id="{pid}-arrow-{k}" viewBox="0 0 10 10" refX="9.5" refY="5" markerWidth="9"'
                   f' markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">'
                   f'<path d="M0,0.5 L10,5 L0,9.5 z" fill="{colour}"/></marker>')
    out.append("</defs>")
    out.append(f'<rect x="0" y="0" width="{_num(width)}" height="{_num(height)}" fill="#fff"/>')

    # Stage columns and headers.
    for c, stage in enumerate(stages):
        cx = col_x[c]
        out.append(f'<g class="cspr-stage" data-stage="{esc(stage.id)}">')
        out.append(f'<rect x="{_num(cx - 6)}" y="{_num(head_y)}" width="{_num(COL_W + 12)}"'
                   f' height="{_num(body_bottom - head_y)}" rx="6" fill="#f3f4f6" stroke="#d5d8de"/>')
        out.append(f'<rect x="{_num(cx - 6)}" y="{_num(head_y)}" width="{_num(COL_W + 12)}"'
                   f' height="{_num(head_h)}" rx="6" fill="#d9dde4"/>')
        out.append(f'<text x="{_num(cx + COL_W / 2)}" font-size="{_num(HEAD_FONT)}" font-weight="bold"'
                   f' text-anchor="middle" fill="#111">')
        first = head_y + (head_h - len(heads[c]) * HEAD_LINE) / 2 + HEAD_FONT * 0.85
        for k, line in enumerate(heads[c]):
            out.append(f'<tspan x="{_num(cx + COL_W / 2)}" y="{_num(first + k * HEAD_LINE)}">{esc(line)}</tspan>')
        out.append("</text></g>")

    # State boxes.
    for state in d.states.values():
        if state.id not in col:
            continue
        bx, by, bw, bh = box(state.id)
        current = state.id == highlight
        classes = "cspr-state" + (" cspr-initial" if state.initial else "") + (" cspr-final" if state.final else "") \
            + (" cspr-current" if current else "")
        out.append(f'<g class="{classes}" data-state="{esc(state.id)}">')
        marks = [word for word, on in (("start", state.initial), ("end", state.final), ("current", current)) if on]
        out.append(f"<title>{esc(state.title)}" + (f" ({', '.join(marks)})" if marks else "") + "</title>")
        fill = HIGHLIGHT_FILL if current else "#fff"
        stroke_w = 3.5 if current else (2.4 if state.initial else 1.3)
        stroke = "#000" if current or state.initial else "#444"
        out.append(f'<rect x="{_num(bx)}" y="{_num(by)}" width="{_num(bw)}" height="{_num(bh)}" rx="9"'
                   f' fill="{fill}" stroke="{stroke}" stroke-width="{_num(stroke_w)}"/>')
        if state.final:
            inset = 4.0 if current else 3.5
            out.append(f'<rect x="{_num(bx + inset)}" y="{_num(by + inset)}" width="{_num(bw - 2 * inset)}"'
                       f' height="{_num(bh - 2 * inset)}" rx="6" fill="none" stroke="{stroke}" stroke-width="1.2"/>')
        if state.initial:
            out.append(_badge(bx + 6, by + 5, "START", "#444"))
        if current:
            label_w = _badge_width("CURRENT")
            out.append(_badge(bx + bw - 6 - label_w, by + 5, "CURRENT", "#000", cls="cspr-current-label"))
        text_top = by + (BADGE_ROOM if state.id in marked else 0)
        text_h = bh - (BADGE_ROOM if state.id in marked else 0)
        first = text_top + (text_h - len(lines[state.id]) * STATE_LINE) / 2 + STATE_FONT * 0.85
        weight = ' font-weight="bold"' if current else ""
        out.append(f'<text class="cspr-state-title" x="{_num(bx + bw / 2)}" font-size="{_num(STATE_FONT)}"'
                   f' text-anchor="middle" fill="#111"{weight}>')
        for k, line in enumerate(lines[state.id]):
            out.append(f'<tspan x="{_num(bx + bw / 2)}" y="{_num(first + k * STATE_LINE)}">{esc(line)}</tspan>')
        out.append("</text></g>")

    # Transitions: a white halo under each so crossings stay readable.
    for e in edges:
        path = _rounded_path(e.points)
        marker = f"url(#{pid}-arrow-{colours.index(e.colour)})"
        out.append(f'<g class="cspr-transition" data-event="{esc(e.event)}" data-source="{esc(e.source)}"'
                   f' data-target="{esc(e.target)}">')
        out.append(f"<title>{esc(e.title)} ({esc(e.event)}): {esc(d.states[e.source].title)} \u2192"
                   f" {esc(d.states[e.target].title)}</title>")
        out.append(f'<path d="{path}" fill="none" stroke="#fff" stroke-width="4.5" stroke-linejoin="round"/>')
        out.append(f'<path class="cspr-edge" d="{path}" fill="none" stroke="{e.colour}" stroke-width="1.4"'
                   f' stroke-linejoin="round" marker-end="{marker}"/>')
        out.append("</g>")

    out.append(legend)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _badge_width(label: str) -> float:
    return len(label) * BOLD_CAPS_WIDTH * BADGE_FONT + 10


def _badge(x: float, y: float, label: str, fill: str, cls: str = "cspr-badge") -> str:
    w = _badge_width(label)
    return (f'<g class="{cls}"><rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="13" rx="6.5"'
            f' fill="{fill}"/>' + _text(x + w / 2, y + 9.7, label, BADGE_FONT, anchor="middle", weight="bold",
                                        fill="#fff") + "</g>")


def _process_legend(x0: float, y: float, width: float) -> tuple[str, float]:
    """A key to the box styles, flowed onto as many lines as ``width`` needs."""
    size = 12.0
    items = [
        ('<rect x="{x}" y="{y}" width="26" height="16" rx="4" fill="#fff" stroke="#000" stroke-width="2.4"/>',
         "first state (START)"),
        ('<rect x="{x}" y="{y}" width="26" height="16" rx="4" fill="#fff" stroke="#444"/>'
         + '<rect x="{x3}" y="{y3}" width="20" height="10" rx="2" fill="none" stroke="#444"/>',
         "end state (double border)"),
        ('<rect x="{x}" y="{y}" width="26" height="16" rx="4" fill="' + HIGHLIGHT_FILL + '" stroke="#000"'
         + ' stroke-width="3"/>', "where the case is now (CURRENT)"),
        ('<path d="M{x},{ym} h18" stroke="#303030" stroke-width="1.4"/>'
         + '<path d="M{x18},{ym4} l8,4 l-8,4 z" fill="#303030"/>', "an event that moves the case"),
    ]
    parts = ['<g class="cspr-legend">']
    x, line = x0, 0
    for glyph, label in items:
        w = 34 + text_width(label, size) + 22
        if x + w > width and x > x0:
            x, line = x0, line + 1
        top = y + line * 22
        parts.append(glyph.format(x=_num(x), y=_num(top + 4), x3=_num(x + 3), y3=_num(top + 7), ym=_num(top + 12),
                                  x18=_num(x + 18), ym4=_num(top + 8)))
        parts.append(_text(x + 32, top + 16.5, label, size))
        x += w
    parts.append("</g>")
    return "".join(parts), (line + 1) * 22 + 4


# --- the timeline ------------------------------------------------------------

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

STATUS_WORDS = {
    "upcoming": "Upcoming", "due_soon": "Due soon", "overdue": "Overdue", "met": "Met",
    "met_late": "Met late", "not_started": "Not started", "not_applicable": "Not applicable",
}
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


def _due_marker(status: str, x: float, y: float) -> str:
    if status == "overdue":
        return _diamond(x, y, RED, "#000", width=1.5)
    if status == "due_soon":
        return _diamond(x, y, AMBER, "#000", width=1.5)
    if status == "not_started":
        return _diamond(x, y, "#fff", GREY, dash="2 1.5")
    if status == "not_applicable":
        return _diamond(x, y, "#eee", "#bbb", width=1)
    if status in ("met", "met_late"):
        return _diamond(x, y, "#fff", "#555", width=1.3)
    return _diamond(x, y, "#fff", BLUE, width=1.8)


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
    for k, deadline in enumerate(shown):
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
        status = str(deadline.get("status") or "upcoming")
        title = str(deadline.get("title") or "")
        due: dt.date = deadline["due"]
        met_on: dt.date | None = deadline.get("met_on")
        faded = status == "not_applicable"
        out.append(f'<g class="cspr-deadline" data-status="{esc(status)}">')
        tip = f"{title}: due {day_words(due)}" + (f", met {day_words(met_on)}" if met_on else "") \
            + f" ({STATUS_WORDS.get(status, status)})"
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
        if status == "overdue":
            xt = X(today)
            out.append(f'<line class="cspr-overdue-line" x1="{_num(xd)}" y1="{_num(cy)}" x2="{_num(xt)}"'
                       f' y2="{_num(cy)}" stroke="{RED}" stroke-width="3" stroke-dasharray="6 3"/>')
            out.append(f'<line x1="{_num(xt)}" y1="{_num(cy - 6)}" x2="{_num(xt)}" y2="{_num(cy + 6)}" stroke="{RED}"'
                       f' stroke-width="2"/>')
        elif status == "due_soon" and today <= due:
            out.append(f'<line x1="{_num(X(today))}" y1="{_num(cy)}" x2="{_num(xd)}" y2="{_num(cy)}"'
                       f' stroke="{AMBER}" stroke-width="2.5" stroke-dasharray="1.5 2.5"/>')
        if met_on is not None and status in ("met", "met_late"):
            xm = X(met_on)
            if status == "met_late":
                out.append(f'<line class="cspr-late-line" x1="{_num(xd)}" y1="{_num(cy)}" x2="{_num(xm)}"'
                           f' y2="{_num(cy)}" stroke="{ORANGE}" stroke-width="3"/>')
            else:
                out.append(f'<line x1="{_num(xm)}" y1="{_num(cy)}" x2="{_num(xd)}" y2="{_num(cy)}" stroke="#9aa0a8"'
                           f' stroke-width="1"/>')
        out.append(f'<g class="cspr-due">{_due_marker(status, xd, cy)}</g>')
        if met_on is not None and status in ("met", "met_late"):
            xm = X(met_on)
            mark = _square(xm, cy, ORANGE) if status == "met_late" else _circle(xm, cy, GREEN)
            out.append(f'<g class="cspr-met">{mark}</g>')
        word = STATUS_WORDS.get(status, status)
        out.append(_text(TL_WIDTH - TL_STATUS_W, cy + 4, word, TL_FONT, weight="bold" if status in
                         ("overdue", "due_soon", "met_late") else None, fill="#888" if faded else "#111"))
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
    items = [
        (lambda x, cy: _diamond(x + 8, cy, "#fff", BLUE, width=1.8), "Due date (upcoming)"),
        (lambda x, cy: f'<line x1="{_num(x - 6)}" y1="{_num(cy)}" x2="{_num(x + 8)}" y2="{_num(cy)}" stroke="{AMBER}"'
         f' stroke-width="2.5" stroke-dasharray="1.5 2.5"/>' + _diamond(x + 8, cy, AMBER, "#000"),
         "Due soon (dotted: today to due)"),
        (lambda x, cy: _diamond(x, cy, RED, "#000") + f'<line x1="{_num(x)}" y1="{_num(cy)}" x2="{_num(x + 22)}"'
         f' y2="{_num(cy)}" stroke="{RED}" stroke-width="3" stroke-dasharray="6 3"/>',
         "Overdue (dashed: due to today)"),
        (lambda x, cy: _circle(x + 8, cy, GREEN), "Met"),
        (lambda x, cy: f'<line x1="{_num(x)}" y1="{_num(cy)}" x2="{_num(x + 20)}" y2="{_num(cy)}" stroke="{ORANGE}"'
         f' stroke-width="3"/>' + _diamond(x, cy, "#fff", "#555", width=1.3) + _square(x + 20, cy, ORANGE),
         "Met late (solid: due to met)"),
        (lambda x, cy: _diamond(x + 8, cy, "#fff", GREY, dash="2 1.5"), "Not started"),
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
