"""Deadlines derived from a case's history: due dates and their status.

For each deadline of the definition:

* its *start* is the date fact it counts from, or the date of the latest
  occurrence of the event it counts from (unknown until then);
* its *due date* is the start moved by the period (working days, calendar
  days or months), after or before;
* it is *met* by the first of its ``met_by`` events recorded after the start;
* it is *not applicable* when one of its ``applies_when`` criteria is known to
  be false, or when the case can no longer reach a state where a ``met_by``
  event is possible (the route went another way);
* otherwise its status depends on today: upcoming, due soon (within the
  warning period, or due today) or overdue.

A deadline met after its due date is late by the working days from the due
date to the day it was met, and by at least one (met on the Saturday after a
Friday due date is late, though no working day has passed).

The parts that do not depend on today (:class:`Timing`) are stored in the
case projection; :func:`status_on` turns them into a status for a given day,
the same way for one case and for a listing of thousands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from .case import Case
from cspr.engine.definition.model import Deadline, Definition
from cspr.engine.definition.workdays import WorkingCalendar

STATUSES = ("not_started", "upcoming", "due_soon", "overdue", "met", "met_late", "not_applicable")


@dataclass(frozen=True)
class Timing:
    """What a case's history says about one deadline, whatever day it is."""

    deadline: str
    title: str
    owner: tuple[str, ...]
    start: dt.date | None
    due: dt.date | None
    warn_from: dt.date | None
    met_on: dt.date | None
    applicable: bool
    reason: str = ""  # why not applicable, or what it waits for

    @property
    def open(self) -> bool:
        return self.applicable and self.due is not None and self.met_on is None


@dataclass(frozen=True)
class DeadlineStatus:
    timing: Timing
    status: str
    working_days_left: int | None = None  # until due (negative when overdue)
    late_by: int | None = None  # working days after due when met late

    def as_dict(self) -> dict[str, Any]:
        t = self.timing
        return {
            "deadline": t.deadline, "title": t.title, "owner": list(t.owner), "status": self.status,
            "start": t.start, "due": t.due, "warn_from": t.warn_from, "met_on": t.met_on,
            "working_days_left": self.working_days_left, "late_by_working_days": self.late_by,
            "reason": t.reason or None,
        }


@cache
def calendar_for(definition: Definition) -> WorkingCalendar:
    spec = definition.calendar
    return WorkingCalendar(spec.country, spec.subdivision, [c.date for c in spec.closures])


@cache
def _reachable(definition: Definition) -> dict[str, frozenset[str]]:
    edges: dict[str, set[str]] = {s: set() for s in definition.states}
    for event in definition.events.values():
        for source in event.sources:
            edges[source].add(event.target)
    out = {}
    for start in definition.states:
        seen = {start}
        stack = [start]
        while stack:
            for nxt in edges[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        out[start] = frozenset(seen)
    return out


def _start(case: Case, deadline: Deadline) -> tuple[dt.date | None, int]:
    """The start date and the sequence number after which meeting events count."""
    anchor = deadline.anchor
    if anchor.kind == "fact":
        value = case.facts.get(anchor.ref)
        return (value if isinstance(value, dt.date) else None), 0
    for record in reversed(case.history):
        if record.kind == "transition" and record.name == anchor.ref:
            return record.on, record.seq
    return None, 0


def timing(case: Case, deadline: Deadline, evaluator: Any = None) -> Timing:
    d = case.definition
    calendar = calendar_for(d)
    start, after_seq = _start(case, deadline)
    met_on = next(
        (r.on for r in case.history if r.kind == "transition" and r.name in deadline.met_by and r.seq > after_seq),
        None,
    ) if start is not None or deadline.anchor.kind == "fact" else None
    due = warn_from = None
    if start is not None:
        sign = 1 if deadline.direction == "after" else -1
        due = calendar.shift(start, sign * deadline.period.amount, deadline.period.unit)
        if deadline.warn is not None:
            warn_from = calendar.shift(due, -deadline.warn.amount, deadline.warn.unit)
    base = dict(deadline=deadline.id, title=deadline.title, owner=deadline.owner, start=start, due=due,
                warn_from=warn_from, met_on=met_on)
    if met_on is not None:
        return Timing(**base, applicable=True)  # type: ignore[arg-type]
    evaluator = evaluator or case.evaluator()
    for criterion_id in deadline.applies_when:
        if evaluator.value(criterion_id) is False:
            title = d.criteria[criterion_id].title
            return Timing(**base, applicable=False, reason=f"does not apply: '{title}' does not hold")  # type: ignore[arg-type]
    can_meet = {s for e in deadline.met_by for s in d.events[e].sources}
    if not (_reachable(d)[case.state] & can_meet):
        return Timing(**base, applicable=False, reason="not applicable on this route")  # type: ignore[arg-type]
    if start is None:
        anchor = deadline.anchor
        waits = (f"'{d.facts[anchor.ref].label}'" if anchor.kind == "fact" else f"'{d.events[anchor.ref].title}'")
        return Timing(**base, applicable=True, reason=f"starts with {waits}")  # type: ignore[arg-type]
    return Timing(**base, applicable=True)  # type: ignore[arg-type]


def timings(case: Case) -> list[Timing]:
    evaluator = case.evaluator()
    return [timing(case, deadline, evaluator) for deadline in case.definition.deadlines.values()]


def status_on(t: Timing, today: dt.date, calendar: WorkingCalendar) -> DeadlineStatus:
    """The status of a deadline on ``today``."""
    if t.met_on is not None and t.due is not None:
        if t.met_on <= t.due:
            return DeadlineStatus(t, "met")
        # met on a non-working day after the due date is still at least one working day late
        late = max(1, calendar.working_days_between(t.due, t.met_on))
        return DeadlineStatus(t, "met_late", late_by=late)
    if t.met_on is not None:  # met before its start was known (e.g. a date fact recorded later)
        return DeadlineStatus(t, "met")
    if not t.applicable:
        return DeadlineStatus(t, "not_applicable")
    if t.due is None:
        return DeadlineStatus(t, "not_started")
    left = calendar.working_days_between(today, t.due)
    if t.due < today:
        return DeadlineStatus(t, "overdue", working_days_left=left)
    if t.due == today or (t.warn_from is not None and t.warn_from <= today):
        return DeadlineStatus(t, "due_soon", working_days_left=left)
    return DeadlineStatus(t, "upcoming", working_days_left=left)


def statuses(case: Case, today: dt.date) -> list[DeadlineStatus]:
    calendar = calendar_for(case.definition)
    return [status_on(t, today, calendar) for t in timings(case)]
