"""Queries: what the cases say, read without writing anything.

One case is replayed from its history (:func:`show`), so what a user sees is
always what the history says; listings across cases read the projections
(:func:`list_cases`, :func:`open_deadlines`), with every deadline's status
decided on the day by the one status function (:func:`.projections.status_of`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cspr.engine.definition import facts as fact_values
from cspr.engine.definition.model import Definition
from cspr.engine.errors import InputError
from cspr.engine.runtime.case import Case
from cspr.engine.runtime.deadlines import Assessment, DeadlineStatus, calendar_for, statuses

from .projections import owners, status_of

if TYPE_CHECKING:
    from .book import Casebook


@dataclass(frozen=True)
class CaseView:
    """Everything ``cspr case show`` prints."""

    case: Case
    today: dt.date
    deadlines: list[Assessment]

    def as_dict(self) -> dict[str, Any]:
        case, d = self.case, self.case.definition
        state = d.states[case.state]
        return {
            "ref": case.ref,
            "process": {"id": d.id, "version": d.version, "hash": d.content_hash, "edition": d.edition},
            "state": case.state, "state_title": state.title, "final": state.final,
            "stage": state.stage, "stage_title": d.stages[state.stage].title,
            "opened_on": case.opened_on, "today": self.today,
            "facts": {k: fact_values.to_json(v) for k, v in case.facts.items()},
            "criteria": {k: v.as_dict() | {"title": d.criteria[k].title, "blockers": v.blockers(case.ref)}
                         for k, v in case.criteria().items()},
            "deadlines": [s.as_dict() for s in self.deadlines],
            "next_steps": [s.as_dict() for s in case.next_steps()],
            "signoffs": {role: r.on for role, r in case.signoffs.items()},
            "parties": {role: list(names) for role, names in case.parties.items() if names},
            "linked": list(case.links),
            "tasks": [dict(task) for task in case.tasks.values()],
            "history": [r.as_dict() for r in case.history],
        }


def show(book: Casebook, ref: str) -> CaseView:
    case = book.load(ref)
    return CaseView(case, book.today, statuses(case, book.today))


def list_cases(book: Casebook, state: str | None = None, stage: str | None = None, overdue: bool = False,
               include_closed: bool = True) -> list[dict[str, Any]]:
    """Every case with its state, how many of its deadlines are overdue, and its next deadline."""
    return book.store.list_cases(today=book.today.isoformat(), state=state, stage=stage,
                                 with_open_due_before=overdue, include_closed=include_closed)


def _open_deadline_rows(book: Casebook, within: int | None, overdue: bool) -> list[tuple[dict[str, Any], Assessment]]:
    """Open deadlines across cases, soonest first, each with its status today."""
    limits: dict[str, dt.date] = {}
    due_to = None
    if within is not None:
        if within < 0:
            raise InputError(f"--within takes a number of working days from today, 0 or more (not {within})")
        for process in book.store.processes():
            limits[process["hash"]] = calendar_for(book.definition(process["hash"])).add_working_days(book.today, within)
        due_to = max(limits.values(), default=book.today).isoformat()
    rows = book.store.deadlines(only_open=True, due_to=due_to,
                                due_before=book.today.isoformat() if overdue else None)
    out = []
    for row in rows:
        if within is not None and dt.date.fromisoformat(row["due"]) > limits[row["process_hash"]]:
            continue  # within the widest calendar's limit, not this case's own
        status = status_of(row, book.today, book.definition(row["process_hash"]))
        if overdue and status.status is not DeadlineStatus.OVERDUE:
            continue
        out.append((row, status))
    return out


def open_deadlines(book: Casebook, within: int | None = None, overdue: bool = False) -> list[dict[str, Any]]:
    """Every open deadline across all cases, soonest first (``within`` N working days; or only overdue)."""
    return [{"ref": row["ref"], "deadline": row["deadline"], "title": row["title"], "owner": owners(row["owner"]),
             "start": row["start"], "due": row["due"], "warn_from": row["warn_from"], "status": status.status,
             "state": row["state"], "state_title": row["state_title"], "working_days_left": status.working_days_left,
             "late_by_working_days": status.late_by, "detail": status.detail,
             "statutory_due": status.timing.statutory_due or status.timing.due, "extended_by": status.timing.extended_by,
             "paused_since": status.timing.paused_since, "late_by": status.late_by, "late_in": str(status.timing.late_in),
             "condition": status.timing.condition or None}
            for row, status in _open_deadline_rows(book, within, overdue)]


def calendar_items(book: Casebook, within: int | None = None, overdue: bool = False) -> list[dict[str, Any]]:
    """The open deadlines :func:`open_deadlines` lists, as events for an iCalendar file."""
    items = []
    for row, _ in _open_deadline_rows(book, within, overdue):
        roles = book.definition(row["process_hash"]).roles
        items.append({
            "ref": row["ref"], "deadline": row["deadline"], "title": row["title"],
            "due": dt.date.fromisoformat(row["due"]),
            "owner": ", ".join(roles[r].name if r in roles else r for r in owners(row["owner"])),
            "state_title": row["state_title"], "sequence": row["last_seq"],
        })
    return items


def impact(book: Casebook, new: Definition) -> list[Any]:
    """For each open case of ``new``'s process: what would change under ``new``. Writes nothing."""
    from cspr.engine.runtime.editions import impact as impact_of

    out = []
    for ref in book.store.open_case_refs(new.id):
        case = book.load(ref)
        out.append(impact_of(case, list(case.history), new, book.today))
    return out
