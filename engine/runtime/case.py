"""A running case: its state, facts and sign-offs, rebuilt from its events.

The event history is the truth. A :class:`Case` is what you get by applying a
case's records in order, each transition fired through the process's
``transitions`` machine (see :mod:`cspr.engine.runtime.machine`); replaying the same
records always gives the same case. The case can say, for any event, every
reason it cannot be recorded now (:meth:`Case.blockers`), and which events are
possible next (:meth:`Case.next_steps`).

Kinds of record: ``opened`` (first), ``transition`` (an event of the
definition), ``facts`` (facts recorded or corrected on their own),
``signoff`` (a role agrees the step at hand), ``note``, and ``migrated``
(from here on the case follows another version of its process, in the state
the migration recorded), and ``redacted`` (the personal content of the
case's entries was removed; those entries are replayed without re-checking
the requirements their removed facts once met); and ``action_added``,
``action_done``, ``action_dropped`` for the actions agreed at a stage (the
action's text is the entry's note, so a redaction removes it too).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cspr.engine.definition import facts as fact_values
from cspr.engine.definition.model import Definition
from cspr.engine.definition.rules import Context, Evaluator, Verdict
from cspr.engine.errors import CsprError, InputError

from .kinds import ActionStatus, RecordKind, TaskStatus

KINDS = tuple(RecordKind)



@dataclass(frozen=True)
class Record:
    """One entry of a case's history, as stored (facts as JSON-ready values)."""

    seq: int
    kind: str
    on: dt.date
    name: str | None = None  # transition: the event id; signoff: the role
    role: str | None = None  # the role that performed or recorded it
    actor: str = ""
    recorded_at: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)
    note: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    redacted: bool = False  # facts and note removed; replayed without re-checking its requirements

    def label(self) -> str:
        """The record in a few words: the event id, 'sign-off by ROLE', 'facts'..."""
        if self.kind == RecordKind.TRANSITION:
            return str(self.name)
        if self.kind == RecordKind.SIGNOFF:
            return f"sign-off by {self.name}"
        if self.kind == RecordKind.MIGRATED:
            return f"migration to {self.data.get('to_version')}"
        return self.kind

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "kind": self.kind, "name": self.name, "on": self.on.isoformat(),
            "role": self.role, "actor": self.actor, "recorded_at": self.recorded_at,
            "facts": dict(self.facts), "note": self.note, "data": dict(self.data), "redacted": self.redacted,
        }


@dataclass(frozen=True)
class Blocker:
    """One reason an event cannot be recorded now."""

    kind: str  # state, role, fact, criterion, signoff
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class Step:
    """An event possible from the current state, ready or with what blocks it."""

    event: str
    title: str
    target: str | None  # None: the case stays where it is
    by: tuple[str, ...]
    blockers: tuple[Blocker, ...]

    @property
    def ready(self) -> bool:
        return not self.blockers

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.event, "title": self.title, "to": self.target, "by": list(self.by),
            "ready": self.ready, "blockers": [b.as_dict() for b in self.blockers],
        }


class Refused(CsprError):
    """An event, sign-off or note was refused; nothing was recorded."""

    def __init__(self, ref: str, what: str, blockers: list[Blocker]):
        self.ref = ref
        self.what = what
        self.blockers = list(blockers)
        reasons = "; ".join(b.message for b in self.blockers)
        super().__init__(f"{ref}: cannot record {what}: {reasons}")


class HistoryInvalid(CsprError):
    """A stored history does not replay under a definition (e.g. a newer edition)."""

    def __init__(self, ref: str, record: Record, blockers: list[Blocker]):
        self.ref = ref
        self.record = record
        self.blockers = list(blockers)
        reasons = "; ".join(b.message for b in blockers)
        self.reason = f"history does not fit at #{record.seq} ({record.label()} on {record.on.isoformat()}): {reasons}"
        super().__init__(f"{ref}: {self.reason}")


def unknown_event(definition: Definition, name: str) -> InputError:
    close = difflib.get_close_matches(name, list(definition.events), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return InputError(f"{definition.label} has no event {name!r}{hint} (see 'cspr process show')")


def unknown_role(definition: Definition, name: str) -> InputError:
    close = difflib.get_close_matches(name, list(definition.roles), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; roles: {', '.join(definition.roles)}"
    return InputError(f"{definition.label} has no role {name!r}{hint}")


class Case:
    """The current condition of one case under one definition."""

    def __init__(self, ref: str, definition: Definition,
                 definitions: Callable[[str], Definition] | None = None):
        from .machine import interpreter

        self.ref = ref
        self.definition = definition
        self.interpreter = interpreter(definition)
        self._definitions = definitions  # content hash -> definition, for migrated records
        self.trusting = False  # while replaying a redacted entry: its requirements were checked when recorded
        self.token: Any = None  # set while the case is attached to its machine
        self.state = definition.initial_state.id
        self.facts: dict[str, Any] = {}
        self.signoffs: dict[str, Record] = {}
        self.entered_seq = 0
        self.entered_on: dt.date | None = None  # when the case reached its current state
        self.opened_on: dt.date | None = None
        self.history: list[Record] = []
        self.stages_seen: set[str] = set()
        self.actions: dict[str, dict[str, Any]] = {}
        # language 2
        self.parties: dict[str, list[str]] = {}  # role -> the organisations named for it
        self.party_signoffs: dict[str, dict[str, Record]] = {}  # role -> organisation -> its sign-off
        self.tasks: dict[str, dict[str, Any]] = {}
        self.links: list[str] = []  # cases this one was opened linked with
        self.flags: list[tuple[Record, str]] = []  # events recorded off the usual route, with their words

    # -- queries -------------------------------------------------------------

    @property
    def stage(self) -> str:
        return self.definition.states[self.state].stage

    @property
    def is_final(self) -> bool:
        return self.definition.states[self.state].final

    @property
    def redacted(self) -> bool:
        return any(r.kind == RecordKind.REDACTED for r in self.history)

    def evaluator(self, extra: Mapping[str, Any] | None = None) -> Evaluator:
        facts = self.facts if not extra else _merged(self.facts, extra)
        return Evaluator(self.definition, facts, self.context())

    def context(self) -> Context:
        """What language-2 rules read besides the facts: event dates, parties, tasks."""
        events: dict[str, list[dt.date]] = {}
        for record in self.history:
            if record.kind == RecordKind.TRANSITION and record.name:
                events.setdefault(record.name, []).append(record.on)
        tasks: dict[str, list[bool]] = {}
        for task in self.tasks.values():
            tasks.setdefault(task["kind"], []).append(TaskStatus(task["status"]).settled)
        return Context(events={k: tuple(v) for k, v in events.items()},
                       parties={k: tuple(v) for k, v in self.parties.items()},
                       tasks={k: tuple(v) for k, v in tasks.items()})

    def who(self, role: str) -> str:
        """A role as this case knows it: the organisation(s) named for it, else the role's name."""
        from .parties import who

        return who(self.definition, self.parties, role)

    def violations(self) -> list[Blocker]:
        """The process's consistency rules the case now breaks (known to be false)."""
        evaluator = self.evaluator()
        out = []
        for rule in self.definition.consistency.values():
            verdict = evaluator.rule(rule.rule)
            if verdict.value is False:
                out.append(Blocker("consistency", f"'{rule.title}' would no longer hold: {'; '.join(verdict.blockers(self.ref))}"))
        return out

    def criteria(self) -> dict[str, Verdict]:
        evaluator = self.evaluator()
        return {c: evaluator.criterion(c) for c in self.definition.criteria}

    def blockers(self, event_id: str, by: str | None = None, new_facts: Mapping[str, Any] | None = None,
                 *, check_role: bool = True) -> list[Blocker]:
        """Every reason ``event_id`` cannot be recorded now (empty: it can)."""
        d = self.definition
        event = d.events.get(event_id)
        if event is None:
            raise unknown_event(d, event_id)
        if self.state not in event.sources:
            here = d.states[self.state]
            allowed = ", ".join(f"'{d.states[s].title}'" for s in event.sources)
            return [Blocker("state", f"the case is at '{here.title}'; '{event.title}' is only possible at {allowed}")]
        out: list[Blocker] = []
        if check_role:
            names = ", ".join(f"{d.roles[r].name} ({r})" for r in event.by)
            if by is None and len(event.by) > 1:
                out.append(Blocker("role", f"say who records it with --by, one of: {names}"))
            elif by is not None and by not in event.by:
                who = d.roles[by].name if by in d.roles else by
                out.append(Blocker("role", f"{who} may not record '{event.title}'; it is recorded by {names}"))
        facts = _merged(self.facts, new_facts) if new_facts else self.facts
        for fact_id in event.requires.facts:
            fact = d.facts[fact_id]
            value = facts.get(fact_id)
            if value is None:
                out.append(Blocker("fact", f"record '{fact.label}' ({fact_values.hint(fact)})"))
            elif not fact_values.fits(fact, value):
                out.append(Blocker("fact", f"'{fact.label}' holds {value!r}, not a valid {fact.type}; "
                                           f"correct it ({fact_values.hint(fact)})"))
        evaluator = Evaluator(d, facts, self.context())
        for criterion_id in event.requires.criteria:
            if evaluator.value(criterion_id) is True:
                continue
            verdict = evaluator.criterion(criterion_id)
            title = d.criteria[criterion_id].title
            if verdict.value is False:
                out.append(Blocker("criterion", f"'{title}' is not met: {'; '.join(verdict.blockers(self.ref))}"))
            elif verdict.value is None:
                out.append(Blocker("criterion", f"cannot tell yet whether '{title}' holds: {'; '.join(verdict.blockers(self.ref))}"))
        if event.requires.signoff_when or self.parties:
            from .parties import signoff_blockers

            out += signoff_blockers(self, event, evaluator)
        else:
            for role in event.requires.signoff:
                if role not in self.signoffs:
                    out.append(Blocker("signoff", f"needs sign-off from {d.roles[role].name} (cspr case signoff {self.ref} {role})"))
        return out

    def next_steps(self) -> list[Step]:
        """Each event possible from the current state, with what blocks it."""
        return [
            Step(e.id, e.title, e.target, e.by, tuple(self.blockers(e.id, check_role=False)))
            for e in self.definition.events_from(self.state)
        ]

    def signoff_roles_wanted(self) -> set[str]:
        """Roles whose sign-off some event from the current state needs."""
        from .parties import roles_wanted

        return roles_wanted(self, self.evaluator())

    def off_route(self, event_id: str) -> str | None:
        """The words that flag ``event_id`` if it were recorded now, off the process's usual route."""
        event = self.definition.events[event_id]
        if event.off_route is not None and self.state in event.off_route.states:
            return event.off_route.words
        return None

    # -- attachment to the machine -----------------------------------------------

    def attach(self) -> None:
        if self.token is None:
            self.token = self.interpreter.attach(self)

    def detach(self) -> None:
        if self.token is not None:
            self.interpreter.detach(self.token)
            self.token = None

    # -- applying records ------------------------------------------------------

    def apply(self, record: Record) -> None:
        """Apply one stored record; a transition that does not fit raises HistoryInvalid."""
        if record.kind not in KINDS:
            raise HistoryInvalid(self.ref, record, [Blocker("state", f"unknown kind of record {record.kind!r}")])
        if (record.kind == RecordKind.OPENED) != (not self.history):
            raise HistoryInvalid(self.ref, record, [Blocker("state", "a history starts with exactly one 'opened' record")])
        typed = {name: fact_values.from_json(self.definition, name, value) for name, value in record.facts.items()}
        if record.kind == RecordKind.OPENED:
            self.state = self.definition.initial_state.id
            self.parties = {role: list(names) for role, names in (record.data.get("parties") or {}).items()}
            self.links = list(record.data.get("linked") or [])
            self.facts = _merged({}, typed)
            self.opened_on = self.entered_on = record.on
            self.entered_seq = record.seq
            self.stages_seen.add(self.stage)
        elif record.kind == RecordKind.FACTS:
            self.facts = _merged(self.facts, typed)
        elif record.kind == RecordKind.SIGNOFF:
            if record.name not in self.definition.roles:
                raise HistoryInvalid(self.ref, record, [Blocker("role", f"no role {record.name!r} in {self.definition.label}")])
            self.signoffs[str(record.name)] = record
            if record.data.get("party"):
                self.party_signoffs.setdefault(str(record.name), {})[str(record.data["party"])] = record
        elif record.kind == RecordKind.TRANSITION:
            self._transition(record, typed)
        elif record.kind == RecordKind.MIGRATED:
            self._migrate(record)
            self.stages_seen.add(self.stage)
        elif record.kind in (RecordKind.ACTION_ADDED, RecordKind.ACTION_DONE, RecordKind.ACTION_DROPPED):
            self._action(record)
        elif record.kind == RecordKind.PARTY:
            from .parties import apply_party

            apply_party(self, record)
        elif record.kind in (RecordKind.TASK_ADDED, RecordKind.TASK_DONE, RecordKind.TASK_WAIVED):
            from .parties import apply_task

            apply_task(self, record)
        self.history.append(record)

    def _action(self, record: Record) -> None:
        data = record.data
        action_id = str(data.get("action"))
        if record.kind == RecordKind.ACTION_ADDED:
            self.actions[action_id] = {
                "action": action_id, "stage": data.get("stage"), "text": record.note, "owner": data.get("owner"),
                "due": data.get("due"), "agreed_by": list(data.get("agreed_by", [])), "added_on": record.on.isoformat(),
                "status": ActionStatus.OPEN, "closed_on": None, "reason": None,
            }
            return
        action = self.actions.get(action_id)
        if action is None or action["status"] != ActionStatus.OPEN:
            raise HistoryInvalid(self.ref, record, [Blocker("state", f"there is no open action {action_id}")])
        action["status"] = ActionStatus.DONE if record.kind == RecordKind.ACTION_DONE else ActionStatus.DROPPED
        action["closed_on"] = record.on.isoformat()
        action["reason"] = record.note

    def _migrate(self, record: Record) -> None:
        from .machine import interpreter

        target = str(record.data.get("to_hash"))
        if self._definitions is None:
            raise HistoryInvalid(self.ref, record, [Blocker("state", "a migrated history needs its process versions")])
        definition = self._definitions(target)
        state = str(record.data.get("state"))
        if state not in definition.states:
            raise HistoryInvalid(self.ref, record, [Blocker("state", f"{definition.label} has no state {state!r}")])
        attached = self.token is not None
        self.detach()
        self.definition = definition
        self.interpreter = interpreter(definition)
        if state != self.state:
            self.state = state
            self.signoffs = {}
            self.party_signoffs = {}
            self.entered_seq, self.entered_on = record.seq, record.on
        else:
            self.signoffs = {r: s for r, s in self.signoffs.items() if r in definition.roles}
            self.party_signoffs = {r: s for r, s in self.party_signoffs.items() if r in definition.roles}
        if attached:
            self.attach()

    def _transition(self, record: Record, typed: dict[str, Any]) -> None:
        name = record.name or ""
        if name not in self.definition.events:
            raise HistoryInvalid(self.ref, record, [Blocker("state", f"no event {name!r} in {self.definition.label}")])
        before = self.facts
        flag = self.off_route(name) if self.state in self.definition.events[name].sources else None
        self.facts = _merged(self.facts, typed)
        self.trusting = record.redacted
        try:
            new_state = self.interpreter.fire(self, name, record.role)
        finally:
            self.trusting = False
        if new_state is None:
            reasons = self.blockers(name, record.role) or [Blocker("state", "the process machine refused it")]
            self.facts = before
            raise HistoryInvalid(self.ref, record, reasons)
        if flag is not None:
            self.flags.append((record, flag))
        if not self.definition.events[name].moves:
            return  # recorded where the case is; it stays there, sign-offs and all
        self.state = new_state
        self.signoffs = {}
        self.party_signoffs = {}
        self.entered_seq = record.seq
        self.entered_on = record.on
        self.stages_seen.add(self.stage)


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def replay(ref: str, definition: Definition, records: list[Record],
           definitions: Callable[[str], Definition] | None = None) -> Case:
    """The case as its records leave it, every transition re-checked.

    ``definition`` is the version the case was opened under; ``definitions``
    finds the versions that ``migrated`` records move it to.
    """
    case = Case(ref, definition, definitions)
    case.attach()
    try:
        for record in records:
            case.apply(record)
    finally:
        case.detach()
    return case


def replay_under(ref: str, definition: Definition, records: list[Record]) -> Case:
    """The case as if it had always followed ``definition`` (earlier migrations ignored)."""
    case = Case(ref, definition)
    case.attach()
    try:
        for record in records:
            if record.kind != RecordKind.MIGRATED:
                case.apply(record)
    finally:
        case.detach()
    return case
