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

Language 2 (dates from :mod:`cspr.engine.runtime.clock`): a deadline may
count from an event's first, latest or each occurrence (each cycle is a
deadline row of its own, ``id#N``), or from the earliest or latest of several
dates; pauses move its *statutory* due date later and a pause still running
leaves it *paused*; an extension agreed by a role the process names gives a
later *due* date, the statutory one staying beside it. Met after the
statutory date but by the agreed one is *met within the extension*. Lateness
is counted in the unit the process chooses (working days unless it says
calendar days). Each task of a case is a row too (``kind:T1``), due when
given or by its kind's period, met when received, not applicable once waived.

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
from cspr.engine.definition.workdays import PeriodUnit, WorkingCalendar, calendar_of

from . import clock as clocks
from .kinds import TaskStatus

if TYPE_CHECKING:
    from .case import Case


def working_days(n: int) -> str:
    """'1 working day', '3 working days'."""
    return f"{n} working day{'' if n == 1 else 's'}"


def amount(n: int, unit: str) -> str:
    """'3 working days', '1 calendar day': an amount in the unit a deadline counts lateness in."""
    return PeriodUnit(unit).amount(n)


class DeadlineStatus(StrEnum):
    """Where a deadline stands; the value is what is stored and what JSON says.

    ``label`` is the short word for tables (``OVERDUE`` in capitals, to stand
    out in a terminal), ``heading`` the same word for reports ("Overdue"), and
    :meth:`detail` the wording of one deadline's standing ("2 working days left").
    """

    MET = "met"
    MET_EXTENDED = "met_extended"  # after the statutory date, by the date agreed
    MET_LATE = "met_late"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    UPCOMING = "upcoming"
    PAUSED = "paused"  # the clock is stopped; the due date is not known until it restarts
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

    @property
    def met(self) -> bool:
        return self in (DeadlineStatus.MET, DeadlineStatus.MET_EXTENDED, DeadlineStatus.MET_LATE)

    def detail(self, a: Assessment) -> str:
        """One deadline's standing in words: 'due today', '1 working day left', '2 working days overdue',
        'met 2026-05-04, 1 working day late', 'met 2026-09-14 within the extension agreed by the Home Office,
        9 working days after the statutory date (2026-09-01)', or why it has not started or does not apply."""
        t = a.timing
        unit = t.late_in
        if self is DeadlineStatus.MET:
            return f"met {t.met_on.isoformat()}" if t.met_on else "met"
        if self is DeadlineStatus.MET_EXTENDED:
            assert t.met_on is not None and t.statutory_due is not None
            return (f"met {t.met_on.isoformat()} within the extension agreed by {t.extended_by}, "
                    f"{amount(a.after_statutory or 0, unit)} after the statutory date ({t.statutory_due.isoformat()})")
        if self is DeadlineStatus.MET_LATE:
            assert t.met_on is not None and t.late_by is not None
            return f"met {t.met_on.isoformat()}, {amount(t.late_by, unit)} late" + self._extended(a)
        if self is DeadlineStatus.OVERDUE:
            assert a.late_by is not None
            return f"{amount(a.late_by, unit)} overdue" + self._extended(a) + self._condition(a)
        if self is DeadlineStatus.PAUSED:
            return f"clock stopped since {t.paused_since.isoformat() if t.paused_since else '?'}; due once it restarts"
        if self.open:
            assert t.due is not None and a.left is not None
            if t.due == a.today:
                return "due today" + self._extended(a) + self._condition(a)
            if a.left == 0:  # due on a day that is not a working day, with none before it
                return f"due {t.due.strftime('%A')} {t.due.isoformat()}" + self._extended(a) + self._condition(a)
            return f"{amount(a.left, unit)} left" + self._extended(a) + self._condition(a)
        return t.reason

    @staticmethod
    def _condition(a: Assessment) -> str:
        return f" ({a.timing.condition})" if a.timing.condition else ""

    @staticmethod
    def _extended(a: Assessment) -> str:
        t = a.timing
        if not t.extended:
            return ""
        assert t.statutory_due is not None
        return f" (extended by {t.extended_by} from the statutory date {t.statutory_due.isoformat()})"


_LABELS: dict[DeadlineStatus, str] = {
    DeadlineStatus.MET: "met",
    DeadlineStatus.MET_EXTENDED: "met (extended)",
    DeadlineStatus.MET_LATE: "met late",
    DeadlineStatus.OVERDUE: "OVERDUE",
    DeadlineStatus.DUE_SOON: "due soon",
    DeadlineStatus.UPCOMING: "upcoming",
    DeadlineStatus.PAUSED: "paused",
    DeadlineStatus.NOT_STARTED: "not started",
    DeadlineStatus.NOT_APPLICABLE: "not applicable",
}


def days_late(due: dt.date, day: dt.date, calendar: WorkingCalendar, unit: str = PeriodUnit.WORKING_DAYS) -> int:
    """How late something done on ``day`` is for a deadline due on ``due`` (after it): at least one working day
    (or calendar day, for a deadline whose lateness the process counts in calendar days)."""
    return max(1, clocks.amount_between(due, day, unit, calendar))


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
    late_by: int | None = None  # how late it was met after the due date, in ``late_in`` units
    # language 2
    statutory_due: dt.date | None = None  # the date the process's own rule gives (None: the same as due)
    extended_by: str | None = None  # who agreed the later due date in force, as the case names them
    paused_since: dt.date | None = None  # the clock is stopped, since this day
    late_in: str = PeriodUnit.WORKING_DAYS  # the unit lateness and time left are counted in
    paused: str = ""  # what pauses added to the due date, in words (not stored in the projection)
    condition: str = ""  # an applies_when criterion not known yet, in words

    @property
    def open(self) -> bool:
        return self.settled is None

    @property
    def extended(self) -> bool:
        return self.extended_by is not None and self.statutory_due is not None and self.due != self.statutory_due

    @property
    def settled(self) -> DeadlineStatus | None:
        """The status when it no longer depends on the day; None while the deadline is open."""
        if self.met_on is not None:
            # met before its start was known (e.g. a date fact recorded later) counts as met
            if self.due is not None and self.met_on > self.due:
                return DeadlineStatus.MET_LATE
            if self.extended and self.met_on > self.statutory_due:  # type: ignore[operator]
                return DeadlineStatus.MET_EXTENDED
            return DeadlineStatus.MET
        if not self.applicable:
            return DeadlineStatus.NOT_APPLICABLE
        if self.paused_since is not None:
            return DeadlineStatus.PAUSED
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
            "statutory_due": iso(self.statutory_due), "extended_by": self.extended_by,
            "paused_since": iso(self.paused_since),
            "late_in": None if self.late_in == PeriodUnit.WORKING_DAYS else str(self.late_in),  # the default: unsaid
            "condition": self.condition or None,
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
            late_by=row.get("late_by"), statutory_due=_day(row.get("statutory_due")),
            extended_by=row.get("extended_by"), paused_since=_day(row.get("paused_since")),
            late_in=row.get("late_in") or PeriodUnit.WORKING_DAYS, condition=row.get("condition") or "",
        )


@dataclass(frozen=True)
class Assessment:
    """A deadline as it stands on one day."""

    timing: Timing
    status: DeadlineStatus
    today: dt.date
    working_days_left: int | None = None  # until due (negative when overdue)
    late_by: int | None = None  # late: met late, or overdue so far (at least 1), in the timing's unit
    left: int | None = None  # until due, in the timing's unit
    after_statutory: int | None = None  # met after the statutory date by this much, in the timing's unit

    @property
    def detail(self) -> str:
        return self.status.detail(self)

    def as_dict(self) -> dict[str, Any]:
        t = self.timing
        out = {
            "deadline": t.deadline, "title": t.title, "owner": list(t.owner), "status": self.status,
            "start": t.start, "due": t.due, "warn_from": t.warn_from, "met_on": t.met_on,
            "working_days_left": self.working_days_left,
            "late_by_working_days": self.late_by if t.late_in == PeriodUnit.WORKING_DAYS else None,
            "detail": self.detail, "reason": t.reason or None,
        }
        if t.statutory_due not in (None, t.due) or t.extended_by or t.paused_since or t.late_in != PeriodUnit.WORKING_DAYS:
            out |= {"statutory_due": t.statutory_due, "extended_by": t.extended_by, "paused_since": t.paused_since,
                    "late_by": self.late_by, "late_in": str(t.late_in), "after_statutory": self.after_statutory}
        return out


calendar_for = calendar_of  # a definition's working-day calendar, built once (its cache is cleared with it)


@cache
def _reachable(definition: Definition) -> dict[str, frozenset[str]]:
    edges: dict[str, set[str]] = {s: set() for s in definition.states}
    for event in definition.events.values():
        for source in event.sources:
            edges[source].add(event.target or source)
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


def timing(case: Case, deadline: Deadline, evaluator: Any = None) -> Timing:
    """What the case's history says about ``deadline`` (its latest cycle, for one counted from each occurrence)."""
    return deadline_timings(case, deadline, evaluator)[-1]


def deadline_timings(case: Case, deadline: Deadline, evaluator: Any = None) -> list[Timing]:
    """One timing per cycle of ``deadline`` (one, unless it counts from each occurrence of an event):
    its dates, whether it applies, how late it was met."""
    d = case.definition
    calendar = calendar_for(d)
    found = clocks.cycles(case, deadline.anchor)
    if not found:
        return [_timing(case, deadline, None, calendar, evaluator)]
    return [_timing(case, deadline, cycle, calendar, evaluator) for cycle in found]


def _timing(case: Case, deadline: Deadline, cycle: clocks.Cycle | None, calendar: WorkingCalendar,
            evaluator: Any) -> Timing:
    d = case.definition
    key = clocks.cycle_key(deadline.id, cycle.number if cycle else None)
    met_on = clocks.met_on(case, deadline, cycle) if cycle is not None or deadline.anchor.kind == "fact" else None
    start = cycle.start if cycle else None
    due = warn_from = statutory = paused = None
    extended_by = None
    stopped = ""
    if cycle is not None:
        c = clocks.clock(case, deadline, cycle, calendar, clocks.extensions_of(case, key))
        due, statutory, paused = c.due, c.statutory_due, c.paused_since
        stopped = clocks.paused_words(c.paused_days, deadline) if c.paused_days else ""
        if c.extension is not None:
            extended_by = case.who(str(c.extension.role)) if c.extension.role else "agreement"
        if due is not None and deadline.warn is not None:
            warn_from = calendar.shift(due, -deadline.warn.amount, deadline.warn.unit)
    title = deadline.title if cycle is None or cycle.number is None else f"{deadline.title} ({_ordinal(cycle.number)})"
    unit = deadline.late_in

    def make(applicable: bool = True, reason: str = "", condition: str = "") -> Timing:
        late_by = days_late(due, met_on, calendar, unit) if met_on and due and met_on > due else None
        return Timing(key, title, deadline.owner, start, due, warn_from, met_on, applicable, reason, late_by,
                      statutory if statutory != due or extended_by else None, extended_by, paused, unit, stopped,
                      condition)

    if met_on is not None:
        return make()
    if cycle is not None and cycle.until_seq is not None:
        return make(False, f"superseded: '{d.events[deadline.anchor.ref].title}' happened again on "
                           f"{cycle.next_on.isoformat() if cycle.next_on else '?'}")
    evaluator = evaluator or case.evaluator()
    unknown = []
    for criterion_id in deadline.applies_when:
        value = evaluator.value(criterion_id)
        if value is False:
            return make(False, f"does not apply: '{d.criteria[criterion_id].title}' does not hold")
        if value is None:
            unknown.append(f"'{d.criteria[criterion_id].title}'")
    # Unknown is not "does not apply": the deadline stays open, saying what it depends on.
    condition = f"applies if {' and '.join(unknown)} holds, not known yet" if unknown else ""
    can_meet = {s for e in deadline.met_by for s in d.events[e].sources}
    if not (_reachable(d)[case.state] & can_meet):
        return make(False, "not applicable on this route")
    if cycle is None:
        return make(True, f"starts with {clocks.describe_anchor_wait(case, deadline.anchor)}")
    return make(condition=condition)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} time"


def task_timings(case: Case) -> list[Timing]:
    """Each task of the case as a deadline: due when given or by its kind's period, met when received,
    not applicable once waived."""
    calendar = calendar_for(case.definition)
    out = []
    for task in case.tasks.values():
        kind = case.definition.tasks.get(task["kind"])
        due = _day(task["due"])
        warn_from = None
        if due is not None and kind is not None and kind.warn is not None:
            warn_from = calendar.shift(due, -kind.warn.amount, kind.warn.unit)
        status = TaskStatus(task["status"])
        met_on = _day(task["closed_on"]) if status is TaskStatus.DONE else None
        late_by = days_late(due, met_on, calendar) if met_on and due and met_on > due else None
        reason = f"waived on {task['closed_on']}: {task['reason']}" if status is TaskStatus.WAIVED else \
            ("" if due else "no due date")
        out.append(Timing(clocks.task_key(task["kind"], task["task"]), f"{task['title']}: {task['party']}",
                          (task["party_role"],), _day(task["added_on"]), due, warn_from, met_on,
                          status is not TaskStatus.WAIVED, reason, late_by))
    return out


def timings(case: Case) -> list[Timing]:
    """Every deadline of the case (each cycle of each), then each of its tasks."""
    evaluator = case.evaluator()
    out = [t for deadline in case.definition.deadlines.values() for t in deadline_timings(case, deadline, evaluator)]
    return out + task_timings(case) if case.tasks else out


def status_on(t: Timing, today: dt.date, calendar: WorkingCalendar) -> Assessment:
    """The deadline as it stands on ``today``: the one place a status is decided."""
    settled = t.settled
    if settled is not None:
        after = None
        if settled is DeadlineStatus.MET_EXTENDED or (settled is DeadlineStatus.MET_LATE and t.extended):
            assert t.met_on is not None and t.statutory_due is not None
            after = days_late(t.statutory_due, t.met_on, calendar, t.late_in)
        return Assessment(t, settled, today, late_by=t.late_by, after_statutory=after)
    assert t.due is not None
    left = calendar.working_days_between(today, t.due)
    in_unit = clocks.amount_between(today, t.due, t.late_in, calendar)
    if t.due < today:
        return Assessment(t, DeadlineStatus.OVERDUE, today, left, days_late(t.due, today, calendar, t.late_in), in_unit)
    if t.due == today or (t.warn_from is not None and t.warn_from <= today):
        return Assessment(t, DeadlineStatus.DUE_SOON, today, left, left=in_unit)
    return Assessment(t, DeadlineStatus.UPCOMING, today, left, left=in_unit)


def statuses(case: Case, today: dt.date) -> list[Assessment]:
    calendar = calendar_for(case.definition)
    return [status_on(t, today, calendar) for t in timings(case)]
