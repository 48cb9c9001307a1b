"""The store's contract, on both engines: every operation answers the same on SQLite and on a real
PostgreSQL server; writes are all or nothing; the PostgreSQL roles, locks and migrations hold;
a lost backend loses nothing; `cspr db init` and `cspr db copy` work either way round."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from cspr.engine.casebook.book import Casebook
from cspr.engine.casebook.bulk import BulkCasebook
from cspr.engine.casebook.scenario import Scenario
from cspr.engine.casebook.synthetic import generate
from cspr.engine.definition.catalog import resolve, shipped
from cspr.engine.store.interface import StoreError, open_store
from cspr.engine.store.migrations import SCHEMA_VERSION

from .conftest import ROOT, run_cli

TODAY = dt.date(2026, 6, 10)
REF = "LSBU-2026-001"
STAMP = "2026-06-10T09:00:00+00:00"


@pytest.fixture
def fixed_clock(monkeypatch):
    """Every entry and stored process gets the same timestamp, so two databases hash identically."""
    for module in ("cspr.engine.casebook.book", "cspr.engine.casebook.commands", "cspr.engine.store.sql"):
        monkeypatch.setattr(f"{module}.utc_now", lambda: STAMP)


def everything(store, today: str) -> dict:
    """What every read operation of the store answers, on a fixed day."""
    refs = store.case_refs()
    return {
        "schema_version": store.schema_version, "integrity": store.integrity_check(),
        "processes": store.processes(), "process_rows": store.process_rows(),
        "process_source": store.process_source("cspr_pan_lancashire", "2025.1"),
        "refs": refs, "exists": [store.case_exists(r) for r in refs] + [store.case_exists("NOPE-1")],
        "records": {r: [x.as_dict() for x in store.records(r)] for r in refs},
        "entries": store.entries(), "entries_by_case": {r: store.entries(r) for r in refs},
        "batches": [row for batch in store.entry_batches(size=7) for row in batch],
        "projections": store.stored_projections(),
        "lists": [store.list_cases(today=today), store.list_cases(today=today, with_open_due_before=True),
                  store.list_cases(today=today, include_closed=False),
                  store.list_cases(today=today, state="referral"), store.list_cases(today=today, stage="referral")],
        "deadlines": [store.deadlines(), store.deadlines(order="case"), store.deadlines(only_open=True),
                      store.deadlines(only_applicable=True), store.deadlines(due_before=today),
                      store.deadlines(due_from="2026-01-01", due_to=today)],
        "open_refs": [store.open_case_refs(), store.open_case_refs("cspr_pan_lancashire"), store.open_case_refs("x")],
        "actions": [store.actions(), store.actions(status="open"), store.actions(open_due_before=today),
                    store.actions(ref=refs[0] if refs else None), store.actions(owner="icb")],
        "counts": store.counts(today=today),
    }


def _types(value):
    """The Python types in an answer, to show two drivers give the same kinds of value (True == 1 in Python)."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_types(v) for v in value]
    return type(value).__name__


def _agree_actions(book: Casebook) -> None:
    """An action, one done and one dropped, wherever a case is at a stage that agrees actions."""
    from cspr.engine.casebook import actions

    for ref in book.store.case_refs():
        case = book.load(ref)
        rule = case.definition.actions.get(case.stage)
        if rule is None or case.history[-1].on > TODAY:
            continue
        owner, on = next(iter(case.definition.roles)), case.history[-1].on
        added = [actions.add(book, ref, case.stage, f"Action {n}", owner, on + dt.timedelta(days=days),
                             rule.agreed_by, on=on) for n, days in enumerate((5, 30, 60))]
        actions.close(book, ref, added[1], "done", on=TODAY)
        actions.close(book, ref, added[2], "dropped", reason="no longer needed", on=TODAY)


def test_both_engines_answer_every_query_the_same(tmp_path, pg_database, fixed_clock):
    """The demo and every scenario, written one command at a time into each engine: the same rows back,
    the same hashes, the same chain head."""
    answers = []
    for spec in (str(tmp_path / "same.db"), pg_database.spec):
        store = open_store(spec, create=True)
        with store.write():  # one database identity for both, so the keyed chains agree too
            store.import_history([], [], meta={"database_id": "db:contract-queries"})
        for path in [*sorted((ROOT / "tests" / "scenarios").glob("*.yaml")), ROOT / "scenarios" / "demo.yaml"]:
            scenario = Scenario.load(path)
            book = Casebook(store, today=scenario.today, actor="contract")
            for outcome in scenario.run(book):
                assert not outcome.failures, (path.name, outcome.failures)
        _agree_actions(Casebook(store, today=TODAY, actor="contract"))
        assert Casebook(store, today=TODAY, actor="contract").redact("LSBU-2026-015", "contract").blanked > 0
        answers.append(everything(store, "2026-06-10"))
        store.close()
    # PostgreSQL read again by a command that only reads: through libpq directly (engine/store/libpq.py)
    reader = open_store(pg_database.spec)
    assert reader._reader is not None, "libpq was not found: reads went through psycopg"
    answers.append(everything(reader, "2026-06-10"))
    assert reader._conn is None and "psycopg" not in repr(type(reader._reader))
    reader.close()
    sqlite, postgresql, quick = answers
    assert sqlite["integrity"] == postgresql["integrity"] == quick["integrity"] == "ok"
    for key in sqlite:
        assert sqlite[key] == postgresql[key] == quick[key], key
        assert _types(postgresql[key]) == _types(quick[key]), key
    assert len(sqlite["entries"]) > 200 and sqlite["actions"][0] and sqlite["lists"][1]


def test_batched_and_single_writes_seal_the_same_history(tmp_path, pg_database, fixed_clock):
    """Synthetic cases bulk-loaded into PostgreSQL (through COPY) and into SQLite: identical entries and head."""
    definitions = [d for d in shipped() if d.id == "cspr_pan_lancashire"]
    heads = []
    for spec in (str(tmp_path / "bulk.db"), pg_database.spec):
        store = open_store(spec, create=True)
        with store.write():
            store.import_history([], [], meta={"database_id": "db:contract-bulk"})
        book = BulkCasebook(store, today=TODAY, actor="synthetic")
        assert generate(book, definitions, 40, seed=7) > 200
        heads.append((store.entries(), store.stored_projections()))
        assert Casebook(store, today=TODAY).verify().ok
        store.close()
    assert heads[0] == heads[1]


# --- each engine on its own ---------------------------------------------------------------------------


@pytest.fixture
def book(database):
    store = open_store(database.spec, create=True)
    casebook = Casebook(store, today=TODAY, actor="contract")
    casebook.open_case(REF, resolve("cspr_pan_lancashire@2025.1"), dt.date(2026, 6, 1))
    yield casebook
    store.close()


def test_a_write_that_fails_leaves_nothing(book, database):
    before = database.dump()
    with pytest.raises(RuntimeError):
        with book.transaction():
            book.append(book.load(REF), "note", TODAY, note="never stored")
            raise RuntimeError("the command fails after appending")
    assert database.dump() == before
    assert [r.kind for r in book.store.records(REF)] == ["opened"]


def test_the_same_step_twice_is_refused_by_the_store(book):
    record = book.store.records(REF)[0]
    with pytest.raises(StoreError, match="another command recorded step #1"):
        with book.store.write():
            book.store.append(REF, record)


def test_an_unknown_case_reads_as_nothing(book):
    assert book.store.records("NOPE-1") == [] and not book.store.case_exists("NOPE-1")
    assert book.store.entries("NOPE-1") == [] and book.store.process_forms("sha256:none") is None


def test_redaction_blanks_content_only(book):
    book.note(REF, "a name that must go")
    done = book.redact(REF, "test")
    assert (done.entries, done.blanked) == ([1, 2], 2)
    entries = book.store.entries(REF)
    assert [(e["redacted"], e["facts"], e["note"]) for e in entries[:2]] == [(1, "{}", None), (1, "{}", None)]
    assert entries[2]["redacted"] == 0 and entries[2]["kind"] == "redacted" and book.verify().ok


def test_the_store_blanks_nothing_no_redaction_entry_names(book, database):
    """Blanking is the second half of a redaction: without its entry, the guard refuses it (both engines)."""
    book.note(REF, "stays")
    before = database.dump()
    with pytest.raises(StoreError, match="only a recorded redaction"):
        with book.transaction():
            book.store.redact(REF)
    assert database.dump() == before


def test_copy_refuses_a_target_that_is_not_empty(book, tmp_path):
    from cspr.engine.casebook.transfer import copy_database

    target = open_store(tmp_path / "other.db", create=True)
    Casebook(target, today=TODAY, actor="setup").open_case("LSBU-2026-999", resolve("cspr_pan_lancashire@2025.1"), dt.date(2026, 6, 1))
    with pytest.raises(StoreError, match="is not empty"):
        copy_database(book.store, target)
    assert target.case_refs() == ["LSBU-2026-999"]
    target.close()


# --- PostgreSQL: roles, locks, a lost backend, migrations ----------------------------------------------


def test_the_application_role_cannot_change_or_delete_the_history(pg_database):
    import psycopg

    store = open_store(pg_database.spec)
    Casebook(store, today=TODAY, actor="setup").open_case(REF, resolve("cspr_pan_lancashire@2025.1"), dt.date(2026, 6, 1))
    for statement in ("UPDATE events SET note = 'x'", "DELETE FROM events", "TRUNCATE events",
                      "UPDATE processes SET title = 'x'", "DELETE FROM processes", "DROP TABLE events",
                      "ALTER TABLE events DISABLE TRIGGER USER", "DELETE FROM _migrations"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            store.conn.execute(statement)
    store.close()
    # even the owner, who may alter the schema, meets the triggers
    with pytest.raises(Exception, match="append-only"):
        pg_database.server.sql("UPDATE cspr.events SET note = 'x'", database=pg_database.name, user="cspr_owner")


def test_two_writers_on_one_case_take_turns(pg_database):
    """The second command waits for the first's case lock, then sees its entry (no refusal, no lost write)."""
    first, second = open_store(pg_database.spec, create=True), open_store(pg_database.spec)
    Casebook(first, today=TODAY, actor="setup").open_case(REF, resolve("cspr_pan_lancashire@2025.1"), dt.date(2026, 6, 1))
    entered, done = threading.Event(), []

    def later():
        entered.wait()
        Casebook(second, today=TODAY, actor="second").note(REF, "second")
        done.append(True)

    thread = threading.Thread(target=later)
    thread.start()
    book = Casebook(first, today=TODAY, actor="first")
    with book.transaction():
        case = book.load(REF)
        entered.set()
        thread.join(timeout=0.5)
        assert thread.is_alive() and not done  # waiting on the case lock
        book.append(case, "note", TODAY, note="first")
    thread.join(timeout=10)
    assert done and [r.note for r in first.records(REF)][1:] == ["first", "second"]
    assert book.verify().ok
    first.close()
    second.close()


def test_two_first_sealed_writes_at_once_keep_one_database_identity(pg_database):
    """The first write to a fresh database stores its identity and key id; a second first write at that
    moment waits for those rows, then keeps them (it used to fail on a duplicate key)."""
    first, second = open_store(pg_database.spec, create=True), open_store(pg_database.spec, create=True)
    assert first.meta() == {}
    outcome: list[str] = []

    def later():
        try:
            with second.write():
                second._sealing()
            outcome.append("ok")
        except Exception as exc:  # the test reports what the second writer met
            outcome.append(f"{type(exc).__name__}: {exc}")

    with first.write():
        first._sealing()  # stored, not yet committed
        thread = threading.Thread(target=later)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # waiting on the first's rows
    thread.join(timeout=10)
    assert outcome == ["ok"]
    assert second.meta() == first.meta() and set(first.meta()) == {"database_id", "key_id"}
    first.close()
    second.close()


@pytest.mark.parametrize("stage", ["after reading the case", "after projecting", "after appending"])
def test_a_backend_terminated_mid_transaction_loses_nothing_and_holds_no_lock(pg_database, stage):
    victim, other = open_store(pg_database.spec, create=True), open_store(pg_database.spec)
    Casebook(victim, today=TODAY, actor="setup").open_case(REF, resolve("cspr_pan_lancashire@2025.1"), dt.date(2026, 6, 1))
    before = pg_database.dump()
    book = Casebook(victim, today=TODAY, actor="victim")
    pid = victim.conn.info.backend_pid
    with pytest.raises(StoreError, match="connection"):
        with book.transaction():
            case = book.load(REF)
            if stage != "after reading the case":
                from cspr.engine.casebook.projections import projection
                from cspr.engine.runtime.case import Record

                record = Record(seq=2, kind="note", on=TODAY, actor="victim", recorded_at=STAMP, note="lost")
                case.apply(record)
                victim.put_projections([projection(case)])
                if stage == "after appending":
                    victim.append(REF, record)  # holds the case lock and the chain's lock
            pg_database.server.sql(f"SELECT pg_terminate_backend({pid})")
    assert pg_database.dump() == before
    Casebook(other, today=TODAY, actor="other").note(REF, "after the crash")  # no lock was left behind
    assert [r.note for r in other.records(REF)] == [None, "after the crash"]
    assert Casebook(other, today=TODAY).verify().ok
    other.close()


def test_an_application_role_cannot_migrate_but_the_owner_can(pg_database):
    server, name = pg_database.server, pg_database.name
    server.sql(f"DELETE FROM cspr._migrations WHERE version = {SCHEMA_VERSION}", database=name)
    result = run_cli("--db", pg_database.spec, "case", "list")
    assert result.exit_code == 1
    assert f"has schema version {SCHEMA_VERSION - 1} and this cspr needs {SCHEMA_VERSION}" in result.output
    assert "cspr db init" in result.output
    owner = open_store(server.url(name, "cspr_owner"))  # the owner's first use brings it up to date
    assert owner.schema_version == SCHEMA_VERSION
    owner.close()
    assert run_cli("--db", pg_database.spec, "case", "list").exit_code == 0
    server.sql("INSERT INTO cspr._migrations VALUES (999, 'from the future', 'x')", database=name)
    newer = run_cli("--db", pg_database.spec, "case", "list")
    assert newer.exit_code == 1 and "written by a newer cspr" in newer.output


def test_db_init_creates_the_schema_and_grants_the_roles(pg_server):
    pg_server.sql("CREATE ROLE reader_role LOGIN")
    name = pg_server.create_database("fresh_init")
    try:
        app = pg_server.url(name, "cspr_app")
        missing = run_cli("--db", app, "case", "list")
        assert missing.exit_code == 1 and "no cspr schema" in missing.output and "cspr db init" in missing.output
        result = run_cli("--db", pg_server.url(name, "cspr_owner"), "db", "init", "--app", "cspr_app",
                         "--reader", "reader_role", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["schema_version"] == SCHEMA_VERSION
        opened = run_cli("--db", app, "--today", "2026-06-10", "case", "open", REF, "--on", "2026-06-01")
        assert opened.exit_code == 0, opened.output
        reader = pg_server.url(name, "reader_role")
        assert run_cli("--db", reader, "--today", "2026-06-10", "case", "show", REF).exit_code == 0
        refused = run_cli("--db", reader, "--today", "2026-06-10", "case", "note", REF, "x")
        assert refused.exit_code == 1 and "refused" in refused.output
        again = run_cli("--db", pg_server.url(name, "cspr_owner"), "db", "init", "--app", "cspr_app")
        assert again.exit_code == 0 and "may read the cases and add to their history" in again.output
        nobody = run_cli("--db", pg_server.url(name, "cspr_owner"), "db", "init", "--app", "no_such_role")
        assert nobody.exit_code == 1 and "no role 'no_such_role'" in nobody.output
    finally:
        pg_server.drop_database(name)


def test_the_readmes_three_postgresql_commands_work(pg_server):
    """The README's "Running on PostgreSQL" shows three commands. The first, the superuser's SQL, is only
    checked for its shape: the test server already has the two roles, so here it creates the database alone.
    The owner's `cspr db init` and the application's first `cspr case open` then run exactly as written but
    for the server's address."""
    import re
    import shlex

    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Running on PostgreSQL\n.*?```sh\n(.*?)```", text, re.S)
    assert block, "the README has no PostgreSQL commands"
    commands = [shlex.split(line) for line in block.group(1).splitlines() if line and not line.startswith("#")]
    assert len(commands) == 3 and commands[0][:3] == ["sudo", "-u", "postgres"]
    sql = [commands[0][i + 1] for i, word in enumerate(commands[0]) if word == "-c"]
    assert sql[-1] == "CREATE DATABASE cspr OWNER cspr_owner" and all("CREATE ROLE" in s for s in sql[:-1])
    name = pg_server.create_database("readme")  # the roles are the test server's own, as the README names them
    try:
        for words in commands[1:]:
            assert words[0].startswith("PGPASSWORD=") and words[1] == "cspr", words
            args = [pg_server.url(name, m.group(1)) if (m := re.fullmatch(r"postgresql://(\w+)@localhost/cspr", w))
                    else w for w in words[2:]]
            result = run_cli(*args)
            assert result.exit_code == 0, (words, result.output)
        assert run_cli("--db", pg_server.url(name), "case", "show", "LSBU-2026-014").exit_code == 0
    finally:
        pg_server.drop_database(name)


def test_an_older_database_gets_each_open_deadlines_condition_from_a_replay(database):
    """Schema 12 stores each open deadline's condition not known yet; a database from before it (the column
    missing, the migrations not applied) is brought up to date on opening, the condition filled in from a
    replay of each case with an open deadline, and it still verifies."""
    db = database
    opened = run_cli("--db", db.spec, "--today", "2026-06-10", "case", "open", REF, "--on", "2026-06-08")
    assert opened.exit_code == 0, opened.output
    assert run_cli("--db", db.spec, "--today", "2026-06-10", "case", "open", "LSBU-2026-002", "--on", "2026-06-08",
                   "--fact", "harm=died", "--fact", "abuse_or_neglect=suspected", "--fact", "care_leaver=no").exit_code == 0
    conditions = "SELECT ref, deadline, condition FROM deadline_view WHERE condition IS NOT NULL ORDER BY ref, deadline"
    expected = db.rows(conditions)
    assert (REF, "care_leaver_death_notification") in [row[:2] for row in expected]
    assert "LSBU-2026-002" not in [row[0] for row in expected if row[1] == "care_leaver_death_notification"]
    db.execute("ALTER TABLE deadline_view DROP COLUMN condition", "DELETE FROM _migrations WHERE version >= 12")
    owner = db.server.url(db.name, "cspr_owner") if db.engine == "postgresql" else db.spec  # who may migrate
    assert run_cli("--db", owner, "db", "init").exit_code == 0
    assert db.rows(conditions) == expected
    verified = json.loads(run_cli("--db", db.spec, "--today", "2026-06-10", "audit", "verify", "--json").stdout)
    assert verified["ok"], verified["findings"]


def test_connection_failures_are_one_line(pg_server):
    for url in (pg_server.url("no_such_database"), "postgresql://cspr_app:secret@127.0.0.1:1/x"):
        result = run_cli("--db", url, "case", "list")
        assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
        assert result.output.startswith("Error: cannot connect to ") and "secret" not in result.output
    # the reason itself, not only libpq's closing advice ("Is the server running on that host…")
    assert "port 1 failed: Connection refused; check --db" in result.output, result.output


def test_db_init_on_sqlite_takes_no_roles(tmp_path):
    path = tmp_path / "x.db"
    assert run_cli("--db", str(path), "db", "init").exit_code == 0 and path.exists()
    refused = run_cli("--db", str(path), "db", "init", "--app", "someone")
    assert refused.exit_code == 1 and "for PostgreSQL" in refused.output


# --- cspr db copy --------------------------------------------------------------------------------------


def test_db_copy_round_trip_sqlite_postgresql_sqlite(tmp_path, pg_database):
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    assert run_cli("demo", "--db", str(first)).exit_code == 0
    assert run_cli("--db", str(first), "--today", "2026-06-10", "case", "redact", "LSBU-2026-007",
                   "--reason", "test").exit_code == 0
    for name, role in (("icb.officer", "icb"), ("Former.Officer", "lsbu")):  # accounts move too, as they stand
        assert run_cli("--db", str(first), "user", "add", name, "--role", role, "--role", "auditor", "--party", "ICB",
                       "--password-stdin", input="a long enough password\n").exit_code == 0
    assert run_cli("--db", str(first), "user", "disable", "Former.Officer").exit_code == 0
    there = run_cli("db", "copy", str(first), pg_database.spec, "--json")
    assert there.exit_code == 0, there.output
    report = json.loads(there.stdout)
    assert report["ok"] and report["entries"] == 49 and report["cases"] == 4 and report["accounts"] == 2
    assert report["source"]["head"] == report["target"]["head"] and report["target"]["engine"] == "postgresql"
    text = run_cli("db", "copy", pg_database.spec, str(back))
    assert text.exit_code == 0, text.output
    assert "Copied 49 entries of 4 cases, 1 process version and 2 accounts" in text.stdout
    assert text.stdout.count(": intact") == 2
    stores = [open_store(str(first)), open_store(pg_database.spec), open_store(str(back))]
    assert stores[0].entries() == stores[2].entries()
    assert stores[0].stored_projections() == stores[2].stored_projections()
    assert stores[0].process_rows() == stores[2].process_rows()
    accounts = [store.users() for store in stores]
    assert accounts[0] == accounts[1] == accounts[2] and [a["disabled"] for a in accounts[0]] == [True, False]
    assert accounts[0][0]["valid_after"] > 0  # the disabled account's sessions stay void after the move
    for store in stores:
        store.close()
    again = run_cli("db", "copy", str(first), pg_database.spec)
    assert again.exit_code == 1 and "is not empty" in again.output


def test_db_copy_refuses_a_missing_source_and_the_same_database(tmp_path):
    missing = run_cli("db", "copy", str(tmp_path / "none.db"), str(tmp_path / "new.db"))
    assert missing.exit_code == 1 and "no database at" in missing.output
    assert not (tmp_path / "new.db").exists()
    same = tmp_path / "same.db"
    assert run_cli("demo", "--db", str(same)).exit_code == 0
    result = run_cli("db", "copy", str(same), str(same))
    assert result.exit_code == 1 and "both the source and the target" in result.output


def test_a_password_never_appears_in_messages():
    from cspr.engine.store.postgres import describe

    assert describe("postgresql://app:s3cret@db.example:5433/cspr?sslmode=require") == \
        "postgresql://app@db.example:5433/cspr?sslmode=require"
    assert describe("postgresql://app@/cspr?host=/run/x") == "postgresql://app@/cspr?host=/run/x"


def test_without_postgresql_the_tests_skip_saying_how_unless_services_are_required():
    import os
    import subprocess
    import sys

    test = "tests/test_store_contract.py::test_an_unknown_case_reads_as_nothing"
    env = {k: v for k, v in os.environ.items() if k != "CSPR_REQUIRE_SERVICES"} | {"CSPR_PG_BINDIR": "/nonexistent"}
    run = lambda extra: subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", test],  # noqa: E731
                                       cwd=ROOT, env=env | extra, capture_output=True, text=True)
    skipped = run({})
    assert skipped.returncode == 0 and "1 passed, 1 skipped" in skipped.stdout, skipped.stdout
    assert "apt-get install postgresql" in skipped.stdout
    required = run({"CSPR_REQUIRE_SERVICES": "1"})
    assert required.returncode == 1 and "CSPR_REQUIRE_SERVICES=1, but PostgreSQL's server programs were not found" \
        in required.stdout, required.stdout


def test_a_new_sqlite_file_created_by_another_process_meanwhile_is_opened(tmp_path):
    """CI once saw eight processes create one new file at once: one read the application id (0, the file
    still empty), another created the tables, and the first then saw tables under id 0 and called the
    file foreign. The id and the tables are now read in one snapshot; here the other writer strikes in
    between the two reads."""
    import sqlite3

    from cspr.engine.store.sqlite import SqliteStore

    path = tmp_path / "cases.db"
    other = threading.Thread(target=lambda: open_store(str(path), create=True).close())

    class Interrupted(SqliteStore):
        def _prepare(self) -> None:
            def strike(statement: str) -> None:
                if "sqlite_master" in statement and not other.is_alive() and other.ident is None:
                    other.start()
                    other.join(timeout=1.0)  # a second is ample to create the schema unless it is held off
            self.conn.set_trace_callback(strike)
            try:
                super()._prepare()
            finally:
                self.conn.set_trace_callback(None)

    store = Interrupted(path, create=True)
    try:
        assert store.conn.execute("PRAGMA application_id").fetchone()[0] != 0
    finally:
        store.close()
    other.join(timeout=30)
    assert not other.is_alive() and other.ident is not None
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] > 0


def test_migration_13_fills_the_condition_of_a_paused_deadline_too():
    """A deadline whose clock is stopped is not open, but its condition is stored all the same: the migration
    replays every case with a deadline not met and not ruled out, or 'audit verify' would find it differing."""
    from cspr.engine.definition.loader import load_text
    from cspr.engine.store.migrations import _fill_conditions
    from cspr.engine.store.sqlite import SqliteStore

    text = (ROOT / "tests" / "fixtures" / "processes" / "dhr.yaml").read_text()
    edits = [
        ("  criminal_proceedings: {type: boolean, label: Criminal proceedings under way}",
         "  criminal_proceedings: {type: boolean, label: Criminal proceedings under way}\n"
         "  inquest_open: {type: boolean, label: Inquest open}"),
        ("criteria:\n  s9_age:",
         "criteria:\n  in_proceedings:\n    title: Proceedings under way\n    description: an inquest is open\n"
         "    rule: {fact: inquest_open, equals: true}\n    cite: {source: ho_guidance_2016, verified: false}\n"
         "  s9_age:"),
        ("    met_by: report_submitted\n    warn: {calendar_days: 28}",
         "    met_by: report_submitted\n    applies_when: [in_proceedings]\n    warn: {calendar_days: 28}"),
    ]
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    definition = load_text(text, "dhr with a condition")
    store = SqliteStore.in_memory()
    book = Casebook(store, today=dt.date(2025, 7, 1), actor="test", against_installed=False)
    ref = "DHR-2025-01"
    book.open_case(ref, definition, dt.date(2025, 4, 5),
                   values={"died_on": "2025-04-02", "born_on": "1990-06-01", "relationship": "relative",
                           "agencies_involved": 2, "criminal_proceedings": False},
                   parties=["csp_chair=Northtown CSP"])
    book.signoff(ref, "csp_chair", on=dt.date(2025, 5, 8))
    book.record(ref, "review_decided", on=dt.date(2025, 5, 8))
    book.record(ref, "proceedings_started", on=dt.date(2025, 6, 1))
    paused = "SELECT deadline, condition FROM deadline_view WHERE settled = 'paused'"
    expected = store.conn.execute(paused).fetchall()
    assert expected and all(condition and "Proceedings under way" in condition for _, condition in expected)
    store.conn.execute("UPDATE deadline_view SET condition = NULL")
    _fill_conditions(store.conn)
    assert store.conn.execute(paused).fetchall() == expected
    store.close()
