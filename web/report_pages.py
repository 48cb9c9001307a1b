"""Reports for oversight: timeliness and the caseload overview, with spreadsheet and calendar downloads.

The figures are the engine's (:mod:`cspr.engine.casebook.reports`, the same as
``cspr report timeliness``); the downloads go through the engine's safe
writers (spreadsheet cells that could run as formulas neutralised, calendar
text escaped), as ``cspr export`` and ``cspr deadlines --ics`` write them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from cspr.engine.casebook.book import Casebook

from .case_pages import read
from .pages import respond

SPREADSHEETS = ("cases", "deadlines", "actions", "timeliness")


def reports_page(book: Casebook, by: str | None) -> dict[str, Any]:
    from cspr.engine.casebook.reports import timeliness

    data = timeliness(book, by=by if by in ("month", "quarter", "year") else None)
    return {
        "today": book.today, "by": data["by"], "timeliness": data["rows"],
        "counts": book.store.counts(today=book.today.isoformat()),
        "downloads": [{"label": f"{name.capitalize()} (CSV)", "url": f"/reports/{name}.csv"} for name in SPREADSHEETS]
        + [{"label": "Open deadlines (iCalendar)", "url": "/reports/deadlines.ics"}],
    }


async def reports(request: Request) -> Response:
    page = await read(request, lambda book: reports_page(book, request.query_params.get("by")))
    return respond(request, "reports.html", page)


def _download(body: str, media_type: str, filename: str) -> Response:
    return Response(body.encode("utf-8"), media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def spreadsheet(request: Request) -> Response:
    from cspr.engine.render.spreadsheet import csv_text

    name = request.path_params["name"]
    if name not in SPREADSHEETS:
        raise HTTPException(404)

    def rows(book: Casebook) -> list[dict[str, Any]]:
        from cspr.engine.casebook.reports import table, timeliness

        return list(timeliness(book)["rows"]) if name == "timeliness" else table(book, name)
    text = csv_text(await read(request, rows))
    return _download(text, "text/csv; charset=utf-8", f"{name}.csv")


async def calendar_file(request: Request) -> Response:
    from cspr.engine.casebook.queries import calendar_items
    from cspr.engine.render.ical import calendar

    items = await read(request, calendar_items)
    return _download(calendar(items, dt.datetime.now(dt.UTC)), "text/calendar; charset=utf-8", "deadlines.ics")
