"""Figures for reports and oversight: timeliness, the open caseload, table exports.

Everything here reads the projections (fast over thousands of cases) and the
process definitions stored with the cases, never a hard-coded list: the
deadlines reported are those the processes define.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Iterable
from typing import Any

from cspr.engine.runtime.deadlines import DeadlineStatus, Timing, calendar_for, status_on

Progress = Callable[[Iterable[Any]], Iterable[Any]]


def _no_progress(items: Iterable[Any]) -> Iterable[Any]:
    return items


def period_of(day: dt.date, by: str | None) -> str:
    if by == "month":
        return f"{day.year}-{day.month:02d}"
    if by == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if by == "year":
        return str(day.year)
    return "all"


def latest_definitions(book: Any) -> dict[str, Any]:
    """The newest stored version of each process (by effective date), for titles and the list of deadlines."""
    newest: dict[str, Any] = {}
    for row in book.store.processes():
        definition = book.definition(row["hash"])
        current = newest.get(definition.id)
        if current is None or definition.effective_from >= current.effective_from:
            newest[definition.id] = definition
    return newest


def timeliness(book: Any, start: dt.date | None = None, end: dt.date | None = None, by: str | None = None,
               progress: Progress = _no_progress) -> dict[str, Any]:
    """For each deadline of each process: how many were met on time, late (median and worst lateness, in
    the unit the process counts that deadline's lateness in: ``late_in``), are still open, or are overdue;
    deadlines counted in the period their due date falls in."""
    if start and end and end < start:
        from cspr.engine.errors import InputError

        raise InputError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    today = book.today
    rows = book.store.deadlines(only_applicable=True, due_from=start.isoformat() if start else None,
                                due_to=end.isoformat() if end else None)
    definitions = latest_definitions(book)
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}

    def group(process_id: str, deadline: str, period: str) -> dict[str, Any]:
        key = (period, process_id, deadline)
        if key not in groups:
            definition = definitions.get(process_id)
            known = definition.deadlines.get(deadline) if definition else None
            groups[key] = {"period": period, "process": process_id, "deadline": deadline,
                           "title": known.title if known else deadline,
                           "late_in": known.late_in if known else "working_days", "due": 0, "met_on_time": 0,
                           "met_within_extension": 0, "met_late": 0, "late_days": [], "open": 0, "overdue": 0,
                           "extended": 0, "met_by_statutory_date": 0}
        return groups[key]

    for process_id, definition in definitions.items():  # every deadline appears, even with nothing due
        if by is None:
            for deadline in definition.deadlines:
                group(process_id, deadline, "all")
    # each deadline counts against the date in force (the agreed one, when extended) and against its statutory date
    counted = {DeadlineStatus.MET: "met_on_time", DeadlineStatus.MET_EXTENDED: "met_within_extension",
               DeadlineStatus.MET_LATE: "met_late", DeadlineStatus.OVERDUE: "overdue",
               DeadlineStatus.DUE_SOON: "open", DeadlineStatus.UPCOMING: "open", DeadlineStatus.PAUSED: "open"}
    for row in progress(rows):
        t = Timing.from_row(row)
        assert t.due is not None
        g = group(row["process_id"], row["deadline"], period_of(t.due, by))
        g["due"] += 1
        a = status_on(t, today, calendar_for(book.definition(row["process_hash"])))
        g[counted[a.status]] += 1
        if t.extended:
            g["extended"] += 1
        statutory = t.statutory_due or t.due
        if t.met_on is not None and a.status.met and t.met_on <= statutory:
            g["met_by_statutory_date"] += 1
        if a.status is DeadlineStatus.MET_LATE:
            g["late_days"].append(a.late_by)
    out = []
    for key in sorted(groups):
        g = groups[key]
        late = g.pop("late_days")
        met = g["met_on_time"] + g["met_within_extension"] + g["met_late"]
        g["median_late"] = statistics.median(late) if late else None
        g["worst_late"] = max(late) if late else None
        g["on_time_percent"] = round(100 * (g["met_on_time"] + g["met_within_extension"]) / met, 1) if met else None
        g["statutory_on_time_percent"] = round(100 * g["met_by_statutory_date"] / met, 1) if met else None
        out.append(g)
    return {"from": start, "to": end, "by": by or "all", "today": today, "rows": out}


def overview(book: Any, week: int = 5, progress: Progress = _no_progress) -> dict[str, Any]:
    """Every open case: what is overdue, what is due within ``week`` working days, and who it waits on."""
    from cspr.engine.runtime.deadlines import statuses

    cases = []
    refs = book.store.open_case_refs()
    for ref in progress(refs):
        case = book.load(ref)
        d = case.definition
        calendar = calendar_for(d)
        horizon = calendar.add_working_days(book.today, week)
        deadlines = [s for s in statuses(case, book.today) if s.status.open]
        waiting: dict[str, list[str]] = {}
        for step in case.next_steps():
            for role in (r for r in d.events[step.event].requires.signoff if r not in case.signoffs):
                waiting.setdefault(d.roles[role].name, []).append(f"sign-off at '{d.states[case.state].title}'")
        for s in deadlines:
            if s.status is DeadlineStatus.OVERDUE:
                for role in s.timing.owner:
                    waiting.setdefault(d.roles[role].name, []).append(f"'{s.timing.title}' ({s.detail})")
        cases.append({
            "ref": ref, "state": case.state, "state_title": d.states[case.state].title,
            "stage_title": d.stages[case.stage].title, "version": d.version,
            "overdue": [s.as_dict() for s in deadlines if s.status is DeadlineStatus.OVERDUE],
            "due_this_week": [s.as_dict() for s in deadlines
                              if s.status is not DeadlineStatus.OVERDUE and s.timing.due and s.timing.due <= horizon],
            "waiting_on": {who: sorted(set(what)) for who, what in sorted(waiting.items())},
            "next_steps": [s.as_dict() for s in case.next_steps()],
        })
    return {"today": book.today, "week_working_days": week, "cases": cases}


def table(book: Any, name: str) -> list[dict[str, Any]]:
    """Rows for a spreadsheet: cases, deadlines or actions (dates as YYYY-MM-DD)."""
    if name == "cases":
        cases: list[dict[str, Any]] = book.list_cases()
        return cases
    if name == "deadlines":
        rows = book.store.deadlines(order="case")
        out = []
        for row in rows:
            a = status_on(Timing.from_row(row), book.today, calendar_for(book.definition(row["process_hash"])))
            out.append({k: row[k] for k in ("ref", "deadline", "title", "owner", "start", "due", "warn_from", "met_on",
                                             "applicable")} | {"status": a.status, "state": row["state"],
                                                               "version": row["version"]})
        return out
    if name == "actions":
        from .actions import listing

        return listing(book, status="all")
    raise ValueError(name)
