"""Commands about editions: cspr diff, cspr impact, cspr graph, cspr case migrate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from cspr.engine.runtime.deadlines import DeadlineStatus

from .context import casebook, database_spec, db_option
from .output import ISO_DATE, comma_list, emit_json, emit_lines, json_option, say


class DiffTrouble(click.ClickException):
    """diff(1) convention: trouble is exit status 2 (1 means 'differences')."""

    exit_code = 2


def _definition(spec: str, store: Any = None) -> Any:
    """A definition from a file, a version stored in the database, or an installed id[@version]."""
    from cspr.engine.definition.catalog import resolve
    from cspr.engine.definition.loader import load_file, load_text

    if Path(spec).exists() or spec.endswith((".yaml", ".yml")):
        return load_file(spec)
    if store is not None and "@" in spec:
        process_id, _, version = spec.partition("@")
        source = store.process_source(process_id, version)
        if source is not None:
            return load_text(source, f"stored {spec}")
    return resolve(spec)


def _store_if_any(db_path: str | None) -> Any:
    """The database, if there is one (a missing SQLite file is no database, not an error)."""
    from cspr.engine.store.interface import is_postgresql, open_store

    spec = database_spec(db_path)
    return open_store(spec) if is_postgresql(spec) or Path(spec).exists() else None


@click.command("diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text for a terminal, markdown for a report, json for tools.")
@click.option("--no-citations", "no_citations", is_flag=True,
              help="Leave out the changes that only change a citation (the summary still counts them).")
@db_option
@json_option
def diff_command(old: str, new: str, fmt: str, no_citations: bool, db_path: str | None, as_json: bool) -> None:
    """What changed between two versions of a process, in its own words.

    OLD and NEW are definition files, installed versions (ID@VERSION, e.g.
    cspr_pan_lancashire@2018.1) or versions stored in the database (--db).
    Comments, key order and layout are not differences. Exit status as
    diff(1), as for 'cspr impact': 0 no differences, 1 differences, 2 trouble.
    It starts with a summary: what changed in deadlines, criteria, roles and
    the route, and how many changes only change citations.
    """
    from cspr.engine.definition.diff import diff, text_lines
    from cspr.engine.errors import CsprError

    try:
        store = _store_if_any(db_path)
        try:
            before, after = _definition(old, store), _definition(new, store)
        finally:
            if store is not None:
                store.close()
    except CsprError as exc:
        raise DiffTrouble(str(exc)) from None
    changes = diff(before, after)
    hidden = 0
    if no_citations:
        hidden = sum(1 for c in changes if c.field == "cite")
        changes = [c for c in changes if c.field != "cite"]
    if as_json or fmt == "json":
        emit_json({
            "old": {"id": before.id, "version": before.version, "hash": before.content_hash, "file": before.file},
            "new": {"id": after.id, "version": after.version, "hash": after.content_hash, "file": after.file},
            "differences": len(changes), "citations_hidden": hidden, "changes": [c.as_dict() for c in changes],
        })
    else:
        emit_lines(text_lines(before, after, changes, markdown=fmt == "markdown", hidden_citations=hidden))
    click.get_current_context().exit(1 if changes else 0)


def _impact_lines(impact: Any) -> list[str]:
    old, new = impact.old, impact.new
    head = f"{impact.ref} ({old.version} → {new.version})"
    if not impact.fits and not impact.mapped:
        record = impact.failure.record
        return [f"{head}: history not valid under {new.label}",
                f"  first event that fails: #{record.seq} {record.label()} on {record.on.isoformat()}: "
                + "; ".join(b.message for b in impact.failure.blockers)]
    lines = [head + ("" if impact.changed else ": no change")]
    if impact.mapped:
        lines.append(f"  history does not fit; state mapped: {impact.state_before} → {impact.state_after}")
    elif impact.state_after != impact.state_before:
        lines.append(f"  state: {impact.state_before} → {impact.state_after}")
    for shift in impact.deadlines:
        if shift.changed:
            def show(day: dt.date | None, status: DeadlineStatus | None) -> str:
                return f"{day.isoformat() if day else '-'} ({status.label if status else 'none'})"

            lines.append(f"  deadline '{shift.title}': due {show(shift.due_before, shift.status_before)} → "
                         f"{show(shift.due_after, shift.status_after)}")
    if impact.steps_added:
        lines.append(f"  next steps that appear: {', '.join(impact.steps_added)}")
    if impact.steps_removed:
        lines.append(f"  next steps that disappear: {', '.join(impact.steps_removed)}")
    return lines


@click.command("impact")
@click.argument("new_file", metavar="NEW_FILE")
@db_option
@json_option
def impact_command(new_file: str, db_path: str | None, as_json: bool) -> None:
    """What a new version would change for each open case of its process.

    For each case: its state, each deadline's due date and status, and its next
    steps. Nothing is written. Exit status as 'cspr diff': 0 no case would
    change, 1 some would, 2 trouble."""
    from cspr.engine.errors import CsprError

    try:
        definition = _definition(new_file)
        with casebook(db_path) as book:
            impacts = book.impact(definition)
    except CsprError as exc:
        raise DiffTrouble(str(exc)) from None
    changed = sum(1 for i in impacts if i.changed)
    if as_json:
        emit_json({"new": {"id": definition.id, "version": definition.version, "hash": definition.content_hash},
                   "today": book.today, "cases": [i.as_dict() for i in impacts]})
        click.get_current_context().exit(1 if changed else 0)
    lines = [f"Impact of {definition.label} ({definition.content_hash[:19]}…) on {len(impacts)} open case"
             f"{'s' if len(impacts) != 1 else ''} of {definition.id}, as on {book.today.isoformat()}"]
    for impact in impacts:
        lines += [""] + _impact_lines(impact)
    lines += ["", f"{changed} of {len(impacts)} open case{'s' if len(impacts) != 1 else ''} would change. Nothing was written."]
    emit_lines(lines)
    click.get_current_context().exit(1 if changed else 0)


@click.command("graph")
@click.argument("spec", metavar="[FILE|ID]", required=False)
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True,
              help="mermaid (GitHub, GitLab, wikis) or dot (Graphviz).")
@json_option
def graph_command(spec: str | None, fmt: str, as_json: bool) -> None:
    """The process as a diagram, in Mermaid or DOT.

    States are grouped by stage, transitions labelled with event and role, and
    deadlines noted."""
    from cspr.engine.definition.catalog import resolve
    from cspr.engine.definition.graph import dot, graph_data, mermaid

    definition = resolve(spec)
    if as_json:
        emit_json(graph_data(definition))
        return
    say((mermaid if fmt == "mermaid" else dot)(definition), nl=False)


def _state_map(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source or not target:
            raise click.BadParameter(f"{pair!r}: write OLD_STATE=NEW_STATE", param_hint="--map")
        out[source.strip()] = target.strip()
    return out


@click.command("migrate")
@click.argument("ref")
@click.option("--to", "to", required=True, metavar="VERSION",
              help="The version to move to (of the case's own process), or a definition file.")
@click.option("--map", "pairs", multiple=True, callback=comma_list, metavar="OLD_STATE=NEW_STATE",
              help="Where the history does not fit: the new state for the case's current state.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--on", "on", type=ISO_DATE, help="The date of the decision to migrate (default: today).")
@db_option
@json_option
def case_migrate(ref: str, to: str, pairs: tuple[str, ...], dry_run: bool, on: dt.date | None,
                 db_path: str | None, as_json: bool) -> None:
    """Move case REF to another version of its process.

    Its history is replayed under the new version.

    A case whose history does not fit is refused with the reason, unless --map
    says which new state its current state becomes. The move is recorded in the
    history (who, when, from which hash to which).
    """
    state_map = _state_map(pairs)
    with casebook(db_path) as book:
        current = book.load(ref).definition
        spec = to if (Path(to).exists() or to.endswith((".yaml", ".yml")) or "@" in to) else f"{current.id}@{to}"
        definition = _definition(spec, book.store)
        impact = book.migrate(ref, definition, state_map, dry_run=dry_run, on=on)
    if as_json:
        emit_json({**impact.as_dict(), "dry_run": dry_run})
        return
    verb = "would move" if dry_run else "moved"
    emit_lines([f"{ref} {verb} from {impact.old.label} to {impact.new.label}"
                + (" (dry run: nothing was written)" if dry_run else "")] + _impact_lines(impact)[1:])
