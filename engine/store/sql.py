"""What both SQL engines share: the store's queries, written once in the SQL that SQLite and PostgreSQL
both understand, and the hashing of new entries.

Queries use named parameters (``:name``); flags are compared with ``TRUE``/``FALSE`` (SQLite reads
them as 1 and 0, and still uses its indexes). An engine subclass supplies the connection (``_rows``,
``_execute``, ``_executemany``), its transactions and locks (``_lock_case``, ``_lock_chain``), and what
only it can do (redaction, its integrity check, its schema).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from cspr.engine.runtime.case import Record

from .chain import GENESIS, Chainer, content
from .interface import Projection, StoreError, utc_now
from .migrations import document_text

if TYPE_CHECKING:
    from .sealing import AnchorLog

ENTRY_COLUMNS = ("id", "case_ref", "seq", "kind", "name", "on_date", "role", "actor", "recorded_at", "facts", "note",
                 "data", "redacted", "digest", "prev_hash", "hash", "chain")
CASE_COLUMNS = ("ref", "process_id", "version", "process_hash", "state", "state_title", "stage", "stage_title",
                "final", "opened_on", "last_on", "last_seq")
DEADLINE_COLUMNS = ("ref", "deadline", "title", "owner", "start", "due", "warn_from", "met_on", "applicable", "open",
                    "reason", "settled", "late_by", "statutory_due", "extended_by", "paused_since", "late_in",
                    "condition")
TASK_COLUMNS = ("ref", "task", "kind", "title", "party_role", "party", "due", "status", "added_on", "closed_on", "reason")
LINK_COLUMNS = ("ref", "linked")
ACTION_COLUMNS = ("ref", "action", "stage", "text", "owner", "due", "status", "added_on", "closed_on", "reason",
                  "agreed_by")
PROCESS_COLUMNS = ("hash", "process_id", "version", "effective_from", "title", "source_text", "stored_at", "document")


def _rows_of(projection: Projection, index: int) -> list[dict[str, Any]]:
    """The rows of one listing table in a case's projection (every part after the first is a list of rows)."""
    rows: list[dict[str, Any]] = projection[index]  # type: ignore[assignment]
    return rows


# The tables a case's projection fills besides case_view: (table, columns, index in the Projection).
_PROJECTED = (("deadline_view", DEADLINE_COLUMNS, 1), ("action_view", ACTION_COLUMNS, 2),
              ("task_view", TASK_COLUMNS, 3), ("case_link", LINK_COLUMNS, 4))


def _insert(table: str, columns: Sequence[str], conflict: str = "") -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
            + (f" {conflict}" if conflict else ""))


_INSERT_EVENT = _insert("events", ENTRY_COLUMNS[1:])


class Duplicate(StoreError):
    """A unique key was already taken (another writer stored the same step first)."""


def _dumps(value: Any) -> str:
    return json.dumps(dict(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_of(row: dict[str, Any]) -> Record:
    """An entry row (as :meth:`SqlStore.entries` or ``records`` read it) as a Record."""
    return Record(
        seq=row["seq"], kind=row["kind"], name=row["name"], on=dt.date.fromisoformat(row["on_date"]), role=row["role"],
        actor=row["actor"], recorded_at=row["recorded_at"], facts=json.loads(row["facts"]), note=row["note"],
        data=json.loads(row["data"]), redacted=bool(row["redacted"]),
    )


def entry_row(ref: str, record: Record, chainer: Chainer) -> dict[str, Any]:
    """An entry as stored: its content, and the hashes that seal it into the chains."""
    facts, data = _dumps(record.facts), _dumps(record.data)
    on = record.on.isoformat()
    # facts and data are hashed as a re-read would give them back
    sealed = chainer.seal(content(ref, record.seq, record.kind, record.name, on, record.role, record.actor,
                                  record.recorded_at, json.loads(facts), record.note, json.loads(data)))
    return {"case_ref": ref, "seq": record.seq, "kind": record.kind, "name": record.name, "on_date": on,
            "role": record.role, "actor": record.actor, "recorded_at": record.recorded_at, "facts": facts,
            "note": record.note, "data": data, "redacted": False, "digest": sealed.digest, "prev_hash": sealed.prev_hash,
            "hash": sealed.hash, "chain": sealed.chain}


class SqlStore:
    """The store's operations in portable SQL; an engine subclass connects them to a database."""

    engine = "sql"
    location = ""

    # -- what an engine supplies -----------------------------------------------------------

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _execute(self, sql: str, params: dict[str, Any] | None = None) -> int:
        """Run one statement; return the number of rows it changed. Raises Duplicate on a unique key."""
        raise NotImplementedError

    def _executemany(self, sql: str, rows: Sequence[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _lock_case(self, ref: str) -> None:
        """Inside a write: hold this case against other writers until the transaction ends."""

    def _lock_chain(self) -> None:
        """Inside a write: hold the database chain's head until the transaction ends."""

    def _insert_entries(self, rows: list[dict[str, Any]]) -> None:
        self._executemany(_INSERT_EVENT, rows)

    def _value(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        rows = self._rows(sql, params)
        return next(iter(rows[0].values())) if rows else None

    # -- schema ------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return int(self._value("SELECT COALESCE(MAX(version), 0) AS v FROM _migrations"))

    # -- process versions --------------------------------------------------------------

    def save_process(self, definition: Any) -> None:
        self._execute(
            "INSERT INTO processes (hash, process_id, version, effective_from, title, source_text, stored_at, document) "
            "VALUES (:hash, :process_id, :version, :effective_from, :title, :source_text, :stored_at, :document) "
            "ON CONFLICT (hash) DO NOTHING",
            {"hash": definition.content_hash, "process_id": definition.id, "version": definition.version,
             "effective_from": definition.effective_from.isoformat(), "title": definition.title,
             "source_text": definition.source_text, "stored_at": utc_now(), "document": document_text(definition)})

    def process_forms(self, content_hash: str) -> tuple[str, str | None] | None:
        rows = self._rows("SELECT source_text, document FROM processes WHERE hash = :hash", {"hash": content_hash})
        return (rows[0]["source_text"], rows[0]["document"]) if rows else None

    def process_source(self, process_id: str, version: str) -> str | None:
        source: str | None = self._value("SELECT source_text FROM processes WHERE process_id = :id AND "
                                         "version = :version ORDER BY stored_at LIMIT 1",
                                         {"id": process_id, "version": version})
        return source

    def processes(self) -> list[dict[str, Any]]:
        return self._rows("SELECT hash, process_id, version, effective_from, title, stored_at FROM processes "
                          "ORDER BY process_id, effective_from")

    # -- the history -------------------------------------------------------------------

    def case_exists(self, ref: str) -> bool:
        self._lock_case(ref)
        return bool(self._rows("SELECT 1 AS found FROM events WHERE case_ref = :ref AND seq = 1", {"ref": ref}))

    def case_refs(self) -> list[str]:
        return [r["case_ref"] for r in self._rows("SELECT case_ref FROM events WHERE seq = 1 ORDER BY case_ref")]

    def records(self, ref: str) -> list[Record]:
        self._lock_case(ref)
        return [record_of(row) for row in self._rows(
            "SELECT seq, kind, name, on_date, role, actor, recorded_at, facts, note, data, redacted FROM events "
            "WHERE case_ref = :ref ORDER BY seq", {"ref": ref})]

    def _case_head(self, ref: str) -> str:
        return self._value("SELECT hash FROM events WHERE case_ref = :ref ORDER BY seq DESC LIMIT 1",
                           {"ref": ref}) or GENESIS

    def _database_head(self) -> str:
        self._lock_chain()
        return self._value("SELECT chain FROM events ORDER BY id DESC LIMIT 1") or GENESIS

    # -- sealing: the database's identity, the key, the anchor log ---------------------------------

    _anchor_log: AnchorLog | None = None
    _pending_anchor: tuple[str, str, str, tuple[str, int] | None] | None = None  # database, location, head, last

    @property
    def anchor_location(self) -> str:
        """Where this database is, as the anchor log names it."""
        return self.location

    def meta(self) -> dict[str, str]:
        """The database's identity: its id and the id of the key it is sealed with (once it has been)."""
        return {r["key"]: r["value"] for r in self._rows("SELECT key, value FROM _meta")}

    def _put_meta(self, values: dict[str, str], *, unless_there: bool = False) -> None:
        """Store ``values``; ``unless_there``: leave a key another writer stored meanwhile as it is."""
        self._executemany("INSERT INTO _meta (key, value) VALUES (:key, :value)"
                          + (" ON CONFLICT (key) DO NOTHING" if unless_there else ""),
                          [{"key": k, "value": v} for k, v in values.items()])

    def _sealing(self) -> tuple[bytes, str]:
        """Inside a write: the key and the database id to seal new entries with, the database's identity made
        on its first keyed write, and the anchor log opened (any failure here writes nothing)."""
        from .chain import new_database_id

        meta = self.meta()
        key, kid = self._sealing_key(meta)
        fresh = {k: v for k, v in (("database_id", meta.get("database_id") or new_database_id()),
                                   ("key_id", kid)) if k not in meta}
        if fresh:
            # Two first writes at once on PostgreSQL: the second waits for the first's rows, then keeps them
            # (and must hold the same key); SQLite's writers take turns, so there it is read back unchanged.
            self._put_meta(fresh, unless_there=True)
            meta = self.meta()
            key, kid = self._sealing_key(meta)
        self._anchor_log = self._open_anchor_log()
        return key, meta["database_id"]

    def _sealing_key(self, meta: dict[str, str]) -> tuple[bytes, str]:
        """The key that seals this database (whose _meta rows are ``meta``), and its id: the deployment's."""
        from .sealing import key_for

        return key_for(meta)

    def _open_anchor_log(self) -> AnchorLog | None:
        """The anchor log this database's heads go to once committed: the deployment's."""
        from .sealing import AnchorLog, anchor_path

        log = AnchorLog(anchor_path())
        log.open()
        return log

    def _chainer(self, case_head: Callable[[str], str] | None = None) -> Chainer:
        """Sealing entries after the last one written, under the key. The key, the database's identity and the
        anchor log come first, so the chain's lock (held to the commit: writers take turns) covers only the head,
        the insert and the commit."""
        key, database = self._sealing()
        head = self._database_head()
        return Chainer(head, case_head or self._case_head, key=key, database=database)

    def _sealed(self, chainer: Chainer, database: str | None = None) -> None:
        """Entries were sealed up to ``chainer``'s head: anchor it once the transaction commits."""
        self._pending_anchor = (database or chainer.database, self.anchor_location, chainer.chain, chainer.last)

    def _committed(self) -> None:
        """Called by the engine right after a commit: append the new head to the anchor log."""
        pending, log = self._pending_anchor, self._anchor_log
        self._pending_anchor = self._anchor_log = None
        if pending is not None and log is not None:
            log.append(*pending)
        elif log is not None:
            log.close()

    def _rolled_back(self) -> None:
        if self._anchor_log is not None:
            self._anchor_log.close()
        self._pending_anchor = self._anchor_log = None

    def append(self, ref: str, record: Record) -> str:
        # the case's last entry, read under the case's lock before the chain's is taken (it cannot change)
        before = GENESIS if record.seq == 1 else self._case_head(ref)
        chainer = self._chainer(lambda r: before if r == ref else self._case_head(r))
        row = entry_row(ref, record, chainer)
        try:
            self._execute(_INSERT_EVENT, row)
        except Duplicate:
            raise StoreError(f"{ref}: another command recorded step #{record.seq} at the same moment; "
                             "nothing was changed, look at the case and try again") from None
        self._sealed(chainer)
        return str(row["hash"])

    def append_many(self, entries: Sequence[tuple[str, Record]]) -> None:
        chainer = self._chainer()
        rows = [entry_row(ref, record, chainer) for ref, record in entries]
        try:
            self._insert_entries(rows)
        except Duplicate:
            raise StoreError("some of these cases already exist; nothing was changed") from None
        self._sealed(chainer)

    def process_rows(self) -> list[dict[str, Any]]:
        return self._rows(f"SELECT {', '.join(PROCESS_COLUMNS)} FROM processes ORDER BY stored_at, hash")

    def entry_batches(self, size: int = 5000) -> Iterator[list[dict[str, Any]]]:
        after = -1
        while True:
            rows = self._rows(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM events WHERE id > :after ORDER BY id LIMIT :n",
                              {"after": after, "n": size})
            if not rows:
                return
            yield rows
            after = rows[-1]["id"]

    def import_history(self, processes: Sequence[dict[str, Any]], entries: Sequence[dict[str, Any]],
                       meta: dict[str, str] | None = None) -> None:
        self._executemany(_insert("processes", PROCESS_COLUMNS, "ON CONFLICT (hash) DO NOTHING"), processes)
        if meta:
            mine = self.meta()
            clash = {k for k in meta.keys() & mine.keys() if meta[k] != mine[k]}
            if clash:
                raise StoreError(f"{self.location} already belongs to another database ({', '.join(sorted(clash))}); "
                                 "nothing was changed")
            self._put_meta({k: v for k, v in meta.items() if k not in mine})
        if entries:
            self._database_head()  # holds the chain's lock
            try:
                self._insert_entries([{k: v for k, v in row.items() if k != "id"} for row in entries])
            except Duplicate:
                raise StoreError("the target already holds some of these entries; nothing was changed") from None
            database = self.meta().get("database_id")
            if database:
                self._anchor_log = self._open_anchor_log()
                last = entries[-1]
                self._pending_anchor = (database, self.anchor_location, str(last["chain"]),
                                        (str(last["case_ref"]), int(last["seq"])))

    def case_lengths(self) -> dict[str, int]:
        return {r["case_ref"]: int(r["n"]) for r in self._rows(
            "SELECT case_ref, MAX(seq) AS n FROM events GROUP BY case_ref")}

    def chains_present(self, values: Sequence[str]) -> set[str]:
        if not values:
            return set()
        names = {f"v{i}": v for i, v in enumerate(values)}
        return {r["chain"] for r in self._rows(
            f"SELECT chain FROM events WHERE chain IN ({', '.join(':' + k for k in names)})", names)}

    def entries(self, ref: str | None = None) -> list[dict[str, Any]]:
        columns = ", ".join(ENTRY_COLUMNS)
        if ref is None:
            return self._rows(f"SELECT {columns} FROM events ORDER BY id")
        return self._rows(f"SELECT {columns} FROM events WHERE case_ref = :ref ORDER BY seq", {"ref": ref})

    # -- projections -------------------------------------------------------------------

    def put_projections(self, projections: Iterable[Projection]) -> None:
        projections = list(projections)
        if not projections:
            return
        refs = [{"ref": p[0]["ref"]} for p in projections]
        updates = ", ".join(f"{c} = excluded.{c}" for c in CASE_COLUMNS if c != "ref")
        self._executemany(_insert("case_view", CASE_COLUMNS, f"ON CONFLICT (ref) DO UPDATE SET {updates}"),
                          [p[0] for p in projections])
        for table, columns, index in _PROJECTED:
            rows = [row for p in projections for row in _rows_of(p, index)]
            self._executemany(f"DELETE FROM {table} WHERE ref = :ref", refs)
            if rows:
                self._executemany(_insert(table, columns), rows)

    def clear_projections(self) -> None:
        for table in ("case_view", *(t for t, _, _ in _PROJECTED)):
            self._execute(f"DELETE FROM {table}")

    def stored_projections(self) -> tuple[list[dict[str, Any]], ...]:
        return (self._rows(f"SELECT {', '.join(CASE_COLUMNS)} FROM case_view ORDER BY ref"),
                *(self._rows(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(columns[:2])}")
                  for table, columns, _ in _PROJECTED))

    def list_cases(self, *, today: str, state: str | None = None, stage: str | None = None,
                   with_open_due_before: bool = False, include_closed: bool = True) -> list[dict[str, Any]]:
        where, params = [], {"today": today}
        if state:
            where.append("c.state = :state")
            params["state"] = state
        if stage:
            where.append("c.stage = :stage")
            params["stage"] = stage
        if not include_closed:
            where.append("c.final = FALSE")
        # Counts and next due dates come from the (open, due) index, not a scan per case.
        return self._rows(f"""
            WITH late AS (SELECT ref, COUNT(*) AS n FROM deadline_view WHERE open = TRUE AND due < :today GROUP BY ref),
                 soon AS (SELECT ref, MIN(due) AS due FROM deadline_view WHERE open = TRUE GROUP BY ref)
            SELECT c.ref, c.process_id, c.version, c.state, c.state_title, c.stage, c.stage_title, c.final,
                   c.opened_on, c.last_on, COALESCE(late.n, 0) AS overdue, soon.due AS next_due,
                   (SELECT n.title FROM deadline_view n WHERE n.ref = c.ref AND n.open = TRUE AND n.due = soon.due
                    ORDER BY n.deadline LIMIT 1) AS next_deadline
            FROM case_view c {'JOIN' if with_open_due_before else 'LEFT JOIN'} late ON late.ref = c.ref
                 LEFT JOIN soon ON soon.ref = c.ref
            {'WHERE ' + ' AND '.join(where) if where else ''}
            ORDER BY c.ref""", params)

    def deadlines(self, *, only_open: bool = False, only_applicable: bool = False, due_from: str | None = None,
                  due_to: str | None = None, due_before: str | None = None,
                  order: str = "due") -> list[dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {}
        if only_open:
            where.append("d.open = TRUE")
        if only_applicable:
            where.append("d.applicable = TRUE AND d.due IS NOT NULL")
        for name, test, value in (("due_from", ">=", due_from), ("due_to", "<=", due_to), ("due_before", "<", due_before)):
            if value is not None:
                where.append(f"d.due {test} :{name}")
                params[name] = value
        sort = {"due": "d.due NULLS FIRST, d.ref, d.deadline", "case": "d.ref, d.due NULLS FIRST, d.deadline"}[order]
        return self._rows(f"""
            SELECT d.ref, d.deadline, d.title, d.owner, d.start, d.due, d.warn_from, d.met_on, d.applicable, d.open,
                   d.reason, d.settled, d.late_by, d.statutory_due, d.extended_by, d.paused_since, d.late_in,
                   d.condition, c.state, c.state_title, c.version, c.process_id, c.process_hash, c.last_seq
            FROM deadline_view d JOIN case_view c ON c.ref = d.ref
            {'WHERE ' + ' AND '.join(where) if where else ''}
            ORDER BY {sort}""", params)

    def open_case_refs(self, process_id: str | None = None) -> list[str]:
        if process_id is None:
            rows = self._rows("SELECT ref FROM case_view WHERE final = FALSE ORDER BY ref")
        else:
            rows = self._rows("SELECT ref FROM case_view WHERE final = FALSE AND process_id = :id ORDER BY ref",
                              {"id": process_id})
        return [r["ref"] for r in rows]

    def actions(self, *, status: str | None = None, ref: str | None = None, owner: str | None = None,
                open_due_before: str | None = None) -> list[dict[str, Any]]:
        where, params = [], {}
        for column, value in (("status", status), ("ref", ref), ("owner", owner)):
            if value is not None:
                where.append(f"{column} = :{column}")
                params[column] = value
        if open_due_before is not None:
            where.append("status = 'open' AND due < :before")
            params["before"] = open_due_before
        return self._rows(f"SELECT {', '.join(ACTION_COLUMNS)} FROM action_view "
                          + (f"WHERE {' AND '.join(where)} " if where else "") + "ORDER BY due, ref, action", params)

    def tasks(self, *, status: str | None = None, ref: str | None = None, kind: str | None = None,
              open_due_before: str | None = None) -> list[dict[str, Any]]:
        where, params = [], {}
        for column, value in (("status", status), ("ref", ref), ("kind", kind)):
            if value is not None:
                where.append(f"t.{column} = :{column}")
                params[column] = value
        if open_due_before is not None:
            where.append("t.status = 'open' AND t.due < :before")
            params["before"] = open_due_before
        return self._rows(f"SELECT {', '.join('t.' + c for c in TASK_COLUMNS)}, c.process_hash FROM task_view t "
                          "JOIN case_view c ON c.ref = t.ref "
                          + (f"WHERE {' AND '.join(where)} " if where else "")
                          + "ORDER BY t.due NULLS LAST, t.ref, t.task", params)

    def linked_with(self, ref: str) -> list[str]:
        rows = self._rows("SELECT linked AS other FROM case_link WHERE ref = :ref UNION "
                          "SELECT ref AS other FROM case_link WHERE linked = :ref ORDER BY other", {"ref": ref})
        return [r["other"] for r in rows]

    def counts(self, *, today: str) -> dict[str, int]:
        row = self._rows("SELECT COUNT(*) AS cases, COALESCE(SUM(CASE WHEN final = FALSE THEN 1 ELSE 0 END), 0) AS open "
                         "FROM case_view")[0]
        late = self._value("SELECT COUNT(DISTINCT ref) AS n FROM deadline_view WHERE open = TRUE AND due < :today",
                           {"today": today})
        return {"cases": int(row["cases"]), "open": int(row["open"]), "overdue": int(late)}

    # -- the accounts of the people who sign in -----------------------------------------------

    def user(self, name: str) -> dict[str, Any] | None:
        """The account with exactly this name, or None."""
        rows = self._rows(f"SELECT {_USER_FIELDS} FROM users WHERE name = :name", {"name": name})
        return _user_row(rows[0]) if rows else None

    def user_folded(self, folded: str) -> dict[str, Any] | None:
        """The account whose name, case-folded, is ``folded``, or None."""
        rows = self._rows(f"SELECT {_USER_FIELDS} FROM users WHERE folded = :folded", {"folded": folded})
        return _user_row(rows[0]) if rows else None

    def users(self) -> list[dict[str, Any]]:
        return [_user_row(r) for r in self._rows(f"SELECT {_USER_FIELDS} FROM users ORDER BY name")]

    def add_user(self, name: str, password_hash: str, roles: Sequence[str], party: str | None) -> None:
        now = utc_now()
        self._execute("INSERT INTO users (name, folded, password_hash, roles, party, created_at, changed_at) "
                      "VALUES (:name, :folded, :hash, :roles, :party, :now, :now)",
                      {"name": name, "folded": name.casefold(), "hash": password_hash, "roles": json.dumps(sorted(roles)),
                       "party": party, "now": now})

    def import_users(self, rows: Sequence[dict[str, Any]]) -> None:
        self._executemany("INSERT INTO users (name, folded, password_hash, roles, party, disabled, valid_after, "
                          "created_at, changed_at) VALUES (:name, :folded, :password_hash, :roles, :party, :disabled, "
                          ":valid_after, :created_at, :changed_at)",
                          [{**row, "folded": row["name"].casefold(), "roles": json.dumps(sorted(row["roles"])),
                            "disabled": bool(row["disabled"])} for row in rows])

    def disable_user(self, name: str, valid_after: float) -> int:
        return self._execute("UPDATE users SET disabled = TRUE, valid_after = :after, changed_at = :now "
                             "WHERE name = :name", {"name": name, "after": valid_after, "now": utc_now()})

    def replace_password_hash(self, name: str, old_hash: str, new_hash: str) -> None:
        self._execute("UPDATE users SET password_hash = :new, changed_at = :now "
                      "WHERE name = :name AND password_hash = :old",
                      {"name": name, "old": old_hash, "new": new_hash, "now": utc_now()})


_USER_FIELDS = "name, password_hash, roles, party, disabled, valid_after, created_at, changed_at"


def _user_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "roles": json.loads(row["roles"]), "disabled": bool(row["disabled"]),
            "valid_after": float(row["valid_after"])}
