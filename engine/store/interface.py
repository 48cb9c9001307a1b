"""The store's contract: what the casebook asks of a database, in cases, entries, deadlines and actions.

Two engines implement :class:`Store`: :class:`~cspr.engine.store.sqlite.SqliteStore`
(the embedded default, one file) and :class:`~cspr.engine.store.postgres.PostgresStore`
(a shared server, through psycopg 3, and libpq directly for quick reads). :func:`open_store` picks one from a
``--db`` value. Nothing outside ``engine/store/`` writes SQL.

Rows come back the same from both engines: dates as ISO text (``YYYY-MM-DD``),
flags as 0 or 1, facts and data as JSON-ready values.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from cspr.engine.errors import CsprError
from cspr.engine.runtime.case import Record

# What a projection of one case is: its case_view row, its deadline_view rows, its action_view rows, and
# (language 2) its task_view rows and its case_link rows.
Projection = tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]],
                   list[dict[str, Any]]]

POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")


class StoreError(CsprError):
    """The database cannot be opened, read or written."""


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def is_postgresql(spec: str | os.PathLike[str]) -> bool:
    return str(spec).startswith(POSTGRESQL_SCHEMES)


class Store(Protocol):
    """An open cspr database.

    Every write happens inside :meth:`write`: one transaction, all of it stored or none. Inside it,
    reading a case (:meth:`records`, :meth:`case_exists`) holds that case against other writers until
    the transaction ends, so a check made on what was read still holds when the entry is appended.
    """

    engine: str  # "sqlite" or "postgresql"
    location: str  # for messages: a file name, or a URL without its password

    @property
    def anchor_location(self) -> str:
        """Where the database is, as the anchor log names it (an absolute path; a URL without user)."""
        ...

    @property
    def schema_version(self) -> int: ...

    def close(self) -> None: ...

    def write(self, *, exclusive: bool = False) -> AbstractContextManager[Any]:
        """One write transaction. ``exclusive``: no other writer at all until it ends (rebuild, bulk loads)."""
        ...

    def snapshot(self) -> AbstractContextManager[Any]:
        """Reads that all see the database as of one moment (a no-op inside :meth:`write`)."""
        ...

    # -- process versions --------------------------------------------------------------

    def save_process(self, definition: Any) -> None:
        """Keep a process version (its YAML text and parsed document) with the cases; a no-op if kept."""
        ...

    def process_forms(self, content_hash: str) -> tuple[str, str | None] | None:
        """A stored process's YAML text and its parsed document (JSON text), or None."""
        ...

    def process_source(self, process_id: str, version: str) -> str | None:
        """The YAML text of a stored version of a process, or None."""
        ...

    def processes(self) -> list[dict[str, Any]]:
        """Every stored process version: hash, process_id, version, effective_from, title, stored_at."""
        ...

    # -- the history -----------------------------------------------------------------

    def case_exists(self, ref: str) -> bool: ...

    def case_refs(self) -> list[str]:
        """Every case with a history, in reference order."""
        ...

    def records(self, ref: str) -> list[Record]:
        """A case's history, in order (empty if there is no such case)."""
        ...

    def append(self, ref: str, record: Record) -> str:
        """Append one entry, hashed into its case's chain and the database's; return its hash.
        Raises StoreError if another writer stored that step first."""
        ...

    def append_many(self, entries: Sequence[tuple[str, Record]]) -> None:
        """Append many entries in order, hashed exactly as :meth:`append` would."""
        ...

    def redact(self, ref: str) -> int:
        """Blank the facts and notes of the entries of a case that its redaction entry (appended first, in the
        same transaction) names; their hashes stay. Return how many."""
        ...

    def purge_log(self) -> str | None:
        """After a redaction commits: clear what the engine keeps of the removed text outside the live rows;
        return why that could not be done completely, or None."""
        ...

    def meta(self) -> dict[str, str]:
        """The database's identity: ``database_id`` and ``key_id`` (the key its chain is sealed with), once its
        first keyed entry is written."""
        ...

    def missing_triggers(self) -> list[str]:
        """The append-only guards that are missing, disabled or not ours (and, in PostgreSQL, history privileges
        granted beyond reading and appending)."""
        ...

    def restore_triggers(self) -> list[str]:
        """Inside a write: put the guards back; return what was missing."""
        ...

    def entries(self, ref: str | None = None) -> list[dict[str, Any]]:
        """The stored history with its hashes: one case's in order, or every entry in the order written."""
        ...

    def entry_batches(self, size: int = 5000) -> Iterator[list[dict[str, Any]]]:
        """Every stored entry with its hashes, in the order written, a batch at a time."""
        ...

    def process_rows(self) -> list[dict[str, Any]]:
        """Every stored process version exactly as stored (YAML text and parsed document included)."""
        ...

    def import_history(self, processes: Sequence[dict[str, Any]], entries: Sequence[dict[str, Any]],
                       meta: dict[str, str] | None = None) -> None:
        """Process versions and entries from another cspr database, exactly as stored there (hashes and
        redactions included), after those already here (``cspr db copy``)."""
        ...

    def case_lengths(self) -> dict[str, int]:
        """Each case's last seq."""
        ...

    def chains_present(self, values: Sequence[str]) -> set[str]:
        """Which of these database chain values some entry carries."""
        ...

    def integrity_check(self) -> str:
        """The engine's own check of the database: "ok", or what is wrong."""
        ...

    # -- projections -----------------------------------------------------------------

    def put_projections(self, projections: Iterable[Projection]) -> None:
        """Write the listing rows of cases (replacing those they had)."""
        ...

    def clear_projections(self) -> None: ...

    def stored_projections(self) -> tuple[list[dict[str, Any]], ...]:
        """Every stored case, deadline, action, task and link row, in the Projection's order (for checking
        them against a replay)."""
        ...

    def list_cases(self, *, today: str, state: str | None = None, stage: str | None = None,
                   with_open_due_before: bool = False, include_closed: bool = True) -> list[dict[str, Any]]:
        """Case rows in reference order, each with ``overdue`` (its open deadlines due before ``today``),
        ``next_due`` and ``next_deadline`` (its soonest open deadline)."""
        ...

    def deadlines(self, *, only_open: bool = False, only_applicable: bool = False, due_from: str | None = None,
                  due_to: str | None = None, due_before: str | None = None,
                  order: str = "due") -> list[dict[str, Any]]:
        """Stored deadline timings (start, due, warn_from, met_on, applicable, open...) with their case's
        state, state_title, version, process_id, process_hash and last_seq; ordered by due date
        (``order="due"``) or by case (``"case"``). The status of each is for the caller to decide."""
        ...

    def open_case_refs(self, process_id: str | None = None) -> list[str]:
        """Cases not in a final state (of one process, if given), in reference order."""
        ...

    def actions(self, *, status: str | None = None, ref: str | None = None, owner: str | None = None,
                open_due_before: str | None = None) -> list[dict[str, Any]]:
        """Agreed actions, soonest due first."""
        ...

    def tasks(self, *, status: str | None = None, ref: str | None = None, kind: str | None = None,
              open_due_before: str | None = None) -> list[dict[str, Any]]:
        """Tasks across cases (language 2), soonest due first, each with its case's process_hash."""
        ...

    def linked_with(self, ref: str) -> list[str]:
        """The cases linked with ``ref``, either way round (language 2)."""
        ...

    def counts(self, *, today: str) -> dict[str, int]:
        """How many cases there are, how many are open, how many have an open deadline due before today."""
        ...

    # -- the accounts of the people who sign in (the web application) -----------------------------

    def user(self, name: str) -> dict[str, Any] | None:
        """The account with exactly this name (name, password_hash, roles, party, disabled, valid_after,
        created_at, changed_at), or None."""
        ...

    def user_folded(self, folded: str) -> dict[str, Any] | None:
        """The account whose case-folded name is ``folded``, or None (names differ by more than case)."""
        ...

    def users(self) -> list[dict[str, Any]]:
        """Every account, by name."""
        ...

    def import_users(self, rows: Sequence[dict[str, Any]]) -> None:
        """Accounts from another cspr database, as its :meth:`users` gives them (hash, roles, party, disabled,
        sessions voided before ``valid_after``, dates), inside a write (``cspr db copy``)."""
        ...

    def add_user(self, name: str, password_hash: str, roles: Sequence[str], party: str | None) -> None:
        """Add an account (inside a write); raises StoreError if the name is taken."""
        ...

    def disable_user(self, name: str, valid_after: float) -> int:
        """Disable an account and void its sessions (inside a write); return how many rows changed."""
        ...

    def replace_password_hash(self, name: str, old_hash: str, new_hash: str) -> None:
        """Store a stronger hash of the same password, if the account still has ``old_hash``."""
        ...


def open_store(spec: str | os.PathLike[str], *, create: bool = False, quick_reads: bool = True) -> Store:
    """The store a ``--db`` value names: a PostgreSQL URL (``postgresql://…``), else an SQLite file.

    On PostgreSQL, ``quick_reads`` lets a command that only reads skip importing psycopg (see
    :mod:`.libpq`); a long-running server, which imports it once, passes False."""
    if is_postgresql(spec):
        from .postgres import PostgresStore

        store: Store = PostgresStore(str(spec), create=create, quick_reads=quick_reads)
        return store
    from .sqlite import SqliteStore

    return SqliteStore(spec, create=create)
