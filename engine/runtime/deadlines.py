"""Deadlines derived from a case's history: due dates, status, and the words for both.

This module is the one home of the deadline rules. For each deadline of the
definition:

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

*Late* is counted the same way whether the deadline was met late or is still
overdue: the working days from the due date to the day it was met (or to
today), and at least one. Met, or looked at, on the Saturday after a Friday due
date is "1 working day late"/"1 working day overdue", though no working day has
passed: the deadline was missed, and a count of 0 would say it was not.

The parts that do not depend on today (:class:`Timing`: the due date, the
warning date, when it was met, whether it applies, how late it was met, and
the status once it is settled) are stored in the case projection;
:func:`status_on` turns them into an :class:`Assessment` for a given day, the
same way for one case and for a listing of thousands. :class:`DeadlineStatus`
owns the words: every renderer asks it for a label and a detail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from cspr.engine.definition.model import Deadline, Definition
from cspr.engine.definition.workdays import WorkingCalendar

from .kinds import RecordKind

if TYPE_CHECKING:
    from .case import Case


def working_days(n: int) -> str:
    """'1 working day', '3 working days'."""
    return f"{n} working day{'' if n == 1 else 's'}"


class DeadlineStatus(StrEnum):
    """Where a deadline stands; the value is what is stored and what JSON says.

    ``label`` is the short word for tables (``OVERDUE`` in capitals, to stand
    out in a terminal), ``heading`` the same word for reports ("Overdue"), and
    :meth:`detail` the wording of one deadline's standing ("2 working days left").
    """

    MET = "met"
    MET_LATE = "met_late"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    UPCOMING = "upcoming"
    NOT_STARTED = "not_started"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def heading(self) -> str:
        """The label as reports print it: 'Overdue', 'Due soon', 'Not applicable'."""
        return self.label.capitalize()

    @property
    def open(self) -> bool:
        """Still to be met: its status depends on the day."""
        return self in (DeadlineStatus.OVERDUE, DeadlineStatus.DUE_SOON, DeadlineStatus.UPCOMING)

    def detail(self, a: Assessment) -> str:
        """One deadline's standing in words: 'due today', '1 working day left', '2 working days overdue',
        'met 2026-05-04, 1 working day late', or why it has not started or does not apply."""
        t = a.timing
        if self is DeadlineStatus.MET:
            return f"met {t.met_on.isoformat()}" if t.met_on else "met"
        if self is DeadlineStatus.MET_LATE:
            assert t.met_on is not None and t.late_by is not None
            return f"met {t.met_on.isoformat()}, {working_days(t.late_by)} late"
        if self is DeadlineStatus.OVERDUE:
            assert a.late_by is not None
            return f"{working_days(a.late_by)} overdue"
        if self.open:
            assert t.due is not None and a.working_days_left is not None
            if t.due == a.today:
                return "due today"
            if a.working_days_left == 0:  # due on a day that is not a working day, with none before it
                return f"due {t.due.strftime('%A')} {t.due.isoformat()}"
            return f"{working_days(a.working_days_left)} left"
        return t.reason


_LABELS: dict[DeadlineStatus, str] = {
    DeadlineStatus.MET: "met",
    DeadlineStatus.MET_LATE: "met late",
    DeadlineStatus.OVERDUE: "OVERDUE",
    DeadlineStatus.DUE_SOON: "due soon",
    DeadlineStatus.UPCOMING: "upcoming",
    DeadlineStatus.NOT_STARTED: "not started",
    DeadlineStatus.NOT_APPLICABLE: "not applicable",
}


def days_late(due: dt.date, day: dt.date, calendar: WorkingCalendar) -> int:
    """How late something done on ``day`` is for a deadline due on ``due`` (after it): at least one working day."""
    return max(1, calendar.working_days_between(due, day))


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Timing:
    """What a case's history says about one deadline, whatever day it is (stored in the projection)."""

    deadline: str
    title: str
    owner: tuple[str, ...]
    start: dt.date | None
    due: dt.date | None
    warn_from: dt.date | None
    met_on: dt.date | None
    applicable: bool
    reason: str = ""  # why not applicable, or what it waits for
    late_by: int | None = None  # working days late, when met after the due date

    @property
    def open(self) -> bool:
        return self.settled is None

    @property
    def settled(self) -> DeadlineStatus | None:
        """The status when it no longer depends on the day; None while the deadline is open."""
        if self.met_on is not None:
            # met before its start was known (e.g. a date fact recorded later) counts as met
            late = self.due is not None and self.met_on > self.due
            return DeadlineStatus.MET_LATE if late else DeadlineStatus.MET
        if not self.applicable:
            return DeadlineStatus.NOT_APPLICABLE
        if self.due is None:
            return DeadlineStatus.NOT_STARTED
        return None

    def to_row(self) -> dict[str, Any]:
        """The projection row (without the case reference): dates as ISO text."""
        def iso(day: dt.date | None) -> str | None:
            return day.isoformat() if day else None

        settled = self.settled
        return {
            "deadline": self.deadline, "title": self.title, "owner": ",".join(self.owner), "start": iso(self.start),
            "due": iso(self.due), "warn_from": iso(self.warn_from), "met_on": iso(self.met_on),
            "applicable": int(self.applicable), "open": int(settled is None), "reason": self.reason or None,
            "settled": settled.value if settled else None, "late_by": self.late_by,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Timing:
        """The timing a projection row stores (the inverse of :meth:`to_row`)."""
        owner = row["owner"]
        return cls(
            deadline=row["deadline"], title=row["title"],
            owner=tuple(owner.split(",") if owner else ()) if isinstance(owner, str) else tuple(owner),
            start=_day(row["start"]), due=_day(row["due"]), warn_from=_day(row["warn_from"]),
            met_on=_day(row["met_on"]), applicable=bool(row["applicable"]), reason=row.get("reason") or "",
            late_by=row.get("late_by"),
        )


@dataclass(frozen=True)
class Assessment:
    """A deadline as it stands on one day."""

    timing: Timing
    status: DeadlineStatus
    today: dt.date
    working_days_left: int | None = None  # until due (negative when overdue)
    late_by: int | None = None  # working days late: met late, or overdue so far (at least 1)

    @property
    def detail(self) -> str:
        return self.status.detail(self)

    def as_dict(self) -> dict[str, Any]:
        t = self.timing
        return {
            "deadline": t.deadline, "title": t.title, "owner": list(t.owner), "status": self.status,
            "start": t.start, "due": t.due, "warn_from": t.warn_from, "met_on": t.met_on,
            "working_days_left": self.working_days_left, "late_by_working_days": self.late_by,
            "detail": self.detail, "reason": t.reason or None,
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
        if record.kind == RecordKind.TRANSITION and record.name == anchor.ref:
            return record.on, record.seq
    return None, 0


def timing(case: Case, deadline: Deadline, evaluator: Any = None) -> Timing:
    """What the case's history says about ``deadline``: its dates, whether it applies, how late it was met."""
    d = case.definition
    calendar = calendar_for(d)
    start, after_seq = _start(case, deadline)
    met_on = next(
        (r.on for r in case.history if r.kind == RecordKind.TRANSITION and r.name in deadline.met_by
         and r.seq > after_seq),
        None,
    ) if start is not None or deadline.anchor.kind == "fact" else None
    due = warn_from = None
    if start is not None:
        sign = 1 if deadline.direction == "after" else -1
        due = calendar.shift(start, sign * deadline.period.amount, deadline.period.unit)
        if deadline.warn is not None:
            warn_from = calendar.shift(due, -deadline.warn.amount, deadline.warn.unit)

    def make(applicable: bool = True, reason: str = "") -> Timing:
        late_by = days_late(due, met_on, calendar) if met_on and due and met_on > due else None
        return Timing(deadline.id, deadline.title, deadline.owner, start, due, warn_from, met_on, applicable,
                      reason, late_by)

    if met_on is not None:
        return make()
    evaluator = evaluator or case.evaluator()
    for criterion_id in deadline.applies_when:
        if evaluator.value(criterion_id) is False:
            return make(False, f"does not apply: '{d.criteria[criterion_id].title}' does not hold")
    can_meet = {s for e in deadline.met_by for s in d.events[e].sources}
    if not (_reachable(d)[case.state] & can_meet):
        return make(False, "not applicable on this route")
    if start is None:
        anchor = deadline.anchor
        waits = (f"'{d.facts[anchor.ref].label}'" if anchor.kind == "fact" else f"'{d.events[anchor.ref].title}'")
        return make(True, f"starts with {waits}")
    return make()


def timings(case: Case) -> list[Timing]:
    evaluator = case.evaluator()
    return [timing(case, deadline, evaluator) for deadline in case.definition.deadlines.values()]


def status_on(t: Timing, today: dt.date, calendar: WorkingCalendar) -> Assessment:
    """The deadline as it stands on ``today``: the one place a status is decided."""
    settled = t.settled
    if settled is not None:
        return Assessment(t, settled, today, late_by=t.late_by)
    assert t.due is not None
    left = calendar.working_days_between(today, t.due)
    if t.due < today:
        return Assessment(t, DeadlineStatus.OVERDUE, today, left, days_late(t.due, today, calendar))
    if t.due == today or (t.warn_from is not None and t.warn_from <= today):
        return Assessment(t, DeadlineStatus.DUE_SOON, today, left)
    return Assessment(t, DeadlineStatus.UPCOMING, today, left)


def statuses(case: Case, today: dt.date) -> list[Assessment]:
    calendar = calendar_for(case.definition)
    return [status_on(t, today, calendar) for t in timings(case)]
