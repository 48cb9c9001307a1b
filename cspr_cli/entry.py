"""The ``cspr`` command: the entry point of a thin click layer over the engine.

The application itself is :mod:`cspr.cli.app`; this module starts it. Asked
only for help (``cspr``, ``cspr --help``), it prints the text the application
would print without importing click or any command, so the answer is instant
(a test keeps ``HELP`` equal to what click prints).
"""

from __future__ import annotations

import sys
from typing import Any

HELP = """\
Usage: cspr [OPTIONS] COMMAND [ARGS]...

  Run statutory child safeguarding case reviews from a versioned process
  definition.

  The process (roles, criteria, timescales) lives in YAML under processes/;
  check it with 'cspr validate' and read it with 'cspr process show'. Cases live
  in an SQLite database: open one with 'cspr case open', see where it stands
  with 'cspr case show', and see what is due with 'cspr deadlines'.

Options:
  --version     Show the version and exit.
  --db PATH     Database file for every command (default: $CSPR_DB, else
                ./cspr.db).
  --today DATE  Work as if today were DATE, for rehearsals and reports (default:
                $CSPR_TODAY, else the real date).
  --actor NAME  Who is typing, kept with every entry (default: $CSPR_ACTOR, else
                the operating-system user).
  -h, --help    Show this message and exit.

Commands:
  action     The actions agreed after a rapid review or a local review...
  audit      Check that the history is intact, and export a case's history...
  calendar   Working-day arithmetic (weekends and bank holidays skipped...
  case       Open cases, record what happens, and see where each stands.
  deadlines  Every open deadline across all cases, soonest first.
  demo       Run a few Pan Lancashire cases end to end, on dates that...
  diff       What changed between two versions of a process, in the...
  export     Every case, deadline or action as a table, for a spreadsheet...
  graph      The process as a diagram: states grouped by stage...
  impact     What a new version would change for every open case of its...
  process    Read a process definition.
  rebuild    Rebuild the case list and deadline tables from the event history.
  report     Reports for the partnership, senior officers and the Panel.
  validate   Check process definitions (default: every file in processes/).
"""


def main() -> None:
    if sys.argv[1:] in ([], ["--help"], ["-h"]):
        sys.stdout.write(HELP)
        sys.exit(0)
    from cspr.cli.app import main as run

    run()


def __getattr__(name: str) -> Any:
    # `from cli import cli, COMMANDS, SHORT_HELP` keeps working for tests and tools. Only these names:
    # the import system asks modules for others (such as __path__) and must not pull in click.
    if name in ("cli", "COMMANDS", "SHORT_HELP", "CsprGroup", "run_safely"):
        from cspr.cli import app

        return getattr(app, name)
    raise AttributeError(name)


if __name__ == "__main__":  # pragma: no cover
    main()
