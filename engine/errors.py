"""Every exception the engine raises, under one base class.

The command-line layer catches :class:`CsprError` and prints its message as a
one-line ``Error: ...`` with exit status 1; nothing else should reach a user.
Each subclass carries the facts of the failure as attributes so callers (and
tests) never have to parse messages.

    CsprError
    ├── DefinitionError          a process definition file is not valid
    │                            (.problems: every Problem found, in order)
    ├── CalendarError            a date or a working-day sum cannot be computed
    ├── InputError               a value given by the user is malformed
    ├── ProcessNotFound          no installed definition matches a name
    ├── Refused                  (case.py) an event, sign-off, action... cannot be
    │                            recorded now (.blockers: every reason); nothing written
    ├── HistoryInvalid           (case.py) a stored history does not replay under a
    │                            definition (.record: the first entry that fails)
    ├── CaseNotFound             (casebook/book.py) no case has this reference
    ├── StoreError               (store/interface.py) the database cannot be opened, read or written
    └── ScenarioError            (casebook/scenario.py) a scenario file is malformed

The subclasses that belong to one layer are defined beside it and listed here.
"""

from __future__ import annotations

from dataclasses import dataclass


class CsprError(Exception):
    """Base class of every error the engine reports to a user."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file, located as precisely as known.

    ``line`` and ``column`` are 1-based; a problem with the whole file is at 1:1
    with an empty path.
    ``path`` is the place inside the document, e.g. ``events.submit.to``.
    ``stage`` is the check that found it: ``yaml``, ``schema`` or ``checks``.
    """

    file: str
    line: int
    column: int
    path: str
    message: str
    stage: str

    def __str__(self) -> str:
        path = self.path or "(document)"
        return f"{self.file}:{self.line}:{self.column}: {path}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "stage": self.stage,
        }


class DefinitionError(CsprError):
    """A process definition failed one or more checks."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = list(problems)
        first = self.problems[0] if self.problems else None
        more = len(self.problems) - 1
        summary = str(first) if first else f"{file}: invalid process definition"
        if more > 0:
            summary += f" (and {more} more problem{'s' if more > 1 else ''}; run 'cspr validate {file}' to see all)"
        super().__init__(summary)


class CalendarError(CsprError):
    """A working-day calculation was asked something it cannot answer."""


class InputError(CsprError):
    """A value typed by the user (a date, a number, a fact) is malformed."""


class ProcessNotFound(CsprError):
    """No definition matches what the user named."""
