"""Commands about the database itself: cspr db init (a PostgreSQL schema and its roles), cspr db copy."""

from __future__ import annotations

from typing import Any

import click

from .context import database_spec, db_option
from .output import comma_list, emit_json, emit_lines, json_option, plural, progress


@click.group()
def db() -> None:
    """Set up a database, and copy one database to another.

    On PostgreSQL, setting up means the schema and who may use it.
    """


@db.command("init")
@click.option("--app", "apps", multiple=True, callback=comma_list, metavar="ROLE",
              help="A PostgreSQL role cspr will run as: it may add to the history but never change or delete it "
                   "(repeatable).")
@click.option("--reader", "readers", multiple=True, callback=comma_list, metavar="ROLE",
              help="A PostgreSQL role that may only read, e.g. for reports or a database administrator (repeatable).")
@db_option
@json_option
def db_init(apps: tuple[str, ...], readers: tuple[str, ...], db_path: str | None, as_json: bool) -> None:
    """Create or upgrade the database's schema, and say who may use it.

    On PostgreSQL, run it as the role that is to own the schema (not the one cspr
    runs as): it creates the schema 'cspr', applies every migration, and grants
    each --app role what cspr needs and each --reader role read access. Running it
    again upgrades the schema and re-grants. On SQLite it creates the file.
    """
    from cspr.engine.errors import InputError
    from cspr.engine.store.interface import is_postgresql, open_store

    spec = database_spec(db_path)
    if not is_postgresql(spec) and (apps or readers):
        raise InputError("--app and --reader are for PostgreSQL; an SQLite file belongs to the user who owns it")
    store = open_store(spec, create=True)
    try:
        if is_postgresql(spec):
            from cspr.engine.store.postgres import grant

            for role in apps:
                grant(store, role, "write")  # type: ignore[arg-type]
            for role in readers:
                grant(store, role, "read")  # type: ignore[arg-type]
        result = {"database": store.location, "engine": store.engine, "schema_version": store.schema_version,
                  "write": list(apps), "read": list(readers)}
    finally:
        store.close()
    if as_json:
        emit_json(result)
        return
    lines = [f"{result['database']}: cspr schema version {result['schema_version']} is in place."]
    lines += [f"  {role} may read the cases and add to their history, but never change or delete it." for role in apps]
    lines += [f"  {role} may read the cases." for role in readers]
    emit_lines(lines)


@db.command("copy")
@click.argument("source", metavar="SRC")
@click.argument("target", metavar="DST")
@json_option
def db_copy(source: str, target: str, as_json: bool) -> None:
    """Copy the whole database SRC into a new or empty database DST.

    Each is an SQLite file or a postgresql://… URL, either way round. The
    history is copied exactly as stored, with its hashes, and so are the web
    application's accounts; DST's case lists are rebuilt from it; then both
    ends are checked as 'cspr audit verify' checks
    them. Exit status 0 if both verify with the same chain head, 1 if not.
    """
    from cspr.engine.casebook.book import Casebook
    from cspr.engine.casebook.transfer import copy_database
    from cspr.engine.store.interface import open_store

    src = open_store(source)
    try:
        dst = open_store(target, create=True)
        try:
            counts = copy_database(src, dst, progress=progress("Replaying the copied cases"))
            reports = {"source": Casebook(src).verify(), "target": Casebook(dst).verify()}
            where = {"source": src.location, "target": dst.location}
        finally:
            dst.close()
    finally:
        src.close()
    ok = all(r.ok for r in reports.values()) and reports["source"].head == reports["target"].head
    if as_json:
        emit_json({**counts, "ok": ok, **{end: {"database": where[end], **r.as_dict()} for end, r in reports.items()}})
    else:
        lines = [f"Copied {plural(counts['entries'], 'entry', 'entries')} of {plural(counts['cases'], 'case')}, "
                 f"{plural(counts['processes'], 'process version')} and {plural(counts['accounts'], 'account')} "
                 f"from {where['source']} to {where['target']}."]
        lines += [_verdict(end, where[end], r) for end, r in reports.items()]
        if reports["source"].head != reports["target"].head:
            lines.append("FAILED: the two chain heads differ")
        emit_lines(lines)
    click.get_current_context().exit(0 if ok else 1)


def _verdict(end: str, where: str, report: Any) -> str:
    state = "intact" if report.ok else f"FAILED ({'; '.join(f.message for f in report.findings[:3]) or report.integrity})"
    return f"  {end} {where}: {report.entries:,} entries, {report.cases:,} cases, chain head {report.head}: {state}"
