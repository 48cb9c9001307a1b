"""`cspr demo`: realistic cases run end to end through the real engine and store."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .output import emit_lines, say

DEFAULT_DEMO_DB = "cspr-demo.db"


@click.command()
@click.option("--db", "db_path", default=None, metavar="FILE|URL",
              help=f"A new database for the demo cases: a file, or an empty PostgreSQL database (default: ./{DEFAULT_DEMO_DB}).")
@click.option("--cases", "count", type=click.IntRange(1, 10_000_000), default=None, metavar="N",
              help="Instead, generate N synthetic cases (random facts, routes and dates over five years).")
@click.option("--seed", type=int, default=2026, show_default=True, help="With --cases: the same seed gives the same cases.")
@click.option("--process", "process_spec", default=None, metavar="FILE|ID[@VERSION]",
              help="With --cases: the process whose versions the cases follow (default: the only one available).")
def demo(db_path: str | None, count: int | None, seed: int, process_spec: str | None) -> None:
    """Run a few example cases end to end on a new database.

    The cases (scenarios/demo.yaml) run on dates that cross bank holidays, and
    show what the office running the reviews would see: each step, a refused
    step and why, where each case stands, what is due and what is overdue.

    With --cases N, generate N synthetic cases through the same checks instead
    (for trying the commands at scale, and for the benchmarks). The demo never
    touches an existing database: give it a new file.
    """
    if count is not None:
        return _synthetic(db_path, count, seed, process_spec)
    from cspr.engine.casebook.book import Casebook
    from cspr.engine.casebook.scenario import Scenario
    from cspr.engine.definition.resources import scenario_path
    from cspr.engine.errors import CsprError

    from .case_text import case_lines, deadline_lines, list_lines

    scenario = Scenario.load(scenario_path("demo.yaml"))
    with _new_store(db_path) as (store, path):
        book = Casebook(store, today=scenario.today, actor="demo")
        definition = scenario.definition()
        say(f"cspr demo: {len(scenario.cases)} cases of '{definition.title}' ({definition.label}),")
        say(f"seen as on {scenario.today.isoformat()}, in the new database {path}.")
        about = {str(c["ref"]): c.get("about", "") for c in scenario.cases}
        current = None
        for outcome in scenario.run(book):
            if outcome.ref != current:
                current = outcome.ref
                say(f"\n=== {outcome.ref}: {about[outcome.ref]}")
            if outcome.failures:
                raise CsprError(f"the demo went wrong at {outcome.ref}: {'; '.join(outcome.failures)}")
            step = outcome.step
            when = str(step.get("on", "")) or " " * 10
            if outcome.action == "refused":
                say(f"{when}  REFUSED {step.get('event') or step.get('signoff')}: {outcome.message.split(': ', 2)[-1]}")
                say(f"{' ' * 10}  (nothing was recorded; the case shows what is missing)")
            elif outcome.action == "show":
                say(f"\n$ cspr case show {outcome.ref}")
                emit_lines(case_lines(book.show(outcome.ref)))
            elif outcome.action != "checked":
                verb = {"signoff": "signed off by", "facts": "facts recorded:", "note": "note:"}.get(outcome.action, outcome.action)
                say(f"{when}  {verb} {outcome.message}".rstrip())
        say(f"\n=== Where the cases stand on {scenario.today.isoformat()}")
        say("\n$ cspr case list")
        emit_lines(list_lines(book.list_cases(), book.today))
        say("\n$ cspr deadlines --within 10")
        emit_lines(deadline_lines(book.open_deadlines(within=10), book.today))
        say("\n$ cspr case list --overdue")
        emit_lines(list_lines(book.list_cases(overdue=True), book.today))
        last = str(scenario.cases[-1]["ref"])
        say(f"\nTry: {_program()} --db {path} --today {scenario.today.isoformat()} case show {last}")


def _program() -> str:
    """How to type ``cspr`` here: its name when it is on PATH, else the path it was run by."""
    invoked = Path(sys.argv[0])
    found = shutil.which("cspr")
    if found and invoked.exists() and Path(found).resolve() == invoked.resolve():
        return "cspr"
    if invoked.name == "cspr" and invoked.exists():
        try:
            return str(invoked.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(invoked)
    return "cspr" if found else f"{Path(sys.executable).name} -m cspr"


@contextmanager
def _new_store(db_path: str | None) -> Iterator[tuple[Any, str]]:
    """A new database for the demo and its final name: a file that does not exist yet, or a PostgreSQL
    database with no cases.

    A file is built under a temporary name (``NAME.partial``) and renamed only when
    the demo has finished, so an interrupted demo (``cspr demo | head -1``, Ctrl-C)
    leaves nothing behind and a rerun works.
    """
    from cspr.engine.errors import CsprError
    from cspr.engine.store.interface import is_postgresql, open_store

    ctx = click.get_current_context()
    spec = str(db_path or (ctx.find_root().obj or {}).get("db") or DEFAULT_DEMO_DB)
    if is_postgresql(spec):
        store = open_store(spec, create=True)
        try:
            if store.case_refs():
                raise CsprError(f"{store.location} already holds cases; the demo only writes to an empty database")
            yield store, store.location
        finally:
            store.close()
        return
    if Path(spec).exists():
        raise CsprError(f"{spec} already exists; the demo only writes to a new database file (delete it or choose another --db)")
    partial = f"{spec}.partial"
    _remove(partial)
    finished = False
    store = open_store(partial, create=True)
    try:
        yield store, spec
        finished = True
    finally:
        store.close()
        if finished:
            os.replace(partial, spec)
        _remove(partial)


def _remove(path: str) -> None:
    """Delete an SQLite file and its journal files, if there."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(path + suffix).unlink(missing_ok=True)


def _synthetic(db_path: str | None, count: int, seed: int, process_spec: str | None) -> None:
    import time

    from cspr.engine.casebook.bulk import BulkCasebook
    from cspr.engine.casebook.synthetic import generate
    from cspr.engine.definition.catalog import available, versions_of
    from cspr.engine.errors import ProcessNotFound

    from .context import today
    from .output import progress

    if process_spec is None:
        ids = sorted({d.id for d in available()})
        if len(ids) != 1:
            raise ProcessNotFound(f"{len(ids)} processes are available ({', '.join(ids) or 'none'}); name one with --process")
        process_spec = ids[0]
    definitions = versions_of(process_spec)
    day = today()
    from cspr.engine.casebook.book import real_today

    if day > real_today():  # refused before the database is even created
        from cspr.engine.casebook.book import RehearsalCannotWrite

        raise RehearsalCannotWrite(f"today is set to {day.isoformat()}, after the real date "
                                   f"({real_today().isoformat()}): a rehearsal of a future day can read but not "
                                   "write; nothing was created (leave out --today)")
    with _new_store(db_path) as (store, path):
        book = BulkCasebook(store, today=day, actor="synthetic")
        started = time.perf_counter()
        entries = generate(book, definitions, count, seed, progress=progress("Generating cases", minimum=1))
        seconds = time.perf_counter() - started
        counts = store.counts(today=book.today.isoformat())
        open_cases, overdue = counts["open"], counts["overdue"]
    say(f"Generated {count:,} synthetic cases ({entries:,} entries) in {path} in {seconds:.1f} s "
               f"({entries / seconds:,.0f} entries/s, every one checked by the engine).")
    say(f"{open_cases:,} are open, {overdue:,} with an overdue deadline, as on {book.today.isoformat()}.")
