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

from .svg_process import process_svg
from .svg_timeline import timeline_svg
from .svgtext import esc, truncate, wrap

__all__ = ["esc", "process_svg", "timeline_svg", "truncate", "wrap"]
