"""The schema's versions: one numbered list of migrations, each written for both engines.

A database records the migrations applied to it (``_migrations``); opening a
database applies the missing ones in order, in one transaction, and refuses a
database newer than this program. Schema version N means the same tables in
SQLite and in PostgreSQL.

Each :class:`Migration` says what it does in SQLite (``sqlite``) and in
PostgreSQL (``postgresql``): a script, a function of the open connection, or
``None`` when there is nothing to do in that engine. PostgreSQL support began
at version 9, so its first migration creates the whole schema of version 9 and
versions 2 to 9 are already part of it there.

**Add new migrations at the end of the list**, with both forms. In PostgreSQL
the application's role is granted its privileges on every table after each
migration (see :data:`cspr.engine.store.postgres.HISTORY_PRIVILEGES`): a new
append-only table must be listed there, or the application may change it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

Step = str | Callable[[Any], None] | None


@dataclass(frozen=True)
class Migration:
    name: str
    sqlite: Step
    postgresql: Step


def _add_hash_chains(conn: sqlite3.Connection) -> None:
    """SQLite migration 3: hash every existing entry into its case chain and the database chain."""
    from .chain import Chainer, content

    chainer = Chainer()
    rows = conn.execute("SELECT id, case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data "
                        "FROM events ORDER BY id").fetchall()
    for row_id, ref, seq, kind, name, on, role, actor, at, facts, note, data in rows:
        seal = chainer.seal(content(ref, seq, kind, name, on, role, actor, at, json.loads(facts), note, json.loads(data)))
        conn.execute("UPDATE events SET digest = ?, prev_hash = ?, hash = ?, chain = ? WHERE id = ?",
                     (seal.digest, seal.prev_hash, seal.hash, seal.chain, row_id))


def _seal_sqlite(conn: Any) -> None:
    from .guards import seal_sqlite

    seal_sqlite(conn)


def _seal_postgresql(conn: Any) -> None:
    from .guards import seal_postgresql

    seal_postgresql(conn)


def document_text(definition: Any) -> str:
    """The parsed document as JSON, in document order (the order of stages and states is shown to users)."""
    return json.dumps(definition.document, ensure_ascii=False, separators=(",", ":"))


def _store_documents(conn: sqlite3.Connection) -> None:
    """SQLite migration 7: keep each stored process's parsed document, so it loads without YAML or the schema."""
    from cspr.engine.definition.loader import load_text

    for content_hash, text in conn.execute("SELECT hash, source_text FROM processes").fetchall():
        conn.execute("UPDATE processes SET document = ? WHERE hash = ?",
                     (document_text(load_text(text, f"stored process {content_hash[:19]}")), content_hash))


def _settle_deadlines(conn: sqlite3.Connection) -> None:
    """SQLite migration 9: store each deadline's settled status and how late it was met, as the deadline rules decide."""
    from cspr.engine.definition.builder import build
    from cspr.engine.runtime.deadlines import Timing, calendar_for, days_late

    calendars: dict[str, Any] = {}
    rows = conn.execute("SELECT d.rowid, d.*, c.process_hash FROM deadline_view d JOIN case_view c ON c.ref = d.ref")
    names = [c[0] for c in rows.description]
    for values in rows.fetchall():
        row = dict(zip(names, values, strict=True))
        t = Timing.from_row(row)
        late_by = None
        if t.met_on and t.due and t.met_on > t.due:
            content_hash = row["process_hash"]
            if content_hash not in calendars:
                text, document = conn.execute("SELECT source_text, document FROM processes WHERE hash = ?",
                                              (content_hash,)).fetchone()
                calendars[content_hash] = calendar_for(build(json.loads(document), f"stored process {content_hash[:19]}",
                                                             text))
            late_by = days_late(t.due, t.met_on, calendars[content_hash])
        settled = t.settled
        conn.execute("UPDATE deadline_view SET settled = ?, late_by = ? WHERE rowid = ?",
                     (settled.value if settled else None, late_by, row["rowid"]))


def _add_condition_column(conn: sqlite3.Connection) -> None:
    """SQLite migration 12 (SQLite cannot say ADD COLUMN IF NOT EXISTS: a database rebuilt from an older one's
    rows may have it already)."""
    if "condition" not in {row[1] for row in conn.execute("PRAGMA table_info(deadline_view)")}:
        conn.execute("ALTER TABLE deadline_view ADD COLUMN condition TEXT")


def _fill_conditions(conn: Any) -> None:
    """Migration 13, either engine: each deadline's condition not known yet, in words ("applies if … holds,
    not known yet"), as a replay of its case decides it, so listings say it as the case page does. Only cases
    with a deadline not met and not ruled out (open or paused) are replayed; one that does not replay is left
    for 'cspr audit verify' to name."""
    import re

    from cspr.engine.definition.builder import build
    from cspr.engine.errors import CsprError
    from cspr.engine.runtime.case import replay
    from cspr.engine.runtime.deadlines import timings

    from .sql import record_of

    sqlite = type(conn).__module__.startswith("sqlite3")

    def execute(sql: str, params: dict[str, Any]) -> Any:  # :name parameters, as the stores write them
        return conn.execute(sql if sqlite else re.sub(r":(\w+)", r"%(\1)s", sql), params)

    def rows(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cursor = execute(sql, params or {})
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) if sqlite else dict(row) for row in cursor.fetchall()]

    definitions: dict[str, Any] = {}

    def definition(content_hash: str) -> Any:
        if content_hash not in definitions:
            found = rows("SELECT source_text, document FROM processes WHERE hash = :hash", {"hash": content_hash})[0]
            definitions[content_hash] = build(json.loads(found["document"]), f"stored process {content_hash[:19]}",
                                              found["source_text"])
        return definitions[content_hash]

    refs = [r["ref"] for r in rows("SELECT DISTINCT ref FROM deadline_view WHERE met_on IS NULL AND applicable = TRUE "
                                   "ORDER BY ref")]
    for ref in refs:
        records = [record_of(r) for r in rows("SELECT * FROM events WHERE case_ref = :ref ORDER BY seq", {"ref": ref})]
        if not records:
            continue
        try:
            case = replay(ref, definition(str(records[0].data.get("process_hash"))), records, definition)
        except (CsprError, LookupError, ValueError):
            continue
        for t in timings(case):
            if t.condition:
                execute("UPDATE deadline_view SET condition = :condition WHERE ref = :ref AND deadline = :deadline",
                        {"condition": t.condition, "ref": ref, "deadline": t.deadline})


_SQLITE_APPEND_ONLY = """
        CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        WHEN NOT (OLD.redacted = 0 AND NEW.redacted = 1 AND NEW.facts = '{}' AND NEW.note IS NULL
                  AND NEW.id = OLD.id AND NEW.case_ref = OLD.case_ref AND NEW.seq = OLD.seq AND NEW.kind = OLD.kind
                  AND NEW.name IS OLD.name AND NEW.on_date = OLD.on_date AND NEW.role IS OLD.role
                  AND NEW.actor = OLD.actor AND NEW.recorded_at = OLD.recorded_at AND NEW.data = OLD.data
                  AND NEW.digest = OLD.digest AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
                  AND NEW.chain = OLD.chain)
        BEGIN SELECT RAISE(ABORT, 'the event history is append-only; only a redaction may blank an entry''s facts and note'); END;
"""

# PostgreSQL: the whole schema of version 9. Dates are `date`, flags `boolean`; the texts that are hashed
# (facts, data, recorded_at) are kept exactly as hashed. The schema's owner runs this; the application's
# role is granted only what postgres.HISTORY_PRIVILEGES allows (no UPDATE or DELETE on the history).
_POSTGRESQL_SCHEMA = r"""
CREATE TABLE _grants (
    role text PRIMARY KEY,
    access text NOT NULL CHECK (access IN ('write', 'read'))
);
CREATE TABLE processes (
    hash text PRIMARY KEY,
    process_id text NOT NULL,
    version text NOT NULL,
    effective_from date NOT NULL,
    title text NOT NULL,
    source_text text NOT NULL,
    stored_at text NOT NULL,
    document text
);
CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_ref text NOT NULL,
    seq integer NOT NULL,
    kind text NOT NULL,
    name text,
    on_date date NOT NULL,
    role text,
    actor text NOT NULL,
    recorded_at text NOT NULL,
    facts text NOT NULL DEFAULT '{}',
    note text,
    data text NOT NULL DEFAULT '{}',
    redacted boolean NOT NULL DEFAULT false,
    digest text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    chain text NOT NULL,
    UNIQUE (case_ref, seq)
);
CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event history is append-only' USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE FUNCTION events_only_redaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.redacted = false AND NEW.redacted = true AND NEW.facts = '{}' AND NEW.note IS NULL
       AND (NEW.id, NEW.case_ref, NEW.seq, NEW.kind, NEW.on_date, NEW.actor, NEW.recorded_at, NEW.data,
            NEW.digest, NEW.prev_hash, NEW.hash, NEW.chain)
           = (OLD.id, OLD.case_ref, OLD.seq, OLD.kind, OLD.on_date, OLD.actor, OLD.recorded_at, OLD.data,
              OLD.digest, OLD.prev_hash, OLD.hash, OLD.chain)
       AND NEW.name IS NOT DISTINCT FROM OLD.name AND NEW.role IS NOT DISTINCT FROM OLD.role THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the event history is append-only; only a redaction may blank an entry''s facts and note'
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_only_redaction();
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_append_only_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
-- The one way to blank content: runs with its owner's rights, blanks the facts and notes of one case's
-- entries and nothing else (the trigger above checks that too). The application records the redaction
-- itself as a new entry in the same transaction.
CREATE FUNCTION redact_case(ref text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = cspr, pg_temp AS $$
DECLARE
    blanked integer;
BEGIN
    UPDATE events SET redacted = true, facts = '{}', note = NULL WHERE case_ref = ref AND redacted = false;
    GET DIAGNOSTICS blanked = ROW_COUNT;
    RETURN blanked;
END $$;
REVOKE ALL ON FUNCTION redact_case(text) FROM PUBLIC;
CREATE TABLE case_view (
    ref text PRIMARY KEY,
    process_id text NOT NULL,
    version text NOT NULL,
    process_hash text NOT NULL,
    state text NOT NULL,
    state_title text NOT NULL,
    stage text NOT NULL,
    stage_title text NOT NULL,
    final boolean NOT NULL,
    opened_on date,
    last_on date NOT NULL,
    last_seq integer NOT NULL
);
CREATE INDEX case_view_state ON case_view (state);
CREATE INDEX case_view_stage ON case_view (stage);
CREATE TABLE deadline_view (
    ref text NOT NULL,
    deadline text NOT NULL,
    title text NOT NULL,
    owner text NOT NULL,
    start date,
    due date,
    warn_from date,
    met_on date,
    applicable boolean NOT NULL,
    open boolean NOT NULL,
    reason text,
    settled text,
    late_by integer,
    PRIMARY KEY (ref, deadline)
);
CREATE INDEX deadline_view_open_due ON deadline_view (open, due);
CREATE TABLE action_view (
    ref text NOT NULL,
    action text NOT NULL,
    stage text NOT NULL,
    text text,
    owner text NOT NULL,
    due date NOT NULL,
    status text NOT NULL,
    added_on date NOT NULL,
    closed_on date,
    reason text,
    agreed_by text NOT NULL,
    PRIMARY KEY (ref, action)
);
CREATE INDEX action_view_status_due ON action_view (status, due);
"""

# Migration 10 (both engines): a deadline's statutory date beside an agreed one, who agreed it, a clock
# stopped, the unit of lateness; each task of a case; the cases a case was opened linked with. PostgreSQL
# can say IF NOT EXISTS everywhere, so running it twice there is harmless.
_LANGUAGE_2_PROJECTIONS = """
ALTER TABLE deadline_view ADD COLUMN {if_new}statutory_due {date};
ALTER TABLE deadline_view ADD COLUMN {if_new}extended_by TEXT;
ALTER TABLE deadline_view ADD COLUMN {if_new}paused_since {date};
ALTER TABLE deadline_view ADD COLUMN {if_new}late_in TEXT;
CREATE TABLE {if_new}task_view (
    ref TEXT NOT NULL,
    task TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    party_role TEXT NOT NULL,
    party TEXT,
    due {date},
    status TEXT NOT NULL,
    added_on {date} NOT NULL,
    closed_on {date},
    reason TEXT,
    PRIMARY KEY (ref, task)
);
CREATE INDEX {if_new}task_view_status_due ON task_view (status, due);
CREATE TABLE {if_new}case_link (
    ref TEXT NOT NULL,
    linked TEXT NOT NULL,
    PRIMARY KEY (ref, linked)
);
CREATE INDEX {if_new}case_link_linked ON case_link (linked);
"""

# The people who sign in (the web application's local accounts; ``cspr user``). Roles are a JSON list;
# the password is an argon2 hash, never the password; valid_after (seconds since the epoch) voids every
# session signed in before it. Accounts are disabled, never deleted, so a name in the history stays someone's.
_USERS = """
CREATE TABLE {if_new}users (
    name TEXT PRIMARY KEY,
    folded TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    party TEXT,
    disabled {flag} NOT NULL DEFAULT {false},
    valid_after {real} NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
"""

MIGRATIONS: list[Migration] = [
    Migration("create the process, event and projection tables", """
        CREATE TABLE processes (
            hash TEXT PRIMARY KEY,
            process_id TEXT NOT NULL,
            version TEXT NOT NULL,
            effective_from TEXT NOT NULL,
            title TEXT NOT NULL,
            source_text TEXT NOT NULL,
            stored_at TEXT NOT NULL
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            case_ref TEXT NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            name TEXT,
            on_date TEXT NOT NULL,
            role TEXT,
            actor TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            facts TEXT NOT NULL DEFAULT '{}',
            note TEXT,
            data TEXT NOT NULL DEFAULT '{}',
            UNIQUE (case_ref, seq)
        );
        CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event history is append-only'); END;
        CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event history is append-only'); END;
        CREATE TABLE case_view (
            ref TEXT PRIMARY KEY,
            process_id TEXT NOT NULL,
            version TEXT NOT NULL,
            process_hash TEXT NOT NULL,
            state TEXT NOT NULL,
            state_title TEXT NOT NULL,
            stage TEXT NOT NULL,
            stage_title TEXT NOT NULL,
            final INTEGER NOT NULL,
            opened_on TEXT NOT NULL,
            last_on TEXT NOT NULL,
            last_seq INTEGER NOT NULL
        );
        CREATE INDEX case_view_state ON case_view (state);
        CREATE INDEX case_view_stage ON case_view (stage);
        CREATE TABLE deadline_view (
            ref TEXT NOT NULL,
            deadline TEXT NOT NULL,
            title TEXT NOT NULL,
            owner TEXT NOT NULL,
            start TEXT,
            due TEXT,
            warn_from TEXT,
            met_on TEXT,
            applicable INTEGER NOT NULL,
            open INTEGER NOT NULL,
            reason TEXT,
            PRIMARY KEY (ref, deadline)
        );
        CREATE INDEX deadline_view_open_due ON deadline_view (open, due);
    """, _POSTGRESQL_SCHEMA),
    Migration("add hash columns and redaction to the event history", """
        ALTER TABLE events ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE events ADD COLUMN digest TEXT NOT NULL DEFAULT '';
        ALTER TABLE events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
        ALTER TABLE events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
        ALTER TABLE events ADD COLUMN chain TEXT NOT NULL DEFAULT '';
        DROP TRIGGER events_append_only_update;
    """, None),
    Migration("hash the existing history into chains", _add_hash_chains, None),
    Migration("allow only redactions to change an entry", _SQLITE_APPEND_ONLY, None),
    Migration("add the agreed-actions projection", """
        CREATE TABLE action_view (
            ref TEXT NOT NULL,
            action TEXT NOT NULL,
            stage TEXT NOT NULL,
            text TEXT,
            owner TEXT NOT NULL,
            due TEXT NOT NULL,
            status TEXT NOT NULL,
            added_on TEXT NOT NULL,
            closed_on TEXT,
            reason TEXT,
            agreed_by TEXT NOT NULL,
            PRIMARY KEY (ref, action)
        );
        CREATE INDEX action_view_status_due ON action_view (status, due);
    """, None),
    Migration("add the parsed document of each stored process", "ALTER TABLE processes ADD COLUMN document TEXT;", None),
    Migration("store the parsed document of each stored process", _store_documents, None),
    Migration("add each deadline's settled status and working days late", """
        ALTER TABLE deadline_view ADD COLUMN settled TEXT;
        ALTER TABLE deadline_view ADD COLUMN late_by INTEGER;
    """, None),
    Migration("store each deadline's settled status and working days late", _settle_deadlines, None),
    Migration("add language 2's projections: agreed and paused deadlines, tasks, case links",
              _LANGUAGE_2_PROJECTIONS.replace("{date}", "TEXT").replace("{if_new}", ""),
              _LANGUAGE_2_PROJECTIONS.replace("{date}", "date").replace("{if_new}", "IF NOT EXISTS ")),
    Migration("the database's identity and key, and blanking only what a recorded redaction names",
              _seal_sqlite, _seal_postgresql),
    Migration("add the accounts of the people who sign in",
              _USERS.format(if_new="IF NOT EXISTS ", flag="INTEGER", false="0", real="REAL"),
              _USERS.format(if_new="IF NOT EXISTS ", flag="boolean", false="FALSE", real="double precision")),
    Migration("add each deadline's condition not known yet", _add_condition_column,
              "ALTER TABLE deadline_view ADD COLUMN IF NOT EXISTS condition text;"),
    Migration("store each deadline's condition not known yet, from a replay of its case",
              _fill_conditions, _fill_conditions),
]
SCHEMA_VERSION = len(MIGRATIONS)
