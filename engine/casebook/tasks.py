"""Tasks: work each party of a role does in parallel, one task per party per kind (language 2).

``cspr task add REF KIND --party NAME [--due DATE]``, ``cspr task done|waive REF ID``,
``cspr task list [--overdue]``. The process declares the kinds of task
(``tasks:``), the role whose parties do them, and their usual time. Each task
is an entry of the case's history (added, received, waived), so a case's
tasks are a replay like everything else; each appears among the case's
deadlines (``kind:T1``), in ``cspr deadlines``, the calendar file, exports and
reports, and criteria can test whether every task of a kind is received.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cspr.engine.errors import InputError
from cspr.engine.runtime.case import Blocker, Refused
from cspr.engine.runtime.clock import cycles
from cspr.engine.runtime.deadlines import calendar_for
from cspr.engine.runtime.kinds import RecordKind, TaskStatus
from cspr.engine.runtime.parties import organisation

MAX_REASON = 2000


def _usual_due(case: Any, spec: Any) -> tuple[dt.date | None, str]:
    """The due date a task of this kind gets when none is given (and why there is none)."""
    if spec.period is None or spec.anchor is None:
        return None, f"the process sets no usual time for '{spec.title}'"
    found = cycles(case, spec.anchor)
    if not found:
        return None, "its usual time counts from something that has not happened yet"
    start = found[-1].start
    return calendar_for(case.definition).shift(start, spec.period.amount, spec.period.unit), ""


def add(book: Any, ref: str, kind: str, party: str, due: dt.date | None = None, on: dt.date | None = None,
        note: str | None = None) -> dict[str, Any]:
    """Add a task of ``kind`` for the organisation ``party``; return it (its id is T1, T2, ...)."""
    on = on or book.today
    with book.transaction():
        case = book.load(ref)
        d = case.definition
        spec = d.tasks.get(kind)
        if spec is None:
            raise InputError(f"{d.label} has no kind of task {kind!r} (its tasks: {', '.join(d.tasks) or 'none'})")
        name = organisation(d, spec.party, party)
        blockers = []
        for task in case.tasks.values():
            if task["kind"] == kind and task["party"] == name:
                blockers.append(Blocker("state", f"{name} already has a '{spec.title}' task ({task['task']}, "
                                                 f"{TaskStatus(task['status']).label}); a case has one per party"))
        given = due is not None
        named = case.parties.get(spec.party) or []
        if named and name not in named and not d.parties[spec.party].multiple:
            blockers.append(Blocker("state", f"{d.roles[spec.party].name} in {ref} is {named[0]}, not {name}"))
        if due is None:
            due, why = _usual_due(case, spec)
            if due is None:
                blockers.append(Blocker("date", f"give its due date with --due DATE: {why}"))
        elif due < on:
            blockers.append(Blocker("date", f"the due date {due.isoformat()} is before the day it is added ({on.isoformat()})"))
        if blockers:
            raise Refused(ref, f"a '{spec.title}' task", blockers)
        book.check_date(case, on, RecordKind.TASK_ADDED)
        task_id = f"T{len(case.tasks) + 1}"
        assert due is not None
        book.append(case, RecordKind.TASK_ADDED, on, name=kind, role=spec.party, note=note,
                    data={"task": task_id, "kind": kind, "party": name, "due": due.isoformat(),
                          "due_given": given})
    return {**case.tasks[task_id], "ref": ref}


def close(book: Any, ref: str, task_id: str, outcome: str, reason: str | None = None,
          on: dt.date | None = None) -> dict[str, Any]:
    """Mark an open task received (``done``), or ``waived`` (a reason is required)."""
    on = on or book.today
    if outcome == TaskStatus.WAIVED and not (reason or "").strip():
        raise InputError("say why the task is no longer expected with --reason")
    if reason is not None and len(reason) > MAX_REASON:
        raise InputError(f"the reason is {len(reason)} characters; at most {MAX_REASON} are allowed")
    with book.transaction():
        case = book.load(ref)
        task = case.tasks.get(task_id)
        if task is None:
            raise InputError(f"{ref} has no task {task_id!r} (its tasks: {', '.join(case.tasks) or 'none'})")
        if task["status"] != TaskStatus.OPEN:
            raise Refused(ref, f"task {task_id} as {outcome}",
                          [Blocker("state", f"it is already {TaskStatus(task['status']).label} (on {task['closed_on']})")])
        if on < dt.date.fromisoformat(task["added_on"]):
            raise InputError(f"{on.isoformat()} is before the task was added ({task['added_on']})")
        kind = RecordKind.TASK_DONE if outcome == TaskStatus.DONE else RecordKind.TASK_WAIVED
        book.check_date(case, on, kind)
        book.append(case, kind, on, name=task["kind"], role=task["party_role"], note=reason, data={"task": task_id})
    return {**case.tasks[task_id], "ref": ref}


def listing(book: Any, overdue: bool = False, ref: str | None = None, kind: str | None = None,
            status: str | None = TaskStatus.OPEN) -> list[dict[str, Any]]:
    """Tasks across cases, soonest due first, each with its status on the day (an open one past due is overdue)."""
    if status == "all":
        status = None
    if status is not None and status not in [s.value for s in TaskStatus if s is not TaskStatus.OVERDUE]:
        raise InputError(f"--status is one of: open, done, waived, all (not {status!r})")
    today = book.today.isoformat()
    rows = book.store.tasks(status=status, ref=ref, kind=kind, open_due_before=today if overdue else None)
    out = []
    for row in rows:
        process_hash = row.pop("process_hash")
        now = TaskStatus.on(row["status"], row["due"], book.today)
        left = None
        if now in (TaskStatus.OPEN, TaskStatus.OVERDUE) and row["due"]:
            left = calendar_for(book.definition(process_hash)).working_days_between(
                book.today, dt.date.fromisoformat(row["due"]))
        out.append({**row, "status": now, "overdue": now is TaskStatus.OVERDUE, "working_days_left": left})
    return out
