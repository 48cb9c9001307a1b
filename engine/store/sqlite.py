"""The SQLite case store, through sqlite-utils.

Tables:

* ``processes``: every process version a case has used (hash, id, version and
  the YAML text itself, so a case can always be replayed under its rules);
* ``events``: the append-only history of every case, each entry hashed into
  its case's chain and the database's chain (see :mod:`cspr.engine.casebook.audit`);
  triggers refuse DELETE and every UPDATE but a redaction; ``(case_ref, seq)``
  is unique, so two writers can never both append the same step;
* ``case_view`` and ``deadline_view``: projections for fast listing, always
  rebuildable from ``events`` (:meth:`Store.rebuild` in ``cspr.engine.casebook``);
  ``deadline_view`` stores what :mod:`cspr.engine.runtime.deadlines` decided
  (dates, whether it applies, its ``settled`` status, ``late_by``), never a
  status of its own making;
* ``_migrations``: the schema version; a database newer than this program is
  refused.

Every write happens inside :meth:`Store.write`, one ``BEGIN IMMEDIATE``
transaction: the case is read, checked and appended under the write lock, so
a command never acts on a state another writer has just changed. The file is
created readable by its owner only; WAL mode and a busy timeout let two
people work at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cspr.engine.runtime.case import Record
from cspr.engine.errors import CsprError

from .chain import GENESIS, Chainer, content

APPLICATION_ID = 0x43535052  # "CSPR"
BUSY_TIMEOUT_MS = 15_000

def _add_hash_chains(conn: sqlite3.Connection) -> None:
    """Migration 3: hash every existing entry into its case chain and the database chain."""
    from .chain import Chainer, content

    chainer = Chainer()
    rows = conn.execute("SELECT id, case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data "
                        "FROM events ORDER BY id").fetchall()
    for row_id, ref, seq, kind, name, on, role, actor, at, facts, note, data in rows:
        seal = chainer.seal(content(ref, seq, kind, name, on, role, actor, at, json.loads(facts), note, json.loads(data)))
        conn.execute("UPDATE events SET digest = ?, prev_hash = ?, hash = ?, chain = ? WHERE id = ?",
                     (seal.digest, seal.prev_hash, seal.hash, seal.chain, row_id))


_APPEND_ONLY = """
        CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        WHEN NOT (OLD.redacted = 0 AND NEW.redacted = 1 AND NEW.facts = '{}' AND NEW.note IS NULL
                  AND NEW.id = OLD.id AND NEW.case_ref = OLD.case_ref AND NEW.seq = OLD.seq AND NEW.kind = OLD.kind
                  AND NEW.name IS OLD.name AND NEW.on_date = OLD.on_date AND NEW.role IS OLD.role
                  AND NEW.actor = OLD.actor AND NEW.recorded_at = OLD.recorded_at AND NEW.data = OLD.data
                  AND NEW.digest = OLD.digest AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
                  AND NEW.chain = OLD.chain)
        BEGIN SELECT RAISE(ABORT, 'the event history is append-only; only a redaction may blank an entry''s facts and note'); END;
"""

def _store_documents(conn: sqlite3.Connection) -> None:
    """Migration 7: keep each stored process's parsed document, so it loads without YAML or the schema."""
    from cspr.engine.definition.loader import load_text

    for content_hash, text in conn.execute("SELECT hash, source_text FROM processes").fetchall():
        conn.execute("UPDATE processes SET document = ? WHERE hash = ?",
                     (document_text(load_text(text, f"stored process {content_hash[:19]}")), content_hash))


def _settle_deadlines(conn: sqlite3.Connection) -> None:
    """Migration 9: store each deadline's settled status and how late it was met, as the deadline rules decide."""
    from cspr.engine.definition.builder import build
    from cspr.engine.runtime.deadlines import Timing, calendar_for, days_late

    calendars: dict[str, Any] = {}
    rows = conn.execute("SELECT d.rowid, d.*, c.process_hash FROM deadline_view d JOIN case_view c ON c.ref = d.ref")
    names = [c[0] for c in rows.description]
    for values in rows.fetchall():
        row = dict(zip(names, values))
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


def document_text(definition: Any) -> str:
    """The parsed document as JSON, in document order (the order of stages and states is shown to users)."""
    return json.dumps(definition.document, ensure_ascii=False, separators=(",", ":"))


Migration = tuple[str, "str | Callable[[sqlite3.Connection], None]"]

MIGRATIONS: list[Migration] = [
    ("create the process, event and projection tables", """
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
    """),
    ("add hash columns and redaction to the event history", """
        ALTER TABLE events ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE events ADD COLUMN digest TEXT NOT NULL DEFAULT '';
        ALTER TABLE events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
        ALTER TABLE events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
        ALTER TABLE events ADD COLUMN chain TEXT NOT NULL DEFAULT '';
        DROP TRIGGER events_append_only_update;
    """),
    ("hash the existing history into chains", _add_hash_chains),
    ("allow only redactions to change an entry", _APPEND_ONLY),
    ("add the agreed-actions projection", """
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
    """),
    ("add the parsed document of each stored process", "ALTER TABLE processes ADD COLUMN document TEXT;"),
    ("store the parsed document of each stored process", _store_documents),
    ("add each deadline's settled status and working days late", """
        ALTER TABLE deadline_view ADD COLUMN settled TEXT;
        ALTER TABLE deadline_view ADD COLUMN late_by INTEGER;
    """),
    ("store each deadline's settled status and working days late", _settle_deadlines),
]
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(CsprError):
    """The database cannot be opened, read or written."""


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _explain(path: Path, exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return StoreError(f"{path} is read-only; nothing was changed (check the file's permissions)")
    if "not a database" in text or "malformed" in text:
        return StoreError(f"{path} is not a cspr database (SQLite says: {text}); check --db")
    if "locked" in text or "busy" in text:
        return StoreError(f"{path} is busy (another command is writing); nothing was changed, try again")
    if "unable to open" in text:
        if path.exists() and not os.access(path.parent, os.W_OK):
            return StoreError(f"{path} is in a read-only folder or disk; nothing was changed (cspr needs to write "
                              "its journal beside the database: copy it somewhere writable)")
        return StoreError(f"cannot open {path}: check the folder exists and is writable")
    return StoreError(f"database error on {path}: {text}")


class Store:
    """An open cspr database."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False):
        self.path = Path(path)
        self._create = create
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder; give a database file with --db")
        if not self.path.exists():
            if not create:
                raise StoreError(f"no database at {self.path}; open a case first ('cspr case open') or give --db / CSPR_DB")
            if not self.path.parent.exists():
                raise StoreError(f"the folder {self.path.parent} does not exist; create it or choose another --db")
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                pass
            except OSError as exc:
                raise StoreError(f"cannot create {self.path}: {exc.strerror}") from None
        elif create and self.path.is_file() and self.path.stat().st_size == 0:
            os.chmod(self.path, 0o600)  # an empty file becomes a new database: owner-only, as if created here
        try:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            self.conn = conn
            self._db: Any = None
            self._prepare()
        except sqlite3.Error as exc:
            raise _explain(self.path, exc) from None

    # -- set-up ----------------------------------------------------------------

    def _prepare(self) -> None:
        conn = self.conn
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app_id not in (0, APPLICATION_ID) or (tables and "_migrations" not in tables):
            raise StoreError(f"{self.path} is an SQLite database, but not a cspr one; check --db")
        if not tables and not self._create:
            raise StoreError(f"{self.path} is empty, not a cspr database yet; open a case first ('cspr case open') or check --db")
        version = 0
        if "_migrations" in tables:
            version = conn.execute("SELECT COALESCE(MAX(version), 0) FROM _migrations").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer cspr (database schema {version}; this program knows up to "
                f"{SCHEMA_VERSION}); upgrade cspr before using it"
            )
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _migrate(self, current: int) -> None:
        with self.write():
            self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            # re-read under the write lock: another process may have migrated meanwhile
            current = self.conn.execute("SELECT COALESCE(MAX(version), 0) FROM _migrations").fetchone()[0]
            for number, (name, step) in enumerate(MIGRATIONS, start=1):
                if number <= current:
                    continue
                if callable(step):
                    step(self.conn)
                else:
                    for statement in _statements(step):
                        self.conn.execute(statement)
                self.conn.execute("INSERT INTO _migrations VALUES (?, ?, ?)", (number, name, utc_now()))

    @property
    def db(self) -> Any:
        """The sqlite-utils view of the connection, for writes (reads use sqlite3 directly: faster to start)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT COALESCE(MAX(version), 0) FROM _migrations").fetchone()[0])

    def close(self) -> None:
        self.conn.close()

    # -- transactions ------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Store]:
        """One ``BEGIN IMMEDIATE`` transaction: all of it is stored, or none."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _explain(self.path, exc) from None
        try:
            yield self
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise _explain(self.path, exc) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    # -- processes ---------------------------------------------------------------

    def save_process(self, definition: Any) -> None:
        self.db["processes"].insert({
            "hash": definition.content_hash, "process_id": definition.id, "version": definition.version,
            "effective_from": definition.effective_from.isoformat(), "title": definition.title,
            "source_text": definition.source_text, "stored_at": utc_now(), "document": document_text(definition),
        }, ignore=True)

    def process_text(self, content_hash: str) -> str | None:
        row = self.conn.execute("SELECT source_text FROM processes WHERE hash = ?", (content_hash,)).fetchone()
        return row[0] if row else None

    def process_forms(self, content_hash: str) -> tuple[str, str | None] | None:
        """A stored process's YAML text and its parsed document (JSON)."""
        row = self.conn.execute("SELECT source_text, document FROM processes WHERE hash = ?", (content_hash,)).fetchone()
        return (row[0], row[1]) if row else None

    def processes(self) -> list[dict[str, Any]]:
        return self.query("SELECT hash, process_id, version, effective_from, title, stored_at FROM processes "
                          "ORDER BY process_id, effective_from")

    # -- events ------------------------------------------------------------------

    def case_exists(self, ref: str) -> bool:
        return self.conn.execute("SELECT 1 FROM events WHERE case_ref = ? AND seq = 1", (ref,)).fetchone() is not None

    def records(self, ref: str) -> list[Record]:
        rows = self.conn.execute(
            "SELECT seq, kind, name, on_date, role, actor, recorded_at, facts, note, data, redacted FROM events "
            "WHERE case_ref = ? ORDER BY seq", (ref,),
        ).fetchall()
        return [_record(row) for row in rows]

    def append_many(self, entries: list[tuple[str, Record]]) -> None:
        """Append many entries in one go (in order), hashed exactly as :meth:`append` would."""
        chainer = self._chainer()
        rows = []
        for ref, record in entries:
            facts, data = _dumps(record.facts), _dumps(record.data)
            on = record.on.isoformat()
            # record.facts and record.data already hold JSON values, as a re-read would give them
            seal = chainer.seal(content(ref, record.seq, record.kind, record.name, on, record.role, record.actor,
                                        record.recorded_at, dict(record.facts), record.note, dict(record.data)))
            rows.append((ref, record.seq, record.kind, record.name, on, record.role, record.actor, record.recorded_at,
                         facts, record.note, data, seal.digest, seal.prev_hash, seal.hash, seal.chain))
        try:
            self.conn.executemany(
                "INSERT INTO events (case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data, "
                "digest, prev_hash, hash, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.IntegrityError:
            raise StoreError("some of these cases already exist; nothing was changed") from None

    def put_projections(self, projections: list[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]) -> None:
        """Write the listing rows of many cases at once (replacing any they had)."""
        if not projections:
            return
        for table, rows in (("case_view", [p[0] for p in projections]),
                            ("deadline_view", [r for p in projections for r in p[1]]),
                            ("action_view", [r for p in projections for r in p[2]])):
            if table != "case_view":
                self.conn.executemany(f"DELETE FROM {table} WHERE ref = ?", [(p[0]["ref"],) for p in projections])
            if rows:
                columns = list(rows[0])
                self.conn.executemany(
                    f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    [tuple(row[c] for c in columns) for row in rows])

    def append(self, ref: str, record: Record) -> str:
        """Append one entry, hashed into its case chain and the database chain; return its hash."""
        facts, data = _dumps(record.facts), _dumps(record.data)
        seal = self._chainer().seal(content(ref, record.seq, record.kind, record.name, record.on.isoformat(), record.role,
                                            record.actor, record.recorded_at, json.loads(facts), record.note,
                                            json.loads(data)))
        try:
            self.conn.execute(
                "INSERT INTO events (case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data, "
                "digest, prev_hash, hash, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ref, record.seq, record.kind, record.name, record.on.isoformat(), record.role, record.actor,
                 record.recorded_at, facts, record.note, data, seal.digest, seal.prev_hash, seal.hash, seal.chain),
            )
            return seal.hash
        except sqlite3.IntegrityError:
            raise StoreError(f"{ref}: another command recorded step #{record.seq} at the same moment; "
                             "nothing was changed, look at the case and try again") from None

    def _chainer(self) -> Chainer:
        """Sealing entries after the last one written."""
        last = self.conn.execute("SELECT chain FROM events ORDER BY id DESC LIMIT 1").fetchone()

        def head(ref: str) -> str:
            row = self.conn.execute("SELECT hash FROM events WHERE case_ref = ? ORDER BY seq DESC LIMIT 1",
                                    (ref,)).fetchone()
            return str(row[0]) if row else GENESIS

        return Chainer(last[0] if last else GENESIS, head)

    def redact(self, ref: str) -> int:
        """Blank the facts and notes of a case's entries (the trigger allows nothing else)."""
        cursor = self.conn.execute("UPDATE events SET redacted = 1, facts = '{}', note = NULL "
                                   "WHERE case_ref = ? AND redacted = 0", (ref,))
        return cursor.rowcount

    def case_refs(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT case_ref FROM events WHERE seq = 1 ORDER BY case_ref")]

    # -- projections -------------------------------------------------------------

    def put_projection(self, case_row: dict[str, Any], deadline_rows: list[dict[str, Any]],
                       action_rows: list[dict[str, Any]]) -> None:
        ref = case_row["ref"]
        self.db["case_view"].upsert(case_row, pk="ref")
        self.conn.execute("DELETE FROM deadline_view WHERE ref = ?", (ref,))
        if deadline_rows:
            self.db["deadline_view"].insert_all(deadline_rows)
        self.conn.execute("DELETE FROM action_view WHERE ref = ?", (ref,))
        if action_rows:
            self.db["action_view"].insert_all(action_rows)

    def clear_projections(self) -> None:
        for table in ("case_view", "deadline_view", "action_view"):
            self.conn.execute(f"DELETE FROM {table}")

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _dumps(value: Any) -> str:
    return json.dumps(dict(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _record(row: tuple[Any, ...]) -> Record:
    seq, kind, name, on_date, role, actor, recorded_at, facts, note, data, redacted = row
    return Record(
        seq=seq, kind=kind, name=name, on=dt.date.fromisoformat(on_date), role=role, actor=actor,
        recorded_at=recorded_at, facts=json.loads(facts), note=note, data=json.loads(data), redacted=bool(redacted),
    )


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers keep their inner ';')."""
    out, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        joined = "\n".join(current).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            current = []
    if "\n".join(current).strip():
        out.append("\n".join(current).strip())
    return out
