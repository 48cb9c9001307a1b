"""Criteria: structured rules over a case's facts, evaluated with reasons.

Rules are evaluated in three-valued logic. A test of a fact that has not been
recorded is *unknown*, not false, and unknown propagates (``not unknown`` is
unknown; ``all`` is false only if some part is false). A requirement is met
only when its rule is *true*, so a case can never slip past a criterion
because someone forgot to record a fact: it is told which fact is missing.

Every evaluation returns a :class:`Verdict` tree that says, in the words of
the definition (fact labels, criterion titles), why the rule holds or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from .model import All, Any_, CriterionRef, Definition, Fact, FactTest, Not, Rule

Truth = bool | None  # None: cannot tell yet


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
        return _fact_reason(self._definition, self._rule, self._actual, self.value)

    @property
    def holds(self) -> bool:
        return self.value is True

    def blockers(self) -> list[str]:
        """The smallest parts of the rule that keep it from holding, in words."""
        return [] if self.value is True else _dedupe(self._why(False))

    def grounds(self) -> list[str]:
        """The smallest parts of the rule that make it hold, in words."""
        return _dedupe(self._why(True)) if self.value is True else []

    def _why(self, want_true: bool) -> list[str]:
        """Why this verdict has its value (it is True if want_true, else False or unknown)."""
        if self.kind == "fact":
            return [self.reason]
        if self.kind == "criterion":
            return self.children[0]._why(want_true)
        if self.kind == "not":
            inner = self.children[0]
            if want_true:
                return inner._why(False)
            if inner.value is None:
                return inner._why(False)
            if inner.kind == "criterion":
                return [f"{inner.text} holds"]
            return [f"{inner.text} must not hold, but it does: " + "; ".join(_dedupe(inner._why(True)))]
        relevant = [c for c in self.children if c.value is self.value]
        out: list[str] = []
        for child in relevant:
            out.extend(child._why(want_true))
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


def _fact_words(definition: Definition, test: FactTest) -> str:
    fact = definition.facts[test.fact]
    name = f'"{fact.label}"'
    if test.op == "equals":
        return f"{name} is {show_value(fact, test.value)}"
    if test.op == "one_of":
        return f"{name} is {' or '.join(show_value(fact, v) for v in test.value)}"
    if test.op == "includes":
        return f"{name} includes {test.value}"
    return f"{name} is {'recorded' if test.value else 'not recorded'}"


def describe(definition: Definition, rule: Rule) -> str:
    """The rule in words, without evaluating it."""
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
    """Evaluates criteria of one definition against one set of facts, memoised."""

    def __init__(self, definition: Definition, facts: Mapping[str, Any]):
        self.definition = definition
        self.facts = facts
        self._memo: dict[str, Verdict] = {}
        self._values: dict[str, Truth] = {}

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
        actual = self.facts.get(rule.fact)
        return Verdict(_test(d.facts[rule.fact], rule, actual), "fact", d, rule, actual=actual)


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
        fact, test = definition.facts[rule.fact], rule
        return lambda ev: _test(fact, test, ev.facts.get(test.fact))

    return {c.id: compile_rule(c.rule) for c in definition.criteria.values()}


def _test(fact: Fact, test: FactTest, actual: Any) -> Truth:
    if test.op == "is_set":
        return (actual is not None) == bool(test.value)
    if actual is None:
        return None
    if test.op == "includes":
        return isinstance(actual, (list, tuple)) and test.value in actual
    if test.op == "equals":
        return _same(fact, actual, test.value)
    return any(_same(fact, actual, v) for v in test.value)


def _fact_reason(definition: Definition, test: FactTest, actual: Any, value: Truth) -> str:
    fact = definition.facts[test.fact]
    name = f'"{fact.label}"'
    shown = show_value(fact, actual)
    if test.op == "is_set":
        state = f"{name} is recorded ({shown})" if actual is not None else f"{name} is not recorded"
        return state if value else f"{state}, but must {'' if test.value else 'not '}be"
    if actual is None:
        return f"{name} is not recorded yet"
    if test.op == "includes":
        return f"{name} includes {test.value}" if value else f"{name} does not include {test.value} (it is {shown})"
    wanted = (test.value,) if test.op == "equals" else tuple(test.value)
    needed = " or ".join(show_value(fact, v) for v in wanted)
    return f"{name} is {shown}" if value else f"{name} is {shown}, not {needed}"


def evaluate(definition: Definition, criterion_id: str, facts: Mapping[str, Any]) -> Verdict:
    return Evaluator(definition, facts).criterion(criterion_id)


def facts_used(definition: Definition, rule: Rule) -> set[str]:
    """Every fact a rule tests, directly or through the criteria it names."""
    if isinstance(rule, (All, Any_)):
        return set().union(*(facts_used(definition, r) for r in rule.rules))
    if isinstance(rule, Not):
        return facts_used(definition, rule.rule)
    if isinstance(rule, CriterionRef):
        return facts_used(definition, definition.criteria[rule.criterion].rule)
    return {rule.fact}
