"""The PostgreSQL store: one shared database for several partnerships, through psycopg 3.

Drivers: a store writes through psycopg. Until its first write, a store opened with ``quick_reads``
(the CLI's default) reads through libpq directly (:mod:`.libpq`), so that a command that only reads does
not pay the ~100 ms of importing psycopg; the first write opens psycopg's connection and closes the
reader. Both give the same rows and the same refusals (``tests/test_libpq.py``).

Roles (see the README): the schema ``cspr`` and its tables belong to an
*owner* role, which runs the migrations and owns :func:`redact_case`; cspr's
users and servers connect as an *application* role granted only what
:func:`grant` gives: SELECT and INSERT on the history (``events``,
``processes``), no UPDATE, DELETE or TRUNCATE on it; full rights on the
projections (always rebuildable); EXECUTE on ``redact_case``, a SECURITY
DEFINER function that is the one way to blank an entry's content. Triggers
refuse any other change to the history even from the owner. A *reader* role
may only SELECT.

Concurrency: every write transaction takes a shared lock on the store
(``exclusive=True``, for a rebuild or a bulk load, takes it alone); reading a
case in it takes that case's lock (:meth:`PostgresStore._lock_case`), so two
commands on one case run one after the other and the second sees what the
first recorded; appending takes the database chain's lock, held to the commit.
Writes project first and append last, so that lock is held briefly. All locks
are transaction-scoped advisory locks: a crash or a lost connection releases
them with the rollback.

Rows come back as SQLite gives them (dates as ISO text, flags as 0 and 1), so
the queries in :mod:`.sql` serve both engines unchanged.
"""

from __future__ import annotations

import os
import re
import sys
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from . import libpq
from .interface import Projection, StoreError, utc_now
from .migrations import MIGRATIONS, SCHEMA_VERSION
from .sql import ENTRY_COLUMNS, Duplicate, SqlStore

if TYPE_CHECKING:
    import psycopg

SCHEMA = "cspr"
LOCKS = 0x43535052  # "CSPR": the advisory-lock class of the store's own locks
CASE_LOCKS = LOCKS + 1  # the class of the per-case locks
CHAIN, WRITERS = 1, 2
# The history tables and what the application's role may do with them; every other table of the schema
# is a projection (SELECT, INSERT, UPDATE, DELETE). A new append-only table must be listed here.
HISTORY_PRIVILEGES = {"events": "SELECT, INSERT", "processes": "SELECT, INSERT", "_migrations": "SELECT",
                      "_grants": "SELECT", "_meta": "SELECT, INSERT",
                      "users": "SELECT, INSERT, UPDATE"}
_FLAGS = {"case_view": ("final",), "deadline_view": ("applicable", "open")}
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
# What every connection sets: dates as ISO text, times in UTC, and the schema searched first.
_SETTINGS = {"connect_timeout": "15", "options": f"-c DateStyle=ISO,YMD -c TimeZone=UTC -c search_path={SCHEMA}"}
_PRIVILEGE, _BUSY, _UNIQUE = "42501", {"40P01", "40001", "55P03"}, "23505"  # SQLSTATE codes the store explains


def _one_host(url: str) -> bool:
    """Whether the connection names one server: libpq, driven from Python as :mod:`.libpq` drives it, cannot
    time out one host of several and go on to the next (psycopg can), so a list of hosts reads through
    psycopg. So does a named service (pg_service.conf may list several hosts; cspr does not read that file
    itself)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if query.get("service") or os.environ.get("PGSERVICE"):
        return False
    hosts = [parts.netloc.rpartition("@")[2], *query.get("host", []), *query.get("hostaddr", []),
             os.environ.get("PGHOST", ""), os.environ.get("PGHOSTADDR", "")]
    return not any("," in host for host in hosts)


def _psycopg() -> Any:
    """psycopg, imported when the store first writes (or reads without libpq): about 100 ms."""
    try:
        import psycopg
    except ImportError as exc:
        if "psycopg" not in str(exc):
            raise
        raise StoreError("PostgreSQL needs psycopg 3, which is not installed; install it with "
                         "pip install 'psycopg[binary]' (or cspr's extra: pip install 'cspr[postgresql]')") from None
    return psycopg


@lru_cache(maxsize=1)
def _loaders() -> tuple[type, type]:
    """psycopg loaders giving rows as SQLite gives them: a date as ISO text (the server's DateStyle is ISO),
    a boolean as 0 or 1."""
    from psycopg.adapt import Loader

    class IsoDate(Loader):
        def load(self, data: Any) -> str:
            return bytes(data).decode()

    class Flag(Loader):
        def load(self, data: Any) -> int:
            return 1 if bytes(data) == b"t" else 0

    return IsoDate, Flag


@lru_cache(maxsize=256)
def _dialect(query: str) -> str:
    """The shared SQL's ``:name`` parameters in psycopg's ``%(name)s`` form."""
    return _PARAM.sub(r"%(\1)s", query.replace("%", "%%"))


@lru_cache(maxsize=256)
def _positional(query: str) -> tuple[str, tuple[str, ...]]:
    """The shared SQL's ``:name`` parameters as libpq's ``$1``…, and the names in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _PARAM.sub(number, query), tuple(names)


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _case_key(ref: str) -> int:
    """The case's advisory-lock key (two cases sharing one only wait for each other)."""
    return zlib.crc32(ref.encode()) - 2**31


def _why_not_connected(exc: Exception) -> str:
    """libpq's reason in one line: what failed, and its advice unless that is only the generic 'Is the server
    running…' (the message says that anyway) or a list of hosts tried (its first line is the last host's)."""
    kept = []
    for line in str(exc).strip().splitlines():
        line = line.strip()
        if line.startswith(("Is the server running", "Multiple connection attempts failed")):
            break
        line = line.removeprefix("connection failed: ").removeprefix("connection is bad: ")  # psycopg's preamble
        if line:
            kept.append(line.rstrip("."))
    return "; ".join(kept) or type(exc).__name__


def _explain(location: str, exc: Exception) -> StoreError:
    """A refusal from the server (through psycopg or libpq), said for the user, by its SQLSTATE code."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate == _PRIVILEGE:
        return StoreError(f"{location}: the database refused ({text}); nothing was changed (the application's role "
                          "may not do this: see 'cspr db init' in the README)")
    if sqlstate in _BUSY:
        return StoreError(f"{location} is busy (another command is writing); nothing was changed, try again")
    if _lost(exc):
        return StoreError(f"lost or could not make the connection to {location} ({text}); nothing was changed, "
                          "check --db and that the server is running")
    return StoreError(f"database error on {location}: {text}")


def _errors() -> tuple[type[Exception], ...]:
    """The errors the drivers raise: libpq's always, psycopg's once it is imported (the store imports it only
    to write)."""
    psycopg = sys.modules.get("psycopg")
    return (libpq.LibpqError, psycopg.Error) if psycopg is not None else (libpq.LibpqError,)


def _lost(exc: Exception) -> bool:
    """Whether the connection failed: no answer at all (no SQLSTATE), or a code of the classes for the
    connection (08), the server's resources (53), an operator's intervention (57) or a system error (58);
    decided the same way whichever driver raised it."""
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] in ("08", "53", "57", "58")
    if isinstance(exc, libpq.LibpqError):
        return exc.lost
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))


class PostgresStore(SqlStore):
    """An open cspr database on a PostgreSQL server."""

    engine = "postgresql"

    def __init__(self, url: str, *, create: bool = False, quick_reads: bool = True):
        """Connect to ``url``. With ``quick_reads`` (and libpq found), reads outside a write go through
        :mod:`.libpq` and psycopg is imported and connected only when the store first writes; from then on
        every statement goes through psycopg."""
        self.url = url
        self.location = describe(url)
        self._writing: str | None = None
        self._locked: set[str] = set()
        self._chain_locked = False
        self._pending_locks: list[tuple[str, dict[str, Any]]] = []  # taken with the next statement, one round trip
        self._conn: psycopg.Connection[dict[str, Any]] | None = None
        self._reader: libpq.Connection | None = None
        self._closed = False
        self._reader_snapshot = False
        if quick_reads and not create and _one_host(url) and libpq.available():
            try:
                self._reader = libpq.Connection(url, client_encoding="UTF8", **_SETTINGS)
            except libpq.LibpqError as exc:
                raise self._cannot_connect(exc) from None
        else:
            self._connect()
        try:
            self._prepare(create)
        except BaseException:
            self.close()
            raise

    def _cannot_connect(self, exc: Exception) -> StoreError:
        return StoreError(f"cannot connect to {self.location}: {_why_not_connected(exc)}; check --db and that the "
                          "server is running")

    def _connect(self, *, after_reader: bool = False) -> psycopg.Connection[dict[str, Any]]:
        """psycopg's connection. Just after the reader closed (``after_reader``), a role allowed one connection
        may find the reader's server process not gone yet: that refusal is retried for up to 5 seconds."""
        driver = _psycopg()
        from psycopg.rows import dict_row

        deadline = time.monotonic() + 5
        while True:
            try:
                conn: psycopg.Connection[dict[str, Any]] = driver.connect(
                    self.url, autocommit=True, row_factory=dict_row, **_SETTINGS)
                break
            except driver.Error as exc:
                if not (after_reader and "too many connections" in str(exc) and time.monotonic() < deadline):
                    raise self._cannot_connect(exc) from None
                time.sleep(0.05)
        iso_date, flag = _loaders()
        conn.adapters.register_loader("date", iso_date)
        conn.adapters.register_loader("bool", flag)
        self._conn = conn
        return conn

    @property
    def conn(self) -> psycopg.Connection[dict[str, Any]]:
        """The psycopg connection, made on first use; the quick reader, if any, is closed then (one connection
        to the server per store)."""
        if self._conn is None:
            if self._closed:
                raise self._closed_error()
            if self._reader_snapshot:
                raise StoreError("a write cannot start inside a read-only snapshot of the database")
            reader, self._reader = self._reader, None
            if reader is not None:
                reader.close()  # first, so that a role limited to one connection can still write
            self._connect(after_reader=reader is not None)
        assert self._conn is not None
        return self._conn

    def _closed_error(self) -> StoreError:
        return StoreError(f"the connection to {self.location} is closed")

    def _quick(self) -> libpq.Connection | None:
        """The quick reader, when the next statement may go through it (no write is under way)."""
        return self._reader if self._conn is None and not self._writing else None

    # -- set-up -----------------------------------------------------------------------

    def _prepare(self, create: bool) -> None:
        found = self._rows("SELECT to_regclass('cspr._migrations') IS NOT NULL AS found")[0]["found"]
        if not found:
            if not create or not self._may_create_schema():
                raise StoreError(f"{self.location} has no cspr schema, or this role may not use it; the database's "
                                 f"owner creates it and grants access with 'cspr db init --db URL --app ROLE' "
                                 "(see the README)")
            initialise(self)
            return
        self._execute(f"SET search_path = {SCHEMA}")
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.location} was written by a newer cspr (database schema {version}; this program "
                             f"knows up to {SCHEMA_VERSION}); upgrade cspr before using it")
        if version < SCHEMA_VERSION:
            if not self._owns_schema():
                raise StoreError(f"{self.location} has schema version {version} and this cspr needs {SCHEMA_VERSION}; "
                                 f"its owner upgrades it with 'cspr db init --db …' as the owner role")
            self._migrate()

    def _may_create_schema(self) -> bool:
        return bool(self._rows("SELECT has_database_privilege(current_database(), 'CREATE') AS ok")[0]["ok"])

    def _owns_schema(self) -> bool:
        return bool(self._rows("SELECT pg_has_role(nspowner, 'USAGE') AS ok FROM pg_namespace "
                               "WHERE nspname = :schema", {"schema": SCHEMA})[0]["ok"])

    def _migrate(self) -> None:
        with self.write(exclusive=True):
            self._execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            self._execute(f"SET LOCAL search_path = {SCHEMA}")
            self._execute("CREATE TABLE IF NOT EXISTS _migrations (version integer PRIMARY KEY, name text NOT NULL, "
                          "applied_at text NOT NULL)")
            current = self.schema_version
            for number, migration in enumerate(MIGRATIONS, start=1):
                if number <= current:
                    continue
                step = migration.postgresql
                if callable(step):
                    step(self.conn)
                elif step:
                    self.conn.execute(step)
                self._execute("INSERT INTO _migrations VALUES (:n, :name, :at)",
                              {"n": number, "name": migration.name, "at": utc_now()})
            for row in self._rows("SELECT role, access FROM _grants ORDER BY role"):
                _grant_privileges(self, row["role"], row["access"])
        self._execute(f"SET search_path = {SCHEMA}")

    @property
    def anchor_location(self) -> str:
        """The database whoever connects: its URL without user or password."""
        parts = urlsplit(self.url)
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=host))

    def close(self) -> None:
        self._closed = True
        reader, conn, self._reader, self._conn = self._reader, self._conn, None, None
        if reader is not None:
            reader.close()
        if conn is not None:
            conn.close()

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def write(self, *, exclusive: bool = False) -> Iterator[PostgresStore]:
        if self._writing:
            raise StoreError("a write is already in progress on this connection")
        conn = self.conn
        try:
            with conn.transaction():
                self._execute(f"SELECT pg_advisory_xact_lock{'' if exclusive else '_shared'}(:locks, :writers)",
                              {"locks": LOCKS, "writers": WRITERS})
                self._writing = "exclusive" if exclusive else "shared"
                try:
                    yield self
                finally:
                    self._writing, self._chain_locked = None, False
                    self._locked.clear()
                    self._pending_locks.clear()
        except _errors() as exc:
            self._rolled_back()
            raise _explain(self.location, exc) from None
        except BaseException:
            self._rolled_back()
            raise
        self._committed()  # the new head goes to the anchor log once it is stored

    @contextmanager
    def snapshot(self) -> Iterator[PostgresStore]:
        if self._closed:
            raise self._closed_error()
        reader = self._quick()
        if reader is not None:
            if self._reader_snapshot:
                yield self
                return
            self._execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self._reader_snapshot = True  # until it ends, whatever befalls the reader: no write may start
            try:
                yield self
            except BaseException:
                with suppress(libpq.LibpqError):  # a lost connection has no transaction left to end
                    reader.execute("ROLLBACK")
                raise
            finally:
                self._reader_snapshot = False
            try:
                reader.execute("COMMIT")
            except libpq.LibpqError as exc:
                raise _explain(self.location, exc) from None
            return
        psycopg = _psycopg()
        if self._writing or self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            yield self
            return
        try:
            with self.conn.transaction():
                self._execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield self
        except psycopg.Error as exc:
            raise _explain(self.location, exc) from None

    def _lock_case(self, ref: str) -> None:
        if self._writing == "shared" and ref not in self._locked:
            self._pending_locks.append(("SELECT pg_advisory_xact_lock(:locks, :key)",
                                        {"locks": CASE_LOCKS, "key": _case_key(ref)}))
            self._locked.add(ref)

    def _lock_chain(self) -> None:
        if self._writing and not self._chain_locked:
            self._pending_locks.append(("SELECT pg_advisory_xact_lock(:locks, :chain)",
                                        {"locks": LOCKS, "chain": CHAIN}))
            self._chain_locked = True

    # -- the connection ----------------------------------------------------------------

    def _run(self, sql: str, params: dict[str, Any] | None) -> tuple[list[dict[str, Any]], int]:
        """One statement, after the locks asked for since the last one, sent with it in one round trip (the
        server runs them in order, and each statement of a transaction sees what was committed before it ran,
        so what the statement reads is read under the locks). Its rows (if it returns any) and row count."""
        reader = self._quick()
        if reader is not None:
            query, names = _positional(sql)
            values = params or {}
            return reader.execute(query, [values[name] for name in names])
        pending, self._pending_locks = self._pending_locks, []
        conn = self.conn
        if not pending:
            cursor = conn.execute(_dialect(sql), params or {})
        else:
            with conn.pipeline():
                for lock, values in pending:
                    conn.execute(_dialect(lock), values)
                cursor = conn.execute(_dialect(sql), params or {})
        return (cursor.fetchall() if cursor.description else []), cursor.rowcount

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            return self._run(sql, params)[0]
        except _errors() as exc:
            raise _explain(self.location, exc) from None

    def _execute(self, sql: str, params: dict[str, Any] | None = None) -> int:
        try:
            return self._run(sql, params)[1]
        except _errors() as exc:
            raise self._refused(exc) from None

    def _refused(self, exc: Exception) -> StoreError:
        """A refusal while writing: a unique key already taken (another writer stored the same step first),
        or what :func:`_explain` says."""
        return Duplicate(str(exc)) if getattr(exc, "sqlstate", None) == _UNIQUE else _explain(self.location, exc)

    def _take_locks(self) -> None:
        """The locks asked for, before a statement that cannot carry them."""
        pending, self._pending_locks = self._pending_locks, []
        for lock, values in pending:
            self._execute(lock, values)

    def _executemany(self, sql: str, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        self._take_locks()
        try:
            with self.conn.cursor() as cursor:
                cursor.executemany(_dialect(sql), rows)
        except _errors() as exc:
            raise self._refused(exc) from None

    def _insert_entries(self, rows: list[dict[str, Any]]) -> None:
        """Many entries at once, through COPY."""
        columns = [c for c in ENTRY_COLUMNS if c != "id"]
        self._take_locks()
        try:
            with self.conn.cursor() as cursor:
                with cursor.copy(f"COPY events ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
        except _errors() as exc:
            raise self._refused(exc) from None

    # -- what only PostgreSQL does -------------------------------------------------------

    def put_projections(self, projections: Iterable[Projection]) -> None:
        def flags(table: str, row: dict[str, Any]) -> dict[str, Any]:
            return {**row, **{k: bool(row[k]) for k in _FLAGS.get(table, ())}}

        rows = [(flags("case_view", p[0]), [flags("deadline_view", d) for d in p[1]], p[2], p[3], p[4])
                for p in projections]
        self._take_locks()
        try:
            with self.conn.pipeline():  # the projection's statements go in one round trip, not one each
                super().put_projections(rows)
        except _errors() as exc:
            raise _explain(self.location, exc) from None

    def redact(self, ref: str) -> int:
        """Blank a case's facts and notes through redact_case(), the one function allowed to (it runs as the owner)."""
        return int(self._rows("SELECT redact_case(:ref) AS blanked", {"ref": ref})[0]["blanked"])

    def purge_log(self) -> str | None:
        if not self._rows("SELECT 1 AS found FROM events WHERE redacted LIMIT 1"):
            return None
        return ("PostgreSQL keeps the earlier versions of the blanked rows until the table is vacuumed: the "
                "schema's owner runs VACUUM FULL cspr.events to remove them")

    def integrity_check(self) -> str:
        return "ok"  # the server keeps its own files consistent; the guards are checked by missing_triggers

    def missing_triggers(self) -> list[str]:
        """Guards missing, disabled or changed, and roles granted more than the history allows."""
        from .guards import POSTGRESQL_FUNCTIONS, POSTGRESQL_TRIGGERS

        enabled = {(r["tbl"], r["tgname"]) for r in self._rows(
            "SELECT c.relname AS tbl, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema AND NOT t.tgisinternal "
            "AND t.tgenabled IN ('O', 'A')", {"schema": SCHEMA})}
        out = [f"{name} on {table}" for table, name in POSTGRESQL_TRIGGERS if (table, name) not in enabled]
        bodies = {r["proname"]: r["prosrc"] for r in self._rows(
            "SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = :schema", {"schema": SCHEMA})}
        for name, body in re.findall(r"FUNCTION (\w+)\([^)]*\).*?AS \$\$(.*?)\$\$", POSTGRESQL_FUNCTIONS, re.S):
            if " ".join(bodies.get(name, "").split()) != " ".join(body.split()):
                out.append(f"the function {name}() (missing or changed)")
        for row in self._rows("SELECT role FROM _grants ORDER BY role"):
            for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
                if self._rows("SELECT has_table_privilege(:role, 'cspr.events', :p) AS yes",
                              {"role": row["role"], "p": privilege})[0]["yes"]:
                    out.append(f"{privilege} on events granted to {row['role']} (it may only read and append)")
        return out

    def restore_triggers(self) -> list[str]:
        """Inside a write, as the schema's owner: put back the guards and the privileges; return what was wrong."""
        from .guards import POSTGRESQL_FUNCTIONS, POSTGRESQL_TRIGGERS

        missing = self.missing_triggers()
        if not missing:
            return []
        if not self._owns_schema():
            raise StoreError(f"the guards of {self.location} need restoring ({'; '.join(missing)}), which only the "
                             "schema's owner can do: run 'cspr rebuild --db URL' as the owner role (nothing was changed)")
        self.conn.execute(POSTGRESQL_FUNCTIONS)
        for (table, name), ddl in POSTGRESQL_TRIGGERS.items():
            self.conn.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            self.conn.execute(ddl)
        for row in self._rows("SELECT role, access FROM _grants ORDER BY role"):
            _grant_privileges(self, row["role"], row["access"])
        return missing


def initialise(store: PostgresStore) -> None:
    """Create the schema (as its owner, the role connected) and apply every migration."""
    store._migrate()


def _grant_privileges(store: PostgresStore, role: str, access: str) -> None:
    """What ``role`` may do: ``write`` (the application) or ``read`` (reports, a database administrator)."""
    from psycopg import sql as pgsql

    who = pgsql.Identifier(role)
    conn = store.conn
    conn.execute(pgsql.SQL("GRANT USAGE ON SCHEMA cspr TO {}").format(who))
    conn.execute(pgsql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA cspr FROM {}").format(who))
    conn.execute(pgsql.SQL("REVOKE ALL ON FUNCTION redact_case(text) FROM {}").format(who))
    tables = [r["tablename"] for r in store._rows("SELECT tablename FROM pg_tables WHERE schemaname = :schema",
                                                    {"schema": SCHEMA})]
    for table in tables:
        privileges = "SELECT" if access == "read" else HISTORY_PRIVILEGES.get(table, "SELECT, INSERT, UPDATE, DELETE")
        conn.execute(pgsql.SQL(f"GRANT {privileges} ON TABLE {{}} TO {{}}").format(pgsql.Identifier(SCHEMA, table), who))
    if access == "write":
        conn.execute(pgsql.SQL("GRANT EXECUTE ON FUNCTION redact_case(text) TO {}").format(who))


def grant(store: PostgresStore, role: str, access: str) -> None:
    """Give ``role`` its privileges now and after every later migration (run as the schema's owner)."""
    if access not in ("write", "read"):
        raise ValueError(access)
    if not store._owns_schema():
        raise StoreError(f"only the owner of the cspr schema in {store.location} can grant access to it")
    exists = store._rows("SELECT 1 AS found FROM pg_roles WHERE rolname = :role", {"role": role})
    if not exists:
        raise StoreError(f"there is no role {role!r} on the server; create it first (CREATE ROLE {role} LOGIN)")
    with store.write(exclusive=True):
        store._execute("INSERT INTO _grants (role, access) VALUES (:role, :access) "
                       "ON CONFLICT (role) DO UPDATE SET access = excluded.access", {"role": role, "access": access})
        _grant_privileges(store, role, access)
