"""The ``cspr`` click application: the root group, its options, and how errors are shown.

Each command parses its arguments, calls one engine function and formats the
result (text, or JSON with ``--json``). Commands live in ``cspr_cli/`` and are
imported only when used (:mod:`cspr.cli.groups`); their help is their own
docstring, read by click. ``cspr.cli.entry`` is the entry point.

Errors: every :class:`cspr.engine.errors.CsprError` becomes one line
``Error: ...`` and exit status 1; usage errors (a bad option, a malformed
date) are one line and exit status 2. No traceback reaches a user unless
``CSPR_DEBUG=1`` is set.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from .groups import LazyGroup
from .output import ISO_DATE

# command name -> "module:attribute"; loaded on first use
COMMANDS: dict[str, str] = {
    "validate": "cspr.cli.definitions:validate",
    "process": "cspr.cli.definitions:process",
    "calendar": "cspr.cli.definitions:calendar",
    "case": "cspr.cli.cases:case",
    "deadlines": "cspr.cli.cases:deadlines",
    "rebuild": "cspr.cli.cases:rebuild",
    "demo": "cspr.cli.demo:demo",
    "diff": "cspr.cli.editions:diff_command",
    "impact": "cspr.cli.editions:impact_command",
    "graph": "cspr.cli.editions:graph_command",
    "audit": "cspr.cli.audit:audit",
    "action": "cspr.cli.reports:action",
    "report": "cspr.cli.reports:report",
    "export": "cspr.cli.reports:export_command",
    "serve": "cspr.cli.serve:serve",
    "db": "cspr.cli.database:db",
    "task": "cspr.cli.casework:task",
    "check": "cspr.cli.check:check",
    "user": "cspr.cli.users:user",
}


GLOBAL_OPTIONS = ("--today", "--actor")  # --db is each command's own option as well


def hoist_global_options(args: list[str]) -> list[str]:
    """The arguments with every global option given after the subcommand moved before it.

    ``cspr case show X --today D`` then means ``cspr --today D case show X``: one
    convention for every command. Nothing after ``--`` moves.
    """
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            rest.extend(args[index:])
            break
        name = token.split("=", 1)[0]
        if name in GLOBAL_OPTIONS and rest:
            if "=" in token or index + 1 == len(args):
                front.append(token)
                index += 1
            else:
                front.extend(args[index:index + 2])
                index += 2
            continue
        rest.append(token)
        index += 1
    return front + rest


class CsprGroup(LazyGroup):
    """The root group: subcommands imported lazily, every failure one line and an exit status."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(list(args)))

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        status = run_safely(lambda: super(CsprGroup, self).main(
            args, prog_name or "cspr", complete_var, standalone_mode=False, **extra))
        sys.exit(status)


def _one_line(text: str) -> str:
    """A message on one line, every control character or bidi override in it shown as an escape."""
    from cspr.engine.text import visible

    return visible(" ".join(str(text).split()))


def run_safely(invoke: Any) -> int:
    """Run the click entry point; turn every failure into one line and a status."""
    from cspr.engine.errors import CsprError

    try:
        result = invoke()
        return result if isinstance(result, int) else 0
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
        return 0
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        click.echo(f"Error: {_one_line(exc.format_message())}{hint}", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"Error: {_one_line(exc.format_message())}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("Error: aborted; nothing was changed", err=True)
        return 1
    except CsprError as exc:
        click.echo(f"Error: {_one_line(str(exc))}", err=True)
        return 1
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); stop quietly
        sys.stderr.close()
        return 1
    except KeyboardInterrupt:
        click.echo("Error: interrupted", err=True)
        return 130
    except Exception as exc:
        if os.environ.get("CSPR_DEBUG"):
            raise
        click.echo(
            f"Error: unexpected {type(exc).__name__}: {_one_line(str(exc))}; "
            "please report it (run again with CSPR_DEBUG=1 for details)",
            err=True,
        )
        return 1


@click.group(name="cspr", cls=CsprGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cspr", prog_name="cspr")
@click.option("--db", "db", metavar="FILE|URL",
              help="Database for every command: an SQLite file or a postgresql:// URL (default: $CSPR_DB, else ./cspr.db).")
@click.option("--today", "today", type=ISO_DATE, metavar="DATE",
              help="Work as if today were DATE, for rehearsals and reports (default: $CSPR_TODAY, else the real date).")
@click.option("--actor", "actor", metavar="NAME",
              help="Who is typing, kept with every entry (default: $CSPR_ACTOR, else the operating-system user).")
@click.pass_context
def cli(ctx: click.Context, db: str | None, today: Any, actor: str | None) -> None:
    """Run statutory case reviews from a versioned process definition.

    The process (roles, criteria, timescales) lives in YAML under processes/,
    or in the folders $CSPR_PROCESSES names; check it with 'cspr validate',
    try it on scenarios with 'cspr check' and read it with 'cspr process
    show'. Cases live in an SQLite file or a PostgreSQL database: open one
    with 'cspr case open', see where it stands with 'cspr case show', and see
    what is due with 'cspr deadlines'.
    """
    ctx.obj = {"db": db, "today": today, "actor": actor}


def main() -> None:
    cli()
