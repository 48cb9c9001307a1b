"""Which database and which day a command works on, and the options that say so."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from .output import parse_iso_date

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_DB = "cspr.db"


def db_option(function: F) -> F:
    """``--db FILE|URL``: the database (default: $CSPR_DB, else ./cspr.db)."""
    return click.option(
        "--db", "db_path", default=None, metavar="FILE|URL",
        help="Database: an SQLite file, or postgresql://USER@HOST/NAME (default: $CSPR_DB, else ./cspr.db).",
    )(function)


def database_spec(db_path: str | Path | None) -> str:
    """The database a command works on: --db (the command's, else the top-level one), $CSPR_DB, ./cspr.db."""
    ctx = click.get_current_context()
    root = (ctx.find_root().obj or {}).get("db")
    return str(db_path or root or os.environ.get("CSPR_DB") or DEFAULT_DB)


def today() -> dt.date:
    """The day the command works as of: --today, $CSPR_TODAY, else the real date."""
    ctx = click.get_current_context()
    given = (ctx.find_root().obj or {}).get("today")
    if given is not None:
        day: dt.date = given
        return day
    env = os.environ.get("CSPR_TODAY")
    if env:
        try:
            return parse_iso_date(env)
        except ValueError as exc:
            raise click.UsageError(f"CSPR_TODAY: {exc}") from None
    return dt.date.today()


def actor() -> str:
    """Who is typing: --actor, $CSPR_ACTOR, else the operating-system user (the engine never guesses)."""
    ctx = click.get_current_context()
    given = (ctx.find_root().obj or {}).get("actor") or os.environ.get("CSPR_ACTOR")
    if given is not None:
        from cspr.engine.text import name_problem

        given = given.strip()
        problem = name_problem(given)
        if problem:
            raise click.BadParameter(f"give a name of 1 to 100 printable characters: {problem}", param_hint="--actor")
        return given
    from cspr.engine.casebook.book import default_actor

    return default_actor()


@contextmanager
def casebook_first_in_memory(db_path: str | Path | None) -> Iterator[Any | None]:
    """When the command would create a new SQLite file: a Casebook on a database in memory, to try the write on
    first, so that a refusal leaves no new file behind (the new file would be just as empty); else None."""
    from cspr.engine.store.interface import is_postgresql

    spec = database_spec(db_path)
    if is_postgresql(spec) or os.path.exists(spec):  # through a link, as the store decides whether to create
        yield None
        return
    from cspr.engine.casebook.book import Casebook
    from cspr.engine.store.sqlite import SqliteStore

    store = SqliteStore.in_memory()
    try:
        yield Casebook(store, today(), actor())
    finally:
        store.close()


@contextmanager
def casebook(db_path: str | Path | None, *, create: bool = False) -> Iterator[Any]:
    """Open the store and a Casebook on it for the length of one command."""
    from cspr.engine.casebook.book import Casebook
    from cspr.engine.store.interface import open_store

    store = open_store(database_spec(db_path), create=create)
    try:
        yield Casebook(store, today(), actor())
    finally:
        store.close()
