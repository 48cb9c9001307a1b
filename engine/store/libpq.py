"""A quick way to read from PostgreSQL: libpq itself, called through ctypes, for commands that only read.

psycopg is the store's connection for everything that writes. Importing it costs about 100 ms (its
adapters, and the parts of the standard library it pulls in: asyncio, ssl, logging, importlib.metadata),
which is most of what ``cspr case show`` takes on SQLite. A command that only reads (``case show``,
``case list``, ``deadlines``) runs a few SELECTs: this module sends them through the libpq psycopg uses
(the copy psycopg's binary package ships, else the system's), so the connection string, passwords,
``.pgpass``, service files and TLS are libpq's, as there. Like psycopg it waits for the server in Python,
so Ctrl-C interrupts a connection or a query (and cancels the query on the server).

It serves only what :class:`~cspr.engine.store.postgres.PostgresStore` reads with: one statement at a time,
text results, and rows as dictionaries holding what psycopg's loaders would give the store (dates as ISO
text, flags as 0 and 1, numbers as numbers). :func:`available` says whether libpq can be loaded; when it
cannot, the store reads through psycopg as before.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import select
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

CONNECTION_OK, CONNECTION_BAD = 0, 1
POLLING_FAILED, POLLING_READING, POLLING_WRITING, POLLING_OK = 0, 1, 2, 3
PGRES_COMMAND_OK, PGRES_TUPLES_OK = 1, 2
PG_DIAG_SQLSTATE, PG_DIAG_MESSAGE_PRIMARY = ord("C"), ord("M")
TRANSACTION_IDLE, TRANSACTION_ACTIVE, TRANSACTION_INTRANS, TRANSACTION_INERROR, TRANSACTION_UNKNOWN = range(5)


class LibpqError(Exception):
    """What the server or libpq refused: the message, the SQLSTATE code (None if there was no answer),
    and whether the connection was lost."""

    def __init__(self, message: str, sqlstate: str | None, lost: bool):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.lost = lost


def _flag(value: bytes) -> int:
    return 1 if value == b"t" else 0


def _text(value: bytes) -> str:
    return value.decode()


def _numeric(value: bytes) -> Any:
    from decimal import Decimal  # psycopg gives numeric as Decimal; rare in the store's reads (SUM of integers)

    return Decimal(value.decode())


def _timestamp(value: bytes) -> dt.datetime:
    return dt.datetime.fromisoformat(value.decode())


def _bytea(value: bytes) -> bytes:
    return bytes.fromhex(value[2:].decode()) if value.startswith(b"\\x") else value


def _json(value: bytes) -> Any:
    import json

    return json.loads(value)


# Result types by OID, as psycopg's text loaders read them, with the store's own two (date -> ISO text,
# boolean -> 0/1). A type not listed is refused (LibpqError), never guessed: a query that needs one fails in
# the tests, and is either listed here or read with CSPR_PG_READER=psycopg.
_LOADERS: dict[int, Callable[[bytes], Any]] = {
    16: _flag, 20: int, 21: int, 23: int, 26: int, 700: float, 701: float, 1700: _numeric,
    1082: _text, 1114: _timestamp, 1184: _timestamp, 17: _bytea, 114: _json, 3802: _json,
    **{oid: _text for oid in (25, 1043, 1042, 18, 19, 705)},  # text, varchar, char(n), "char", name, unknown
}

_INT_TYPES = ((2**15, 21), (2**31, 23), (2**63, 20))  # int2, int4, int8, as psycopg chooses them


def _parameter(value: Any) -> tuple[bytes | None, int]:
    """A parameter as text, with the type psycopg would send it as (0 lets the server infer it)."""
    if value is None:
        return None, 0
    if isinstance(value, bool):
        return (b"t" if value else b"f"), 16
    if isinstance(value, int):
        oid = next((oid for limit, oid in _INT_TYPES if -limit <= value < limit), 1700)
        return str(value).encode(), oid
    if isinstance(value, float):
        return repr(value).encode(), 701
    if isinstance(value, str):
        if "\0" in value:  # libpq would cut the value short there; psycopg refuses it too
            raise LibpqError("PostgreSQL text fields cannot contain NUL (0x00) bytes", "22021", False)
        return value.encode(), 0
    if isinstance(value, dt.datetime):
        return value.isoformat().encode(), 1184 if value.tzinfo else 1114
    if isinstance(value, dt.date):
        return value.isoformat().encode(), 1082
    raise TypeError(f"cannot send a {type(value).__name__} to PostgreSQL through libpq")


def _candidates() -> list[str]:
    """Where libpq may be: first the copy psycopg's binary package ships (the libpq psycopg itself uses when
    that package is installed), then the system's shared library."""
    found: list[str] = []
    from importlib.util import find_spec

    try:
        spec = find_spec("psycopg_binary")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations)))
        for libs in (folder.parent / "psycopg_binary.libs", folder / ".dylibs"):
            found += sorted(str(p) for p in libs.glob("libpq*") if ".so" in p.name or p.suffix in (".dylib", ".dll"))
    if sys.platform == "darwin":
        return [*found, "libpq.5.dylib", "libpq.dylib"]
    if sys.platform == "win32":
        return [*found, "libpq.dll"]
    return [*found, "libpq.so.5", "libpq.so"]


_LIBRARY: Any = None
_LOADED = False


def library() -> Any:
    """libpq, loaded and described to ctypes once per process; None if it cannot be found."""
    global _LIBRARY, _LOADED
    if _LOADED:
        return _LIBRARY
    for name in _candidates():
        try:
            lib = ctypes.CDLL(name)
            _describe(lib)
        except (OSError, AttributeError):
            continue
        _LIBRARY = lib
        break
    _LOADED = True
    return _LIBRARY


def available() -> bool:
    """Whether reads may go through libpq here (``CSPR_PG_READER=psycopg`` turns this path off)."""
    return os.environ.get("CSPR_PG_READER", "") != "psycopg" and library() is not None


_NOTICES = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)
_IGNORE_NOTICE = _NOTICES(lambda arg, message: None)  # psycopg logs notices; a reader has none to show


def _describe(lib: Any) -> None:
    p, c_int, c_uint, c_char_p = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_char_p
    signatures: dict[str, tuple[list[Any], Any]] = {
        "PQconnectStartParams": ([ctypes.POINTER(c_char_p), ctypes.POINTER(c_char_p), c_int], p),
        "PQconnectPoll": ([p], c_int),
        "PQsocket": ([p], c_int),
        "PQstatus": ([p], c_int),
        "PQerrorMessage": ([p], c_char_p),
        "PQfinish": ([p], None),
        "PQsetNoticeProcessor": ([p, _NOTICES, p], p),
        "PQtransactionStatus": ([p], c_int),
        "PQsendQueryParams": ([p, c_char_p, c_int, ctypes.POINTER(c_uint), ctypes.POINTER(c_char_p),
                               ctypes.POINTER(c_int), ctypes.POINTER(c_int), c_int], c_int),
        "PQconsumeInput": ([p], c_int),
        "PQisBusy": ([p], c_int),
        "PQgetResult": ([p], p),
        "PQgetCancel": ([p], p),
        "PQcancel": ([p, ctypes.c_char_p, c_int], c_int),
        "PQfreeCancel": ([p], None),
        "PQresultStatus": ([p], c_int),
        "PQresultErrorMessage": ([p], c_char_p),
        "PQresultErrorField": ([p, c_int], c_char_p),
        "PQntuples": ([p], c_int),
        "PQnfields": ([p], c_int),
        "PQfname": ([p, c_int], c_char_p),
        "PQftype": ([p, c_int], c_uint),
        "PQgetvalue": ([p, c_int, c_int], c_char_p),
        "PQgetisnull": ([p, c_int, c_int], c_int),
        "PQcmdTuples": ([p], c_char_p),
        "PQclear": ([p], None),
        "PQbackendPID": ([p], c_int),
    }
    for name, (arguments, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = arguments, result


def _message(raw: bytes | None, fallback: str) -> str:
    text = (raw or b"").decode(errors="replace").strip()
    return text or fallback


class Connection:
    """One connection to the server, used by one thread at a time, in autocommit mode (a transaction is
    what the caller opens with BEGIN and closes with COMMIT or ROLLBACK)."""

    def __init__(self, conninfo: str, **settings: str):
        lib = library()
        if lib is None:
            raise LibpqError("libpq was not found", None, True)
        self._lib = lib
        pairs = [("dbname", conninfo), *settings.items()]
        keys = (ctypes.c_char_p * (len(pairs) + 1))(*[k.encode() for k, _ in pairs], None)
        values = (ctypes.c_char_p * (len(pairs) + 1))(*[v.encode() for _, v in pairs], None)
        self._pg: int | None = lib.PQconnectStartParams(keys, values, 1)
        if not self._pg:
            raise LibpqError("out of memory while connecting", None, True)
        try:
            self._connecting(float(settings.get("connect_timeout") or 0))
        except BaseException:
            self.close()
            raise
        lib.PQsetNoticeProcessor(self._pg, _IGNORE_NOTICE, None)

    def _connecting(self, timeout: float) -> None:
        """Drive libpq's connection to the end, waiting in Python (so that Ctrl-C interrupts it); libpq leaves
        the connect_timeout to the caller when it is driven this way."""
        lib = self._lib
        deadline = time.monotonic() + timeout if timeout > 0 else None
        state = POLLING_FAILED if lib.PQstatus(self._pg) == CONNECTION_BAD else POLLING_WRITING
        while state not in (POLLING_OK, POLLING_FAILED):
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise LibpqError("connection timeout expired", None, True)
            socket = lib.PQsocket(self._pg)
            if socket < 0:
                break
            waiting: tuple[list[int], list[int], list[int]] = (
                ([socket], [], []) if state == POLLING_READING else ([], [socket], []))
            if any(select.select(*waiting, min(left, 1.0) if left is not None else 1.0)):
                state = lib.PQconnectPoll(self._pg)  # only once the socket is ready, as libpq asks
        if state == POLLING_FAILED or lib.PQstatus(self._pg) != CONNECTION_OK:
            raise LibpqError(_message(lib.PQerrorMessage(self._pg), "could not connect"), None, True)

    @property
    def closed(self) -> bool:
        return self._pg is None

    @property
    def transaction_status(self) -> int:
        return TRANSACTION_UNKNOWN if self._pg is None else int(self._lib.PQtransactionStatus(self._pg))

    @property
    def backend_pid(self) -> int:
        return 0 if self._pg is None else int(self._lib.PQbackendPID(self._pg))

    def close(self) -> None:
        if self._pg is not None:
            self._lib.PQfinish(self._pg)
            self._pg = None

    def execute(self, query: str, params: Sequence[Any] = ()) -> tuple[list[dict[str, Any]], int]:
        """Run one statement (``$1``… parameters); return its rows and the number of rows it affected."""
        if self._pg is None:
            raise LibpqError("the connection is closed", None, True)
        lib = self._lib
        count = len(params)
        sent = [_parameter(value) for value in params]
        types = (ctypes.c_uint * count)(*[oid for _, oid in sent])
        values = (ctypes.c_char_p * count)(*[text for text, _ in sent])
        if not lib.PQsendQueryParams(self._pg, query.encode(), count, types, values, None, None, 0):
            self._raise(None)
        try:
            result = self._result()
        except LibpqError:
            raise
        except BaseException:  # Ctrl-C: the server stops the query too (see _cancel)
            self._cancel()
            raise
        try:
            status = lib.PQresultStatus(result) if result else -1
            if status not in (PGRES_COMMAND_OK, PGRES_TUPLES_OK):
                self._raise(result)
            rows = self._rows(result) if result and status == PGRES_TUPLES_OK else []
            return rows, int(lib.PQcmdTuples(result) or 0)
        finally:
            if result:
                lib.PQclear(result)

    def _wait(self, deadline: float | None = None) -> None:
        """Until libpq can hand over the next result without blocking, waiting in Python (libpq's own wait
        does not give way to Ctrl-C); by ``deadline`` (time.monotonic()) if one is given."""
        lib, pg = self._lib, self._pg
        while lib.PQisBusy(pg):
            socket = lib.PQsocket(pg)
            if socket < 0:
                raise LibpqError("the connection to the server was lost", None, True)
            wait = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
            if wait <= 0:
                raise LibpqError("the server did not answer in time", None, True)
            select.select([socket], [], [], wait)
            if not lib.PQconsumeInput(pg):
                self._raise(None)

    def _result(self, deadline: float | None = None) -> int | None:
        """The statement's result (the first), with any after it cleared, every wait in Python."""
        lib, first = self._lib, None
        try:
            while True:
                self._wait(deadline)
                result = lib.PQgetResult(self._pg)
                if not result:
                    return first
                if first is None:
                    first = result
                else:
                    lib.PQclear(result)
        except BaseException:
            if first:
                lib.PQclear(first)
            raise

    def _cancel(self) -> None:
        """Ask the server to stop the statement and wait up to 5 s (as psycopg does) for it to end; if the
        request cannot be sent or is not answered (a second Ctrl-C included), drop the connection: the
        server ends the statement when it next finds the connection gone."""
        lib = self._lib
        cancel = lib.PQgetCancel(self._pg)
        sent = False
        if cancel:
            sent = lib.PQcancel(cancel, ctypes.create_string_buffer(256), 256) == 1
            lib.PQfreeCancel(cancel)
        if sent:
            try:
                result = self._result(time.monotonic() + 5)
                if result:
                    lib.PQclear(result)
                return
            except BaseException:
                pass
        self.close()

    def _raise(self, result: int | None) -> None:
        lib = self._lib
        sqlstate = lib.PQresultErrorField(result, PG_DIAG_SQLSTATE) if result else None
        # the primary message, as psycopg gives it (PQresultErrorMessage adds "ERROR:  " and the context)
        message = _message(lib.PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) if result else None,
                           _message(lib.PQerrorMessage(self._pg), "no answer from the server"))
        lost = lib.PQstatus(self._pg) != CONNECTION_OK
        raise LibpqError(message, sqlstate.decode() if sqlstate else None, lost)

    def _rows(self, result: int) -> list[dict[str, Any]]:
        lib = self._lib
        fields = range(lib.PQnfields(result))
        names = [lib.PQfname(result, j).decode() for j in fields]
        loaders = [self._loader(lib.PQftype(result, j), names[j]) for j in fields]
        columns = list(zip(fields, names, loaders, strict=True))
        value, isnull = lib.PQgetvalue, lib.PQgetisnull
        rows = []
        try:
            for i in range(lib.PQntuples(result)):
                row = {}
                for j, name, load in columns:
                    raw = value(result, i, j)
                    row[name] = None if not raw and isnull(result, i, j) else load(raw)
                rows.append(row)
        except ValueError as exc:  # e.g. a timestamp of 'infinity', as psycopg's DataError
            raise LibpqError(f"cannot read a value: {exc}", "22000", False) from None
        return rows

    @staticmethod
    def _loader(oid: int, name: str) -> Callable[[bytes], Any]:
        load = _LOADERS.get(oid)
        if load is None:
            raise LibpqError(f"cspr's libpq reader cannot read column {name!r} (type OID {oid}); set "
                             "CSPR_PG_READER=psycopg and report it", None, False)
        return load
