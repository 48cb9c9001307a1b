"""Tables as CSV a spreadsheet opens safely: UTF-8 with a byte-order mark, ISO dates, no formulas.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return would be run as a formula by Excel or LibreOffice (a
``=HYPERLINK(...)`` in an action's text can send the sheet's contents
elsewhere); every text cell goes through
:func:`cspr.engine.text.spreadsheet_cell`, which makes it plain text (the OWASP
CSV injection guidance). Numbers and flags are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from cspr.engine.text import spreadsheet_cell


def cell(value: Any) -> Any:
    """One value as a spreadsheet cell: lists joined with commas, None empty, flags 0/1, text made safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        value = ",".join(map(str, value))
    return spreadsheet_cell(str(value))


def csv_text(rows: Sequence[dict[str, Any]]) -> str:
    """Rows (dicts with the same keys) as CSV text for a spreadsheet; empty rows give just the mark."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=[spreadsheet_cell(str(k)) for k in rows[0]], lineterminator="\r\n",
                                quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for row in rows:
            writer.writerow({spreadsheet_cell(str(k)): cell(v) for k, v in row.items()})
    return "\ufeff" + buffer.getvalue()  # the byte-order mark tells Excel the file is UTF-8
