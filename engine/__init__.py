"""cspr engine: run statutory case reviews from a declarative process definition.

Layers, each its own module (the CLI in ``cli.py`` is a thin fourth layer and
the engine never imports click):

* the process definition: ``yamlsafe`` → ``schema`` → ``checks`` → ``model``,
  put together by ``loader``; ``calendar`` counts working days;
* errors: ``errors`` holds the one base exception and its subclasses.
"""

from .errors import CalendarError, CsprError, DefinitionError, InputError, Problem
from .loader import check_file, load_file, load_text

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
