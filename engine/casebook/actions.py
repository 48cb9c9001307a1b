"""Agreed actions: what the roles of a stage agreed to do, by whom, by when, and whether it was done.

Which stages produce actions, and which roles must all agree each one, is
part of the process definition (``actions:``). An action is added to a case
as an entry of its history (so it is hashed, dated and attributed like any
other), then marked done, or dropped with a reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cspr.engine.errors import InputError
from cspr.engine.runtime.case import Blocker, Refused, unknown_role
from cspr.engine.runtime.kinds import ActionStatus, RecordKind

MAX_TEXT = 2000


def add(book: Any, ref: str, stage: str, text: str, owner: str, due: dt.date,
        agreed_by: list[str] | tuple[str, ...], on: dt.date | None = None) -> str:
    """Add an action agreed at ``stage``; return its id (A1, A2, ...)."""
    on = on or book.today
    text = text.strip()
    if not text:
        raise InputError("say what the action is (its text is empty)")
    if len(text) > MAX_TEXT:
        raise InputError(f"the action is {len(text)} characters; at most {MAX_TEXT} are allowed")
    with book.transaction():
        case = book.load(ref)
        d = case.definition
        if stage not in d.actions:
            stages = ", ".join(d.actions) or "none"
            raise InputError(f"{d.label} does not agree actions at stage {stage!r} (stages with actions: {stages})")
        for role in (owner, *agreed_by):
            if role not in d.roles:
                raise unknown_role(d, role)
        blockers = []
        if stage not in case.stages_seen:
            blockers.append(Blocker("state", f"the case has not reached the stage '{d.stages[stage].title}'"))
        missing = [r for r in d.actions[stage].agreed_by if r not in agreed_by]
        if missing:
            names = ", ".join(f"{d.roles[r].name} ({r})" for r in missing)
            blockers.append(Blocker("signoff", "every action of this stage must be agreed by all of them; "
                                               f"missing: {names} (--agreed-by ROLE)"))
        if due < on:
            blockers.append(Blocker("date", f"the due date {due.isoformat()} is before the day it was agreed ({on.isoformat()})"))
        if blockers:
            raise Refused(ref, "the action", blockers)
        book.check_date(case, on, RecordKind.ACTION_ADDED)
        action_id = f"A{len(case.actions) + 1}"
        book.append(case, RecordKind.ACTION_ADDED, on, role=owner, note=text,
                    data={"action": action_id, "stage": stage, "owner": owner, "due": due.isoformat(),
                          "agreed_by": sorted(set(agreed_by))})
    return action_id


def close(book: Any, ref: str, action_id: str, outcome: str, reason: str | None = None,
          on: dt.date | None = None) -> None:
    """Mark an open action done, or dropped (a reason is required)."""
    on = on or book.today
    kind = {ActionStatus.DONE: RecordKind.ACTION_DONE, ActionStatus.DROPPED: RecordKind.ACTION_DROPPED}[ActionStatus(outcome)]
    if outcome == ActionStatus.DROPPED and not (reason or "").strip():
        raise InputError("say why the action is dropped with --reason")
    with book.transaction():
        case = book.load(ref)
        action = case.actions.get(action_id)
        if action is None:
            known = ", ".join(case.actions) or "none"
            raise InputError(f"{ref} has no action {action_id!r} (its actions: {known})")
        if action["status"] != ActionStatus.OPEN:
            raise Refused(ref, f"action {action_id} as {outcome}",
                          [Blocker("state", f"it is already {action['status']} (on {action['closed_on']})")])
        if on < dt.date.fromisoformat(action["added_on"]):
            raise InputError(f"{on.isoformat()} is before the action was agreed ({action['added_on']})")
        book.check_date(case, on, kind)
        book.append(case, kind, on, note=reason, data={"action": action_id})


def listing(book: Any, overdue: bool = False, ref: str | None = None, owner: str | None = None,
            status: str | None = "open") -> list[dict[str, Any]]:
    """Actions across cases, soonest due first, each with whether it is overdue today."""
    if status and status != "all" and status not in ActionStatus.stored():
        raise InputError(f"--status is one of: {', '.join(ActionStatus.stored())}, all")
    # ActionStatus.on decides what is overdue; the store's filter only narrows the rows read
    rows = book.store.actions(status=None if status in (None, "all") else status, ref=ref, owner=owner,
                              open_due_before=book.today.isoformat() if overdue else None)
    return [{**row, "agreed_by": row["agreed_by"].split(",") if row["agreed_by"] else [],
             "overdue": ActionStatus.on(row["status"], row["due"], book.today) is ActionStatus.OVERDUE}
            for row in rows]
