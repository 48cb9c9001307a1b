"""Shared test helpers: the real CLI through click's CliRunner, fixture paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

# Keep the holiday cache, the key that seals databases and the anchor log of this test run apart from the
# user's own (subprocesses inherit them). One anchor log serves every database of the run: lines name theirs.
_RUN = Path(__import__("tempfile").mkdtemp(prefix="cspr-test-run-"))
os.environ.setdefault("CSPR_CACHE_DIR", str(_RUN / "cache"))
os.environ.setdefault("CSPR_KEY_FILE", str(_RUN / "config" / "key"))
os.environ.setdefault("CSPR_ANCHOR_LOG", str(_RUN / "anchors.log"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Hypothesis: "default" for a developer (random, remembered failures); "ci" (set by .ci/run) is fixed and
# thorough: derandomized, so a run's result never depends on a seed or on examples saved by earlier runs, and
# each property test tries EXAMPLE_SCALE times the examples it asks for (see examples()).
settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True, database=None,
                          max_examples=200)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)
EXAMPLE_SCALE = 2 if PROFILE == "ci" else 1


def examples(count: int) -> int:
    """How many examples a property test tries: ``count``, more under the CI profile."""
    return count * EXAMPLE_SCALE


def dump(path) -> str:
    """Every row of every table of a database: a refused command must leave this unchanged."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


REQUIRE_SERVICES = os.environ.get("CSPR_REQUIRE_SERVICES") == "1"


def unavailable(why: str) -> None:
    """A real service a test needs is missing: skip with how to enable it, or fail under CSPR_REQUIRE_SERVICES=1."""
    if REQUIRE_SERVICES:
        pytest.fail(f"CSPR_REQUIRE_SERVICES=1, but {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway PostgreSQL server for the whole run, with a template database holding cspr's schema
    (owned by cspr_owner, cspr_app granted what cspr needs), copied for each test."""
    from .helpers import pgserver

    why = pgserver.missing()
    if why:
        unavailable(why)
    server = pgserver.Server().start()
    try:
        from cspr.engine.store.interface import open_store
        from cspr.engine.store.postgres import grant

        server.create_database("cspr_template")
        store = open_store(server.url("cspr_template", pgserver.OWNER), create=True)
        grant(store, pgserver.APP, "write")
        store.close()
        yield server
    finally:
        server.stop()


_databases = iter(range(1, 1_000_000))


@pytest.fixture
def pg_database(pg_server):
    """A fresh PostgreSQL database with cspr's schema, used as the application's role."""
    from .helpers.databases import PostgresDatabase

    name = f"test_{next(_databases)}"
    pg_server.create_database(name, template="cspr_template")
    yield PostgresDatabase(pg_server, name, pg_server.url(name))
    pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A fresh database on each engine in turn: the same test runs on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        from .helpers.databases import SqliteDatabase

        return SqliteDatabase(tmp_path / "cases.db")
    return request.getfixturevalue("pg_database")


def run_cli(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run `cspr ARGS` in-process through the real click entry point."""
    from cspr.cli.app import cli

    runner = CliRunner()
    return runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def cspr():
    return run_cli


@pytest.fixture
def minimal_text() -> str:
    return (FIXTURES / "minimal.yaml").read_text()


@pytest.fixture(scope="session")
def _demo_original(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo-original") / "demo.db"
    result = run_cli("demo", "--db", str(path))
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def demo_db(_demo_original, tmp_path, monkeypatch):
    """A fresh copy of the demo database (made once per run: the demo takes a second), with its own copy of the
    anchor log (a copy of a database is the same database: writing to two copies would fork its history)."""
    path = tmp_path / "demo.db"
    copy_database_file(_demo_original, path)
    log = tmp_path / "anchors.log"
    log.write_bytes(Path(os.environ["CSPR_ANCHOR_LOG"]).read_bytes())
    monkeypatch.setenv("CSPR_ANCHOR_LOG", str(log))
    return path


def copy_database_file(source, target) -> None:
    """Copy an SQLite database as it stands (its write-ahead log included), owner-only like the original."""
    import sqlite3

    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)


@pytest.fixture(scope="session")
def _pg_demo_template(pg_server):
    """The demo in a PostgreSQL database, once per run, to be copied by each test that needs it; with the
    anchor log as the demo left it."""
    result = run_cli("demo", "--db", pg_server.url(pg_server.create_database("cspr_demo", template="cspr_template")))
    assert result.exit_code == 0, result.output
    return "cspr_demo", Path(os.environ["CSPR_ANCHOR_LOG"]).read_bytes()


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_database(request, tmp_path, monkeypatch):
    """The demo's four cases on each engine in turn (a fresh copy for each test, with its own anchor log)."""
    from .helpers.databases import PostgresDatabase, SqliteDatabase

    if request.param == "sqlite":
        return SqliteDatabase(request.getfixturevalue("demo_db"))
    server = request.getfixturevalue("pg_server")
    template, log = request.getfixturevalue("_pg_demo_template")
    name = f"test_{next(_databases)}"
    server.create_database(name, template=template)
    (tmp_path / "anchors.log").write_bytes(log)
    monkeypatch.setenv("CSPR_ANCHOR_LOG", str(tmp_path / "anchors.log"))
    request.addfinalizer(lambda: server.drop_database(name))
    return PostgresDatabase(server, name, server.url(name))
