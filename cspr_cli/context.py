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
    """``--db PATH``: the database file (default: $CSPR_DB, else ./cspr.db)."""
    return click.option(
        "--db", "db_path", type=click.Path(path_type=Path), default=None,
        help="Database file (default: $CSPR_DB, else ./cspr.db).",
    )(function)


def database_path(db_path: Path | None) -> Path:
    ctx = click.get_current_context()
    root = (ctx.find_root().obj or {}).get("db")
    return Path(db_path or root or os.environ.get("CSPR_DB") or DEFAULT_DB)


def today() -> dt.date:
    """The day the command works as of: --today, $CSPR_TODAY, else the real date."""
    ctx = click.get_current_context()
    given = (ctx.find_root().obj or {}).get("today")
    if given is not None:
        return given
    env = os.environ.get("CSPR_TODAY")
    if env:
        try:
            return parse_iso_date(env)
        except ValueError as exc:
            raise click.UsageError(f"CSPR_TODAY: {exc}") from None
    return dt.date.today()


def actor() -> str | None:
    """Who is typing: --actor, $CSPR_ACTOR, else None (the engine then asks the operating system)."""
    ctx = click.get_current_context()
    given = (ctx.find_root().obj or {}).get("actor") or os.environ.get("CSPR_ACTOR")
    if given is not None:
        given = given.strip()
        if not given or len(given) > 100 or any(ord(c) < 32 for c in given):
            raise click.BadParameter("give a name of 1 to 100 printable characters", param_hint="--actor")
    return given


@contextmanager
def casebook(db_path: Path | None, *, create: bool = False) -> Iterator[Any]:
    """Open the store and a Casebook on it for the length of one command."""
    from cspr.engine.casebook.book import Casebook
    from cspr.engine.store.sqlite import Store

    store = Store(database_path(db_path), create=create)
    try:
        yield Casebook(store, today(), actor())
    finally:
        store.close()
