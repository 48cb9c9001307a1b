"""Commands about process definitions and the calendar: validate, process, calendar."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import click

from .groups import LazyGroup
from .output import ISO_DATE, emit_json, emit_lines, json_option, plural, say


def _shown(path: str | Path) -> str:
    """A path as the user would like to read it: relative to here when it is below here."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
    except (OSError, ValueError):
        return str(path)


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@json_option
@click.pass_context
def validate(ctx: click.Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Check process definitions (default: those in ./processes/).

    With no FILES: every file in ./processes/ when that folder exists here,
    else the installed ones.
    Prints 'OK <file> (<process id> <version>)' for each valid file, or each
    problem as '<file>:<line>:<col>: <path>: <message>', then which files
    were checked. A file with the id and version of an installed process
    but other rules is a problem too: a changed process needs a new version.
    Exit status 0 when all are valid, 1 when any is not.
    """
    from cspr.engine.definition.catalog import same_version_other_rules
    from cspr.engine.definition.loader import check_file
    from cspr.engine.errors import Problem

    targets, where = (list(files), "") if files else _default_targets()
    if not targets:
        raise click.UsageError(f"no definition files given and none found in {where}")
    results = []
    failed = False
    for path in targets:
        shown = _shown(path)
        definition, problems = check_file(path)
        problems = [dataclasses.replace(p, file=shown) for p in problems]
        clash = same_version_other_rules(definition) if definition is not None else None
        if definition is not None and clash is not None:
            line = next((n for n, text in enumerate(definition.source_text.splitlines(), 1)
                         if text.startswith("version:")), 1)
            problems = [Problem(shown, line, 1, "version", f"{definition.id} {definition.version} is already installed "
                                f"with other rules ({_shown(clash.file)}, content {clash.content_hash}); a changed "
                                "process needs a new version number", "checks")]
            definition = None
        failed |= definition is None
        results.append((shown, definition, problems))
    if as_json:
        emit_json([
            {
                "file": shown,
                "valid": definition is not None,
                "id": definition.id if definition else None,
                "version": definition.version if definition else None,
                "content_hash": definition.content_hash if definition else None,
                "problems": [p.as_dict() for p in problems],
            }
            for shown, definition, problems in results
        ])
    else:
        for shown, definition, problems in results:
            if definition is not None:
                say(f"OK {shown} ({definition.id} {definition.version})")
            else:
                for problem in problems:
                    say(str(problem))
        if failed:
            count = sum(len(p) for _, _, p in results)
            say(f"{count} problem{'s' if count != 1 else ''} found.", err=True)
        if where:
            say(f"Checked {plural(len(results), 'file')} in {where}.", err=True)
    ctx.exit(1 if failed else 0)


def _default_targets() -> tuple[list[Path], str]:
    """The files ``cspr validate`` checks when given none: ./processes/ when it exists, else the installed ones."""
    from cspr.engine.definition.resources import process_files, processes_dir

    here = Path("processes")
    if here.is_dir():
        return sorted(here.glob("*.yaml")) + sorted(here.glob("*/*.yaml")), "./processes/"
    return process_files(), f"the installed processes ({processes_dir()})"


@click.group(cls=LazyGroup)
def process() -> None:
    """Read a process definition."""


@process.command("show")
@click.argument("spec", metavar="[FILE|ID]", required=False)
@click.option("--unverified", is_flag=True,
              help="Only the readings not checked in the primary text (and unverified sources), each with its note.")
@json_option
def process_show(spec: str | None, unverified: bool, as_json: bool) -> None:
    """The process in words, from its stages to its sources.

    Stages, states, events with who performs them and what they require,
    deadlines, criteria, facts, roles and sources.

    FILE is a definition file; ID is an installed process id, optionally with
    '@VERSION'. Default: the installed process in effect today.
    """
    from cspr.engine.definition.catalog import resolve
    from cspr.engine.definition.describe import process_dict, process_lines

    definition = resolve(spec)
    if unverified:
        from cspr.engine.definition.readings import unverified as unverified_readings
        from cspr.engine.definition.readings import unverified_lines

        if as_json:
            emit_json({"process": {"id": definition.id, "version": definition.version},
                       "unverified": unverified_readings(definition)})
        else:
            emit_lines(unverified_lines(definition))
    elif as_json:
        emit_json(process_dict(definition))
    else:
        emit_lines(process_lines(definition))


def _calendar(spec: str | None):  # type: ignore[no-untyped-def]
    from cspr.engine.definition.workdays import WorkingCalendar

    if spec is None:
        return WorkingCalendar(), "England and Wales bank holidays"
    from cspr.engine.definition.catalog import resolve

    definition = resolve(spec)
    spec_ = definition.calendar
    closures = [c.date for c in spec_.closures]
    region = f"{spec_.country}-{spec_.subdivision}" if spec_.subdivision else spec_.country
    label = f"{region} holidays" + (f" and {len(closures)} local closures" if closures else "") + f" ({definition.label})"
    return WorkingCalendar(spec_.country, spec_.subdivision, closures), label


_process_option = click.option(
    "--process", "process_spec", metavar="FILE|ID",
    help="Use this process's calendar (holiday region and closures). Default: England and Wales.",
)


@click.group(cls=LazyGroup)
def calendar() -> None:
    """Working-day arithmetic: weekends and bank holidays are skipped.

    The start day is day 0, whatever kind of day it is."""


@calendar.command("add", context_settings={"ignore_unknown_options": True})
@click.argument("start", type=ISO_DATE, metavar="DATE")
@click.argument("n", type=click.IntRange(-3660, 3660), metavar="N")
@_process_option
@json_option
def calendar_add(start: dt.date, n: int, process_spec: str | None, as_json: bool) -> None:
    """The date N working days after DATE (before it, if N is negative)."""
    cal, label = _calendar(process_spec)
    result = cal.add_working_days(start, n)
    low, high = sorted((start, result))
    skipped = [(d, cal.holiday_name(d)) for d in cal.holidays_between(low + dt.timedelta(days=1), high)]
    if as_json:
        emit_json({
            "start": start, "working_days": n, "date": result, "weekday": result.strftime("%A"),
            "calendar": label, "holidays_skipped": [{"date": d, "name": name} for d, name in skipped],
        })
        return
    direction = "after" if n >= 0 else "before"
    say(f"{result.isoformat()} ({result.strftime('%A')}): {abs(n)} working day{'s' if abs(n) != 1 else ''} "
               f"{direction} {start.isoformat()} ({start.strftime('%A')})")
    for day, name in skipped:
        say(f"  skipped {day.isoformat()} {name}")
    say(f"  calendar: {label}")


@calendar.command("between")
@click.argument("start", type=ISO_DATE)
@click.argument("end", type=ISO_DATE)
@_process_option
@json_option
def calendar_between(start: dt.date, end: dt.date, process_spec: str | None, as_json: bool) -> None:
    """Count the working days from START to END.

    Those after START, up to and including END; negative when END is before START.
    """
    cal, label = _calendar(process_spec)
    count = cal.working_days_between(start, end)
    low, high = sorted((start, end))
    skipped = [(d, cal.holiday_name(d)) for d in cal.holidays_between(low + dt.timedelta(days=1), high)]
    if as_json:
        emit_json({
            "start": start, "end": end, "working_days": count, "calendar": label,
            "holidays_skipped": [{"date": d, "name": name} for d, name in skipped],
        })
        return
    say(f"{count} working day{'s' if abs(count) != 1 else ''} from {start.isoformat()} to {end.isoformat()}")
    for day, name in skipped:
        say(f"  skipped {day.isoformat()} {name}")
    say(f"  calendar: {label}")
