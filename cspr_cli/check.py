"""`cspr check`: run scenario files through the engine in memory and report each failed expectation."""

from __future__ import annotations

import click

from .output import emit_json, json_option


@click.command("check")
@click.argument("paths", nargs=-1, metavar="[PATH...]")
@click.option("--process", "process_spec", metavar="FILE|ID[@VERSION]",
              help="Run the scenarios written for this process under this version or draft instead.")
@json_option
def check(paths: tuple[str, ...], process_spec: str | None, as_json: bool) -> None:
    """Check a process against scenarios: states, refusals, due dates.

    Each PATH is a scenario file or a folder of them; with none, ./scenarios/
    when that folder exists here, else the installed ones. The cases run through
    the engine in memory (no database is written). Each failed expectation is
    printed as FILE:LINE: expected ... got ..., then the counts. Exit status
    0 when every expectation passes, 1 when any fails."""
    from cspr.engine.casebook.check import check as run
    from cspr.engine.definition.catalog import resolve

    override = resolve(process_spec) if process_spec else None
    where = ""
    if not paths:
        paths, where = _default_paths()
    report = run(list(paths), override)
    if as_json:
        emit_json(report.as_dict())
    else:
        if where:
            click.echo(f"Checking {where}")
        for failed in (c for c in report.checks if not c.passed):
            click.echo(str(failed))
        click.echo(f"{report.passed} passed, {report.failed} failed")
    click.get_current_context().exit(0 if report.ok else 1)


def _default_paths() -> tuple[tuple[str, ...], str]:
    """The scenarios `cspr check` runs when given none: ./scenarios/ when it exists, else the installed ones."""
    from pathlib import Path

    from cspr.engine.definition.resources import scenario_path

    if Path("scenarios").is_dir():
        return ("scenarios",), "the scenarios in ./scenarios/"
    installed = scenario_path("")
    return (str(installed),), f"the installed scenarios ({installed})"
