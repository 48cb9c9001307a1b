"""The quick reader (engine/store/libpq.py) on a real PostgreSQL server: a command that only reads goes
through libpq directly and never imports psycopg; it gets the same values, the same refusals and the same
messages as through psycopg; the first write switches the store to psycopg."""

from __future__ import annotations

import datetime as dt
import json
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal

import pytest

from cspr.engine.casebook.book import Casebook
from cspr.engine.definition.catalog import resolve
from cspr.engine.store import libpq
from cspr.engine.store.interface import StoreError, open_store
from cspr.engine.store.postgres import _SETTINGS, _loaders

from .conftest import run_cli, unavailable

TODAY = dt.date(2026, 6, 10)
REF = "LSBU-2026-001"


@pytest.fixture
def spec(pg_database):
    if libpq.library() is None:
        unavailable("libpq could not be loaded (neither the system's libpq.so.5 nor psycopg-binary's copy)")
    return pg_database.spec


@pytest.fixture
def reader(spec):
    connection = libpq.Connection(spec, client_encoding="UTF8", **_SETTINGS)
    yield connection
    connection.close()


TYPES = ("SELECT 1::int2 AS small, 70000::int4 AS int, 5000000000::int8 AS big, 7::oid AS oid, true AS yes, "
         "false AS no, NULL::text AS nothing, ''::text AS empty, 'Blackburn with Darwen – ✓'::text AS text, "
         "DATE '2026-06-10' AS day, 1.5::float8 AS real, 12.50::numeric AS numeric, COUNT(*) AS count, "
         "SUM(x) AS total, TIMESTAMPTZ '2026-06-10 09:00:00+00' AS at, 'x'::name AS name, "
         "'\\x00ff'::bytea AS bytes, '{\"a\": [1, true]}'::jsonb AS document, 'v'::varchar AS short "
         "FROM (VALUES (1), (2)) v(x)")


def test_every_type_the_store_reads_comes_back_as_psycopg_gives_it(spec, reader):
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(spec, autocommit=True, row_factory=dict_row, **_SETTINGS) as conn:
        iso_date, flag = _loaders()
        conn.adapters.register_loader("date", iso_date)
        conn.adapters.register_loader("bool", flag)
        expected = conn.execute(TYPES).fetchall()
    rows, count = reader.execute(TYPES)
    assert rows == expected and count == 1
    assert [type(v) for v in rows[0].values()] == [type(v) for v in expected[0].values()]
    assert rows[0]["day"] == "2026-06-10" and rows[0]["yes"] == 1 and rows[0]["nothing"] is None
    assert rows[0]["total"] == Decimal(3) and rows[0]["bytes"] == b"\x00\xff" and rows[0]["empty"] == ""


@pytest.mark.parametrize("value, cast, expected", [
    (None, "text", None), ("", "text", ""), ("ünïcode ✓", "text", "ünïcode ✓"), (True, "boolean", 1),
    (False, "boolean", 0), (7, "int4", 7), (2**40, "int8", 2**40), (-(2**40), "int8", -(2**40)),
    (2**70, "numeric", Decimal(2**70)), (0.25, "float8", 0.25), (dt.date(2026, 6, 10), "date", "2026-06-10"),
    ("it's; DROP TABLE events", "text", "it's; DROP TABLE events"),
])
def test_parameters_are_sent_as_values_never_as_sql(reader, value, cast, expected):
    rows, _ = reader.execute(f"SELECT $1::{cast} AS value, $1 IS NULL AS missing", [value])
    assert rows == [{"value": expected, "missing": int(value is None)}]


def test_a_refusal_carries_its_sqlstate_and_the_connection_stays_usable(reader):
    with pytest.raises(libpq.LibpqError) as refused:
        reader.execute("SELEKT 1")
    assert refused.value.sqlstate == "42601" and not refused.value.lost and "syntax error" in str(refused.value)
    assert reader.execute("SELECT 2 AS two")[0] == [{"two": 2}]


def test_a_type_it_cannot_read_is_refused_not_guessed(reader):
    with pytest.raises(libpq.LibpqError, match="cannot read column 'span'.*CSPR_PG_READER=psycopg"):
        reader.execute("SELECT INTERVAL '1 day' AS span")
    with pytest.raises(libpq.LibpqError, match="cannot read a value"):
        reader.execute("SELECT TIMESTAMPTZ 'infinity' AS never")


class Interrupted(Exception):
    """Stands for Ctrl-C here (a stray KeyboardInterrupt would stop the whole test run)."""


def test_ctrl_c_interrupts_a_read_waiting_on_a_lock_and_cancels_it_on_the_server(spec, pg_database):
    import threading

    import psycopg

    store = open_store(spec)
    reader = store._reader
    assert reader is not None
    reader.execute("SET lock_timeout = '20s'")  # a cancel that went astray fails the test instead of hanging it
    locker = psycopg.connect(pg_database.server.url(pg_database.name, "cspr_admin"))  # a transaction, held open
    locker.execute("LOCK TABLE cspr.events IN ACCESS EXCLUSIVE MODE")  # as VACUUM FULL or a migration would
    main = threading.get_ident()

    def interrupt_once_waiting():  # only once the server shows the read waiting for the lock
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if pg_database.server.sql(f"SELECT COUNT(*) FROM pg_stat_activity WHERE pid = {reader.backend_pid} "
                                      "AND wait_event_type = 'Lock'")[0][0]:
                signal.pthread_kill(main, signal.SIGALRM)
                return
            time.sleep(0.05)

    def ctrl_c(signum, frame):
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, ctrl_c)
    watcher = threading.Thread(target=interrupt_once_waiting)
    watcher.start()
    try:
        started = time.monotonic()
        with pytest.raises(Interrupted):
            with store.snapshot():
                store.entries()
        waited = time.monotonic() - started
        still = pg_database.server.sql(f"SELECT COUNT(*) FROM pg_stat_activity WHERE pid = {reader.backend_pid} "
                                       "AND state <> 'idle'")[0][0]
    finally:
        watcher.join()
        signal.signal(signal.SIGALRM, previous)
        locker.rollback()
        locker.close()
    assert waited < 15 and still == 0  # cancelled on the server, and the snapshot rolled back
    assert store.case_refs() == [] and store._reader is reader  # the same connection, still usable
    store.close()


def test_a_server_that_never_answers_times_out(tmp_path):
    if libpq.library() is None:
        unavailable("libpq could not be loaded (neither the system's libpq.so.5 nor psycopg-binary's copy)")
    silent = socket.socket(socket.AF_UNIX)
    silent.bind(str(tmp_path / ".s.PGSQL.5432"))
    silent.listen(1)
    try:
        started = time.monotonic()
        with pytest.raises(libpq.LibpqError, match="timeout expired") as refused:
            libpq.Connection(f"postgresql://nobody@/nothing?host={tmp_path}", connect_timeout="1")
        assert refused.value.lost and time.monotonic() - started < 5
    finally:
        silent.close()


def test_notices_are_not_printed(reader, capfd):
    reader.execute("DO $$BEGIN RAISE NOTICE 'a notice nobody asked for'; END$$")
    assert "a notice" not in capfd.readouterr().err


def _store_messages(url: str, monkeypatch, sql: str | None = None, params: dict | None = None) -> list[str]:
    """What the store says, reading through libpq and then through psycopg."""
    said = []
    for reader in ("", "psycopg"):
        monkeypatch.setenv("CSPR_PG_READER", reader)
        with pytest.raises(StoreError) as refused:
            store = open_store(url)
            try:
                store._rows(sql or "SELECT 1", params)
            finally:
                store.close()
        said.append(str(refused.value))
    return said


def test_refusals_read_the_same_through_either_driver(spec, pg_server, monkeypatch):
    quick, slow = _store_messages(spec, monkeypatch, "SELECT * FROM no_such_table")
    assert quick == slow and quick.startswith("database error on ") and "no_such_table" in quick
    quick, slow = _store_messages(spec, monkeypatch, "SELECT pg_read_file('/etc/hostname') AS f")
    assert quick == slow and "the database refused" in quick and "nothing was changed" in quick
    nul = "LSBU-2026-001\x00 OR TRUE"  # libpq would cut a string at its NUL: refused, as psycopg refuses it
    quick, slow = _store_messages(spec, monkeypatch, "SELECT :ref AS ref", {"ref": nul})
    assert quick == slow and "cannot contain NUL" in quick
    missing = pg_server.url("no_such_database")
    quick, slow = _store_messages(missing, monkeypatch)
    assert quick == slow and quick.startswith("cannot connect to ") and "no_such_database" in quick


def test_a_reader_that_loses_its_backend_says_so(spec, pg_database):
    store = open_store(spec)
    assert store._reader is not None
    pid = store._reader.backend_pid
    with pytest.raises(StoreError, match="lost or could not make the connection"):
        with store.snapshot():
            store.case_refs()
            pg_database.server.sql(f"SELECT pg_terminate_backend({pid})")
            store.case_refs()
    store.close()


def test_the_first_write_switches_to_psycopg_and_reads_follow_it(spec):
    store = open_store(spec)
    assert store._reader is not None and store._conn is None
    assert store.case_refs() == []
    Casebook(store, today=TODAY, actor="lsbu").open_case(REF, resolve("cspr_pan_lancashire@2025.1"), TODAY)
    assert store._reader is None and store._conn is not None  # one connection per store
    assert store.case_refs() == [REF]
    store.close()


def test_a_role_allowed_one_connection_reads_then_writes(spec, pg_database):
    """The reader closes before psycopg connects: never two connections for one store."""
    from cspr.engine.store.postgres import grant

    role = f"one_connection_{pg_database.name}"
    pg_database.server.sql(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")
    owner = open_store(pg_database.server.url(pg_database.name, "cspr_owner"))
    grant(owner, role, "write")
    owner.close()
    store = open_store(pg_database.server.url(pg_database.name, role))
    assert store.case_refs() == [] and store._reader is not None
    Casebook(store, today=TODAY, actor="lsbu").open_case(REF, resolve("cspr_pan_lancashire@2025.1"), TODAY)
    assert store.case_refs() == [REF]
    store.close()
    with pytest.raises(StoreError, match="is closed"):  # a closed store does not quietly reconnect
        store.case_refs()
    pg_database.server.sql(f"DROP OWNED BY {role}", database=pg_database.name)
    pg_database.server.sql(f"DROP ROLE {role}")


def test_a_list_of_hosts_reads_through_psycopg(spec, monkeypatch):
    """libpq driven from Python cannot time out one host and go on to the next; psycopg can."""
    store = open_store(spec.replace("?host=", "?host=/nonexistent,"))
    assert store._reader is None and store.case_refs() == []
    store.close()
    monkeypatch.setenv("PGHOST", "/nonexistent,/elsewhere")
    store = open_store(spec)  # the URL's host wins, but a list anywhere is enough to leave libpq
    assert store._reader is None
    store.close()


def test_a_named_service_reads_through_psycopg(spec, tmp_path, monkeypatch):
    """pg_service.conf may list several hosts, and cspr does not read it: a service is left to psycopg."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(spec)
    (tmp_path / "services.conf").write_text(f"[cspr]\nhost=/nonexistent,{parse_qs(parts.query)['host'][0]}\n"
                                            f"dbname={parts.path.lstrip('/')}\nuser=cspr_app\n")
    monkeypatch.setenv("PGSERVICEFILE", str(tmp_path / "services.conf"))
    store = open_store("postgresql://?service=cspr")
    assert store._reader is None and store.case_refs() == []
    store.close()
    monkeypatch.setenv("PGSERVICE", "cspr")
    store = open_store("postgresql://")
    assert store._reader is None and store.case_refs() == []
    store.close()


def test_a_write_inside_a_read_only_snapshot_is_refused_and_changes_nothing(spec):
    store = open_store(spec)
    with store.snapshot():
        with pytest.raises(StoreError, match="inside a read-only snapshot"):
            Casebook(store, today=TODAY, actor="lsbu").open_case(REF, resolve("cspr_pan_lancashire@2025.1"), TODAY)
        assert store.case_refs() == []
    assert store.case_refs() == []
    store.close()


PROBE = """
import sys
from cspr.cli.entry import main
sys.argv = ["cspr", *sys.argv[1:]]
try:
    main()
except SystemExit as done:
    code = done.code
print("psycopg imported" if "psycopg" in sys.modules else "psycopg not imported", file=sys.stderr)
"""


def _cspr(*args: str, reader: str = "") -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "CSPR_TODAY": TODAY.isoformat(), "CSPR_PG_READER": reader}
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=60)


def test_a_command_that_only_reads_never_imports_psycopg(spec):
    assert run_cli("--db", spec, "case", "open", REF, "--process", "cspr_pan_lancashire@2025.1",
                   "--on", "2026-06-01", "--fact", "harm=died", "--today", TODAY.isoformat()).exit_code == 0
    for args in (["case", "show", REF], ["case", "list", "--overdue", "--json"], ["deadlines", "--json"],
                 ["case", "show", REF, "--json"]):
        quick, slow = _cspr("--db", spec, *args), _cspr("--db", spec, *args, reader="psycopg")
        assert quick.returncode == 0, quick.stderr
        assert quick.stdout == slow.stdout, args
        assert quick.stderr.strip().endswith("psycopg not imported"), (args, quick.stderr)
        assert slow.stderr.strip().endswith("psycopg imported")
    shown = json.loads(_cspr("--db", spec, "case", "show", REF, "--json").stdout)
    assert shown["ref"] == REF
    wrote = _cspr("--db", spec, "case", "note", REF, "Rang the school", "--on", "2026-06-02")
    assert wrote.returncode == 0, wrote.stderr
    assert wrote.stderr.strip().endswith("psycopg imported")


def test_over_tls_the_reader_is_encrypted_and_reads_what_psycopg_reads():
    """A shared deployment is reached over TCP with TLS (sslmode=require); the reader's connection is
    encrypted, reads the same as psycopg, and a certificate it cannot check is a one-line refusal."""
    import os
    import shutil

    from .helpers import pgserver

    why = pgserver.missing() or (None if shutil.which("openssl") else "openssl (Debian's openssl package) is missing")
    if why:
        unavailable(why)
    if libpq.library() is None:
        unavailable("libpq could not be loaded (neither the system's libpq.so.5 nor psycopg-binary's copy)")
    with pgserver.Server(tls=True) as server:
        server.create_database("tls")
        store = open_store(server.url("tls", pgserver.OWNER), create=True)
        from cspr.engine.store.postgres import grant
        grant(store, pgserver.APP, "write")
        store.close()
        url = server.tcp_url("tls", sslmode="require")
        assert run_cli("--db", url, "case", "open", REF, "--process", "cspr_pan_lancashire@2025.1", "--on",
                       "2026-06-01", "--fact", "harm=died", "--today", TODAY.isoformat()).exit_code == 0

        store = open_store(url)
        assert store._reader is not None  # read through libpq, not psycopg
        assert store._reader.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0] == [{"ssl": 1}]
        store.close()
        for args in (["case", "show", REF, "--json"], ["deadlines", "--json"], ["audit", "verify", "--json"]):
            quick, slow = _cspr("--db", url, *args), _cspr("--db", url, *args, reader="psycopg")
            assert quick.returncode == 0, quick.stderr
            assert quick.stdout == slow.stdout, args
            assert quick.stderr.strip().endswith("psycopg not imported"), (args, quick.stderr)

        # verify-full with a root certificate that is not there: refused in one line, by either driver
        missing_root = server.tcp_url("tls", sslmode="verify-full", sslrootcert=str(server.folder / "none.crt"))
        for reader in ("", "psycopg"):
            done = subprocess.run([sys.executable, "-m", "cspr.cli.entry", "--db", missing_root, "case", "list"],
                                  capture_output=True, text=True, timeout=60,
                                  env={**os.environ, "CSPR_PG_READER": reader})
            assert done.returncode == 1, done.stderr
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("Error: cannot connect to "), (reader, lines)
            assert 'root certificate file "' in lines[0] and 'none.crt" does not exist; Either provide' in lines[0]
