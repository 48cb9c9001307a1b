"""``cspr check``: a policy lead's scenario checks of a process, run in memory.

Each scenario file (or every ``*.yaml`` under a folder) runs through the real
engine on an SQLite database held in memory, so nothing is written to disk
and the cases of one file never meet another's. Every expectation is a
:class:`~cspr.engine.casebook.scenario.Check`; a malformed file, or a step
that fails in a way no expectation foresaw, is reported at its line too.
With ``override`` (``--process FILE|ID[@VERSION]``) the scenarios written
for that process run under it instead: a draft checked against the cases
its current version passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cspr.engine.definition.model import Definition
from cspr.engine.errors import CsprError, InputError

from .book import Casebook
from .scenario import Check, Scenario, ScenarioError


@dataclass
class Report:
    """What ``cspr check`` found: every check, and the files it ran."""

    files: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for c in self.checks if c.passed)

    @property
    def failed(self) -> int:
        return sum(1 for c in self.checks if not c.passed)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def as_dict(self) -> dict[str, Any]:
        return {"files": self.files, "passed": self.passed, "failed": self.failed, "ok": self.ok,
                "failures": [c.as_dict() for c in self.checks if not c.passed]}


def scenario_files(paths: list[str]) -> list[Path]:
    """The scenario files named: files as given, folders searched for ``*.yaml`` (and ``*.yml``), in order."""
    out: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.is_file():
            out.append(path)
        else:
            raise InputError(f"{name}: no such file or folder")
    if not out:
        raise InputError(f"no scenario files in {', '.join(paths)} (scenarios are *.yaml files)")
    return out


def run_file(path: Path, override: Definition | None = None) -> list[Check]:
    """Every check of one scenario file, run on a database in memory."""
    from cspr.engine.store.sqlite import SqliteStore

    try:
        scenario = Scenario.load(path)
    except ScenarioError as exc:
        problems = exc.problems or []
        if not problems:
            return [Check(str(path), 1, "a readable scenario", "", str(exc), False)]
        return [Check(str(path), p.line, "a valid scenario", p.path or "(document)", p.message, False) for p in problems]
    scenario.override = override
    store = SqliteStore.in_memory()
    checks: list[Check] = []
    try:
        book = Casebook(store, today=scenario.today, actor="check", against_installed=False)  # a rehearsal in memory
        current = (1, "the scenario")
        try:
            for outcome in scenario.run(book):
                checks += outcome.checks
                current = (checks[-1].line if checks else 1, outcome.ref)
        except CsprError as exc:  # a case could not even be opened or run: report where it stopped
            line = exc.args[0].split(":")[1] if isinstance(exc, ScenarioError) and str(exc).startswith(str(path) + ":") else None
            at = int(line) if line and line.isdigit() else current[0]
            checks.append(Check(str(path), at, f"{current[1]} to run", "to the end", str(exc), False))
    finally:
        store.close()
    return checks


def check(paths: list[str], override: Definition | None = None) -> Report:
    report = Report()
    for path in scenario_files(paths):
        report.files.append(str(path))
        report.checks += run_file(path, override)
    return report
