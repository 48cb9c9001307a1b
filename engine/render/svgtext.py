"""Shared pieces of the SVG drawings: escaping, text measuring and wrapping, ids, primitives.

See :mod:`cspr.engine.render.svg` for the drawings themselves.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

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
    clean = _NOT_XML.sub("", str(text))
    return (clean.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
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
