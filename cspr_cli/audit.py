"""Commands for auditors: cspr audit verify|export, and cspr case redact."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from .context import casebook, db_option
from .groups import LazyGroup
from .output import ISO_DATE, emit_json, emit_lines, json_option, json_text, say, write_private

ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@click.group(cls=LazyGroup)
def audit() -> None:
    """Check that the history is intact, and export it for others to check."""


@audit.command("verify")
@click.option("--anchor", "anchors", multiple=True, metavar="HASH",
              help="A chain head recorded earlier (e.g. in minutes): the history must still pass through it.")
@db_option
@json_option
def audit_verify(anchors: tuple[str, ...], db_path: str | None, as_json: bool) -> None:
    """Re-check every hash chain, the case tables and the database's integrity.

    Checks every case's hash chain, the database chain, the case list and
    deadline tables against the events, and SQLite's integrity. Names the first
    entry altered, deleted, inserted or reordered. Exit status 0 if all is
    intact, 1 if not."""
    with casebook(db_path) as book:
        report = book.verify(anchors)
    if as_json:
        emit_json(report.as_dict())
    else:
        lines = [f"Checked {report.entries} entries of {report.cases} case{'s' if report.cases != 1 else ''}.",
                 f"{ENGINES[report.engine]} integrity check: {report.integrity}"]
        if report.ok:
            lines.append("Every case chain, the database chain and the projections are intact.")
        for finding in report.findings:
            lines.append(f"FAILED ({finding.kind}): {finding.message}")
        lines.append(f"Chain head: {report.head}  (keep it elsewhere; check later with --anchor)")
        emit_lines(lines)
    click.get_current_context().exit(0 if report.ok else 1)


@audit.command("export")
@click.argument("ref")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write to FILE (created readable by its owner only; never overwritten). Default: standard output.")
@db_option
def audit_export(ref: str, out: Path | None, db_path: str | None) -> None:
    """Write case REF's history with its hashes, as JSON anyone can verify.

    No cspr is needed to verify it: the file says how, with a short Python script."""
    from cspr.engine.casebook.audit import export
    from cspr.engine.casebook.book import CaseNotFound

    with casebook(db_path) as book:
        if not book.store.case_exists(ref):
            raise CaseNotFound(f"no case {ref!r} in {book.store.location}; see 'cspr case list'")
        data = export(book.store, ref)
    text = json_text(data) + "\n"
    if out is None:
        click.echo(text, nl=False)  # JSON: every control character in it is escaped
        return
    write_private(out, text)
    say(f"Wrote {len(data['entries'])} entries of {ref} to {out}; head {data['head']}")


@click.command("redact")
@click.argument("ref")
@click.option("--reason", required=True, help="Why (e.g. the decision that requires it). Keep names out of it.")
@click.option("--on", "on", type=ISO_DATE, help="The date of the redaction (default: today).")
@db_option
@json_option
def case_redact(ref: str, reason: str, on: dt.date | None, db_path: str | None, as_json: bool) -> None:
    """Remove the personal content of every entry of case REF.

    The facts and notes of every entry are removed. Each entry keeps its
    digest, so the history still verifies; who redacted, when and why is
    recorded. The case is closed to further entries.
    """
    with casebook(db_path) as book:
        count = book.redact(ref, reason, on=on)
        if as_json:
            emit_json(book.show(ref).as_dict())
            return
    say(f"{ref}: removed the facts and notes of {count} entries; the chain still verifies ('cspr audit verify')")
