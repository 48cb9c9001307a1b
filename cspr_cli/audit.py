"""Commands for auditors: cspr audit verify|anchor|export, and cspr case redact."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from .context import casebook, db_option
from .groups import LazyGroup
from .output import ISO_DATE, comma_list, emit_json, emit_lines, json_option, json_text, plural, say, write_private

ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@click.group(cls=LazyGroup)
def audit() -> None:
    """Check that the history is intact, and export it for others to check."""


@audit.command("verify")
@click.option("--anchor", "anchors", multiple=True, callback=comma_list, metavar="HASH",
              help="A chain head recorded earlier (by 'cspr audit anchor', in minutes): the history must still "
                   "pass through it.")
@db_option
@json_option
def audit_verify(anchors: tuple[str, ...], db_path: str | None, as_json: bool) -> None:
    """Re-check the hash chains, the anchors, the case tables and the database.

    Checks, as of one moment: every case's hash chain and every redaction; the
    database chain under the deployment's key ($CSPR_KEY_FILE); that the
    latest heads in the anchor log ($CSPR_ANCHOR_LOG) and every --anchor are
    still in the history; that the append-only guards are in place; the case
    list and deadline tables against the events; the holiday cache; and the
    engine's own integrity check. Names the first problem of each kind. Exit
    status 0 if all is intact, 1 if not."""
    with casebook(db_path) as book:
        report = book.verify(anchors)
    if as_json:
        emit_json(report.as_dict())
    else:
        lines = [f"Checked {report.entries} entries of {report.cases} case{'s' if report.cases != 1 else ''}.",
                 f"{ENGINES[report.engine]} integrity check: {report.integrity}"]
        if report.database:
            lines.append(f"Database {report.database}, sealed with key {report.key or '(none recorded)'}; "
                         f"{report.anchors_checked} anchor{'s' if report.anchors_checked != 1 else ''} checked"
                         + (f" (anchor log {report.anchor_log})" if report.anchor_log else ""))
        if report.ok:
            lines.append("Every case chain, the database chain, the anchors and the projections are intact.")
        for finding in report.findings:
            lines.append(f"FAILED ({finding.kind}): {finding.message}")
        lines.append(f"Chain head: {report.head}  (keep it elsewhere, e.g. from 'cspr audit anchor'; check "
                     "later with --anchor)")
        emit_lines(lines)
    click.get_current_context().exit(0 if report.ok else 1)


@audit.command("anchor")
@db_option
@json_option
def audit_anchor(db_path: str | None, as_json: bool) -> None:
    """Print the database chain's head, to keep in minutes or an email.

    The head is checked under the deployment's key first. Every write also
    appends the new head to the anchor log; a head kept elsewhere as well lets
    anyone later run 'cspr audit verify --anchor HEAD' and prove the history
    still passes through it."""
    from cspr.engine.casebook.audit import current_anchor

    with casebook(db_path) as book:
        data = current_anchor(book)
    if as_json:
        emit_json(data)
        return
    if not data["entries"]:
        say(f"{data['location']} holds no entries yet: there is no head to keep.")
        return
    lines = [f"cspr database {data['database'] or '(not yet sealed with a key)'} ({data['location']}): "
             f"{data['entries']} entries, the last {data['last']} recorded {data['last_recorded_at']}.",
             f"Head: {data['head']}"]
    if not data["keyed"]:
        lines.append("This head is not keyed yet: the next write seals the database with the deployment's key.")
    lines.append("Keep it in the minutes; later, 'cspr audit verify --anchor HEAD' proves the history still reaches it.")
    emit_lines(lines)


@audit.command("export")
@click.argument("ref")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write to FILE (created readable by its owner only; never overwritten). Default: standard output.")
@db_option
def audit_export(ref: str, out: Path | None, db_path: str | None) -> None:
    """Write case REF's history with its hashes, as JSON anyone can verify.

    No cspr is needed to verify it: the file says how, with a short Python script."""
    from cspr.engine.casebook.book import CaseNotFound
    from cspr.engine.casebook.export import export

    with casebook(db_path) as book:
        if not book.store.case_exists(ref):
            raise CaseNotFound(f"no case {ref!r} in {book.store.location}; see 'cspr case list'")
        data = export(book.store, ref)
    text = json_text(data) + "\n"
    if out is None:
        click.echo(text, nl=False)  # JSON: every control character in it is escaped
        return
    write_private(out, text)
    say(f"Wrote {plural(len(data['entries']), 'entry', 'entries')} of {ref} to {out}; head {data['head']}")


@click.command("redact")
@click.argument("ref")
@click.option("--reason", required=True, help="Why (e.g. the decision that requires it). Keep names out of it.")
@click.option("--on", "on", type=ISO_DATE, help="The date of the redaction (default: today).")
@db_option
@json_option
def case_redact(ref: str, reason: str, on: dt.date | None, db_path: str | None, as_json: bool) -> None:
    """Remove the personal content of every entry of case REF.

    The redaction is recorded first, as an entry of the history naming the
    entries and fields it removes, who, when and why; then the facts and notes
    of those entries are removed. Each keeps its digest, so the history still
    verifies. The case is closed to further entries. The removed text is also
    cleared from the database's journal; if another program is reading the
    database at that moment, you are told.
    """
    with casebook(db_path) as book:
        done = book.redact(ref, reason, on=on)
        if as_json:
            emit_json({**book.show(ref).as_dict(), "redaction": {"entries": done.entries, "blanked": done.blanked,
                                                                 "leftover": done.leftover}})
    if not as_json:
        say(f"{ref}: removed the facts and notes of {plural(len(done.entries), 'entry', 'entries')} (#{done.entries[0]} to "
            f"#{done.entries[-1]}); the redaction is entry #{done.entries[-1] + 1} of the history, and the chain "
            "still verifies ('cspr audit verify')")
    if done.leftover:
        say(f"Warning: {done.leftover}", err=True)
