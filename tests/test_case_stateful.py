"""Hypothesis stateful test: any sequence of events, sign-offs, facts and notes,
refused or not, leaves a case whose stored projection equals a fresh replay of
its stored events, and a refused command changes nothing in the database."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from cspr.engine.casebook.book import Casebook
from cspr.engine.definition.catalog import resolve
from cspr.engine.errors import CsprError
from cspr.engine.store.interface import open_store

from .conftest import dump, examples

DEFINITION = resolve("cspr_pan_lancashire@2025.1")
REF = "LSBU-2024-001"
TODAY = dt.date(2026, 6, 10)  # a past day: entries are never dated after the real date


def fact_values(fact):
    """Mostly valid values for a fact, and some that are not."""
    if fact.type == "boolean":
        good = st.sampled_from(["yes", "no", "true", "false"])
    elif fact.type == "enum":
        good = st.sampled_from(list(fact.value_ids))
    elif fact.type == "integer":
        good = st.integers(fact.minimum or 0, fact.maximum or 10).map(str)
    elif fact.type == "date":
        good = st.dates(dt.date(2024, 1, 1), dt.date(2026, 1, 1)).map(dt.date.isoformat)
    elif fact.type == "list":
        good = st.lists(st.sampled_from(list(fact.value_ids) or ["a"]), max_size=3).map(",".join)
    else:
        good = st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=20)
    bad = st.sampled_from(["maybe", "2024-02-30", "-1", "99", "x" * 5000])
    return st.one_of(good, good, good, bad)


def valid_values(fact):
    return fact_values(fact).filter(lambda v: v not in {"maybe", "2024-02-30", "-1", "99"} and len(v) < 100)


def facts_of(rule) -> set[str]:
    """Every fact a rule tests, through the criteria it names."""
    from cspr.engine.definition.model import All, Any_, CriterionRef, Not

    if isinstance(rule, (All, Any_)):
        return set().union(*(facts_of(r) for r in rule.rules))
    if isinstance(rule, Not):
        return facts_of(rule.rule)
    if isinstance(rule, CriterionRef):
        return facts_of(DEFINITION.criteria[rule.criterion].rule)
    return {rule.fact}




class CaseMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        self.path = self.folder / "cases.db"
        self.store = open_store(self.path, create=True)
        self.book = Casebook(self.store, today=TODAY, actor="hypothesis")
        self.clock = dt.date(2024, 3, 1)
        self.book.open_case(REF, DEFINITION, self.clock)
        self.refusals = 0

    def teardown(self):
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def attempt(self, action):
        before = dump(self.path)
        try:
            action()
        except CsprError:
            self.refusals += 1
            assert dump(self.path) == before, "a refused command changed the database"

    def advance(self, data) -> dt.date:
        step = data.draw(st.sampled_from([0, 1, 1, 2, 3, -1]), label="days")
        self.clock = max(dt.date(2024, 2, 1), self.clock + dt.timedelta(days=step))
        return self.clock

    def draw_facts(self, data, names=None):
        chosen = names if names is not None else data.draw(st.lists(st.sampled_from(list(DEFINITION.facts)), max_size=3))
        return [f"{name}={data.draw(fact_values(DEFINITION.facts[name]), label=name)}" for name in chosen]

    @rule(data=st.data())
    def record_event(self, data):
        case = self.book.load(REF)
        possible = [e.id for e in DEFINITION.events_from(case.state)]
        event = data.draw(st.sampled_from(possible) if possible and data.draw(st.booleans()) else st.sampled_from(list(DEFINITION.events)))
        needed = list(DEFINITION.events[event].requires.facts)
        assignments = self.draw_facts(data, needed if data.draw(st.booleans()) else None)
        by = data.draw(st.one_of(st.none(), st.sampled_from(list(DEFINITION.roles))))
        on = self.advance(data)
        self.attempt(lambda: self.book.record(REF, event, on=on, by=by, assignments=assignments))

    @rule(data=st.data())
    def make_progress(self, data):
        """Choose a possible event; sign off, record its facts and the facts its criteria test; record it."""
        case = self.book.load(REF)
        possible = DEFINITION.events_from(case.state)
        if not possible:
            return
        onward = [e for e in possible if not DEFINITION.states[e.target].final] or possible
        event = data.draw(st.sampled_from(onward if data.draw(st.integers(0, 4)) else possible), label="event")
        for role in event.requires.signoff:
            on = self.advance(data)
            self.attempt(lambda role=role, on=on: self.book.signoff(REF, role, on=on))
        tested = set(event.requires.facts).union(*(facts_of(DEFINITION.criteria[c].rule) for c in event.requires.criteria))
        assignments = [f"{n}={data.draw(valid_values(DEFINITION.facts[n]), label=n)}" for n in sorted(tested)
                       if n != DEFINITION.opening.date_fact]
        on = self.advance(data)
        by = event.by[0] if len(event.by) > 1 else None
        self.attempt(lambda: self.book.record(REF, event.id, on=on, by=by, assignments=assignments))

    @rule(data=st.data())
    def sign_off(self, data):
        case = self.book.load(REF)
        wanted = sorted(case.signoff_roles_wanted())
        role = data.draw(st.sampled_from(wanted) if wanted and data.draw(st.booleans()) else st.sampled_from(list(DEFINITION.roles)))
        on = self.advance(data)
        self.attempt(lambda role=role, on=on: self.book.signoff(REF, role, on=on))

    @rule(data=st.data())
    def record_facts(self, data):
        assignments = self.draw_facts(data)
        on = self.advance(data)
        self.attempt(lambda: self.book.set_facts(REF, assignments=assignments, on=on))

    @rule(data=st.data(), text=st.text(max_size=30))
    def add_note(self, data, text):
        on = self.advance(data)
        self.attempt(lambda: self.book.note(REF, text, on=on))

    @invariant()
    def projection_equals_a_fresh_replay(self):
        fresh_store = open_store(self.path)
        try:
            fresh = Casebook(fresh_store, today=TODAY)
            case = fresh.load(REF)
            cases, stored, *_ = fresh_store.stored_projections()
            row = next(r for r in cases if r["ref"] == REF)
            assert (row["state"], row["last_seq"]) == (case.state, len(case.history))
            event(f"reached {case.state}")
            fresh.rebuild()
            assert fresh_store.stored_projections()[1] == stored
            # sequence numbers have no gaps: nothing was half-written
            assert [r.seq for r in case.history] == list(range(1, len(case.history) + 1))
        finally:
            fresh_store.close()


CaseMachine.TestCase.settings = settings(max_examples=examples(20), stateful_step_count=40, deadline=None)
TestCaseMachine = CaseMachine.TestCase
