"""Criteria: structured rules over a case's facts, evaluated with reasons.

Rules are evaluated in three-valued logic. A test of a fact that has not been
recorded is *unknown*, not false, and unknown propagates (``not unknown`` is
unknown; ``all`` is false only if some part is false). A requirement is met
only when its rule is *true*, so a case can never slip past a criterion
because someone forgot to record a fact: it is told which fact is missing.

Every evaluation returns a :class:`Verdict` tree that says, in the words of
the definition (fact labels, criterion titles), why the rule holds or not.

Language 2 rules may also read a :class:`Context`: the dates the case's
events happened, the organisations its parties are, the status of its tasks.
Without one (a definition read on its own), such a test is unknown. Derived
facts (an age from a date of birth) are computed here, from their dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .facts import value_hint
from .model import (
    All,
    Any_,
    CriterionRef,
    DateRef,
    Definition,
    EventTest,
    Fact,
    FactTest,
    Not,
    PartyTest,
    Rule,
    TasksTest,
    Within,
)

Truth = bool | None  # None: cannot tell yet
_DATE_OPS = {"before": "before", "after": "after", "on_or_before": "on or before", "on_or_after": "on or after"}


@dataclass(frozen=True)
class Context:
    """What a rule may read besides the facts (language 2)."""

    events: Mapping[str, tuple[dt.date, ...]] = field(default_factory=dict)  # event id -> dates, in order
    parties: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # role -> organisations
    tasks: Mapping[str, tuple[bool, ...]] = field(default_factory=dict)  # kind -> each task: received or waived?



class Verdict:
    """The result of a rule, with what it says in words computed only when asked for."""

    __slots__ = ("value", "kind", "children", "criterion", "_definition", "_rule", "_actual")

    def __init__(self, value: Truth, kind: str, definition: Definition, rule: Any,
                 children: tuple[Verdict, ...] = (), criterion: str | None = None, actual: Any = None):
        self.value = value
        self.kind = kind  # all, any, not, criterion or fact
        self.children = children
        self.criterion = criterion
        self._definition = definition
        self._rule = rule
        self._actual = actual

    @property
    def text(self) -> str:
        """The rule in words."""
        if self.kind == "criterion":
            return f"'{self._definition.criteria[self.criterion].title}'"  # type: ignore[index]
        if self.kind in ("all", "any"):
            return f"{self.kind} of {len(self.children)} conditions"
        if self.kind == "not":
            return f"not {self.children[0].text}"
        return _fact_words(self._definition, self._rule)

    @property
    def reason(self) -> str:
        """For a fact test: what the fact actually is, and why that settles it."""
        if self.kind != "fact":
            return ""
        return self.reason_for("REF")

    def reason_for(self, ref: str) -> str:
        """The reason, its command naming the case ``ref`` (e.g. ``cspr case fact REF ID=yes|no``)."""
        if self.kind != "fact":
            return ""
        return _fact_reason(self._definition, self._rule, self._actual, self.value, ref)

    @property
    def holds(self) -> bool:
        return self.value is True

    def blockers(self, ref: str = "REF") -> list[str]:
        """The smallest parts of the rule that keep it from holding, in words, each missing fact with
        the command that records it on case ``ref``."""
        return [] if self.value is True else _dedupe(self._why(False, ref))

    def grounds(self) -> list[str]:
        """The smallest parts of the rule that make it hold, in words."""
        return _dedupe(self._why(True, "REF")) if self.value is True else []

    def _why(self, want_true: bool, ref: str) -> list[str]:
        """Why this verdict has its value (it is True if want_true, else False or unknown)."""
        if self.kind == "fact":
            return [self.reason_for(ref)]
        if self.kind == "criterion":
            return self.children[0]._why(want_true, ref)
        if self.kind == "not":
            inner = self.children[0]
            if want_true:
                return inner._why(False, ref)
            if inner.value is None:
                return inner._why(False, ref)
            if inner.kind == "criterion":
                return [f"{inner.text} holds"]
            return [f"{inner.text} must not hold, but it does: " + "; ".join(_dedupe(inner._why(True, ref)))]
        relevant = [c for c in self.children if c.value is self.value]
        out: list[str] = []
        for child in relevant:
            out.extend(child._why(want_true, ref))
        return out

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"holds": self.value, "kind": self.kind, "rule": self.text}
        if self.criterion:
            out["criterion"] = self.criterion
        if self.reason:
            out["reason"] = self.reason
        if self.children:
            out["parts"] = [c.as_dict() for c in self.children]
        return out


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def show_value(fact: Fact | None, value: Any) -> str:
    """A fact value as a user would write it."""
    if value is None:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show_value(None, v) for v in value) + "]" if value else "none"
    return str(value)


def date_ref_words(definition: Definition, ref: DateRef) -> str:
    if ref.kind == "fact":
        return f'"{definition.facts[ref.ref].label}"'
    if ref.kind == "event":
        return f"the date of '{definition.events[ref.ref].title}'"
    return ref.ref


def _fact_words(definition: Definition, test: Any) -> str:
    if isinstance(test, EventTest):
        return f"'{definition.events[test.event].title}' {'has' if test.happened else 'has not'} happened"
    if isinstance(test, PartyTest):
        name = definition.roles[test.role].name
        if test.op == "is_set":
            return f"the {name} is {'named' if test.value else 'not named'}"
        return f"the {name} is {' or '.join(test.value) if test.op == 'one_of' else test.value}"
    if isinstance(test, TasksTest):
        title = definition.tasks[test.kind].title
        return f"every '{title}' is received (or waived)" if test.all_received else f"some '{title}' is still awaited"
    fact = definition.facts[test.fact]
    name = f'"{fact.label}"'
    if test.op == "equals":
        return f"{name} is {show_value(fact, test.value)}"
    if test.op == "one_of":
        return f"{name} is {' or '.join(show_value(fact, v) for v in test.value)}"
    if test.op == "includes":
        return f"{name} includes {test.value}"
    if test.op in ("at_least", "at_most"):
        return f"{name} is {test.op.replace('_', ' ')} {test.value}"
    if test.op == "between":
        return f"{name} is from {test.value[0]} to {test.value[1]}"
    if test.op in _DATE_OPS:
        return f"{name} is {_DATE_OPS[test.op]} {date_ref_words(definition, test.value)}"
    if test.op == "within":
        w: Within = test.value
        return f"{name} is within {w.period.words()} {w.direction} {date_ref_words(definition, w.ref)}"
    return f"{name} is {'recorded' if test.value else 'not recorded'}"


def describe(definition: Definition, rule: Rule) -> str:
    """The rule in words, without evaluating it."""
    if isinstance(rule, (EventTest, PartyTest, TasksTest)):
        return _fact_words(definition, rule)
    if isinstance(rule, All):
        return "all of: " + "; ".join(_bracket(describe(definition, r)) for r in rule.rules)
    if isinstance(rule, Any_):
        return "any of: " + "; ".join(_bracket(describe(definition, r)) for r in rule.rules)
    if isinstance(rule, Not):
        return "not " + _bracket(describe(definition, rule.rule))
    if isinstance(rule, CriterionRef):
        return f"'{definition.criteria[rule.criterion].title}'"
    return _fact_words(definition, rule)


def _bracket(text: str) -> str:
    return f"({text})" if text.startswith(("all of", "any of")) else text


def _same(fact: Fact, actual: Any, expected: Any) -> bool:
    if fact.type == "date" and isinstance(actual, dt.date):
        return bool(actual.isoformat() == expected)
    if isinstance(actual, bool) != isinstance(expected, bool):
        return False
    return bool(actual == expected)


class Evaluator:
    """Evaluates criteria of one definition against one set of facts (and a context), memoised."""

    def __init__(self, definition: Definition, facts: Mapping[str, Any], context: Context | None = None):
        self.definition = definition
        self.facts = facts
        self.context = context
        self._memo: dict[str, Verdict] = {}
        self._values: dict[str, Truth] = {}

    def fact(self, fact_id: str) -> Any:
        """A fact's value: as recorded, or computed from its dates when it is derived."""
        fact = self.definition.facts[fact_id]
        if fact.derive is None:
            return self.facts.get(fact_id)
        return derived_value(self.definition, fact, self.date)

    def date(self, ref: DateRef) -> dt.date | None:
        """The date a rule reads: a date fact, the latest date of an event, or a fixed date."""
        if ref.kind == "date":
            return dt.date.fromisoformat(ref.ref)
        if ref.kind == "fact":
            value = self.fact(ref.ref)
            return value if isinstance(value, dt.date) else None
        if self.context is None:
            return None
        dates = self.context.events.get(ref.ref) or ()
        return dates[-1] if dates else None

    def value(self, criterion_id: str) -> Truth:
        """Whether a criterion holds (True, False, or None: cannot tell yet), without the explanation."""
        if criterion_id not in self._values:
            self._values[criterion_id] = _compiled(self.definition)[criterion_id](self)
        return self._values[criterion_id]

    def criterion(self, criterion_id: str) -> Verdict:
        """Whether a criterion holds, with every part of the rule and its reason."""
        if criterion_id not in self._memo:
            inner = self.rule(self.definition.criteria[criterion_id].rule)
            self._memo[criterion_id] = Verdict(inner.value, "criterion", self.definition, None, (inner,),
                                               criterion=criterion_id)
        return self._memo[criterion_id]

    def rule(self, rule: Rule) -> Verdict:
        d = self.definition
        if isinstance(rule, (All, Any_)):
            parts = tuple(self.rule(r) for r in rule.rules)
            values = [p.value for p in parts]
            if isinstance(rule, All):
                value: Truth = False if False in values else (None if None in values else True)
                return Verdict(value, "all", d, rule, parts)
            value = True if True in values else (None if None in values else False)
            return Verdict(value, "any", d, rule, parts)
        if isinstance(rule, Not):
            inner = self.rule(rule.rule)
            return Verdict(None if inner.value is None else not inner.value, "not", d, rule, (inner,))
        if isinstance(rule, CriterionRef):
            return self.criterion(rule.criterion)
        if isinstance(rule, (EventTest, PartyTest, TasksTest)):
            actual = self._context_value(rule)
            return Verdict(_context_test(rule, actual), "fact", d, rule, actual=actual)
        actual = self.fact(rule.fact)
        return Verdict(_test(d.facts[rule.fact], rule, actual, self), "fact", d, rule, actual=actual)

    def _context_value(self, rule: EventTest | PartyTest | TasksTest) -> Any:
        """What a language-2 test reads; None when there is no context to read it from."""
        if self.context is None:
            return None
        if isinstance(rule, EventTest):
            return self.context.events.get(rule.event) or ()
        if isinstance(rule, PartyTest):
            return self.context.parties.get(rule.role) or ()
        return self.context.tasks.get(rule.kind) or ()


Check = Callable[["Evaluator"], Truth]


@cache
def _compiled(definition: Definition) -> dict[str, Check]:
    """Each criterion's rule as a small function, built once per definition (values only, no words)."""

    def compile_rule(rule: Rule) -> Check:
        if isinstance(rule, All):
            parts = [compile_rule(r) for r in rule.rules]

            def all_of(ev: Evaluator) -> Truth:
                unknown = False
                for part in parts:
                    value = part(ev)
                    if value is False:
                        return False
                    unknown = unknown or value is None
                return None if unknown else True
            return all_of
        if isinstance(rule, Any_):
            parts = [compile_rule(r) for r in rule.rules]

            def any_of(ev: Evaluator) -> Truth:
                unknown = False
                for part in parts:
                    value = part(ev)
                    if value is True:
                        return True
                    unknown = unknown or value is None
                return None if unknown else False
            return any_of
        if isinstance(rule, Not):
            inner = compile_rule(rule.rule)

            def not_(ev: Evaluator) -> Truth:
                value = inner(ev)
                return None if value is None else not value
            return not_
        if isinstance(rule, CriterionRef):
            name = rule.criterion
            return lambda ev: ev.value(name)
        if isinstance(rule, (EventTest, PartyTest, TasksTest)):
            context_test = rule
            return lambda ev: _context_test(context_test, ev._context_value(context_test))
        fact, test = definition.facts[rule.fact], rule
        if fact.derive is not None or test.op in _NEEDS_EVALUATOR:
            return lambda ev: _test(fact, test, ev.fact(test.fact), ev)
        return lambda ev: _test(fact, test, ev.facts.get(test.fact))

    return {c.id: compile_rule(c.rule) for c in definition.criteria.values()}


_NEEDS_EVALUATOR = frozenset({"before", "after", "on_or_before", "on_or_after", "within"})


def _test(fact: Fact, test: FactTest, actual: Any, ev: Evaluator | None = None) -> Truth:
    if test.op == "is_set":
        return (actual is not None) == bool(test.value)
    if actual is None:
        return None
    if test.op == "includes":
        return isinstance(actual, (list, tuple)) and test.value in actual
    if test.op == "equals":
        return _same(fact, actual, test.value)
    if test.op == "one_of":
        return any(_same(fact, actual, v) for v in test.value)
    if test.op in ("at_least", "at_most", "between"):
        if not isinstance(actual, int) or isinstance(actual, bool):
            return None
        low, high = {"at_least": (test.value, None), "at_most": (None, test.value)}.get(test.op, test.value)
        return (low is None or actual >= low) and (high is None or actual <= high)
    if not isinstance(actual, dt.date) or ev is None:
        return None
    if test.op == "within":
        w: Within = test.value
        other = ev.date(w.ref)
        if other is None:
            return None
        bound = _calendar(ev.definition).shift(other, w.period.amount if w.direction == "after" else -w.period.amount,
                                               w.period.unit)
        low, high = (other, bound) if w.direction == "after" else (bound, other)
        return low <= actual <= high
    other = ev.date(test.value)
    if other is None:
        return None
    return {"before": actual < other, "after": actual > other, "on_or_before": actual <= other,
            "on_or_after": actual >= other}[test.op]


def _context_test(rule: EventTest | PartyTest | TasksTest, actual: Any) -> Truth:
    if actual is None:
        return None  # nothing to read it from
    if isinstance(rule, EventTest):
        return bool(actual) == rule.happened
    if isinstance(rule, PartyTest):
        if rule.op == "is_set":
            return bool(actual) == bool(rule.value)
        if not actual:
            return None  # not named yet
        wanted = rule.value if rule.op == "one_of" else (rule.value,)
        return any(name in wanted for name in actual)
    if not actual:
        return None  # no task of the kind has been added yet
    settled = all(actual)
    return settled if rule.all_received else not settled


def _calendar(definition: Definition) -> Any:
    from .workdays import calendar_of

    return calendar_of(definition)


def whole_units(start: dt.date, end: dt.date, unit: str, definition: Definition) -> int:
    """Whole years or months from ``start`` to ``end`` (an age), or calendar or working days."""
    if unit == "calendar_days":
        return (end - start).days
    if unit == "working_days":
        return int(_calendar(definition).working_days_between(start, end))
    months = (end.year - start.year) * 12 + (end.month - start.month) - (1 if end.day < start.day else 0)
    return months if unit == "months" else (months // 12 if months >= 0 else -((-months + 11) // 12))


def derived_value(definition: Definition, fact: Fact, date: Callable[[DateRef], dt.date | None]) -> int | None:
    """A derived fact's value from its two dates (None until both are known)."""
    assert fact.derive is not None
    start, end = date(fact.derive.start), date(fact.derive.end)
    if start is None or end is None:
        return None
    return whole_units(start, end, fact.derive.unit, definition)


def _context_reason(definition: Definition, test: EventTest | PartyTest | TasksTest, actual: Any, ref: str,
                    value: Truth) -> str:
    if isinstance(test, EventTest):
        title = f"'{definition.events[test.event].title}'"
        if actual is None:
            return f"cannot tell whether {title} has happened"
        if actual:
            return f"{title} happened on {actual[-1].isoformat()}" + ("" if value else ", but must not have")
        return f"{title} has not happened" + ("" if value else " yet")
    if isinstance(test, PartyTest):
        name = definition.roles[test.role].name
        if not actual:
            return f"the {name} is not named yet" + (f" (cspr case party {ref} {test.role}=NAME)" if value is None else "")
        named = " and ".join(actual)
        if test.op == "is_set":
            return f"the {name} is {named}" + ("" if value else ", but must not be named")
        wanted = " or ".join(test.value) if test.op == "one_of" else test.value
        return f"the {name} is {named}" if value else f"the {name} is {named}, not {wanted}"
    title = f"'{definition.tasks[test.kind].title}'"
    if not actual:
        return f"no {title} task has been added yet"
    waiting = sum(1 for settled in actual if not settled)
    if waiting:
        return f"{waiting} of {len(actual)} {title} tasks still awaited"
    return f"every {title} task is received or waived ({len(actual)})"


def _fact_reason(definition: Definition, test: Any, actual: Any, value: Truth, ref: str = "REF") -> str:
    if isinstance(test, (EventTest, PartyTest, TasksTest)):
        return _context_reason(definition, test, actual, ref, value)
    fact = definition.facts[test.fact]
    name = f'"{fact.label}"'
    shown = show_value(fact, actual)
    if test.op == "is_set":
        state = f"{name} is recorded ({shown})" if actual is not None else f"{name} is not recorded"
        return state if value else f"{state}, but must {'' if test.value else 'not '}be"
    if actual is None:
        if fact.derive is not None:
            return f"{name} is not known yet"
        return f"{name} is not recorded yet (cspr case fact {ref} {value_hint(fact)})"
    if test.op == "includes":
        return f"{name} includes {test.value}" if value else f"{name} does not include {test.value} (it is {shown})"
    if test.op not in ("equals", "one_of"):
        rule_text = _fact_words(definition, test)
        if value is None:
            return f"cannot tell yet whether {rule_text}: {name} is {shown}, and the date it is compared with is not known yet"
        return f"{name} is {shown}" + ("" if value else f", so it is not true that {rule_text}")
    wanted = (test.value,) if test.op == "equals" else tuple(test.value)
    needed = " or ".join(show_value(fact, v) for v in wanted)
    return f"{name} is {shown}" if value else f"{name} is {shown}, not {needed}"


def evaluate(definition: Definition, criterion_id: str, facts: Mapping[str, Any],
             context: Context | None = None) -> Verdict:
    return Evaluator(definition, facts, context).criterion(criterion_id)


def facts_used(definition: Definition, rule: Rule) -> set[str]:
    """Every fact a rule tests, directly or through the criteria it names."""
    if isinstance(rule, (All, Any_)):
        return set().union(*(facts_used(definition, r) for r in rule.rules))
    if isinstance(rule, Not):
        return facts_used(definition, rule.rule)
    if isinstance(rule, CriterionRef):
        return facts_used(definition, definition.criteria[rule.criterion].rule)
    if isinstance(rule, (EventTest, PartyTest, TasksTest)):
        return set()
    used = {rule.fact}
    fact = definition.facts[rule.fact]
    if fact.derive is not None:
        used = {r.ref for r in (fact.derive.start, fact.derive.end) if r.kind == "fact"}
    refs = [rule.value] if isinstance(rule.value, DateRef) else [rule.value.ref] if isinstance(rule.value, Within) else []
    return used | {r.ref for r in refs if r.kind == "fact"}
