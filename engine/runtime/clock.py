"""A deadline's clock: when each cycle starts, when it is due, what stopped it and what was agreed.

The dates only; :mod:`cspr.engine.runtime.deadlines` turns them into a
:class:`~cspr.engine.runtime.deadlines.Timing` and a status.

* **Start.** A date fact; an event's latest occurrence (language 1, and the
  default), its first, or each (every occurrence starts a cycle of its own,
  met by the first meeting event before the next occurrence); or the
  earliest or latest of several of those (the latest only once all are known).
* **Statutory due date.** The start moved by the period; then every pause
  (language 2: an event that stops the clock, and the one that starts it
  again) that began before the clock ran out moves it later by the time
  stopped, counted in working days for a working-day deadline and in calendar
  days otherwise; then, if the process says so, rolled to the next (or
  previous) working day. A pause still running leaves the due date unknown.
* **Due date.** The statutory date, or a later date agreed by a role the
  process allows (``cspr case extend``): the latest agreement counts, and
  never makes the deadline earlier than its statutory date.

Nothing can make a due date earlier than the period after the start: pauses
only add time (a pause that starts and ends on the same day adds none), and
an extension is never earlier than the statutory date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cspr.engine.definition.model import Anchor, Deadline
from cspr.engine.definition.workdays import PeriodUnit, WorkingCalendar

from .kinds import RecordKind

if TYPE_CHECKING:
    from .case import Case, Record


@dataclass(frozen=True)
class Cycle:
    """One run of a deadline's clock: where it starts, and which records may meet it."""

    start: dt.date
    after_seq: int  # meeting events count after this entry
    until_seq: int | None = None  # ... and before this one (the next occurrence, for 'each')
    number: int | None = None  # 1, 2, ... for a deadline counted from each occurrence
    next_on: dt.date | None = None  # when the next occurrence happened


@dataclass(frozen=True)
class Clock:
    """What pauses and agreements did to one cycle's due date."""

    statutory_due: dt.date | None  # the period after the start, with pauses and rolling
    due: dt.date | None  # the statutory date, or a later one agreed
    paused_since: dt.date | None = None  # the clock is stopped now, since this day
    paused_days: int = 0  # time added by pauses that ended (in working or calendar days)
    extension: Record | None = None  # the agreement in force, if it moved the due date


def occurrences(case: Case, event_id: str) -> list[Record]:
    return [r for r in case.history if r.kind == RecordKind.TRANSITION and r.name == event_id]


def _simple(case: Case, anchor: Anchor) -> tuple[dt.date, int] | None:
    """The date (and entry) a fact or event anchor gives, or None until it is known."""
    if anchor.kind == "fact":
        value = case.facts.get(anchor.ref)
        return (value, 0) if isinstance(value, dt.date) else None
    found = occurrences(case, anchor.ref)
    if not found:
        return None
    record = found[0] if anchor.occurrence == "first" else found[-1]
    return record.on, record.seq


def cycles(case: Case, anchor: Anchor) -> list[Cycle]:
    """Every cycle of a deadline counted from ``anchor`` (empty until it starts)."""
    if anchor.kind == "event" and anchor.occurrence == "each":
        found = occurrences(case, anchor.ref)
        following: list[Record | None] = [*found[1:], None] if found else []
        return [Cycle(r.on, r.seq, nxt.seq if nxt else None, i, nxt.on if nxt else None)
                for i, (r, nxt) in enumerate(zip(found, following, strict=True), start=1)]
    if anchor.kind in ("fact", "event"):
        known = _simple(case, anchor)
        return [Cycle(known[0], known[1])] if known else []
    parts = [_simple(case, part) for part in anchor.parts]
    dates = [p for p in parts if p is not None]
    if not dates or (anchor.kind == "latest" and len(dates) < len(parts)):
        return []
    chosen = min(dates) if anchor.kind == "earliest" else max(dates)
    return [Cycle(chosen[0], chosen[1])]


def met_on(case: Case, deadline: Deadline, cycle: Cycle | None) -> dt.date | None:
    """The first meeting event of a cycle (or, for a deadline counted from a fact not yet known, any)."""
    after = cycle.after_seq if cycle else 0
    until = cycle.until_seq if cycle else None
    for record in case.history:
        if (record.kind == RecordKind.TRANSITION and record.name in deadline.met_by and record.seq > after
                and (until is None or record.seq < until)):
            return record.on
    return None


def pauses(case: Case, deadline: Deadline) -> list[tuple[dt.date, dt.date | None]]:
    """The spans the clock was stopped, in order and never overlapping: from a pausing event to the
    first resuming event of the same pause after it (a second stop while stopped changes nothing)."""
    spans: list[tuple[dt.date, dt.date | None]] = []
    for pause in deadline.pauses:
        since: dt.date | None = None
        for record in case.history:
            if record.kind != RecordKind.TRANSITION:
                continue
            if record.name == pause.paused_by and since is None:
                since = record.on
            elif record.name == pause.resumed_by and since is not None:
                spans.append((since, record.on))
                since = None
        if since is not None:
            spans.append((since, None))
    merged: list[tuple[dt.date, dt.date | None]] = []
    for begin, end in sorted(spans, key=lambda p: (p[0], p[1] or dt.date.max)):
        last_end = merged[-1][1] if merged else None
        if merged and (last_end is None or begin <= last_end):
            last_begin = merged[-1][0]
            merged[-1] = (last_begin, None if end is None or last_end is None else max(last_end, end))
        else:
            merged.append((begin, end))
    return merged


def roll(day: dt.date, deadline: Deadline, calendar: WorkingCalendar) -> dt.date:
    if deadline.roll is None or calendar.is_working_day(day):
        return day
    step = 1 if deadline.roll == "next_working_day" else -1
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=step)
    return day


def stopped_for(start: dt.date, end: dt.date, deadline: Deadline, calendar: WorkingCalendar) -> int:
    """The time a pause from ``start`` to ``end`` adds: working days for a working-day deadline, else days."""
    if deadline.period.unit == PeriodUnit.WORKING_DAYS:
        return max(0, calendar.working_days_between(start, end))
    return max(0, (end - start).days)


def clock(case: Case, deadline: Deadline, cycle: Cycle, calendar: WorkingCalendar,
          extensions: list[Record] | None = None) -> Clock:
    """The statutory and agreed due dates of one cycle, and whether its clock is stopped."""
    sign = 1 if deadline.direction == "after" else -1
    due = calendar.shift(cycle.start, sign * deadline.period.amount, deadline.period.unit)
    added, stopped = 0, None
    if deadline.direction == "after":
        unit = PeriodUnit.WORKING_DAYS if deadline.period.unit == PeriodUnit.WORKING_DAYS else PeriodUnit.CALENDAR_DAYS
        for begin, end in pauses(case, deadline):
            begin = max(begin, cycle.start)
            if begin > due or (end is not None and end <= cycle.start):
                continue  # the clock had run out, or the pause ended before it started
            if end is None:
                stopped = begin
                break
            length = stopped_for(begin, end, deadline, calendar)
            added += length
            due = calendar.shift(due, length, unit)
    statutory = None if stopped else roll(due, deadline, calendar)
    agreed = None
    for record in extensions or []:
        to = dt.date.fromisoformat(str(record.data.get("to")))
        if statutory is not None and to > statutory:
            agreed = record
    if agreed is not None:
        return Clock(statutory, dt.date.fromisoformat(str(agreed.data["to"])), None, added, agreed)
    return Clock(statutory, statutory, stopped, added)


def paused_words(days: int, deadline: Deadline) -> str:
    """'the clock was stopped for 31 calendar days' (the time pauses added to a due date)."""
    unit = PeriodUnit.WORKING_DAYS if deadline.period.unit == PeriodUnit.WORKING_DAYS else PeriodUnit.CALENDAR_DAYS
    return f"the clock was stopped for {unit.amount(days)}"


def extensions_of(case: Case, key: str) -> list[Record]:
    """The agreements recorded for one deadline (by its key: its id, with '#N' for a cycle)."""
    return [r for r in case.history if r.kind == RecordKind.EXTENDED and r.data.get("deadline") == key]


def amount_between(start: dt.date, end: dt.date, unit: str, calendar: WorkingCalendar) -> int:
    """How far ``end`` is after ``start``: working days (after start, up to and including end) or calendar days."""
    if unit == PeriodUnit.CALENDAR_DAYS:
        return (end - start).days
    return calendar.working_days_between(start, end)


def cycle_key(deadline_id: str, number: int | None) -> str:
    """The key of a deadline's row: its id, or ``id#N`` for the N-th cycle of one counted from each occurrence."""
    return deadline_id if number is None else f"{deadline_id}#{number}"


def task_key(kind: str, task_id: str) -> str:
    """The key of a task's row among the deadlines: ``kind:T1`` (ids never hold ':' or '#')."""
    return f"{kind}:{task_id}"


def key_parts(key: str) -> tuple[str, int | None, str | None]:
    """``(deadline or task kind, cycle number, task id)`` from a row's key."""
    if ":" in key:
        kind, _, task_id = key.partition(":")
        return kind, None, task_id
    if "#" in key:
        deadline, _, number = key.partition("#")
        return deadline, int(number), None
    return key, None, None


def describe_anchor_wait(case: Case, anchor: Anchor) -> str:
    """What a deadline that has not started waits for, in the process's words."""
    d = case.definition
    if anchor.kind == "fact":
        return f"'{d.facts[anchor.ref].label}'"
    if anchor.kind == "event":
        return f"'{d.events[anchor.ref].title}'"
    parts = [describe_anchor_wait(case, part) for part in anchor.parts]
    joiner = " or " if anchor.kind == "earliest" else " and "
    return joiner.join(parts)
