"""The Casebook: the cases in one store, as of one day, by one actor (named by the caller).

It holds what every operation shares: the store, the day (``today``), who is
acting (``actor``), the process versions stored with the cases
(:meth:`Casebook.definition`), and the write primitives every command is built
from: :meth:`~Casebook.transaction`, :meth:`~Casebook.load`,
:meth:`~Casebook.check_date` and :meth:`~Casebook.append`. The operations
themselves live beside it: writes in :mod:`.commands`, reads in
:mod:`.queries`, the listing rows in :mod:`.projections`; the methods at the
end of the class are a facade over them for callers that hold a Casebook.

Each write is one transaction: the case's history is read and replayed under
the store's lock, the new record checked against the definition, then the
projection updated and the entry appended; a refusal raises before anything is
written.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Mapping
from typing import Any

from cspr.engine.definition import facts as fact_values
from cspr.engine.definition.model import Definition
from cspr.engine.errors import CsprError, InputError
from cspr.engine.runtime.case import Blocker, Case, Record, Refused, replay, unknown_role
from cspr.engine.store.interface import Store, StoreError, utc_now
from cspr.engine.text import name_problem, text_problem

from . import commands, queries
from .commands import gather_facts
from .projections import projection
from .queries import CaseView

MAX_NOTE = 4000

__all__ = ["CaseNotFound", "CaseView", "Casebook", "default_actor", "gather_facts"]


class CaseNotFound(CsprError):
    """No case has this reference."""


class RehearsalCannotWrite(CsprError):
    """A write was asked while rehearsing a day after the real date, or an entry would be dated after it."""


def real_today() -> dt.date:
    """The machine's own date. No entry may be dated after it, whatever day ``--today`` rehearses."""
    return dt.date.today()


def default_actor() -> str:
    """The operating-system user: who the command line records when --actor and $CSPR_ACTOR say nobody."""
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _check_text(value: Any, what: str) -> None:
    problem = text_problem(value) if isinstance(value, str) else None
    if problem:
        raise InputError(f"{what} {problem}")
    if isinstance(value, Mapping):
        for item in value.values():
            _check_text(item, what)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_text(item, what)


def check_version_is_content(stored: list[dict[str, Any]], definition: Definition) -> None:
    """A process version is its content: refuse a definition whose id and version are already stored with
    other rules (another content hash), naming both."""
    for row in stored:
        if (row["process_id"], row["version"]) == (definition.id, definition.version) \
                and row["hash"] != definition.content_hash:
            raise StoreError(
                f"{definition.label} is already stored with other rules (content {row['hash']}); this definition's "
                f"content is {definition.content_hash}: a changed process needs a new version number, and nothing "
                "was changed")


class Casebook:
    """Operations on the cases in one store, as of one day."""

    def __init__(self, store: Store, today: dt.date | None = None, actor: str | None = None, *,
                 against_installed: bool = True):
        self.store = store
        # a definition stored here must not share its id and version with an installed one of other rules
        # (False only for a rehearsal in memory, such as a scenario run on a draft not yet renumbered)
        self.against_installed = against_installed
        self._checked_against_installed: set[str] = set()  # content hashes already checked (the catalog is read once)
        self.real_today = real_today()
        self.today = today or self.real_today
        self.actor = actor  # who makes the writes: given by the caller (the CLI's --actor or the OS user; the
        # web application's signed-in user), never looked up here; None: this Casebook only reads
        problem = name_problem(actor) if actor is not None else None
        if problem:
            raise InputError(f"the actor {actor!r} cannot be recorded: {problem}")
        self._definitions: dict[str, Definition] = {}

    # -- loading -----------------------------------------------------------------------

    def definition(self, content_hash: str) -> Definition:
        """A process version stored with the cases, from its normal form (no YAML, no schema: it was checked
        when stored, and its hash proves it is the same)."""
        found = self._definitions.get(content_hash)
        if found is None:
            forms = self.store.process_forms(content_hash)
            if forms is None:
                raise StoreError(f"the database has no process with hash {content_hash}")
            text, normal = forms
            if normal:
                import json

                from cspr.engine.definition.builder import build

                found = build(json.loads(normal), f"stored process {content_hash[:19]}", text)
            else:  # pragma: no cover - a database mid-migration
                from cspr.engine.definition.loader import load_text

                found = load_text(text, f"stored process {content_hash[:19]}")
            if found.content_hash != content_hash:
                raise StoreError(f"the stored process {content_hash} no longer loads to the same definition")
            self._definitions[content_hash] = found
        return found

    def remember(self, definition: Definition) -> None:
        """A definition about to be stored: later loads of its hash need not read it back."""
        self._definitions[definition.content_hash] = definition

    def load(self, ref: str) -> Case:
        """Case ``ref`` replayed from its history (inside a transaction, held until it ends)."""
        return self.replay(ref, self.store.records(ref))

    def replay(self, ref: str, records: list[Record]) -> Case:
        """Case ``ref`` as these records of its history leave it."""
        if not records:
            raise CaseNotFound(f"no case {ref!r} in {self.store.location}; see 'cspr case list'")
        opened_under = self.definition(str(records[0].data.get("process_hash")))
        return replay(ref, opened_under, records, self.definition)

    # -- the write primitives every command is built from --------------------------------

    @property
    def writer(self) -> str:
        """Who makes this Casebook's writes, the actor of every entry; a Casebook opened to read has none."""
        if self.actor is None:
            raise CsprError("nobody is named as making this change, so it cannot be recorded; nothing was changed")
        return self.actor

    @property
    def rehearsal(self) -> bool:
        """Working as of a day after the real date: everything can be read, nothing written."""
        return self.today > self.real_today

    def check_writable(self) -> None:
        """Refuse every write while rehearsing a future day (called before anything is written)."""
        if self.rehearsal:
            raise RehearsalCannotWrite(
                f"today is set to {self.today.isoformat()}, after the real date ({self.real_today.isoformat()}): "
                "a rehearsal of a future day can read but not write; nothing was changed (leave out --today and "
                "CSPR_TODAY to record what happened)")

    def check_entry_date(self, on: dt.date) -> None:
        """No entry is ever dated after the real date (whatever day is rehearsed)."""
        self.check_writable()
        if on > self.real_today:
            raise RehearsalCannotWrite(
                f"{on.isoformat()} is after the real date ({self.real_today.isoformat()}): no entry can be dated "
                "in the future, and a rehearsal of a future day can read but not write; nothing was changed")

    def transaction(self) -> Any:
        """One command's transaction (see Store.write); refused at once while rehearsing a future day."""
        self.check_writable()
        if self.actor is None:
            self.writer  # noqa: B018 - refuses, before anything is locked or written
        return self.store.write()

    def check_date(self, case: Case | None, on: dt.date, kind: str) -> None:
        if on > self.today:
            raise InputError(f"{on.isoformat()} is in the future (today is {self.today.isoformat()}); "
                             "record events once they have happened")
        if case is None:
            return
        if case.opened_on and on < case.opened_on:
            raise InputError(f"{on.isoformat()} is before the case was opened ({case.opened_on.isoformat()})")
        last = case.history[-1] if case.history else None
        if last is not None and on < last.on:
            raise InputError(
                f"{on.isoformat()} is before the previous entry (#{last.seq} {last.label()} on "
                f"{last.on.isoformat()}); the history is kept in the order things happened"
            )

    def role(self, definition: Definition, role: str | None) -> str | None:
        """``role`` if the definition has it (None stays None)."""
        if role is not None and role not in definition.roles:
            raise unknown_role(definition, role)
        return role

    def append(self, case: Case, kind: str, on: dt.date, *, name: str | None = None, role: str | None = None,
               facts: Mapping[str, Any] | None = None, note: str | None = None,
               data: Mapping[str, Any] | None = None) -> Record:
        """Apply a new entry to ``case`` and store it (with the case's projection)."""
        if note is not None and len(note) > MAX_NOTE:
            raise InputError(f"the note is {len(note)} characters; at most {MAX_NOTE} are allowed")
        _check_text(note, "the note")
        _check_text(data, "the entry")
        self.check_entry_date(on)
        if case.redacted:
            raise Refused(case.ref, kind, [Blocker("state", "the case was redacted; nothing more can be recorded for it")])
        record = Record(
            seq=len(case.history) + 1, kind=kind, on=on, name=name, role=role, actor=self.writer,
            recorded_at=utc_now(), facts={k: fact_values.to_json(v) for k, v in (facts or {}).items()},
            note=note, data=dict(data or {}),
        )
        before = {b.message for b in case.violations()} if case.definition.consistency else set()
        case.apply(record)
        if case.definition.consistency:
            broken = [b for b in case.violations() if b.message not in before]
            if broken:
                raise Refused(case.ref, f"this {record.label()}", broken)
        self.persist(case, record)
        return record

    # -- where writes go (BulkCasebook overrides these to batch them) ------------------------

    def persist(self, case: Case, record: Record) -> None:
        self.check_entry_date(record.on)
        # The projection first: in PostgreSQL the append takes the database chain's lock, held to the commit.
        self.store.put_projections([projection(case)])
        self.store.append(case.ref, record)

    def case_exists(self, ref: str) -> bool:
        return self.store.case_exists(ref)

    def save_process(self, definition: Definition) -> None:
        self.check_against_installed(definition)
        check_version_is_content(self.store.processes(), definition)
        self.store.save_process(definition)

    def check_against_installed(self, definition: Definition) -> None:
        """Refuse a definition whose id and version an installed one has with other rules, naming both."""
        if not self.against_installed or definition.content_hash in self._checked_against_installed:
            return
        from cspr.engine.definition.catalog import same_version_other_rules

        other = same_version_other_rules(definition)
        if other is None:
            self._checked_against_installed.add(definition.content_hash)
        else:
            raise InputError(
                f"{definition.label} is already installed with other rules ({other.file}, content {other.content_hash}); "
                f"this definition's content is {definition.content_hash}: a changed process needs a new version "
                "number, and nothing was changed")

    def projection(self, case: Case) -> Any:
        return projection(case)

    # -- a facade over the commands and queries -------------------------------------------

    def open_case(self, ref: str, definition: Definition, opened_on: dt.date, values: Mapping[str, Any] | None = None,
                  assignments: list[str] | tuple[str, ...] = (), note: str | None = None, by: str | None = None,
                  check_reference: bool = True, parties: list[str] | tuple[str, ...] = (),
                  linked: list[str] | tuple[str, ...] = ()) -> Case:
        return commands.open_case(self, ref, definition, opened_on, values, assignments, note, by, check_reference,
                                  parties, linked)

    def record(self, ref: str, event_id: str, on: dt.date | None = None, by: str | None = None,
               values: Mapping[str, Any] | None = None, assignments: list[str] | tuple[str, ...] = (),
               note: str | None = None) -> Case:
        return commands.record(self, ref, event_id, on, by, values, assignments, note)

    def signoff(self, ref: str, role: str, on: dt.date | None = None, note: str | None = None,
                party: str | None = None) -> Case:
        return commands.signoff(self, ref, role, on, note, party)

    def note(self, ref: str, text: str, on: dt.date | None = None, by: str | None = None) -> Case:
        return commands.note(self, ref, text, on, by)

    def set_facts(self, ref: str, values: Mapping[str, Any] | None = None,
                  assignments: list[str] | tuple[str, ...] = (), on: dt.date | None = None,
                  by: str | None = None, note: str | None = None) -> Case:
        return commands.set_facts(self, ref, values, assignments, on, by, note)

    def migrate(self, ref: str, new: Definition, state_map: Mapping[str, str] | None = None,
                dry_run: bool = False, on: dt.date | None = None) -> Any:
        return commands.migrate(self, ref, new, state_map, dry_run, on)

    def redact(self, ref: str, reason: str, on: dt.date | None = None) -> commands.Redaction:
        return commands.redact(self, ref, reason, on)

    def rebuild(self, progress: Any = None) -> commands.Rebuilt:
        return commands.rebuild(self, progress)

    def show(self, ref: str) -> CaseView:
        return queries.show(self, ref)

    def list_cases(self, state: str | None = None, stage: str | None = None, overdue: bool = False,
                   include_closed: bool = True) -> list[dict[str, Any]]:
        return queries.list_cases(self, state, stage, overdue, include_closed)

    def open_deadlines(self, within: int | None = None, overdue: bool = False) -> list[dict[str, Any]]:
        return queries.open_deadlines(self, within, overdue)

    def impact(self, new: Definition) -> list[Any]:
        return queries.impact(self, new)

    def verify(self, anchors: list[str] | tuple[str, ...] = ()) -> Any:
        """Re-check every chain, the projections against the events, and the database's own integrity."""
        from .audit import verify

        return verify(self, anchors)
