"""Commands for the work around a case: cspr case extend, cspr case party, cspr task add|done|waive|list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from .context import casebook, db_option
from .groups import LazyGroup
from .output import ISO_DATE, emit_json, emit_lines, json_option

_on_option = click.option("--on", "on", type=ISO_DATE, help="The date it happened (default: today).")


@click.command("extend")
@click.argument("ref")
@click.argument("deadline")
@click.option("--to", "to", type=ISO_DATE, required=True, help="The new due date agreed.")
@click.option("--by", "by", required=True, metavar="ROLE", help="The role that agreed it (the process says which may).")
@click.option("--reason", required=True, help="Why it was agreed (e.g. the reference of the agreement).")
@click.option("--on", "on", type=ISO_DATE, help="The date it was agreed (default: today).")
@db_option
@json_option
def case_extend(ref: str, deadline: str, to: dt.date, by: str, reason: str, on: dt.date | None,
                db_path: str | None, as_json: bool) -> None:
    """Record a later due date for DEADLINE of case REF, agreed by ROLE.

    Only a deadline the process says may be extended, and only by a role it
    names. The statutory due date stays shown beside the agreed one, and
    reports count against both. DEADLINE is a deadline's id; for one counted
    from each occurrence of an event, ID#N names the N-th cycle."""
    from cspr.engine.casebook.extensions import extend

    with casebook(db_path) as book:
        done = extend(book, ref, deadline, to, by, reason, on=on)
    if as_json:
        emit_json(done)
    else:
        click.echo(f"{ref}: '{done['title']}' extended to {done['to']} as agreed by {done['agreed_by_name']} on "
                   f"{done['on'].isoformat()} (statutory date {done['statutory']})")


@click.command("party")
@click.argument("ref")
@click.argument("assignment", metavar="ROLE=NAME")
@_on_option
@click.option("--note", "note", metavar="TEXT", help="A note kept with it in the history.")
@db_option
@json_option
def case_party(ref: str, assignment: str, on: dt.date | None, note: str | None, db_path: str | None,
               as_json: bool) -> None:
    """Name the organisation that fills ROLE in case REF (or correct it).

    Only for roles the process fills case by case ('parties'); the history
    keeps who named it, when, and which organisation it replaced."""
    from cspr.engine.casebook.parties import name

    with casebook(db_path) as book:
        done = name(book, ref, assignment, on=on, note=note)
    if as_json:
        emit_json(done)
    else:
        replaced = f", replacing {done['replaces']}" if done["replaces"] else ""
        click.echo(f"{ref}: {done['organisation']} named as {done['role']}{replaced}")


@click.group(cls=LazyGroup)
def task() -> None:
    """Tasks the parties do in parallel, one each: add, done, waive, list."""


@task.command("add")
@click.argument("ref")
@click.argument("kind")
@click.option("--party", "party", required=True, metavar="NAME", help="The organisation that does it.")
@click.option("--due", "due", type=ISO_DATE, help="Its due date (default: the process's usual time for it).")
@click.option("--on", "on", type=ISO_DATE, help="The date it was asked for (default: today).")
@click.option("--note", "note", metavar="TEXT", help="A note kept with it in the history.")
@db_option
@json_option
def task_add(ref: str, kind: str, party: str, due: dt.date | None, on: dt.date | None, note: str | None,
             db_path: str | None, as_json: bool) -> None:
    """Add a task of KIND for one party of case REF (one per party per kind)."""
    from cspr.engine.casebook import tasks

    with casebook(db_path) as book:
        done = tasks.add(book, ref, kind, party, due=due, on=on, note=note)
    if as_json:
        emit_json(done)
    else:
        usual = "" if done["due_given"] else " (the process's usual time)"
        click.echo(f"{ref}: task {done['task']} added: {done['title']} from {done['party']}, due {done['due']}{usual}")


def _close(outcome: str, ref: str, task_id: str, reason: str | None, on: dt.date | None, db_path: str | None,
           as_json: bool) -> None:
    from cspr.engine.casebook import tasks

    with casebook(db_path) as book:
        done = tasks.close(book, ref, task_id, outcome, reason=reason, on=on)
    if as_json:
        emit_json(done)
    else:
        words = "received" if outcome == "done" else "waived"
        click.echo(f"{ref}: task {task_id} ({done['title']} from {done['party']}) {words} on {done['closed_on']}")


@task.command("done")
@click.argument("ref")
@click.argument("task_id", metavar="ID")
@click.option("--note", "reason", help="A note on what was received.")
@_on_option
@db_option
@json_option
def task_done(ref: str, task_id: str, reason: str | None, on: dt.date | None, db_path: str | None, as_json: bool) -> None:
    """Mark task ID (e.g. T1) of case REF received."""
    _close("done", ref, task_id, reason, on, db_path, as_json)


@task.command("waive")
@click.argument("ref")
@click.argument("task_id", metavar="ID")
@click.option("--reason", required=True, help="Why it is no longer expected.")
@_on_option
@db_option
@json_option
def task_waive(ref: str, task_id: str, reason: str, on: dt.date | None, db_path: str | None, as_json: bool) -> None:
    """Mark task ID of case REF no longer expected, with the reason."""
    _close("waived", ref, task_id, reason, on, db_path, as_json)


@task.command("list")
@click.option("--overdue", is_flag=True, help="Only open tasks past their due date.")
@click.option("--case", "ref", metavar="REF", help="Only this case's tasks.")
@click.option("--kind", metavar="KIND", help="Only tasks of this kind.")
@click.option("--status", type=click.Choice(["open", "done", "waived", "all"]), default="open", show_default=True)
@db_option
@json_option
def task_list(overdue: bool, ref: str | None, kind: str | None, status: str, db_path: str | None,
              as_json: bool) -> None:
    """Tasks across cases, soonest due first."""
    from cspr.engine.casebook import tasks

    from .case_text import table

    with casebook(db_path) as book:
        rows = tasks.listing(book, overdue=overdue, ref=ref, kind=kind, status=status)
        today = book.today
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo(f"No tasks (today {today.isoformat()}).")
        return
    body: list[list[Any]] = [[r["due"] or "-", r["status"].label, r["ref"], r["task"], r["party"] or "", r["title"]]
                             for r in rows]
    emit_lines(table(body, ["DUE", "STATUS", "REF", "ID", "PARTY", "TASK"])
               + [f"{len(rows)} task{'s' if len(rows) != 1 else ''} (today {today.isoformat()})"])
