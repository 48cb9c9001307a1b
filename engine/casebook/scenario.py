"""Scenarios: cases written as data (facts and dated steps in, expectations out), each at its line.

The same format drives ``cspr check`` (a policy lead's checks of a draft
process), the demo (``cspr demo``) and the scenario tests. Its JSON Schema is
``schemas/scenario.v1.schema.json``: an editor with a YAML language server
completes and checks a scenario as it is written. A scenario file is YAML::

    process: some_process@1.0   # id, id@version, or a file path (relative to the scenario)
    today: 2026-06-10           # the day the scenario is seen from
    cases:
      - ref: REF-1
        about: One line for the reader.
        open: {on: 2026-04-01, facts: {kind: big}, parties: {council: North Council}}
        steps:
          - {on: 2026-04-01, signoff: some_role}
          - {on: 2026-04-01, event: some_event, by: some_role, facts: {...}, note: ...}
          - {on: 2026-04-02, facts: {flag: false}}
          - {on: 2026-04-02, note: A note}
          - {on: 2026-04-02, event: next_event, refused: "needs sign-off"}   # must be refused
          - {on: 2026-04-03, extend: some_deadline, to: 2026-06-01, by: some_role, reason: Why}
          - {on: 2026-04-03, task: report, party: North Police, due: 2026-05-01}
          - {on: 2026-04-20, task_done: T1}
          - expect:                                                       # checked, not recorded
              state: some_state
              deadlines: {some_deadline: {due: 2026-04-10, status: upcoming}}
              ready: [next_event]
              blocked: [other_event]
              criteria: {some_criterion: true}
              tasks: {T1: {status: done}}
          - show: true                                                    # the demo prints the case

Each expectation (a state, a deadline's due date, a refusal...) is one
:class:`Check`, passed or failed, with the line it was written on. The
module knows nothing about any particular process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cspr.engine.definition.catalog import is_file, resolve
from cspr.engine.definition.model import Definition
from cspr.engine.definition.yamlsafe import Parsed, parse_yaml
from cspr.engine.errors import CsprError, InputError, Problem

from .book import Casebook

YamlPath = tuple[str | int, ...]


class ScenarioError(CsprError):
    """A scenario file is malformed (``problems``: every one, located), or names a process it cannot use."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        self.problems = list(problems or [])
        super().__init__(message)


@dataclass(frozen=True)
class Check:
    """One expectation of a scenario, with the line it was written on."""

    file: str
    line: int
    what: str  # e.g. "deadline some_deadline due"
    expected: Any
    got: Any
    passed: bool

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: expected {self.what} {_show(self.expected)}, got {_show(self.got)}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "what": self.what, "expected": _json(self.expected),
                "got": _json(self.got), "passed": self.passed}


def _show(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


@dataclass
class Outcome:
    """What one step did: recorded, refused (as expected or not), or checked."""

    ref: str
    step: dict[str, Any]
    action: str  # opened, recorded, signoff, facts, note, extended, task, party, refused, checked, show
    message: str = ""
    checks: list[Check] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        return [str(c) for c in self.checks if not c.passed]


def _date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


@dataclass
class Scenario:
    path: Path
    process: str
    today: dt.date
    cases: list[dict[str, Any]]
    parsed: Parsed | None = None
    override: Definition | None = None  # 'cspr check --process': the version or draft to run instead

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read and check a scenario file (YAML, then its schema); raise ScenarioError with every problem."""
        from cspr.engine.definition.resources import scenario_schema
        from cspr.engine.definition.schema import document_problems
        from cspr.engine.definition.yamlsafe import MAX_BYTES
        from cspr.engine.files import FileProblem, read_bounded

        path = Path(path)
        try:
            data = read_bounded(path, MAX_BYTES, "a scenario")
        except FileProblem as exc:
            raise ScenarioError(str(exc)) from None
        parsed, problems = parse_yaml(data, str(path), what="a scenario")
        if not problems:
            problems = document_problems(parsed, str(path), scenario_schema())
        if problems:
            raise ScenarioError(str(problems[0]), problems)
        doc = parsed.data
        return cls(path, str(doc["process"]), _date(doc["today"], f"{path}: today"), list(doc["cases"]), parsed)

    def line(self, path: YamlPath) -> int:
        return self.parsed.where(path)[0] if self.parsed is not None else 0

    def _spec(self, spec: str) -> str:
        candidate = self.path.parent / spec
        return str(candidate) if spec.endswith((".yaml", ".yml")) and candidate.exists() else spec

    def definition(self) -> Definition:
        """The process the scenario's cases follow (``--process`` may give a draft of the same process)."""
        own_spec = self._spec(self.process)
        if self.override is None:
            return resolve(own_spec, self.today)
        own_id = (resolve(own_spec, self.today).id if is_file(own_spec) else own_spec.partition("@")[0])
        if own_id != self.override.id:
            raise ScenarioError(f"{self.path}: written for the process {own_id!r}; --process gives "
                                f"{self.override.id!r}")
        return self.override

    def run(self, book: Casebook) -> Iterator[Outcome]:
        """Play every case; yield what each step did. Refusals a step expects are outcomes, not errors."""
        definition = self.definition()
        for i, case in enumerate(self.cases):
            yield from self._run_case(book, definition, case, ("cases", i))

    def _run_case(self, book: Casebook, definition: Definition, spec: dict[str, Any], where: YamlPath) -> Iterator[Outcome]:
        ref = str(spec["ref"])
        opening = spec.get("open") or {}
        on = opening.get(definition.opening.date_fact, opening.get("on"))
        if on is None:
            raise ScenarioError(f"{self.path}:{self.line(where + ('open',))}: {ref}: give the opening date as 'on' "
                                f"or '{definition.opening.date_fact}'")
        opened_on = _date(on, f"{ref}: open")
        case_definition = resolve(self._spec(str(opening["process"])), opened_on) if "process" in opening else definition
        parties = [f"{role}={name}" for role, names in (opening.get("parties") or {}).items()
                   for name in (names if isinstance(names, list) else [names])]
        book.open_case(ref, case_definition, opened_on, values=opening.get("facts") or {}, by=opening.get("by"),
                       parties=parties, linked=list(opening.get("linked") or []), note=opening.get("note"))
        yield Outcome(ref, {"open": opening, "on": opened_on.isoformat()}, "opened", f"under {case_definition.label}")
        for j, step in enumerate(spec.get("steps") or []):
            yield self._step(book, ref, step, where + ("steps", j))

    def _step(self, book: Casebook, ref: str, step: dict[str, Any], where: YamlPath) -> Outcome:
        if "expect" in step:
            return Outcome(ref, step, "checked", checks=expectations(self, book, ref, step["expect"], where + ("expect",)))
        if step.get("show"):
            return Outcome(ref, step, "show")
        on = _date(step["on"], f"{ref}: step {step}") if "on" in step else None
        expected_refusal = step.get("refused")
        refusal_line = self.line(where + ("refused",) if expected_refusal is not None else where)
        try:
            action, message = _do(book, ref, step, on)
        except ScenarioError:
            raise
        except CsprError as exc:
            if expected_refusal is None:
                return Outcome(ref, step, "refused", str(exc), [Check(
                    str(self.path), refusal_line, f"{_step_words(step)} to be", "recorded", f"refused: {exc}", False)])
            ok = str(expected_refusal) in str(exc)
            return Outcome(ref, step, "refused", str(exc), [Check(
                str(self.path), refusal_line, "a refusal saying", repr(str(expected_refusal)),
                f"refused: {exc}" if not ok else repr(str(expected_refusal)), ok)])
        if expected_refusal is not None:
            return Outcome(ref, step, action, message, [Check(
                str(self.path), refusal_line, "a refusal saying", repr(str(expected_refusal)), "recorded", False)])
        return Outcome(ref, step, action, message)


def _step_words(step: dict[str, Any]) -> str:
    for key in ("event", "signoff", "extend", "task", "task_done", "task_waive", "party"):
        if key in step:
            return f"{key.replace('_', ' ')} {step[key]}"
    return "facts" if "facts" in step else "note"


def _do(book: Casebook, ref: str, step: dict[str, Any], on: dt.date | None) -> tuple[str, str]:
    """Record one step; return what was done, in a few words."""
    from . import extensions, parties, tasks

    if "event" in step:
        book.record(ref, str(step["event"]), on=on, by=step.get("by"), values=step.get("facts") or {},
                    note=step.get("note"))
        return "recorded", str(step["event"])
    if "signoff" in step:
        book.signoff(ref, str(step["signoff"]), on=on, party=step.get("party"))
        return "signoff", str(step.get("party") or step["signoff"])
    if "extend" in step:
        done = extensions.extend(book, ref, str(step["extend"]), _date(step["to"], f"{ref}: to"), str(step["by"]),
                                 str(step["reason"]), on=on)
        return "extended", f"{done['title']} to {done['to']} by {done['agreed_by_name']}"
    if "task" in step:
        due = _date(step["due"], f"{ref}: due") if "due" in step else None
        task = tasks.add(book, ref, str(step["task"]), str(step["party"]), due=due, on=on, note=step.get("note"))
        return "task", f"{task['task']} {task['title']} from {task['party']}, due {task['due']}"
    if "task_done" in step or "task_waive" in step:
        outcome = "done" if "task_done" in step else "waived"
        task_id = str(step.get("task_done") or step.get("task_waive"))
        tasks.close(book, ref, task_id, outcome, reason=step.get("reason") or step.get("note"), on=on)
        return "task", f"{task_id} {'received' if outcome == 'done' else 'waived'}"
    if "party" in step:
        done = parties.name(book, ref, str(step["party"]), on=on, note=step.get("note"))
        return "party", f"{done['organisation']} as {done['role']}"
    if "facts" in step:
        book.set_facts(ref, values=step["facts"], on=on, by=step.get("by"), note=step.get("note"))
        return "facts", ", ".join(f"{k}={v}" for k, v in step["facts"].items())
    if "note" in step:
        book.note(ref, str(step["note"]), on=on, by=step.get("by"))
        return "note", str(step["note"])
    raise InputError(f"{ref}: a step needs one of event, signoff, facts, note, extend, task, task_done, "
                     f"task_waive, party, expect or show: {step}")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def expectations(scenario: Scenario, book: Casebook, ref: str, expect: dict[str, Any], where: YamlPath) -> list[Check]:
    """Every expectation of one ``expect`` step, checked against the case as it stands."""
    from cspr.engine.runtime.deadlines import statuses

    case = book.load(ref)
    file = str(scenario.path)
    out: list[Check] = []

    def check(path: YamlPath, what: str, expected: Any, got: Any) -> None:
        out.append(Check(file, scenario.line(where + path), what, expected, got, _same(expected, got)))

    if "state" in expect:
        check(("state",), "state", expect["state"], case.state)
    for name, value in (expect.get("facts") or {}).items():
        check(("facts", name), f"fact {name}", value, _iso(case.facts.get(name)))
    if "deadlines" in expect:
        found = {s.timing.deadline: s for s in statuses(case, book.today)}
        for deadline, wanted in expect["deadlines"].items():
            status = found.get(deadline)
            if status is None:
                check(("deadlines", deadline), "a deadline", deadline, f"none (the case's: {', '.join(found)})")
                continue
            actual = status.as_dict() | {"statutory_due": status.timing.statutory_due or status.timing.due,
                                         "late_by": status.late_by, "extended_by": status.timing.extended_by,
                                         "paused_since": status.timing.paused_since}
            for key, value in wanted.items():
                check(("deadlines", deadline, key), f"deadline {deadline} {key.replace('_', ' ')}", value,
                      _iso(actual.get(key)))
    steps = {s.event: s for s in case.next_steps()}
    for i, event in enumerate(expect.get("ready") or []):
        step = steps.get(event)
        got = "not a next step" if step is None else ("ready" if step.ready else
                                                      "blocked: " + "; ".join(b.message for b in step.blockers))
        check(("ready", i), f"{event} to be", "ready", got)
    for i, event in enumerate(expect.get("blocked") or []):
        step = steps.get(event)
        check(("blocked", i), f"{event} to be", "blocked", "ready" if step is not None and step.ready else "blocked")
    criteria = case.criteria()
    for criterion, value in (expect.get("criteria") or {}).items():
        holds = criteria[criterion].value if criterion in criteria else f"no criterion {criterion!r}"
        check(("criteria", criterion), f"criterion {criterion}", value, holds)
    for task_id, wanted in (expect.get("tasks") or {}).items():
        task = case.tasks.get(task_id)
        for key, value in wanted.items():
            check(("tasks", task_id, key), f"task {task_id} {key.replace('_', ' ')}", value,
                  None if task is None else task.get(key))
    for role, names in (expect.get("parties") or {}).items():
        want = names if isinstance(names, list) else [names]
        check(("parties", role), f"party {role}", want, case.parties.get(role, []))
    if "flags" in expect:
        check(("flags",), "flags", list(expect["flags"]), [words for _, words in case.flags])
    if "linked" in expect:
        check(("linked",), "linked cases", list(expect["linked"]), book.store.linked_with(ref))
    return out


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, dt.date):
        expected = expected.isoformat()
    if isinstance(expected, bool) or isinstance(got, bool) or expected is None or got is None:
        return expected is got or expected == got and type(expected) is type(got)
    return bool(expected == got)
