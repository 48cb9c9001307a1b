"""The case commands: cspr case open|record|signoff|note|fact|show|list, cspr deadlines, cspr rebuild.

Nothing here knows a process: the opening date is the process's own opening
fact (``--on DATE``, or ``--fact NAME=DATE``, or another name for ``--on`` the
process declares), and the process is the one named with ``--process`` or the
one whose reference pattern matches the case's reference.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from .context import casebook, casebook_first_in_memory, db_option, today
from .groups import LazyGroup
from .output import ISO_DATE, comma_list, emit_json, emit_lines, json_option, say

MAX_FACTS_FILE = 1_000_000

_fact_option = click.option(
    "--fact", "assignments", multiple=True, metavar="NAME=VALUE",
    help="Record a fact (repeatable). Lists are comma-separated; NAME= clears a fact.",
)
_facts_file_option = click.option(
    "--facts", "facts_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE",
    help="A YAML or JSON file of NAME: VALUE facts; --fact values override it.",
)
_on_option = click.option("--on", "on", type=ISO_DATE, help="The date it happened (default: today).")
_by_option = click.option("--by", "by", metavar="ROLE", help="The role that did it (see 'cspr process show').")
_note_option = click.option("--note", "note", metavar="TEXT", help="A note kept with this step in the history.")


def _facts_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    from cspr.engine.definition.yamlsafe import parse_yaml
    from cspr.engine.errors import InputError
    from cspr.engine.files import read_bounded

    parsed, problems = parse_yaml(read_bounded(path, MAX_FACTS_FILE, "a facts file"), str(path), what="a facts file")
    if problems:
        raise InputError(str(problems[0]))
    data: dict[str, Any] = parsed.data
    return data


def _summary(book: Any, ref: str, as_json: bool, headline: str) -> None:
    from cspr.engine.runtime.deadlines import DeadlineStatus

    view = book.show(ref)
    if as_json:
        emit_json(view.as_dict())
        return
    case, d = view.case, view.case.definition
    say(f"{headline}; now at '{d.states[case.state].title}'")
    for s in view.deadlines:
        if (s.status.open or s.status is DeadlineStatus.MET_LATE
                or (s.status is DeadlineStatus.MET and s.timing.met_on == case.history[-1].on)):
            say(f"  {s.status.label}: {s.timing.title}, due {s.timing.due}: {s.detail}")
    ready = [s.event for s in case.next_steps() if s.ready]
    blocked = [s.event for s in case.next_steps() if not s.ready]
    if ready:
        say(f"  ready next: {', '.join(ready)}")
    if blocked:
        say(f"  blocked: {', '.join(blocked)} (see 'cspr case show {ref}')")


# 'migrate', 'redact' and 'report' live with the editions, audit and report commands; 'extend' and 'party'
# with the tasks
@click.group(cls=LazyGroup, lazy={"migrate": "cspr.cli.editions:case_migrate", "redact": "cspr.cli.audit:case_redact",
                                  "report": "cspr.cli.reports:case_report", "extend": "cspr.cli.casework:case_extend",
                                  "party": "cspr.cli.casework:case_party"})
def case() -> None:
    """Open cases, record what happens, and see where each stands."""


@case.command("open", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("ref")
@click.option("--on", "on", type=ISO_DATE,
              help="The opening date: the process's opening fact, day 0 of its first deadlines (or --fact NAME=DATE).")
@click.option("--process", "process_spec", metavar="FILE|ID[@VERSION]",
              help="The process (default: the one whose reference pattern matches REF, in effect on the opening date).")
@_fact_option
@_facts_file_option
@click.option("--party", "parties", multiple=True, metavar="ROLE=NAME",
              help="The organisation filling a role of the case (repeatable), e.g. --party local_authority=\"Name\".")
@click.option("--linked", "linked", multiple=True, callback=comma_list, metavar="REF",
              help="Another case this one is linked with, e.g. a joint review (repeatable).")
@_by_option
@_note_option
@db_option
@json_option
@click.pass_context
def case_open(ctx: click.Context, ref: str, on: dt.date | None, process_spec: str | None,
              assignments: tuple[str, ...], facts_file: Path | None, parties: tuple[str, ...], linked: tuple[str, ...],
              by: str | None, note: str | None, db_path: str | None, as_json: bool) -> None:
    """Open case REF under its process, from its opening date.

    REF is the case's own reference; it must match the process's reference
    pattern. The process is the one named with --process, else the one whose
    reference pattern matches REF, in the version in effect on the opening
    date. A process may give --on another name (see 'cspr process show')."""
    from cspr.engine.definition.catalog import for_reference, in_effect
    from cspr.engine.errors import ProcessNotFound

    ref, extras = _split_extras(ref, ctx.args)
    versions = for_reference(ref, process_spec)
    opened_on = _opening_date(versions, on, assignments, extras)
    pinned = process_spec is not None and (len(versions) == 1)
    definition = versions[0] if pinned else in_effect(versions, opened_on)
    if definition is None:
        first = min(d.effective_from for d in versions)
        raise ProcessNotFound(f"no version of {versions[0].id} was in effect on {opened_on.isoformat()} "
                              f"(the first starts {first.isoformat()})")
    values = _facts_file(facts_file)
    with casebook_first_in_memory(db_path) as trial:  # a refused first case leaves no new database file
        if trial is not None:
            trial.open_case(ref, definition, opened_on, values=values, assignments=assignments, note=note, by=by,
                            parties=parties, linked=linked)
    with casebook(db_path, create=True) as book:
        book.open_case(ref, definition, opened_on, values=values, assignments=assignments, note=note, by=by,
                       parties=parties, linked=linked)
        label = definition.facts[definition.opening.date_fact].label
        _summary(book, ref, as_json, f"{ref}: opened under {definition.label} on {opened_on.isoformat()} ({label})")


def _split_extras(ref: str, args: list[str]) -> tuple[str, dict[str, str]]:
    """The case reference, and the options click did not know (a process's own name for --on)."""
    tokens = [ref, *args]
    positional: list[str] = []
    options: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("--"):
            name, sep, value = token[2:].partition("=")
            if not sep:
                if i + 1 >= len(tokens):
                    raise click.UsageError(f"option --{name} needs a value")
                value, i = tokens[i + 1], i + 1
            options[name] = value
        else:
            positional.append(token)
        i += 1
    if len(positional) != 1:
        raise click.UsageError(f"give one case reference (got {len(positional)}: {' '.join(positional) or 'none'})")
    return positional[0], options


def _opening_date(versions: list[Any], on: dt.date | None, assignments: tuple[str, ...],
                  extras: dict[str, str]) -> dt.date:
    """The opening date: --on, the process's own name for it, or --fact with the opening fact."""
    from .output import parse_iso_date

    newest = max(versions, key=lambda d: d.effective_from)
    aliases = {d.opening.option for d in versions if d.opening.option}
    given: list[tuple[str, str]] = [("--on", on.isoformat())] if on else []
    for name, value in extras.items():
        if name not in aliases:
            hint = f" (this process also calls --on --{' --'.join(sorted(aliases))})" if aliases else ""
            raise click.UsageError(f"no such option: --{name}{hint}")
        given.append((f"--{name}", value))
    fact_ids = {d.opening.date_fact for d in versions}
    for text in assignments:
        name, sep, value = text.partition("=")
        if sep and name.strip() in fact_ids:
            given.append((f"--fact {name.strip()}", value))
    if not given:
        label = newest.facts[newest.opening.date_fact].label
        raise click.UsageError(f"give the opening date with --on DATE ('{label}', the fact "
                               f"{newest.opening.date_fact} of {newest.id})")
    dates = set()
    for where, value in given:
        try:
            dates.add(parse_iso_date(value.strip()))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint=where) from None
    if len(dates) > 1:
        from cspr.engine.errors import InputError

        raise InputError(f"the opening date is given twice, differently: {', '.join(w for w, _ in given)}")
    return dates.pop()


@case.command("record")
@click.argument("ref")
@click.argument("event")
@_on_option
@_by_option
@_fact_option
@_facts_file_option
@_note_option
@db_option
@json_option
def case_record(ref: str, event: str, on: dt.date | None, by: str | None, assignments: tuple[str, ...],
                facts_file: Path | None, note: str | None, db_path: str | None, as_json: bool) -> None:
    """Record EVENT for case REF, if the process allows it now.

    It must be possible now, by that role, with its facts, criteria and
    sign-offs in place; if not, nothing is recorded and every missing thing is
    named."""
    values = _facts_file(facts_file)
    with casebook(db_path) as book:
        book.record(ref, event, on=on, by=by, values=values, assignments=assignments, note=note)
        when = (on or book.today).isoformat()
        _summary(book, ref, as_json, f"{ref}: recorded '{event}' on {when}")


@case.command("signoff")
@click.argument("ref")
@click.argument("role")
@click.option("--party", "party", metavar="NAME",
              help="Where several organisations fill ROLE in this case: which of them signs off (each must).")
@_on_option
@_note_option
@db_option
@json_option
def case_signoff(ref: str, role: str, party: str | None, on: dt.date | None, note: str | None, db_path: str | None,
                 as_json: bool) -> None:
    """Record ROLE's agreement to the step at hand for case REF.

    Sign-offs count until the case moves on. Where the process names the
    organisation filling ROLE case by case, the sign-off is that organisation's."""
    with casebook(db_path) as book:
        book.signoff(ref, role, on=on, note=note, party=party)
        when = (on or book.today).isoformat()
        signed = book.load(ref).signoffs[role]
        who = signed.data.get("party") or role
        _summary(book, ref, as_json, f"{ref}: {who} signed off on {when}")


@case.command("note")
@click.argument("ref")
@click.argument("text")
@_on_option
@_by_option
@db_option
@json_option
def case_note(ref: str, text: str, on: dt.date | None, by: str | None, db_path: str | None, as_json: bool) -> None:
    """Add a note to the history of case REF (allowed in any state)."""
    with casebook(db_path) as book:
        book.note(ref, text, on=on, by=by)
        _summary(book, ref, as_json, f"{ref}: note added")


@case.command("fact")
@click.argument("ref")
@click.argument("assignments", nargs=-1, metavar="NAME=VALUE...")
@click.option("--fact", "more", multiple=True, metavar="NAME=VALUE", help="Another fact (the same as NAME=VALUE).")
@_facts_file_option
@_on_option
@_by_option
@_note_option
@db_option
@json_option
def case_fact(ref: str, assignments: tuple[str, ...], more: tuple[str, ...], facts_file: Path | None,
              on: dt.date | None, by: str | None, note: str | None, db_path: str | None, as_json: bool) -> None:
    """Record or correct facts of case REF, in any state (NAME= clears one)."""
    values = _facts_file(facts_file)
    with casebook(db_path) as book:
        book.set_facts(ref, values=values, assignments=assignments + more, on=on, by=by, note=note)
        _summary(book, ref, as_json, f"{ref}: facts recorded")


@case.command("show")
@click.argument("ref")
@db_option
@json_option
def case_show(ref: str, db_path: str | None, as_json: bool) -> None:
    """Where case REF stands, and what blocks its next steps.

    State and stage, deadlines with due dates and status, next steps and what
    blocks them, facts, criteria, history."""
    from .case_text import case_lines

    with casebook(db_path) as book:
        view = book.show(ref)
        if as_json:
            emit_json(view.as_dict())
        else:
            emit_lines(case_lines(view))


@case.command("list")
@click.option("--state", help="Only cases in this state (an id from 'cspr process show').")
@click.option("--stage", help="Only cases in this stage.")
@click.option("--overdue", is_flag=True, help="Only cases with an overdue deadline.")
@click.option("--open", "only_open", is_flag=True, help="Only cases not yet closed.")
@db_option
@json_option
def case_list(state: str | None, stage: str | None, overdue: bool, only_open: bool, db_path: str | None,
              as_json: bool) -> None:
    """Every case, with its state, its next deadline and how many are overdue."""
    from .case_text import list_lines

    with casebook(db_path) as book:
        rows = book.list_cases(state=state, stage=stage, overdue=overdue, include_closed=not only_open)
        if as_json:
            emit_json(rows)
        else:
            emit_lines(list_lines(rows, book.today))


@click.command()
@click.option("--within", type=int, metavar="N", help="Only those due within N working days (overdue ones included).")
@click.option("--overdue", is_flag=True, help="Only overdue deadlines.")
@click.option("--ics", "ics", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write them to FILE as an iCalendar file for Outlook or Google Calendar (all-day events; "
                   "importing a newer file updates them).")
@db_option
@json_option
def deadlines(within: int | None, overdue: bool, ics: Path | None, db_path: str | None, as_json: bool) -> None:
    """Every open deadline across all cases, soonest first."""
    from .case_text import deadline_lines

    with casebook(db_path) as book:
        rows = book.open_deadlines(within=within, overdue=overdue)
        if ics is not None:
            from cspr.engine.casebook.queries import calendar_items

            from .reports import write_ics

            count = write_ics(calendar_items(book, within, overdue), ics)
            say(f"Wrote {count} open deadline{'s' if count != 1 else ''} to {ics}", err=True)
        if as_json:
            emit_json(rows)
        else:
            emit_lines(deadline_lines(rows, book.today))


@click.command()
@db_option
@json_option
def rebuild(db_path: str | None, as_json: bool) -> None:
    """Rebuild the case list and deadline tables from the event history.

    Puts back any append-only guard that is missing (after 'cspr audit verify'
    named it). Refuses, changing nothing, while the case list or the anchor log
    says the history was longer than it is: rebuilding would hide the deletion.
    A case whose history no longer replays is reported and keeps its rows, and
    the exit status is 1."""
    from .output import progress

    with casebook(db_path) as book:
        result = book.rebuild(progress=progress("Replaying cases"))
    if as_json:
        emit_json({"cases": result.cases, "ok": result.ok, "today": today(), "guards_restored": result.restored,
                   "failed": [{"case": ref, "message": message} for ref, message in result.failed],
                   "leftover": result.leftover})
    else:
        lines = [f"Put back the append-only guard {name}." for name in result.restored]
        done = result.cases - len(result.failed)
        lines += [f"Rebuilt the projections of {done}{f' of {result.cases}' if result.failed else ''} "
                  f"case{'s' if result.cases != 1 else ''} from their events."]
        lines += [f"FAILED {ref}: {message} (its listing rows were left as they were)" for ref, message in result.failed]
        emit_lines(lines)
        if result.leftover:
            say(f"Warning: {result.leftover}", err=True)
    click.get_current_context().exit(0 if result.ok else 1)
