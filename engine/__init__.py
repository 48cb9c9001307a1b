"""cspr engine: run statutory case reviews from a declarative process definition.

Layers, lowest first; each may import only those below it (ARCHITECTURE.md,
checked by tests/test_architecture.py):

* ``definition``: the process as data: YAML → JSON Schema → checks → model,
  criteria, fact values, the working-day calendar, diff and description;
* ``runtime``: a running case replayed from its history on the ``transitions``
  machine, its deadlines, and the impact of a new edition;
* ``store``: persistence (SQLite) and the hash chains; the only SQL;
* ``casebook``: operations on the cases in a store (one transaction per command),
  actions, audit, bulk loading, scenarios, reports;
* ``render``: SVG, HTML and iCalendar output.

``errors`` holds the one base exception. The CLI (``cspr.cli``) sits on top and the
engine never imports click. Heavy modules (YAML, JSON Schema, transitions,
holidays) are imported only by the commands that need them.
"""

from typing import Any

from .errors import CalendarError, CsprError, DefinitionError, InputError, Problem


def __getattr__(name: str) -> Any:
    # The loader pulls in YAML and the schema checks; import it only when asked for.
    if name in ("check_file", "load_file", "load_text"):
        from cspr.engine.definition import loader

        return getattr(loader, name)
    raise AttributeError(name)

__all__ = [
    "CalendarError",
    "CsprError",
    "DefinitionError",
    "InputError",
    "Problem",
    "check_file",
    "load_file",
    "load_text",
]
