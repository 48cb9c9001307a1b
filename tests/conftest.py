"""Shared test helpers: the real CLI through click's CliRunner, fixture paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

# Keep the holiday cache of this test run apart from the user's own.
os.environ.setdefault("CSPR_CACHE_DIR", str(Path(__import__("tempfile").mkdtemp(prefix="cspr-cache-"))))
FIXTURES = Path(__file__).resolve().parent / "fixtures"

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
def demo_db(_demo_original, tmp_path):
    """A fresh copy of the demo database (made once per run: the demo takes a second)."""
    import shutil

    path = tmp_path / "demo.db"
    shutil.copy2(_demo_original, path)
    return path
