"""Commands: the writes a user makes to a case (open, record, sign off, note, facts, migrate, redact),
and rebuilding the projections.

Each is one transaction built from the Casebook's primitives: ``book.load`` the
case (held against other writers), check, ``book.append`` the entry. A refusal
raises before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cspr.engine.definition import facts as fact_values
from cspr.engine.definition.model import Definition
from cspr.engine.errors import InputError
from cspr.engine.runtime.case import Blocker, Case, Record, Refused
from cspr.engine.runtime.kinds import RecordKind
from cspr.engine.store.interface import utc_now

from .projections import projection

if TYPE_CHECKING:
    from .book import Casebook

_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


def gather_facts(definition: Definition, values: Mapping[str, Any] | None = None,
                 assignments: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Typed facts from a facts file's mapping and ``NAME=VALUE`` strings (the strings win)."""
    out = fact_values.from_mapping(definition, values or {})
    out.update(fact_values.parse_assignments(definition, list(assignments)))
    return out


def open_case(book: Casebook, ref: str, definition: Definition, opened_on: dt.date,
              values: Mapping[str, Any] | None = None, assignments: list[str] | tuple[str, ...] = (),
              note: str | None = None, by: str | None = None, check_reference: bool = True) -> Case:
    facts = gather_facts(definition, values, assignments)
    if not _REF.match(ref):
        raise InputError(f"{ref!r} is not a usable case reference: letters, digits and . _ / - only, up to 64")
    if check_reference and definition.reference and not re.fullmatch(definition.reference.pattern, ref):
        raise InputError(f"{ref!r} does not look like a {definition.title} reference (e.g. {definition.reference.example})")
    book.check_date(None, opened_on, RecordKind.OPENED)
    opening = {definition.opening.date_fact: opened_on, **(facts or {})}
    missing = [f for f in definition.opening.facts if opening.get(f) is None]
    if missing:
        labels = ", ".join(f"'{definition.facts[f].label}' ({fact_values.hint(definition.facts[f])})" for f in missing)
        raise Refused(ref, "the opening", [Blocker("fact", f"record {labels}")])
    with book.transaction():
        if book.case_exists(ref):
            raise InputError(f"case {ref} already exists; see 'cspr case show {ref}'")
        book.save_process(definition)
        book.remember(definition)
        case = Case(ref, definition)
        book.append(case, RecordKind.OPENED, opened_on, role=book.role(definition, by), facts=opening, note=note,
                    data={"process_id": definition.id, "version": definition.version,
                          "process_hash": definition.content_hash})
    return case


def record(book: Casebook, ref: str, event_id: str, on: dt.date | None = None, by: str | None = None,
           values: Mapping[str, Any] | None = None, assignments: list[str] | tuple[str, ...] = (),
           note: str | None = None) -> Case:
    on = on or book.today
    with book.transaction():
        case = book.load(ref)
        d = case.definition
        facts = gather_facts(d, values, assignments)
        by = book.role(d, by)
        event = d.events.get(event_id)
        if event is None:
            from cspr.engine.runtime.case import unknown_event

            raise unknown_event(d, event_id)
        if by is None and len(event.by) == 1:
            by = event.by[0]
        blockers = case.blockers(event_id, by, facts or {})
        if blockers:
            raise Refused(ref, f"'{event_id}'", blockers)
        book.check_date(case, on, RecordKind.TRANSITION)
        book.append(case, RecordKind.TRANSITION, on, name=event_id, role=by, facts=facts, note=note)
    return case


def signoff(book: Casebook, ref: str, role: str, on: dt.date | None = None, note: str | None = None) -> Case:
    on = on or book.today
    with book.transaction():
        case = book.load(ref)
        d = case.definition
        book.role(d, role)
        wanted = case.signoff_roles_wanted()
        if role not in wanted:
            need = ", ".join(sorted(wanted)) or "nobody"
            raise Refused(ref, f"a sign-off by {role}", [Blocker(
                "signoff", f"no step from '{d.states[case.state].title}' needs {d.roles[role].name}'s sign-off (needed: {need})")])
        if role in case.signoffs:
            raise Refused(ref, f"a sign-off by {role}", [Blocker(
                "signoff", f"{d.roles[role].name} already signed off on {case.signoffs[role].on.isoformat()} "
                           f"(#{case.signoffs[role].seq})")])
        book.check_date(case, on, RecordKind.SIGNOFF)
        if case.entered_on and on < case.entered_on:
            raise InputError(f"{on.isoformat()} is before the case reached its current step ({case.entered_on.isoformat()})")
        book.append(case, RecordKind.SIGNOFF, on, name=role, role=role, note=note)
    return case


def note(book: Casebook, ref: str, text: str, on: dt.date | None = None, by: str | None = None) -> Case:
    on = on or book.today
    if not text.strip():
        raise InputError("the note is empty")
    with book.transaction():
        case = book.load(ref)
        by = book.role(case.definition, by)
        book.check_date(case, on, RecordKind.NOTE)
        book.append(case, RecordKind.NOTE, on, role=by, note=text)
    return case


def set_facts(book: Casebook, ref: str, values: Mapping[str, Any] | None = None,
              assignments: list[str] | tuple[str, ...] = (), on: dt.date | None = None,
              by: str | None = None, note: str | None = None) -> Case:
    on = on or book.today
    with book.transaction():
        case = book.load(ref)
        facts = gather_facts(case.definition, values, assignments)
        if not facts:
            raise InputError("give at least one fact as NAME=VALUE (the facts are listed by 'cspr process show')")
        by = book.role(case.definition, by)
        date_fact = case.definition.opening.date_fact
        if date_fact in facts and facts[date_fact] is None:
            raise InputError(f"'{date_fact}' opened the case and cannot be cleared; correct it instead")
        book.check_date(case, on, RecordKind.FACTS)
        book.append(case, RecordKind.FACTS, on, role=by, facts=facts, note=note)
    return case


def migrate(book: Casebook, ref: str, new: Definition, state_map: Mapping[str, str] | None = None,
            dry_run: bool = False, on: dt.date | None = None) -> Any:
    """Move a case to another version of its process; return its impact.

    The history is replayed under ``new``; where it does not fit, ``state_map``
    must say which state of ``new`` the case's current state becomes.
    """
    if dry_run:
        return _migrate(book, ref, new, state_map or {}, on or book.today, write=False)
    with book.transaction():
        return _migrate(book, ref, new, state_map or {}, on or book.today, write=True)


def _migrate(book: Casebook, ref: str, new: Definition, state_map: Mapping[str, str], on: dt.date,
             write: bool) -> Any:
    from cspr.engine.runtime.case import HistoryInvalid, replay_under
    from cspr.engine.runtime.editions import compare

    case = book.load(ref)
    old = case.definition
    what = f"a move to {new.label}"
    if new.id != old.id:
        raise Refused(ref, what, [Blocker("state", f"the case follows {old.id}; it can only move to another version of it")])
    if new.content_hash == old.content_hash:
        raise Refused(ref, what, [Blocker("state", f"the case is already on {old.label} ({old.content_hash[:19]}…)")])
    for source, target in state_map.items():
        if source not in old.states:
            raise InputError(f"--map {source}={target}: {old.label} has no state {source!r}")
        if target not in new.states:
            raise InputError(f"--map {source}={target}: {new.label} has no state {target!r}")
    book.check_date(case, on, RecordKind.MIGRATED)
    records = list(case.history)
    failure = None
    try:
        state = replay_under(ref, new, records).state
    except HistoryInvalid as exc:
        failure = exc
        if case.state not in state_map:
            raise Refused(ref, what, [Blocker("state", f"{exc.reason}; to move it anyway, say which state of {new.label} "
                                                       f"'{case.state}' becomes with --map {case.state}=STATE")]) from None
        state = state_map[case.state]
    book.remember(new)
    record = Record(
        seq=len(records) + 1, kind=RecordKind.MIGRATED, on=on, actor=book.actor, recorded_at=utc_now(),
        data={"from_hash": old.content_hash, "from_version": old.version, "to_hash": new.content_hash,
              "to_version": new.version, "state_before": case.state, "state": state,
              "state_map": dict(state_map), "history_fits": failure is None},
    )
    moved = book.load(ref)
    moved.apply(record)
    result = compare(case, moved, new, book.today, failure, mapped=failure is not None)
    if write:
        book.save_process(new)
        book.persist(moved, record)
    return result


def redact(book: Casebook, ref: str, reason: str, on: dt.date | None = None) -> int:
    """Remove the personal content (facts, notes) of every entry of a case; return how many.

    Each entry keeps its digest, so the case and database chains still verify;
    the redaction itself is recorded (who, when, why).
    """
    on = on or book.today
    if not reason.strip():
        raise InputError("say why the case is redacted with --reason (e.g. the decision that requires it)")
    with book.transaction():
        case = book.load(ref)
        if case.redacted:
            raise Refused(ref, "a redaction", [Blocker("state", "the case is already redacted")])
        book.check_date(case, on, RecordKind.REDACTED)
        count = book.store.redact(ref)
        book.append(book.load(ref), RecordKind.REDACTED, on, data={"entries": count, "fields": ["facts", "note"],
                                                          "reason": reason})
    return count


def rebuild(book: Casebook, progress: Any = None) -> int:
    """Rebuild the projections from the event history, every case replayed; return the number of cases."""
    with book.store.write(exclusive=True):
        return reproject(book, progress)


def reproject(book: Casebook, progress: Any = None) -> int:
    """Inside a write: replace every case's projection with one replayed from its history."""
    book.store.clear_projections()
    refs = book.store.case_refs()
    batch = []
    for ref in (progress or (lambda items: items))(refs):
        batch.append(projection(book.load(ref)))
        if len(batch) >= 500:
            book.store.put_projections(batch)
            batch = []
    book.store.put_projections(batch)
    return len(refs)
