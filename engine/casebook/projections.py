"""Projections: the rows a case puts in the listing tables, and the stored rows read back as deadlines.

A projection holds only what a case's history says whatever day it is (a deadline's start,
due date, warning date, whether it was met and whether it applies); the status of a deadline
on a given day is always decided by :func:`cspr.engine.runtime.deadlines.status_on`, for one
case and for a listing of thousands alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cspr.engine.runtime.case import Case
from cspr.engine.runtime.deadlines import Assessment, Timing, calendar_for, status_on, timings
from cspr.engine.store.interface import Projection

TASK_FIELDS = ("task", "kind", "title", "party_role", "party", "due", "status", "added_on", "closed_on", "reason")


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def projection(case: Case) -> Projection:
    """The case's rows in the listing tables, as its history says they should be (a store gives flags
    back as 0 and 1)."""
    d = case.definition
    state = d.states[case.state]
    last = case.history[-1]
    row = {
        "ref": case.ref, "process_id": d.id, "version": d.version, "process_hash": d.content_hash,
        "state": case.state, "state_title": state.title, "stage": state.stage,
        "stage_title": d.stages[state.stage].title, "final": int(state.final),
        "opened_on": _iso(case.opened_on), "last_on": last.on.isoformat(), "last_seq": last.seq,
    }
    deadline_rows = [{"ref": case.ref, **t.to_row()} for t in timings(case)]
    action_rows = [
        {**{k: v for k, v in action.items() if k != "agreed_by"}, "ref": case.ref,
         "agreed_by": ",".join(action["agreed_by"])}
        for action in case.actions.values()
    ]
    task_rows = [{"ref": case.ref, **{k: task[k] for k in TASK_FIELDS}} for task in case.tasks.values()]
    link_rows = [{"ref": case.ref, "linked": other} for other in case.links]
    return row, deadline_rows, action_rows, task_rows, link_rows


def owners(text: str | None) -> list[str]:
    return text.split(",") if text else []


def status_of(row: dict[str, Any], today: dt.date, definition: Any) -> Assessment:
    """A stored deadline row as it stands on ``today``, decided by the one status function."""
    return status_on(Timing.from_row(row), today, calendar_for(definition))
