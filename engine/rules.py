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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .model import All, Any_, CriterionRef, Definition, Fact, FactTest, Not, Rule

Truth = bool | None  # None: cannot tell yet


@dataclass(frozen=True)
class Verdict:
    value: Truth
    kind: str  # all, any, not, criterion or fact
    text: str  # the rule in words
    reason: str = ""  # for a fact test: what the fact actually is
    children: tuple[Verdict, ...] = ()
    criterion: str | None = None

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
        return actual.isoformat() == expected
    if isinstance(actual, bool) != isinstance(expected, bool):
        return False
    return bool(actual == expected)


class Evaluator:
    """Evaluates criteria of one definition against one set of facts, memoised."""

    def __init__(self, definition: Definition, facts: Mapping[str, Any]):
        self.definition = definition
        self.facts = facts
        self._memo: dict[str, Verdict] = {}

    def criterion(self, criterion_id: str) -> Verdict:
        if criterion_id not in self._memo:
            criterion = self.definition.criteria[criterion_id]
            inner = self.rule(criterion.rule)
            self._memo[criterion_id] = Verdict(
                inner.value, "criterion", f"'{criterion.title}'", "", (inner,), criterion=criterion_id
            )
        return self._memo[criterion_id]

    def rule(self, rule: Rule) -> Verdict:
        if isinstance(rule, (All, Any_)):
            parts = tuple(self.rule(r) for r in rule.rules)
            values = [p.value for p in parts]
            if isinstance(rule, All):
                value: Truth = False if False in values else (None if None in values else True)
                word = "all of"
            else:
                value = True if True in values else (None if None in values else False)
                word = "any of"
            return Verdict(value, word.split()[0], f"{word} {len(parts)} conditions", "", parts)
        if isinstance(rule, Not):
            inner = self.rule(rule.rule)
            value = None if inner.value is None else not inner.value
            return Verdict(value, "not", f"not {inner.text}", "", (inner,))
        if isinstance(rule, CriterionRef):
            return self.criterion(rule.criterion)
        return self.fact_test(rule)

    def fact_test(self, test: FactTest) -> Verdict:
        fact = self.definition.facts[test.fact]
        words = _fact_words(self.definition, test)
        name = f'"{fact.label}"'
        actual = self.facts.get(test.fact)
        shown = show_value(fact, actual)
        if test.op == "is_set":
            recorded = actual is not None
            value = recorded == bool(test.value)
            state = f"{name} is recorded ({shown})" if recorded else f"{name} is not recorded"
            return Verdict(value, "fact", words, state if value else f"{state}, but must {'' if test.value else 'not '}be")
        if actual is None:
            return Verdict(None, "fact", words, f"{name} is not recorded yet")
        if test.op == "includes":
            result = isinstance(actual, (list, tuple)) and test.value in actual
            reason = f"{name} includes {test.value}" if result else f"{name} does not include {test.value} (it is {shown})"
            return Verdict(result, "fact", words, reason)
        wanted = (test.value,) if test.op == "equals" else tuple(test.value)
        result = any(_same(fact, actual, v) for v in wanted)
        needed = " or ".join(show_value(fact, v) for v in wanted)
        reason = f"{name} is {shown}" if result else f"{name} is {shown}, not {needed}"
        return Verdict(result, "fact", words, reason)


def evaluate(definition: Definition, criterion_id: str, facts: Mapping[str, Any]) -> Verdict:
    return Evaluator(definition, facts).criterion(criterion_id)
