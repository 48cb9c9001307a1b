"""Synthetic cases for demonstrations and benchmarks: random walks through a process.

Nothing here knows any particular process. Each case opens on a random date
within the last few years, under the version in effect then, and walks from
state to state: at each step it picks one of the possible events, signs off
what needs signing off, records random values for the facts the event needs
and the facts its criteria test (retrying until the criteria hold), and
records it a few working days later, sometimes many days later (so some
deadlines are met late), stopping when the case ends or the next step would
fall after today (so recent cases are open, some overdue).

Everything goes through the real checks (see :mod:`cspr.engine.casebook.bulk`). The same
seed gives the same cases.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from typing import Any

from cspr.engine.definition.catalog import in_effect
from cspr.engine.definition.model import Definition, Event, Fact
from cspr.engine.definition.rules import Evaluator, facts_used
from cspr.engine.errors import CsprError
from cspr.engine.runtime.deadlines import calendar_for

from .bulk import BulkCasebook

BATCH = 500
GAPS = [0, 1, 1, 2, 2, 3, 3, 4, 5, 7, 12, 20]  # working days between steps; the long ones make deadlines late


def random_value(fact: Fact, rng: random.Random, near: dt.date) -> Any:
    if fact.type == "boolean":
        return rng.random() < 0.5
    if fact.type == "enum":
        return rng.choice(fact.value_ids)
    if fact.type == "integer":
        return rng.randint(fact.minimum if fact.minimum is not None else 0,
                           fact.maximum if fact.maximum is not None else 10)
    if fact.type == "date":
        return near + dt.timedelta(days=rng.randint(20, 200))
    if fact.type == "list":
        if fact.items == "enum":
            return rng.sample(list(fact.value_ids), k=rng.randint(1, min(3, len(fact.value_ids))))
        return [f"item {rng.randint(1, 99)}"]
    limit = fact.max_length or 40
    return f"synthetic {rng.randint(1, 9999)}"[:limit]


class Walker:
    def __init__(self, book: BulkCasebook, definitions: list[Definition], today: dt.date, rng: random.Random):
        self.book, self.definitions, self.today, self.rng = book, definitions, today, rng

    def facts_for(self, case: Any, event: Event, on: dt.date) -> dict[str, Any] | None:
        """Values for the unrecorded facts the event needs or tests, under which its criteria hold."""
        d = case.definition
        tested = set(event.requires.facts)
        for criterion in event.requires.criteria:
            tested |= facts_used(d, d.criteria[criterion].rule)
        missing = sorted(f for f in tested if f not in case.facts)
        for _ in range(12):
            values = {f: random_value(d.facts[f], self.rng, on) for f in missing}
            evaluator = Evaluator(d, {**case.facts, **values})
            if all(evaluator.value(c) is True for c in event.requires.criteria):
                return values
        return None

    def walk(self, ref: str, opened_on: dt.date) -> None:
        definition = in_effect(self.definitions, opened_on) or self.definitions[0]
        calendar = calendar_for(definition)
        named = [f"{role}={spec.organisations[self.rng.randrange(len(spec.organisations))] if spec.organisations else 'Synthetic ' + role}"
                 for role, spec in definition.parties.items() if spec.required]
        case = self.book.open_case(ref, definition, opened_on, parties=named)
        on = opened_on
        visits: dict[str, int] = {}
        for _ in range(60):
            d = case.definition
            visits[case.state] = visits.get(case.state, 0) + 1
            options = d.events_from(case.state)
            if not options:
                return
            # Exits that nothing gates (a withdrawal, a national review) are rare; routes the facts decide are
            # not; going round a loop again is less likely each time.
            weights = [(0.1 if d.states[e.target or case.state].final and not e.requires.criteria else 4)
                       / (1 + 4 * visits.get(e.target or case.state, 0)) for e in options]
            order = sorted(options, key=lambda e: -self.rng.random() * weights[options.index(e)])
            next_on = calendar.add_working_days(on, self.rng.choice(GAPS))
            if next_on > self.today:
                return
            for event in order:
                values = self.facts_for(case, event, next_on)
                if values is None:
                    continue
                for role in event.requires.signoff:
                    if role not in case.signoffs:
                        self.book.signoff(ref, role, on=next_on)
                by = self.rng.choice(event.by)
                self.book.record(ref, event.id, on=next_on, by=by, values=values)
                on = next_on
                self.maybe_action(case, on, calendar)
                break
            else:
                return  # no event can happen with the facts this case has

    def maybe_action(self, case: Any, on: dt.date, calendar: Any) -> None:
        from . import actions

        rule = case.definition.actions.get(case.stage)
        if rule is None or self.rng.random() > 0.3:
            return
        owner = self.rng.choice(list(case.definition.roles))
        due = calendar.add_working_days(on, self.rng.randint(20, 120))
        actions.add(self.book, case.ref, case.stage, "Synthetic agreed action", owner, due, rule.agreed_by, on=on)


def generate(book: BulkCasebook, definitions: list[Definition], count: int, seed: int, years: int = 5,
             progress: Callable[[Iterable[int]], Iterable[int]] = lambda items: items) -> int:
    """Open and walk ``count`` cases; return how many entries were written. Their references follow the
    process's reference pattern (:mod:`cspr.engine.casebook.references`)."""
    from .references import references

    if count < 1:
        raise CsprError("give a number of cases of at least 1")
    definitions = sorted(definitions, key=lambda d: d.effective_from)
    first = max(definitions[0].effective_from, book.today - dt.timedelta(days=365 * years))
    span = (book.today - first).days
    opened = [first + dt.timedelta(days=random.Random(f"{seed}:{i}").randint(0, span)) for i in range(1, count + 1)]
    refs = references(definitions[-1], [day.year for day in opened])
    for i, ref in zip(progress(range(1, count + 1)), refs, strict=True):
        rng = random.Random(f"{seed}:{i}")
        opened_on = first + dt.timedelta(days=rng.randint(0, span))
        Walker(book, definitions, book.today, rng).walk(ref, opened_on)
        book.release(ref)
        if book.pending >= BATCH:
            book.flush()
    book.flush()
    return book.entries_written
