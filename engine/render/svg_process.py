"""The process as an SVG diagram: stages as columns, states as boxes, transitions as routed arrows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from cspr.engine.definition.model import Definition

from .svgtext import (
    BOLD_CAPS_WIDTH,
    _num,
    _prefix,
    _rounded_path,
    _svg_open,
    _text,
    esc,
    text_width,
    wrap,
)

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
            target = event.target or source  # a step that changes no state: an arrow back to its own state
            if source in col and target in col:
                edges.append(_Edge(event.id, event.title, source, target,
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
    for (port_state, _side), entries in ports.items():
        y0 = row_y[row[port_state]] + (BADGE_ROOM if port_state in marked else 0)
        h = row_y[row[port_state]] + row_h[row[port_state]] - y0
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
