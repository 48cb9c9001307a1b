"""A new edition and the cases already open: impact, and migration on purpose.

Cases stay on the version they were opened under. Before adopting a new
version, :func:`impact` replays each open case's history under it and says
what would change: the state (or the first event that no longer fits), each
deadline's due date, the next steps. Nothing is written.

:meth:`cspr.engine.casebook.Casebook.migrate` moves one case when someone decides
to: its history is replayed under the new version, or, where it does not
fit, the current state is mapped to one of the new version's states. The move
is itself a ``migrated`` record (who, when, from which hash to which), so the
history still replays: earlier records under the old version, later ones
under the new.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cspr.engine.definition.model import Definition

from .case import Case, HistoryInvalid, Record, replay_under
from .deadlines import DeadlineStatus, statuses


@dataclass
class DeadlineShift:
    deadline: str
    title: str
    due_before: dt.date | None
    due_after: dt.date | None
    status_before: DeadlineStatus | None
    status_after: DeadlineStatus | None

    @property
    def changed(self) -> bool:
        return (self.due_before, self.status_before) != (self.due_after, self.status_after)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deadline": self.deadline, "title": self.title, "due_before": self.due_before,
            "due_after": self.due_after, "status_before": self.status_before, "status_after": self.status_after,
            "changed": self.changed,
        }


@dataclass
class Impact:
    """What a case would look like under another version of its process."""

    ref: str
    old: Definition
    new: Definition
    state_before: str
    state_after: str | None = None
    failure: HistoryInvalid | None = None
    deadlines: list[DeadlineShift] = field(default_factory=list)
    steps_added: list[str] = field(default_factory=list)
    steps_removed: list[str] = field(default_factory=list)
    mapped: bool = False

    @property
    def fits(self) -> bool:
        return self.failure is None

    @property
    def changed(self) -> bool:
        return (not self.fits or self.state_after != self.state_before or bool(self.steps_added)
                or bool(self.steps_removed) or any(d.changed for d in self.deadlines))

    def as_dict(self) -> dict[str, Any]:
        failure = None
        if self.failure is not None:
            failure = {
                "seq": self.failure.record.seq, "kind": self.failure.record.kind, "event": self.failure.record.name,
                "on": self.failure.record.on, "reasons": [b.message for b in self.failure.blockers],
            }
        return {
            "ref": self.ref,
            "from": {"version": self.old.version, "hash": self.old.content_hash},
            "to": {"version": self.new.version, "hash": self.new.content_hash},
            "history_fits": self.fits, "first_failure": failure, "state_mapped": self.mapped,
            "state_before": self.state_before, "state_after": self.state_after,
            "deadlines": [d.as_dict() for d in self.deadlines],
            "next_steps_added": self.steps_added, "next_steps_removed": self.steps_removed,
            "changed": self.changed,
        }


def compare(current: Case, candidate: Case | None, new: Definition, today: dt.date,
            failure: HistoryInvalid | None = None, mapped: bool = False) -> Impact:
    impact = Impact(current.ref, current.definition, new, current.state, failure=failure, mapped=mapped)
    if candidate is None:
        return impact
    impact.state_after = candidate.state
    before = {s.timing.deadline: s for s in statuses(current, today)}
    after = {s.timing.deadline: s for s in statuses(candidate, today)}
    for deadline_id in dict.fromkeys([*before, *after]):
        b, a = before.get(deadline_id), after.get(deadline_id)
        title = (a or b).timing.title  # type: ignore[union-attr]
        impact.deadlines.append(DeadlineShift(
            deadline_id, title,
            b.timing.due if b else None, a.timing.due if a else None,
            b.status if b else None, a.status if a else None,
        ))
    old_steps = [s.event for s in current.next_steps()]
    new_steps = [s.event for s in candidate.next_steps()]
    impact.steps_added = [e for e in new_steps if e not in old_steps]
    impact.steps_removed = [e for e in old_steps if e not in new_steps]
    return impact


def impact(current: Case, records: list[Record], new: Definition, today: dt.date) -> Impact:
    """Replay ``records`` under ``new`` and compare with the case as it stands."""
    try:
        candidate = replay_under(current.ref, new, records)
    except HistoryInvalid as failure:
        return compare(current, None, new, today, failure)
    return compare(current, candidate, new, today)
