"""The SQLite store: the embedded default, one file per partnership.

Tables:

* ``processes``: every process version a case has used (hash, id, version and
  the YAML text itself, so a case can always be replayed under its rules);
* ``events``: the append-only history of every case, each entry hashed into
  its case's chain and the database's chain (see :mod:`cspr.engine.store.chain`);
  triggers refuse DELETE and every UPDATE but a recorded redaction (:mod:`.guards`); ``(case_ref, seq)``
  is unique, so two writers can never both append the same step;
* ``case_view``, ``deadline_view`` and ``action_view``: projections for fast
  listing, always rebuildable from ``events``;
* ``_meta``: the database's id and the id of the key its chain is sealed with
  (:mod:`cspr.engine.store.sealing`), append-only;
* ``_migrations``: the schema version (:mod:`cspr.engine.store.migrations`);
  a database newer than this program is refused.

Every write happens inside :meth:`SqliteStore.write`, one ``BEGIN IMMEDIATE``
transaction: the whole database is locked for writing, so a case read and
checked in it cannot change before the entry is appended. The file is created
readable by its owner only; WAL mode and a busy timeout let two people work at
once. The queries themselves are shared with PostgreSQL (:mod:`.sql`).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cspr.engine.files import FileProblem, create_private, resolved

from .chain import key_id, new_key
from .interface import StoreError, utc_now
from .migrations import MIGRATIONS, SCHEMA_VERSION
from .sql import Duplicate, SqlStore

APPLICATION_ID = 0x43535052  # "CSPR"
BUSY_TIMEOUT_MS = 15_000

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SqliteStore", "StoreError"]


def _explain(path: Path, exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return StoreError(f"{path} is read-only; nothing was changed (check the file's permissions)")
    if "not a database" in text or "malformed" in text:
        return StoreError(f"{path} is not a cspr database (SQLite says: {text}); check --db")
    if "locked" in text or "busy" in text:
        return StoreError(f"{path} is busy (another command is writing); nothing was changed, try again")
    if "unable to open" in text:
        if path.exists() and not os.access(path, os.R_OK):
            return StoreError(f"{path} cannot be read (permission denied); check the file's permissions")
        if path.exists() and not os.access(path.parent, os.W_OK):
            return StoreError(f"{path} is in a read-only folder or disk; nothing was changed (cspr needs to write "
                              "its journal beside the database: copy it somewhere writable)")
        return StoreError(f"cannot open {path}: check the folder exists and is writable")
    return StoreError(f"database error on {path}: {text}")


class SqliteStore(SqlStore):
    """An open cspr database file."""

    engine = "sqlite"

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False):
        self.path = Path(path)
        self.location = str(self.path)
        self._create = create
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder; give a database file with --db")
        if not self.path.exists():
            if not create:
                raise StoreError(f"no database at {self.path}; open a case first ('cspr case open') or give --db / CSPR_DB")
            target = resolved(self.path)  # through a symbolic link: its target, created owner-only too
            if not target.parent.exists():
                raise StoreError(f"the folder {target.parent} does not exist; create it or choose another --db")
            try:
                create_private(target)
            except FileProblem as exc:
                raise StoreError(str(exc)) from None
        elif not os.access(self.path, os.R_OK):
            raise StoreError(f"{self.path} cannot be read (permission denied); check the file's permissions "
                             "(cspr needs to read and write it)")
        elif create and self.path.is_file() and self.path.stat().st_size == 0:
            os.chmod(self.path, 0o600)  # an empty file becomes a new database: owner-only, as if created here
        try:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            self.conn = conn
            self._prepare()
        except sqlite3.Error as exc:
            raise _explain(self.path, exc) from None

    @classmethod
    def in_memory(cls) -> SqliteStore:
        """A database that lives in memory and is gone when closed: nothing is written to disk, neither the
        deployment's key file nor its anchor log (``cspr check`` runs scenarios in one)."""
        return InMemoryStore()

    # -- set-up ----------------------------------------------------------------------

    def _prepare(self) -> None:
        conn = self.conn
        # The id, the tables and the version are read in one snapshot: another process may be creating
        # this very file, and between two separate reads it could seem to have tables but no id yet.
        conn.execute("BEGIN")
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = 0
            if "_migrations" in tables:
                version = conn.execute("SELECT COALESCE(MAX(version), 0) FROM _migrations").fetchone()[0]
        finally:
            conn.execute("ROLLBACK")
        if app_id != APPLICATION_ID and (app_id != 0 or tables):
            # Ours carry our application id from their first migration; any other file is left untouched.
            raise StoreError(f"{self.path} is an SQLite database, but not a cspr one (its application id is "
                             f"{app_id:#x}, not cspr's {APPLICATION_ID:#x}); nothing was changed, check --db")
        if not tables and not self._create:
            raise StoreError(f"{self.path} is empty, not a cspr database yet; open a case first ('cspr case open') or check --db")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer cspr (database schema {version}; this program knows up to "
                f"{SCHEMA_VERSION}); upgrade cspr before using it"
            )
        self._use_wal()
        conn.execute("PRAGMA synchronous = FULL")
        if version < SCHEMA_VERSION:
            self._migrate()

    def _use_wal(self) -> None:
        """Switch the file to write-ahead logging (it stays so). Two connections switching a new file at once
        can find each other's read lock in the way; SQLite then answers "locked" at once, without waiting in
        the busy handler (either could deadlock), so the switch is retried here for as long as a write waits."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _migrate(self) -> None:
        with self.write():
            self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            # re-read under the write lock: another process may have migrated meanwhile
            current = self.conn.execute("SELECT COALESCE(MAX(version), 0) FROM _migrations").fetchone()[0]
            for number, migration in enumerate(MIGRATIONS, start=1):
                if number <= current:
                    continue
                step = migration.sqlite
                if callable(step):
                    step(self.conn)
                elif step:
                    for statement in statements(step):
                        self.conn.execute(statement)
                self.conn.execute("INSERT INTO _migrations VALUES (?, ?, ?)", (number, migration.name, utc_now()))

    @property
    def anchor_location(self) -> str:
        return str(resolved(self.path))

    def close(self) -> None:
        self.conn.close()

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def write(self, *, exclusive: bool = False) -> Iterator[SqliteStore]:
        """One ``BEGIN IMMEDIATE`` transaction (always exclusive: SQLite has one writer at a time)."""
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
        self._committed()  # the new head goes to the anchor log once it is stored

    @contextmanager
    def snapshot(self) -> Iterator[SqliteStore]:
        if self.conn.in_transaction:
            yield self
            return
        self.conn.execute("BEGIN")
        try:
            yield self
        finally:
            self._rollback()

    def _rollback(self) -> None:
        self._rolled_back()
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    # -- the connection --------------------------------------------------------------

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            cursor = self.conn.execute(sql, params or {})
        except sqlite3.Error as exc:
            raise _explain(self.path, exc) from None
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _execute(self, sql: str, params: dict[str, Any] | None = None) -> int:
        try:
            return self.conn.execute(sql, params or {}).rowcount
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise Duplicate(str(exc)) from None
            raise

    def _executemany(self, sql: str, rows: Sequence[dict[str, Any]]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise Duplicate(str(exc)) from None
            raise

    # -- what only SQLite does ----------------------------------------------------------

    def redact(self, ref: str) -> int:
        """Blank the facts and notes of a case's entries that its redaction entry names (the guard allows no
        other change). ``secure_delete`` overwrites the freed bytes instead of leaving them in the file."""
        self.conn.execute("PRAGMA secure_delete = ON")
        return self._execute("UPDATE events SET redacted = 1, facts = '{}', note = NULL "
                             "WHERE case_ref = :ref AND redacted = 0 AND kind != 'redacted'", {"ref": ref})

    def purge_log(self) -> str | None:
        """After a redaction: copy the write-ahead log into the file and empty it, so the removed text is in
        neither; say so if another connection reading the database prevented it."""
        self.conn.execute("PRAGMA busy_timeout = 500")  # a reader that stays is reported, not waited for
        try:
            busy, frames, _ = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if busy or frames > 0:
            return (f"another program was reading {self.path}, so its write-ahead log ({self.path}-wal) could not "
                    "be emptied and it, or the database file, may still hold the removed text; run 'cspr rebuild' "
                    "once nobody else is using the database")
        return None

    def missing_triggers(self) -> list[str]:
        from .guards import SQLITE_TRIGGERS

        present = {r[0]: r[1] for r in self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
        def normal(sql: str) -> str:
            return " ".join(sql.split()).rstrip(";")

        return [name for name, ddl in SQLITE_TRIGGERS.items() if normal(str(present.get(name, ""))) != normal(ddl)]

    def restore_triggers(self) -> list[str]:
        """Inside a write: put back every guard that is missing or not ours; return their names."""
        from .guards import SQLITE_TRIGGERS

        missing = self.missing_triggers()
        for name in missing:
            self.conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            self.conn.execute(SQLITE_TRIGGERS[name])
        return missing

    def integrity_check(self) -> str:
        return "; ".join(r[0] for r in self.conn.execute("PRAGMA integrity_check").fetchall())


def statements(script: str) -> list[str]:
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


class InMemoryStore(SqliteStore):
    """A database in memory (a scenario run): sealed with a key made for it and gone with it, and never
    anchored; the deployment's key file and anchor log are for databases that are kept."""

    def __init__(self) -> None:
        self.path = Path(":memory:")
        self.location = ":memory:"
        self._create = True
        self._key = new_key()
        self.conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self._prepare()

    def _sealing_key(self, meta: dict[str, str]) -> tuple[bytes, str]:
        return self._key, key_id(self._key)

    def _open_anchor_log(self) -> None:
        return None
