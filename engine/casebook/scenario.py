"""Scenarios: cases written as data (facts and dated events in, expectations out).

The same format drives the demo (``cspr demo``) and the scenario tests, so
each demo step is also something a test checks. A scenario file is YAML::

    process: some_process@1.0   # id, id@version, or a file path (relative to the scenario)
    today: 2026-06-10           # the day the scenario is seen from
    cases:
      - ref: REF-1
        about: One line for the reader.
        open: {opened_on: 2026-04-01, facts: {kind: big}}   # the process's opening date fact
        steps:
          - {on: 2026-04-01, signoff: some_role}
          - {on: 2026-04-01, event: some_event, by: some_role, facts: {...}, note: ...}
          - {on: 2026-04-02, facts: {flag: false}}
          - {on: 2026-04-02, note: A note}
          - {on: 2026-04-02, event: next_event, refused: "needs sign-off"}   # must be refused
          - expect:                                                       # checked, not recorded
              state: some_state
              deadlines: {some_deadline: {due: 2026-04-10, status: upcoming}}
              ready: [next_event]
              blocked: [other_event]
              criteria: {some_criterion: true}
          - show: true                                                    # the demo prints the case

The module knows nothing about any particular process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cspr.engine.definition.catalog import resolve
from cspr.engine.definition.model import Definition
from cspr.engine.definition.yamlsafe import parse_yaml
from cspr.engine.errors import CsprError, InputError
from cspr.engine.runtime.deadlines import statuses

from .book import Casebook


class ScenarioError(CsprError):
    """A scenario file is malformed, or a case did not behave as it expects."""


@dataclass
class Outcome:
    """What one step did: recorded, refused (as expected or not), or checked."""

    ref: str
    step: dict[str, Any]
    action: str  # opened, recorded, signoff, facts, note, refused, checked, show
    message: str = ""
    failures: list[str] = field(default_factory=list)


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

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        from cspr.engine.definition.yamlsafe import MAX_BYTES
        from cspr.engine.files import read_bounded

        path = Path(path)
        parsed, problems = parse_yaml(read_bounded(path, MAX_BYTES, "a scenario"), str(path))
        if problems:
            raise ScenarioError(str(problems[0]))
        data = parsed.data
        for key in ("process", "today", "cases"):
            if key not in data:
                raise ScenarioError(f"{path}: a scenario needs '{key}:'")
        return cls(path, str(data["process"]), _date(data["today"], f"{path}: today"), list(data["cases"]))

    def definition(self) -> Definition:
        spec = self.process
        candidate = (self.path.parent / spec)
        if spec.endswith((".yaml", ".yml")) and candidate.exists():
            spec = str(candidate)
        return resolve(spec, self.today)

    def run(self, book: Casebook) -> Iterator[Outcome]:
        """Play every case; yield what each step did. Refusals a step expects are outcomes, not errors."""
        definition = self.definition()
        for case in self.cases:
            yield from self._run_case(book, definition, case)

    def _run_case(self, book: Casebook, definition: Definition, spec: dict[str, Any]) -> Iterator[Outcome]:
        ref = str(spec["ref"])
        opening = spec.get("open") or {}
        opened_on = _date(opening.get(definition.opening.date_fact, opening.get("on")), f"{ref}: open")
        case_definition = resolve(str(opening["process"]), opened_on) if "process" in opening else definition
        book.open_case(ref, case_definition, opened_on, values=opening.get("facts") or {}, by=opening.get("by"))
        yield Outcome(ref, {"open": opening, "on": opened_on.isoformat()}, "opened", f"under {case_definition.label}")
        for step in spec.get("steps") or []:
            yield self._step(book, ref, step)

    def _step(self, book: Casebook, ref: str, step: dict[str, Any]) -> Outcome:
        if "expect" in step:
            return Outcome(ref, step, "checked", failures=check(book, ref, step["expect"]))
        if step.get("show"):
            return Outcome(ref, step, "show")
        on = _date(step["on"], f"{ref}: step {step}") if "on" in step else None
        expected_refusal = step.get("refused")
        try:
            if "event" in step:
                book.record(ref, str(step["event"]), on=on, by=step.get("by"), values=step.get("facts") or {},
                            note=step.get("note"))
                action, message = "recorded", str(step["event"])
            elif "signoff" in step:
                book.signoff(ref, str(step["signoff"]), on=on)
                action, message = "signoff", str(step["signoff"])
            elif "facts" in step:
                book.set_facts(ref, values=step["facts"], on=on, by=step.get("by"), note=step.get("note"))
                action, message = "facts", ", ".join(f"{k}={v}" for k, v in step["facts"].items())
            elif "note" in step:
                book.note(ref, str(step["note"]), on=on, by=step.get("by"))
                action, message = "note", str(step["note"])
            else:
                raise ScenarioError(f"{ref}: a step needs one of event, signoff, facts, note, expect or show: {step}")
        except (CsprError, InputError) as exc:
            if isinstance(exc, ScenarioError) or expected_refusal is None:
                if isinstance(exc, ScenarioError):
                    raise
                return Outcome(ref, step, "refused", str(exc), [f"unexpectedly refused: {exc}"])
            failures = [] if str(expected_refusal) in str(exc) else [f"refused, but not for {expected_refusal!r}: {exc}"]
            return Outcome(ref, step, "refused", str(exc), failures)
        if expected_refusal is not None:
            return Outcome(ref, step, action, message, [f"expected a refusal ({expected_refusal!r}) but it was recorded"])
        return Outcome(ref, step, action, message)


def check(book: Casebook, ref: str, expect: dict[str, Any]) -> list[str]:
    """Compare a case with what a scenario expects of it; return the differences in words."""
    case = book.load(ref)
    failures = []
    if "state" in expect and case.state != expect["state"]:
        failures.append(f"state is {case.state!r}, expected {expect['state']!r}")
    if "facts" in expect:
        for name, value in expect["facts"].items():
            actual = case.facts.get(name)
            shown = actual.isoformat() if isinstance(actual, dt.date) else actual
            if shown != value:
                failures.append(f"fact {name} is {shown!r}, expected {value!r}")
    if "deadlines" in expect:
        found = {s.timing.deadline: s for s in statuses(case, book.today)}
        for deadline, wanted in expect["deadlines"].items():
            status = found.get(deadline)
            if status is None:
                failures.append(f"no deadline {deadline!r}")
                continue
            actual = status.as_dict()
            for key, value in wanted.items():
                got = actual.get("late_by_working_days" if key == "late_by" else key)
                got = got.isoformat() if isinstance(got, dt.date) else got
                if got != (value.isoformat() if isinstance(value, dt.date) else value):
                    failures.append(f"deadline {deadline} {key} is {got!r}, expected {value!r}")
    steps = {s.event: s for s in case.next_steps()}
    for event in expect.get("ready", []):
        if event not in steps:
            failures.append(f"{event} is not a next step from {case.state!r}")
        elif not steps[event].ready:
            failures.append(f"{event} is not ready: {'; '.join(b.message for b in steps[event].blockers)}")
    for event in expect.get("blocked", []):
        if event in steps and steps[event].ready:
            failures.append(f"{event} is ready, expected it to be blocked")
    criteria = case.criteria()
    for criterion, value in (expect.get("criteria") or {}).items():
        if criteria[criterion].value is not value:
            failures.append(f"criterion {criterion} is {criteria[criterion].value!r}, expected {value!r}")
    return failures
