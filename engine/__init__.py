"""cspr engine: run statutory case reviews from a declarative process definition.

Layers, each its own module (the CLI in ``cli.py`` is a thin fourth layer and
the engine never imports click):

* the process definition: ``yamlsafe`` → ``schema`` → ``checks`` → ``model``,
  put together by ``loader`` (``builder`` turns a checked document into the
  model); ``rules`` evaluates criteria; ``workdays`` counts working days;
* the running case: ``case`` (replayed from its history on the ``machine``
  built with ``transitions``), ``deadlines``, ``facts``;
* the store: ``store`` (SQLite), ``casebook`` (one transaction per command),
  ``bulk`` (batched), ``audit`` (hash chains), ``editions`` (impact, migration);
* errors: ``errors`` holds the one base exception and its subclasses.

Heavy modules (YAML, JSON Schema, transitions, holidays) are imported only by
the commands that need them.
"""

from typing import Any

from .errors import CalendarError, CsprError, DefinitionError, InputError, Problem


def __getattr__(name: str) -> Any:
    # The loader pulls in YAML and the schema checks; import it only when asked for.
    if name in ("check_file", "load_file", "load_text"):
        from . import loader

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
