"""A test's database, on either engine: where it is (``spec``, what --db takes) and raw access behind cspr's back.

``rows``/``execute`` run SQL directly (``?`` placeholders, the tables of the cspr
schema), as the file's owner in SQLite or the superuser in PostgreSQL;
``tamper`` does what an insider could: lift the append-only guard, change the
history, put the guard back. ``dump`` is every row of every table, to show a
refused command changed nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


class SqliteDatabase:
    engine = "sqlite"

    def __init__(self, path: Path):
        self.path = path
        self.spec = str(path)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def execute(self, *statements: str) -> None:
        conn = sqlite3.connect(self.path)
        try:
            for statement in statements:
                conn.execute(statement)
            conn.commit()
        finally:
            conn.close()

    def tamper(self, *statements: str) -> None:
        self.execute("DROP TRIGGER IF EXISTS events_append_only_update",
                     "DROP TRIGGER IF EXISTS events_append_only_delete", *statements)

    def dump(self) -> str:
        if not self.path.exists():
            return ""
        conn = sqlite3.connect(self.path)
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()


class PostgresDatabase:
    engine = "postgresql"

    def __init__(self, server: Any, name: str, spec: str):
        self.server, self.name, self.spec = server, name, spec

    def _connect(self):
        import psycopg

        return psycopg.connect(self.server.url(self.name, "cspr_admin"), autocommit=True,
                               options="-c search_path=cspr")

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._connect() as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()

    def execute(self, *statements: str) -> None:
        with self._connect() as conn, conn.transaction():
            for statement in statements:
                conn.execute(statement)

    def tamper(self, *statements: str) -> None:
        self.execute("ALTER TABLE events DISABLE TRIGGER USER", *statements, "ALTER TABLE events ENABLE TRIGGER USER")

    def dump(self) -> str:
        with self._connect() as conn:
            tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'cspr' "
                                                 "ORDER BY tablename").fetchall()]
            out = []
            for table in tables:
                rows = conn.execute(f"SELECT * FROM {table}").fetchall()
                out += [f"{table}: {row!r}" for row in sorted(rows, key=repr)]
            return "\n".join(out)
