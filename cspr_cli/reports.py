"""Commands for reports: cspr action, cspr report, cspr export, cspr case report, and the calendar file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from .context import casebook, db_option
from .groups import LazyGroup
from .output import ISO_DATE, comma_list, emit_json, emit_lines, json_option, json_text, plural, progress, say, write_private

_out_option = click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                           help="Write to FILE (created readable by its owner only). Default: standard output.")


# --- actions ---------------------------------------------------------------------------------


@click.group(cls=LazyGroup)
def action() -> None:
    """The actions agreed after a review: add, done, drop, list."""


@action.command("add")
@click.argument("ref")
@click.argument("text")
@click.option("--stage", required=True, help="The stage whose partners agreed it (see 'cspr process show').")
@click.option("--owner", required=True, metavar="ROLE", help="The owning agency (a role of the process).")
@click.option("--due", required=True, type=ISO_DATE, help="When it is due.")
@click.option("--agreed-by", "agreed_by", multiple=True, callback=comma_list, metavar="ROLE",
              help="A role that agreed it (repeat, or write A,B; the process says whose agreement is needed).")
@click.option("--on", "on", type=ISO_DATE, help="The date it was agreed (default: today).")
@db_option
@json_option
def action_add(ref: str, text: str, stage: str, owner: str, due: dt.date, agreed_by: tuple[str, ...],
               on: dt.date | None, db_path: str | None, as_json: bool) -> None:
    """Add an agreed action TEXT to case REF.

    Keep the names of people out of it."""
    from cspr.engine.casebook import actions

    with casebook(db_path) as book:
        action_id = actions.add(book, ref, stage, text, owner, due, agreed_by, on=on)
        rows = actions.listing(book, ref=ref, status="all")
    row = next(r for r in rows if r["action"] == action_id)
    if as_json:
        emit_json(row)
    else:
        say(f"{ref}: action {action_id} added, owned by {owner}, due {due.isoformat()}")


def _close(outcome: str, ref: str, action_id: str, reason: str | None, on: dt.date | None,
           db_path: str | None, as_json: bool) -> None:
    from cspr.engine.casebook import actions

    with casebook(db_path) as book:
        actions.close(book, ref, action_id, outcome, reason=reason, on=on)
        row = next(r for r in actions.listing(book, ref=ref, status="all") if r["action"] == action_id)
    if as_json:
        emit_json(row)
    else:
        say(f"{ref}: action {action_id} {outcome} on {row['closed_on']}")


@action.command("done")
@click.argument("ref")
@click.argument("action_id", metavar="ACTION")
@click.option("--note", "reason", help="How it was done.")
@click.option("--on", "on", type=ISO_DATE, help="The date it was done (default: today).")
@db_option
@json_option
def action_done(ref: str, action_id: str, reason: str | None, on: dt.date | None, db_path: str | None, as_json: bool) -> None:
    """Mark action ACTION (e.g. A1) of case REF done."""
    _close("done", ref, action_id, reason, on, db_path, as_json)


@action.command("drop")
@click.argument("ref")
@click.argument("action_id", metavar="ACTION")
@click.option("--reason", required=True, help="Why it is no longer to be done.")
@click.option("--on", "on", type=ISO_DATE, help="The date it was dropped (default: today).")
@db_option
@json_option
def action_drop(ref: str, action_id: str, reason: str, on: dt.date | None, db_path: str | None, as_json: bool) -> None:
    """Drop action ACTION of case REF, with the reason."""
    _close("dropped", ref, action_id, reason, on, db_path, as_json)


@action.command("list")
@click.option("--overdue", is_flag=True, help="Only open actions past their due date.")
@click.option("--case", "ref", metavar="REF", help="Only this case's actions.")
@click.option("--owner", metavar="ROLE", help="Only this owner's actions.")
@click.option("--status", type=click.Choice(["open", "done", "dropped", "all"]), default="open", show_default=True)
@db_option
@json_option
def action_list(overdue: bool, ref: str | None, owner: str | None, status: str, db_path: str | None, as_json: bool) -> None:
    """Agreed actions across cases, soonest due first."""
    from cspr.engine.casebook import actions
    from cspr.engine.runtime.kinds import ActionStatus

    from .case_text import table

    with casebook(db_path) as book:
        rows = actions.listing(book, overdue=overdue, ref=ref, owner=owner, status=status)
        today = book.today
    if as_json:
        emit_json(rows)
        return
    if not rows:
        say(f"No actions (today {today.isoformat()}).")
        return
    body = [[r["due"], ActionStatus.on(r["status"], r["due"], today).label, r["ref"], r["action"], r["owner"],
             (r["text"] or "(redacted)")[:60]] for r in rows]
    emit_lines(table(body, ["DUE", "STATUS", "REF", "ID", "OWNER", "ACTION"])
               + [f"{len(rows)} action{'s' if len(rows) != 1 else ''} (today {today.isoformat()})"])


# --- reports -----------------------------------------------------------------------------------


@click.group(cls=LazyGroup)
def report() -> None:
    """Reports for oversight: timeliness, and the open caseload."""


@report.command("timeliness")
@click.option("--from", "start", type=ISO_DATE, help="Only deadlines due on or after this date.")
@click.option("--to", "end", type=ISO_DATE, help="Only deadlines due on or before this date.")
@click.option("--by", "by", type=click.Choice(["month", "quarter", "year"]), help="Count by period of the due date.")
@db_option
@json_option
def report_timeliness(start: dt.date | None, end: dt.date | None, by: str | None, db_path: str | None,
                      as_json: bool) -> None:
    """How many deadlines were met on time, met late, or are overdue.

    For each deadline of the process: how many were met on time, met late (the
    median and the worst lateness, in working days unless the process counts
    that deadline in calendar days), are still open, or are overdue."""
    from cspr.engine.casebook.reports import timeliness

    from .case_text import table

    with casebook(db_path) as book:
        data = timeliness(book, start, end, by, progress=progress("Counting deadlines"))
    if as_json:
        emit_json(data)
        return
    if data["from"] or data["to"]:
        span = f"deadlines due {data['from'] or 'any time'} to {data['to'] or 'any time'}"
    else:
        span = "all deadlines"
    body = [[r["period"], r["title"], str(r["due"]), str(r["met_on_time"]), str(r["met_late"]),
             _late(r["median_late"], r["late_in"]), _late(r["worst_late"], r["late_in"]),
             str(r["open"]), str(r["overdue"]),
             "" if r["on_time_percent"] is None else f"{r['on_time_percent']:g}%"] for r in data["rows"]]
    header = ["PERIOD", "DEADLINE", "DUE", "ON TIME", "LATE", "MEDIAN LATE", "WORST LATE", "OPEN", "OVERDUE NOW", "ON TIME %"]
    if any(r["extended"] for r in data["rows"]):  # counted against the agreed dates and against the statutory ones
        for line, r in zip(body, data["rows"], strict=True):
            line[4:4] = [str(r["met_within_extension"])]
            line.append("" if r["statutory_on_time_percent"] is None else f"{r['statutory_on_time_percent']:g}%")
        header[4:4] = ["WITHIN EXTENSION"]
        header.append("BY STATUTORY DATE %")
    units = "working days" + (", or calendar days where a row says so" if any(
        r["late_in"] != "working_days" for r in data["rows"]) else "")
    emit_lines([f"Timeliness of {span} (today {data['today'].isoformat()}; late counted in {units})", ""]
               + table(body, header))


def _late(value: float | None, unit: str) -> str:
    """A lateness in a timeliness row: the number alone in working days, else with its unit."""
    if value is None:
        return ""
    return f"{value:g}" if unit == "working_days" else f"{value:g} calendar days"


@report.command("overview")
@click.option("--html", "html", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write a self-contained HTML report (printable on A4).")
@db_option
@json_option
def report_overview(html: Path | None, db_path: str | None, as_json: bool) -> None:
    """Open cases: what is overdue, what is due this week, who it waits on."""
    from cspr.engine.casebook import actions
    from cspr.engine.casebook.reports import overview
    from cspr.engine.render.htmlreport import overview_report

    with casebook(db_path) as book:
        data = overview(book, progress=progress("Reading open cases"))
        open_actions = actions.listing(book, status="open")
    if html is not None:
        write_private(html, overview_report(data, open_actions, dt.datetime.now(dt.UTC)))
        say(f"Wrote the overview of {plural(len(data['cases']), 'open case')} to {html}")
    elif as_json:
        emit_json({**data, "overdue_actions": [a for a in open_actions if a["overdue"]]})
    else:
        lines = [f"{plural(len(data['cases']), 'open case')} on {data['today'].isoformat()}"]
        for c in data["cases"]:
            flags = []
            if c["overdue"]:
                flags.append(f"{len(c['overdue'])} overdue")
            if c["due_this_week"]:
                flags.append(f"{len(c['due_this_week'])} due this week")
            lines.append(f"  {c['ref']}: {c['state_title']}" + (f" [{', '.join(flags)}]" if flags else ""))
            for who, what in c["waiting_on"].items():
                lines.append(f"    waiting on {who}: {'; '.join(what)}")
        emit_lines(lines)


# --- exports ------------------------------------------------------------------------------------


@click.command("export")
@click.argument("what", type=click.Choice(["cases", "deadlines", "actions"]))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="csv opens in Excel (UTF-8 with BOM, ISO dates); json is for tools.")
@_out_option
@db_option
@json_option
def export_command(what: str, fmt: str, out: Path | None, db_path: str | None, as_json: bool) -> None:
    """Every case, deadline or action as a table, for a spreadsheet.

    --json is the same as --format json."""
    fmt = "json" if as_json else fmt
    from cspr.engine.casebook.reports import table

    with casebook(db_path) as book:
        rows = table(book, what)
    from cspr.engine.render.spreadsheet import csv_text

    text = csv_text(rows) if fmt == "csv" else json_text(rows) + "\n"
    if out is None:
        click.echo(text, nl=False)  # a CSV's cells, like JSON's strings, cannot hold a raw control character
    else:
        write_private(out, text, encoding="utf-8", newline="")
        say(f"Wrote {plural(len(rows), what[:-1])} to {out}", err=True)


def write_ics(items: list[dict[str, Any]], path: Path) -> int:
    """Open deadlines (from Casebook.calendar_items) as an iCalendar file."""
    from cspr.engine.render.ical import calendar

    write_private(path, calendar(items, dt.datetime.now(dt.UTC)), newline="")
    return len(items)


# --- one case as a report ---------------------------------------------------------------------------


@click.command("report")
@click.argument("ref")
@click.option("--html", "html", type=click.Path(dir_okay=False, path_type=Path), required=True, metavar="FILE",
              help="The HTML file to write (self-contained, printable on A4).")
@db_option
def case_report(ref: str, html: Path, db_path: str | None) -> None:
    """Write case REF as one self-contained HTML report.

    Stage, facts, criteria, a timeline of events against deadlines, the process
    diagram with the case's state, actions, and the history with its hashes."""
    from cspr.engine.casebook import actions
    from cspr.engine.render.htmlreport import case_report as render

    with casebook(db_path) as book:
        view = book.show(ref)
        case_actions = actions.listing(book, ref=ref, status="all")
        entries = book.store.entries(ref)
    write_private(html, render(view, case_actions, entries, dt.datetime.now(dt.UTC)))
    say(f"Wrote the report of {ref} to {html}")
