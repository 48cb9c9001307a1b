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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cspr.engine.definition import facts as fact_values
from cspr.engine.definition.model import Definition
from cspr.engine.errors import CsprError, InputError
from cspr.engine.runtime.case import Blocker, Case, Record, Refused
from cspr.engine.runtime.kinds import RecordKind
from cspr.engine.store.interface import utc_now

from .projections import projection

if TYPE_CHECKING:
    from .book import Casebook

_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")  # always matched in full (a "$" lets a newline through)


def gather_facts(definition: Definition, values: Mapping[str, Any] | None = None,
                 assignments: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Typed facts from a facts file's mapping and ``NAME=VALUE`` strings (the strings win)."""
    out = fact_values.from_mapping(definition, values or {})
    out.update(fact_values.parse_assignments(definition, list(assignments)))
    return out


def clock_facts(definition: Definition) -> set[str]:
    """The date facts that record something that has already happened: the opening date, and every date a
    deadline counts from (``after: {fact: ...}``). A date a deadline counts back from (a planned date) may
    lie ahead."""
    return {definition.opening.date_fact} | {
        d.anchor.ref for d in definition.deadlines.values() if d.direction == "after" and d.anchor.kind == "fact"}


def check_date_facts(definition: Definition, case: Case | None, facts: Mapping[str, Any], on: dt.date) -> None:
    """Refuse a date fact that lies after the day it is recorded, or contradicts the history: an opening date
    after entries already recorded, or a date a deadline counts from after the event that met it."""
    for name in sorted(clock_facts(definition) & facts.keys()):
        value = facts[name]
        if not isinstance(value, dt.date):
            continue
        label = f"'{definition.facts[name].label}' ({name}={value.isoformat()})"
        if value > on:
            raise InputError(f"{label} is after the day it is recorded ({on.isoformat()}): it records something that "
                             "has already happened; record it once it has")
        if case is None:
            continue
        if name == definition.opening.date_fact:
            later = [r for r in case.history if r.kind != RecordKind.OPENED and r.on < value]
            if later:
                first = later[0]
                raise InputError(f"{label} is after entry #{first.seq} ({first.label()} on {first.on.isoformat()}): "
                                 "the case cannot have begun after what is already recorded for it")
        for deadline in definition.deadlines.values():
            if deadline.direction != "after" or deadline.anchor.kind != "fact" or deadline.anchor.ref != name:
                continue
            met = [r for r in case.history if r.kind == RecordKind.TRANSITION and r.name in deadline.met_by
                   and r.on < value]
            if met:
                raise InputError(f"{label} is after '{met[0].name}' (#{met[0].seq} on {met[0].on.isoformat()}), which "
                                 f"met the deadline '{deadline.title}' counted from it: the history says otherwise")


def open_case(book: Casebook, ref: str, definition: Definition, opened_on: dt.date,
              values: Mapping[str, Any] | None = None, assignments: list[str] | tuple[str, ...] = (),
              note: str | None = None, by: str | None = None, check_reference: bool = True,
              parties: list[str] | tuple[str, ...] = (), linked: list[str] | tuple[str, ...] = ()) -> Case:
    """Open case ``ref`` under ``definition`` on ``opened_on``; ``parties``: ``ROLE=NAME`` for the organisations
    that fill its roles (language 2); ``linked``: other cases it is linked with (e.g. a joint review)."""
    from cspr.engine.runtime.parties import opening_parties, parse_parties

    book.check_writable()
    facts = gather_facts(definition, values, assignments)
    named = opening_parties(definition, parse_parties(definition, parties)) if definition.parties or parties else {}
    if not _REF.fullmatch(ref):
        raise InputError(f"{ref!r} is not a usable case reference: letters, digits and . _ / - only, up to 64")
    if check_reference and definition.reference and not re.fullmatch(definition.reference.pattern, ref):
        raise InputError(f"{ref!r} does not look like a {definition.title} reference (e.g. {definition.reference.example})")
    book.check_date(None, opened_on, RecordKind.OPENED)
    given = facts.get(definition.opening.date_fact, opened_on)
    if given is not None and given != opened_on:
        raise InputError(f"the opening date is given twice: {opened_on.isoformat()}, and "
                         f"{definition.opening.date_fact}={given} as a fact; give it once")
    opening = {definition.opening.date_fact: opened_on, **(facts or {})}
    check_date_facts(definition, None, opening, opened_on)
    missing = [f for f in definition.opening.facts if opening.get(f) is None]
    if missing:
        labels = ", ".join(f"'{definition.facts[f].label}' ({fact_values.hint(definition.facts[f])})" for f in missing)
        raise Refused(ref, "the opening", [Blocker("fact", f"record {labels}")])
    book.check_against_installed(definition)  # reads the catalog: before the write lock is taken
    with book.transaction():
        if book.case_exists(ref):
            raise InputError(f"case {ref} already exists; see 'cspr case show {ref}'")
        links = list(dict.fromkeys(linked))
        for other in links:
            if other == ref or not book.case_exists(other):
                raise InputError(f"--linked {other}: " + ("a case cannot be linked with itself" if other == ref else
                                                          f"no case {other!r} in {book.store.location}"))
        book.save_process(definition)
        book.remember(definition)
        case = Case(ref, definition)
        data: dict[str, Any] = {"process_id": definition.id, "version": definition.version,
                                "process_hash": definition.content_hash}
        if named:
            data["parties"] = named
        if links:
            data["linked"] = links
        book.append(case, RecordKind.OPENED, opened_on, role=book.role(definition, by), facts=opening, note=note,
                    data=data)
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
        check_date_facts(d, case, facts, on)
        book.append(case, RecordKind.TRANSITION, on, name=event_id, role=by, facts=facts, note=note)
    return case


def signoff(book: Casebook, ref: str, role: str, on: dt.date | None = None, note: str | None = None,
            party: str | None = None) -> Case:
    """Record ``role``'s agreement to the step at hand; where several organisations fill the role in this
    case, ``party`` says which of them (each must sign off)."""
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
        organisation = _signing_party(case, role, party)
        if organisation is not None and len(case.parties.get(role, [])) > 1:
            done = case.party_signoffs.get(role, {}).get(organisation)  # each organisation signs off
        else:
            done = case.signoffs.get(role)
        if done is not None:
            raise Refused(ref, f"a sign-off by {role}", [Blocker(
                "signoff", f"{organisation or d.roles[role].name} already signed off on {done.on.isoformat()} (#{done.seq})")])
        book.check_date(case, on, RecordKind.SIGNOFF)
        if case.entered_on and on < case.entered_on:
            raise InputError(f"{on.isoformat()} is before the case reached its current step ({case.entered_on.isoformat()})")
        book.append(case, RecordKind.SIGNOFF, on, name=role, role=role, note=note,
                    data={"party": organisation} if organisation else None)
    return case


def _signing_party(case: Case, role: str, party: str | None) -> str | None:
    """The organisation signing for ``role``: the one named for it, or, where several are, the one given."""
    from cspr.engine.runtime.parties import organisation

    names = case.parties.get(role) or []
    if party is None:
        if len(names) > 1:
            raise InputError(f"{len(names)} organisations fill {case.definition.roles[role].name} in {case.ref}; say "
                             f"which signs off with --party: {', '.join(names)}")
        return names[0] if names else None
    named = organisation(case.definition, role, party)
    if named not in names:
        raise InputError(f"{named!r} is not named for {case.definition.roles[role].name} in {case.ref} "
                         f"({', '.join(names) or 'none is'}); name it first with 'cspr case party {case.ref} {role}=\"{named}\"'")
    return named


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
        check_date_facts(case.definition, case, facts, on)
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
    book.check_writable()
    book.check_against_installed(new)  # reads the catalog: before the write lock is taken
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
        _check_mapped_state(ref, new, state, case.facts, what)
    book.remember(new)
    record = Record(
        seq=len(records) + 1, kind=RecordKind.MIGRATED, on=on, actor=book.writer, recorded_at=utc_now(),
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


def _check_mapped_state(ref: str, new: Definition, state: str, facts: Mapping[str, Any], what: str) -> None:
    """A case mapped into ``state`` must hold the facts an event into that state requires (of the events
    leading there, the one missing fewest), as if it had got there by that event."""
    into = [e for e in new.events.values() if e.target == state]
    if not into or state == new.initial_state.id:
        return
    missing = min(([f for f in e.requires.facts if facts.get(f) is None] for e in into), key=len)
    if missing:
        event = next(e for e in into if [f for f in e.requires.facts if facts.get(f) is None] == missing)
        labels = ", ".join(f"'{new.facts[f].label}' ({f})" for f in missing)
        raise Refused(ref, what, [Blocker("fact", f"a case at '{new.states[state].title}' has been through "
                                                  f"'{event.title}', which needs {labels}; record "
                                                  f"{'it' if len(missing) == 1 else 'them'} first "
                                                  f"('cspr case fact {ref} NAME=VALUE'), or map to an earlier state")])


MAX_REASON = 500
REDACTED_FIELDS = ("facts", "note")


@dataclass
class Redaction:
    """What ``cspr case redact`` did: the entries it names and blanked, and anything left to do."""

    entries: list[int]
    blanked: int
    leftover: str | None = None  # why the removed text may still be on disk, or None


def redact(book: Casebook, ref: str, reason: str, on: dt.date | None = None) -> Redaction:
    """Remove the personal content (facts, notes) of every entry of a case.

    The redaction is itself an entry, appended first: it names the entries and fields it removes, who, when
    and why, and is sealed into both chains; then the entries it names are blanked (the only change the
    store's guards allow, and only for entries a redaction names). Each keeps its digest, so the chains still
    verify, and ``cspr audit verify`` names any blanked entry no redaction names.
    """
    book.check_writable()
    on = on or book.today
    reason = reason.strip()
    if not reason:
        raise InputError("say why the case is redacted with --reason (e.g. the decision that requires it)")
    if len(reason) > MAX_REASON:
        raise InputError(f"the reason is {len(reason)} characters; at most {MAX_REASON} are allowed (cite the "
                         "decision rather than quoting it)")
    with book.transaction():
        case = book.load(ref)
        if case.redacted:
            raise Refused(ref, "a redaction", [Blocker("state", "the case is already redacted")])
        book.check_date(case, on, RecordKind.REDACTED)
        entries = [r.seq for r in case.history]
        book.append(case, RecordKind.REDACTED, on,
                    data={"entries": entries, "fields": list(REDACTED_FIELDS), "reason": reason})
        blanked = book.store.redact(ref)
        book.store.put_projections([projection(book.load(ref))])  # the listing rows as the blanked history says
    return Redaction(entries, blanked, book.store.purge_log())


@dataclass
class Rebuilt:
    """What ``cspr rebuild`` did: how many cases it replayed, those whose history no longer replays (their
    listing rows are left as they were, and the command fails), and the guards it put back."""

    cases: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    leftover: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed


class RebuildRefused(CsprError):
    """Rebuilding the listings would hide that the history is shorter than it was."""

    def __init__(self, findings: list[Any]):
        self.findings = findings
        super().__init__("cspr rebuild refused, nothing was changed: " + "; ".join(f.message for f in findings)
                         + ". The history itself is shorter than it was, and rebuilding the lists from it would hide "
                           "that: run 'cspr audit verify', and restore the database from a copy you trust")


def rebuild(book: Casebook, progress: Any = None) -> Rebuilt:
    """Rebuild the projections from the event history, every case replayed, and put back any append-only
    guard that is missing (``cspr audit verify`` reports them first).

    Refused, with nothing changed, while a listing row or the anchor log says the history was longer (it never
    launders a deletion). A case that does not replay is reported and keeps the listing rows it had."""
    from .audit import rebuild_refusals, recent_anchors

    log = recent_anchors(book.store)  # read before the write: every head in it is committed
    with book.store.write(exclusive=True):
        refusals = rebuild_refusals(book, log)
        if refusals:
            raise RebuildRefused(refusals)
        restored = book.store.restore_triggers()
        result = reproject(book, progress)
        result.restored = restored
    result.leftover = book.store.purge_log()
    return result


def reproject(book: Casebook, progress: Any = None) -> Rebuilt:
    """Inside a write: replace every case's projection with one replayed from its history (a case that
    does not replay keeps the rows it had)."""
    result = Rebuilt()
    kept = _stored_by_case(book)
    book.store.clear_projections()
    refs = book.store.case_refs()
    batch: list[Any] = []
    for ref in (progress or (lambda items: items))(refs):
        try:
            batch.append(projection(book.load(ref)))
        except CsprError as exc:
            result.failed.append((ref, str(exc)))
            if ref in kept:
                batch.append(kept[ref])
        if len(batch) >= 500:
            book.store.put_projections(batch)
            batch = []
    book.store.put_projections(batch)
    result.cases = len(refs)
    return result


def _stored_by_case(book: Casebook) -> dict[str, Any]:
    """The stored projection of every case, as (case row, deadline rows, action rows, task rows, link rows)."""
    case_rows, *tables = book.store.stored_projections()
    out: dict[str, Any] = {row["ref"]: (row, *([] for _ in tables)) for row in case_rows}
    for index, rows in enumerate(tables, start=1):
        for row in rows:
            if row["ref"] in out:
                out[row["ref"]][index].append(row)
    return out
