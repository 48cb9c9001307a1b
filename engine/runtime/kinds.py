"""The vocabularies of a case's history: the kinds of record, and the statuses of agreed actions and tasks.

Both are ``str``-valued Enums: a member *is* the string stored in the
database and written in JSON (``RecordKind.TRANSITION == "transition"``), so
the stored values never change, while code names each kind once, here.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class RecordKind(StrEnum):
    """What an entry of a case's history records."""

    OPENED = "opened"  # the first entry: the case opened under a process version
    TRANSITION = "transition"  # an event of the definition
    FACTS = "facts"  # facts recorded or corrected on their own
    SIGNOFF = "signoff"  # a role agrees the step at hand
    NOTE = "note"
    MIGRATED = "migrated"  # from here on the case follows another version of its process
    REDACTED = "redacted"  # the personal content of the case's entries was removed
    ACTION_ADDED = "action_added"  # an action agreed at a stage (its text is the entry's note)
    ACTION_DONE = "action_done"
    ACTION_DROPPED = "action_dropped"
    # language 2
    PARTY = "party"  # an organisation named for a role of the case (data: role, organisation, replaces)
    EXTENDED = "extended"  # a deadline extended: who agreed (role), when (on), why (note), to when (data)
    TASK_ADDED = "task_added"  # a task for one party (data: task, kind, party, due)
    TASK_DONE = "task_done"  # received
    TASK_WAIVED = "task_waived"  # no longer expected; why is the note


class ActionStatus(StrEnum):
    """Where an agreed action stands. OPEN, DONE and DROPPED are stored; OVERDUE is an open action on a day
    after its due date (see :meth:`on`)."""

    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]

    @property
    def heading(self) -> str:
        """The label as reports print it: 'Open', 'Overdue'."""
        return self.label.capitalize()

    @classmethod
    def stored(cls) -> tuple[ActionStatus, ...]:
        """The statuses an action's record can hold."""
        return (cls.OPEN, cls.DONE, cls.DROPPED)

    @classmethod
    def on(cls, status: str, due: dt.date | str, today: dt.date) -> ActionStatus:
        """The action's status on ``today``: an open action past its due date is overdue."""
        day = dt.date.fromisoformat(due) if isinstance(due, str) else due
        if status == cls.OPEN and day < today:
            return cls.OVERDUE
        return cls(status)


_ACTION_LABELS: dict[ActionStatus, str] = {
    ActionStatus.OPEN: "open",
    ActionStatus.DONE: "done",
    ActionStatus.DROPPED: "dropped",
    ActionStatus.OVERDUE: "OVERDUE",
}


class TaskStatus(StrEnum):
    """Where a task stands. OPEN, DONE and WAIVED are stored; OVERDUE is an open task on a day after its due date."""

    OPEN = "open"
    DONE = "done"
    WAIVED = "waived"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return _TASK_LABELS[self]

    @property
    def heading(self) -> str:
        return self.label.capitalize()

    @property
    def settled(self) -> bool:
        """Received, or no longer expected."""
        return self in (TaskStatus.DONE, TaskStatus.WAIVED)

    @classmethod
    def on(cls, status: str, due: dt.date | str | None, today: dt.date) -> TaskStatus:
        """The task's status on ``today``: an open task past its due date is overdue."""
        day = dt.date.fromisoformat(due) if isinstance(due, str) else due
        if status == cls.OPEN and day is not None and day < today:
            return cls.OVERDUE
        return cls(status)


_TASK_LABELS: dict[TaskStatus, str] = {
    TaskStatus.OPEN: "open",
    TaskStatus.DONE: "received",
    TaskStatus.WAIVED: "waived",
    TaskStatus.OVERDUE: "OVERDUE",
}
