"""Operations on cases: what the ``cspr case`` commands call.

Each write (open, record, sign off, note, facts) is one transaction: the
case's history is read and replayed under the write lock, the new record is
checked against the definition, appended, and the projections updated; a
refusal raises before anything is written. Reads replay the case from its
events, so what a user sees is always what the history says.
"""

from __future__ import annotations

import datetime as dt
import getpass
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cspr.engine.definition import facts as fact_values
from cspr.engine.runtime.case import Blocker, Case, Record, Refused, replay, unknown_role
from cspr.engine.runtime.deadlines import Assessment, Timing, calendar_for, status_on, statuses, timings
from cspr.engine.runtime.kinds import RecordKind
from cspr.engine.errors import CsprError, InputError
from cspr.engine.definition.model import Definition
from cspr.engine.store.sqlite import Store, StoreError, utc_now

_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
MAX_NOTE = 4000


class CaseNotFound(CsprError):
    """No case has this reference."""


def gather_facts(definition: Definition, values: Mapping[str, Any] | None = None,
                 assignments: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Typed facts from a facts file's mapping and ``NAME=VALUE`` strings (the strings win)."""
    out = fact_values.from_mapping(definition, values or {})
    out.update(fact_values.parse_assignments(definition, list(assignments)))
    return out


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database (e.g. in a container)
        return "unknown"


@dataclass(frozen=True)
class CaseView:
    """Everything ``cspr case show`` prints."""

    case: Case
    today: dt.date
    deadlines: list[Assessment]

    def as_dict(self) -> dict[str, Any]:
        case, d = self.case, self.case.definition
        state = d.states[case.state]
        return {
            "ref": case.ref,
            "process": {"id": d.id, "version": d.version, "hash": d.content_hash, "edition": d.edition},
            "state": case.state, "state_title": state.title, "final": state.final,
            "stage": state.stage, "stage_title": d.stages[state.stage].title,
            "opened_on": case.opened_on, "today": self.today,
            "facts": {k: fact_values.to_json(v) for k, v in case.facts.items()},
            "criteria": {k: v.as_dict() | {"title": d.criteria[k].title, "blockers": v.blockers()}
                         for k, v in case.criteria().items()},
            "deadlines": [s.as_dict() for s in self.deadlines],
            "next_steps": [s.as_dict() for s in case.next_steps()],
            "signoffs": {role: r.on for role, r in case.signoffs.items()},
            "history": [r.as_dict() for r in case.history],
        }


class Casebook:
    """Operations on the cases in one store, as of one day."""

    def __init__(self, store: Store, today: dt.date | None = None, actor: str | None = None):
        self.store = store
        self.today = today or dt.date.today()
        self.actor = actor or default_actor()
        self._definitions: dict[str, Definition] = {}

    # -- loading -----------------------------------------------------------------

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

    def load(self, ref: str) -> Case:
        records = self.store.records(ref)
        if not records:
            raise CaseNotFound(f"no case {ref!r} in {self.store.path}; see 'cspr case list'")
        opened_under = self.definition(str(records[0].data.get("process_hash")))
        return replay(ref, opened_under, records, self.definition)

    # -- checks shared by every write ----------------------------------------------

    def check_date(self, case: Case | None, on: dt.date, kind: str) -> None:
        if on > self.today:
            raise InputError(f"{on.isoformat()} is in the future (today is {self.today.isoformat()}); record events once they have happened")
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

    def _role(self, definition: Definition, role: str | None) -> str | None:
        if role is not None and role not in definition.roles:
            raise unknown_role(definition, role)
        return role

    def append(self, case: Case, kind: str, on: dt.date, *, name: str | None = None, role: str | None = None,
                facts: Mapping[str, Any] | None = None, note: str | None = None,
                data: Mapping[str, Any] | None = None) -> Record:
        if note is not None and len(note) > MAX_NOTE:
            raise InputError(f"the note is {len(note)} characters; at most {MAX_NOTE} are allowed")
        if case.redacted:
            raise Refused(case.ref, kind, [Blocker("state", "the case was redacted; nothing more can be recorded for it")])
        record = Record(
            seq=len(case.history) + 1, kind=kind, on=on, name=name, role=role, actor=self.actor,
            recorded_at=utc_now(), facts={k: fact_values.to_json(v) for k, v in (facts or {}).items()},
            note=note, data=dict(data or {}),
        )
        case.apply(record)
        self.persist(case, record)
        return record

    # -- where writes go (engine.bulk overrides these to batch them) ------------------------

    def transaction(self) -> Any:
        """One command's transaction (see Store.write)."""
        return self.store.write()

    def persist(self, case: Case, record: Record) -> None:
        self.store.append(case.ref, record)
        self._project(case)

    def case_exists(self, ref: str) -> bool:
        return self.store.case_exists(ref)

    def save_process(self, definition: Definition) -> None:
        self.store.save_process(definition)

    def _project(self, case: Case) -> None:
        self.store.put_projection(*self.projection(case))

    def projection(self, case: Case) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        """The case's rows in the listing tables, as its history says they should be."""
        d = case.definition
        state = d.states[case.state]
        last = case.history[-1]
        row = {
            "ref": case.ref, "process_id": d.id, "version": d.version, "process_hash": d.content_hash,
            "state": case.state, "state_title": state.title, "stage": state.stage,
            "stage_title": d.stages[state.stage].title, "final": int(state.final),
            "opened_on": case.opened_on.isoformat() if case.opened_on else "", "last_on": last.on.isoformat(),
            "last_seq": last.seq,
        }
        deadline_rows = [{"ref": case.ref, **t.to_row()} for t in timings(case)]
        action_rows = [
            {**{k: v for k, v in action.items() if k != "agreed_by"}, "ref": case.ref,
             "agreed_by": ",".join(action["agreed_by"])}
            for action in case.actions.values()
        ]
        return row, deadline_rows, action_rows

    # -- writes ------------------------------------------------------------------------

    def open_case(self, ref: str, definition: Definition, opened_on: dt.date,
                  values: Mapping[str, Any] | None = None, assignments: list[str] | tuple[str, ...] = (),
                  note: str | None = None, by: str | None = None, check_reference: bool = True) -> Case:
        facts = gather_facts(definition, values, assignments)
        if not _REF.match(ref):
            raise InputError(f"{ref!r} is not a usable case reference: letters, digits and . _ / - only, up to 64")
        if check_reference and definition.reference and not re.fullmatch(definition.reference.pattern, ref):
            raise InputError(f"{ref!r} does not look like a {definition.title} reference (e.g. {definition.reference.example})")
        self.check_date(None, opened_on, RecordKind.OPENED)
        opening = {definition.opening.date_fact: opened_on, **(facts or {})}
        missing = [f for f in definition.opening.facts if opening.get(f) is None]
        if missing:
            labels = ", ".join(f"'{definition.facts[f].label}' ({fact_values.hint(definition.facts[f])})" for f in missing)
            raise Refused(ref, "the opening", [Blocker("fact", f"record {labels}")])
        with self.transaction():
            if self.case_exists(ref):
                raise InputError(f"case {ref} already exists; see 'cspr case show {ref}'")
            self.save_process(definition)
            self._definitions[definition.content_hash] = definition
            case = Case(ref, definition)
            self.append(case, RecordKind.OPENED, opened_on, role=self._role(definition, by), facts=opening, note=note,
                         data={"process_id": definition.id, "version": definition.version,
                               "process_hash": definition.content_hash})
        return case

    def record(self, ref: str, event_id: str, on: dt.date | None = None, by: str | None = None,
               values: Mapping[str, Any] | None = None, assignments: list[str] | tuple[str, ...] = (),
               note: str | None = None) -> Case:
        on = on or self.today
        with self.transaction():
            case = self.load(ref)
            d = case.definition
            facts = gather_facts(d, values, assignments)
            by = self._role(d, by)
            event = d.events.get(event_id)
            if event is None:
                from cspr.engine.runtime.case import unknown_event

                raise unknown_event(d, event_id)
            if by is None and len(event.by) == 1:
                by = event.by[0]
            blockers = case.blockers(event_id, by, facts or {})
            if blockers:
                raise Refused(ref, f"'{event_id}'", blockers)
            self.check_date(case, on, RecordKind.TRANSITION)
            self.append(case, RecordKind.TRANSITION, on, name=event_id, role=by, facts=facts, note=note)
        return case

    def signoff(self, ref: str, role: str, on: dt.date | None = None, note: str | None = None) -> Case:
        on = on or self.today
        with self.transaction():
            case = self.load(ref)
            d = case.definition
            self._role(d, role)
            wanted = case.signoff_roles_wanted()
            if role not in wanted:
                need = ", ".join(sorted(wanted)) or "nobody"
                raise Refused(ref, f"a sign-off by {role}", [Blocker(
                    "signoff", f"no step from '{d.states[case.state].title}' needs {d.roles[role].name}'s sign-off (needed: {need})")])
            if role in case.signoffs:
                raise Refused(ref, f"a sign-off by {role}", [Blocker(
                    "signoff", f"{d.roles[role].name} already signed off on {case.signoffs[role].on.isoformat()} (#{case.signoffs[role].seq})")])
            self.check_date(case, on, RecordKind.SIGNOFF)
            if case.entered_on and on < case.entered_on:
                raise InputError(f"{on.isoformat()} is before the case reached its current step ({case.entered_on.isoformat()})")
            self.append(case, RecordKind.SIGNOFF, on, name=role, role=role, note=note)
        return case

    def note(self, ref: str, text: str, on: dt.date | None = None, by: str | None = None) -> Case:
        on = on or self.today
        if not text.strip():
            raise InputError("the note is empty")
        with self.transaction():
            case = self.load(ref)
            by = self._role(case.definition, by)
            self.check_date(case, on, RecordKind.NOTE)
            self.append(case, RecordKind.NOTE, on, role=by, note=text)
        return case

    def set_facts(self, ref: str, values: Mapping[str, Any] | None = None,
                  assignments: list[str] | tuple[str, ...] = (), on: dt.date | None = None,
                  by: str | None = None, note: str | None = None) -> Case:
        on = on or self.today
        with self.transaction():
            case = self.load(ref)
            facts = gather_facts(case.definition, values, assignments)
            if not facts:
                raise InputError("give at least one fact as NAME=VALUE (the facts are listed by 'cspr process show')")
            by = self._role(case.definition, by)
            date_fact = case.definition.opening.date_fact
            if date_fact in facts and facts[date_fact] is None:
                raise InputError(f"'{date_fact}' opened the case and cannot be cleared; correct it instead")
            self.check_date(case, on, RecordKind.FACTS)
            self.append(case, RecordKind.FACTS, on, role=by, facts=facts, note=note)
        return case

    def impact(self, new: Definition) -> list[Any]:
        """For each open case of ``new``'s process: what would change under ``new``. Writes nothing."""
        from cspr.engine.runtime.editions import impact

        refs = [r["ref"] for r in self.store.query(
            "SELECT ref FROM case_view WHERE final = 0 AND process_id = ? ORDER BY ref", (new.id,))]
        return [impact(self.load(ref), self.store.records(ref), new, self.today) for ref in refs]

    def migrate(self, ref: str, new: Definition, state_map: Mapping[str, str] | None = None,
                dry_run: bool = False, on: dt.date | None = None) -> Any:
        """Move a case to another version of its process; return its impact.

        The history is replayed under ``new``; where it does not fit, ``state_map``
        must say which state of ``new`` the case's current state becomes.
        """
        if dry_run:
            return self._migrate(ref, new, state_map or {}, on or self.today, write=False)
        with self.transaction():
            return self._migrate(ref, new, state_map or {}, on or self.today, write=True)

    def _migrate(self, ref: str, new: Definition, state_map: Mapping[str, str], on: dt.date, write: bool) -> Any:
        from cspr.engine.runtime.case import HistoryInvalid, replay_under
        from cspr.engine.runtime.editions import compare

        case = self.load(ref)
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
        self.check_date(case, on, RecordKind.MIGRATED)
        records = self.store.records(ref)
        failure = None
        try:
            state = replay_under(ref, new, records).state
        except HistoryInvalid as exc:
            failure = exc
            if case.state not in state_map:
                raise Refused(ref, what, [Blocker("state", f"{exc.reason}; to move it anyway, say which state of {new.label} "
                                                           f"'{case.state}' becomes with --map {case.state}=STATE")]) from None
            state = state_map[case.state]
        self._definitions[new.content_hash] = new
        record = Record(
            seq=len(records) + 1, kind=RecordKind.MIGRATED, on=on, actor=self.actor, recorded_at=utc_now(),
            data={"from_hash": old.content_hash, "from_version": old.version, "to_hash": new.content_hash,
                  "to_version": new.version, "state_before": case.state, "state": state,
                  "state_map": dict(state_map), "history_fits": failure is None},
        )
        moved = self.load(ref)
        moved.apply(record)
        result = compare(case, moved, new, self.today, failure, mapped=failure is not None)
        if write:
            self.store.save_process(new)
            self.store.append(ref, record)
            self._project(moved)
        return result

    def redact(self, ref: str, reason: str, on: dt.date | None = None) -> int:
        """Remove the personal content (facts, notes) of every entry of a case; return how many.

        Each entry keeps its digest, so the case and database chains still verify;
        the redaction itself is recorded (who, when, why).
        """
        on = on or self.today
        if not reason.strip():
            raise InputError("say why the case is redacted with --reason (e.g. the decision that requires it)")
        with self.transaction():
            case = self.load(ref)
            if case.redacted:
                raise Refused(ref, "a redaction", [Blocker("state", "the case is already redacted")])
            self.check_date(case, on, RecordKind.REDACTED)
            count = self.store.redact(ref)
            self.append(self.load(ref), RecordKind.REDACTED, on, data={"entries": count, "fields": ["facts", "note"],
                                                              "reason": reason})
        return count

    def verify(self, anchors: list[str] | tuple[str, ...] = ()) -> Any:
        """Re-check every chain, the projections against the events, and SQLite's integrity."""
        from .audit import verify

        return verify(self, anchors)

    def rebuild(self, progress: Any = None) -> int:
        """Rebuild the projections from the event history, every case replayed; return the number of cases."""
        with self.transaction():
            self.store.clear_projections()
            refs = self.store.case_refs()
            batch = []
            for ref in (progress or (lambda items: items))(refs):
                batch.append(self.projection(self.load(ref)))
                if len(batch) >= 500:
                    self.store.put_projections(batch)
                    batch = []
            self.store.put_projections(batch)
        return len(refs)

    # -- reads ---------------------------------------------------------------------------

    def show(self, ref: str) -> CaseView:
        case = self.load(ref)
        return CaseView(case, self.today, statuses(case, self.today))

    def list_cases(self, state: str | None = None, stage: str | None = None, overdue: bool = False,
                   include_closed: bool = True) -> list[dict[str, Any]]:
        today = self.today.isoformat()
        where, params = [], {"today": today}
        if state:
            where.append("c.state = :state")
            params["state"] = state
        if stage:
            where.append("c.stage = :stage")
            params["stage"] = stage
        if overdue:
            where.append("EXISTS (SELECT 1 FROM deadline_view o WHERE o.ref = c.ref AND o.open = 1 AND o.due < :today)")
        if not include_closed:
            where.append("c.final = 0")
        # Overdue counts and next due dates come from the (open, due) index, not a scan per case.
        join = "JOIN" if overdue else "LEFT JOIN"
        sql = f"""
            WITH late AS (SELECT ref, COUNT(*) AS n FROM deadline_view WHERE open = 1 AND due < :today GROUP BY ref),
                 soon AS (SELECT ref, MIN(due) AS due FROM deadline_view WHERE open = 1 GROUP BY ref)
            SELECT c.ref, c.process_id, c.version, c.state, c.state_title, c.stage, c.stage_title, c.final,
                   c.opened_on, c.last_on, COALESCE(late.n, 0) AS overdue, soon.due AS next_due,
                   (SELECT n.title FROM deadline_view n WHERE n.ref = c.ref AND n.open = 1 AND n.due = soon.due
                    ORDER BY n.deadline LIMIT 1) AS next_deadline
            FROM case_view c {join} late ON late.ref = c.ref LEFT JOIN soon ON soon.ref = c.ref
            {'WHERE ' + ' AND '.join(w for w in where if not w.startswith('EXISTS')) if [w for w in where if not w.startswith('EXISTS')] else ''}
            ORDER BY c.ref
        """
        return self.store.query(sql, params)

    def open_deadlines(self, within: int | None = None, overdue: bool = False) -> list[dict[str, Any]]:
        today = self.today.isoformat()
        where = ["d.open = 1"]
        params: dict[str, Any] = {"today": today}
        if overdue:
            where.append("d.due < :today")
        limits: dict[str, dt.date] = {}
        if within is not None:
            if within < 0:
                raise InputError(f"--within takes a number of working days from today, 0 or more (not {within})")
            for process in self.store.processes():
                calendar = calendar_for(self.definition(process["hash"]))
                limits[process["hash"]] = calendar.add_working_days(self.today, within)
            where.append("d.due <= :limit")
            params["limit"] = max(limits.values(), default=self.today).isoformat()
        sql = f"""
            SELECT d.ref, d.deadline, d.title, d.owner, d.start, d.due, d.warn_from, d.met_on, d.applicable,
                   d.reason, d.late_by, c.state, c.state_title, c.process_hash
            FROM deadline_view d JOIN case_view c ON c.ref = d.ref
            WHERE {' AND '.join(where)}
            ORDER BY d.due, d.ref, d.deadline
        """
        rows = []
        for row in self.store.query(sql, params):
            process_hash = row["process_hash"]
            timing = Timing.from_row(row)
            if within is not None and timing.due is not None and timing.due > limits[process_hash]:
                continue  # within the widest calendar's limit, not this case's own
            a = status_on(timing, self.today, calendar_for(self.definition(process_hash)))
            rows.append({
                "ref": row["ref"], "deadline": timing.deadline, "title": timing.title, "owner": list(timing.owner),
                "start": row["start"], "due": row["due"], "warn_from": row["warn_from"], "status": a.status,
                "state": row["state"], "state_title": row["state_title"], "working_days_left": a.working_days_left,
                "late_by_working_days": a.late_by, "detail": a.detail,
            })
        return rows
