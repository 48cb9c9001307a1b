"""The process definition as immutable values: the *spec*, never a running case.

Plain frozen dataclasses with no I/O. :mod:`cspr.engine.definition.loader` builds them from a
checked YAML document; everything else (the case engine, the diff, the
diagrams) reads them. ``Definition.canonical()`` is the normal form used for
the content hash: it does not depend on key order, comments, or whether a
single item was written as ``x`` or ``[x]``.

Each class's ``KEYS`` lists the YAML keys it reads; a test checks they equal
the JSON Schema's properties so the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal

from .workdays import PeriodUnit

FactType = Literal["boolean", "integer", "date", "text", "enum", "list"]
Scalar = str | int | bool


@dataclass(frozen=True)
class Citation:
    source: str
    section: str | None = None
    note: str | None = None
    verified: bool = True

    KEYS: ClassVar[tuple[str, ...]] = ("source", "section", "note", "verified")


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    section: str | None = None
    publisher: str | None = None
    published: dt.date | None = None
    url: str | None = None
    note: str | None = None
    verified: bool = True

    KEYS: ClassVar[tuple[str, ...]] = ("title", "section", "publisher", "published", "url", "note", "verified")


@dataclass(frozen=True)
class Closure:
    date: dt.date
    reason: str

    KEYS: ClassVar[tuple[str, ...]] = ("date", "reason")


@dataclass(frozen=True)
class CalendarSpec:
    country: str = "GB"
    subdivision: str | None = "ENG"
    closures: tuple[Closure, ...] = ()
    cite: Citation | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("holidays", "closures", "cite")
    HOLIDAY_KEYS: ClassVar[tuple[str, ...]] = ("country", "subdivision")


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    cite: Citation
    description: str | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("name", "description", "cite")


@dataclass(frozen=True)
class Fact:
    id: str
    type: FactType
    label: str
    description: str | None = None
    values: tuple[tuple[str, str], ...] = ()  # (value, meaning) for enums
    items: Literal["text", "enum"] | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    cite: Citation | None = None

    KEYS: ClassVar[tuple[str, ...]] = (
        "type", "label", "description", "values", "items", "minimum", "maximum", "max_length", "cite",
    )

    @cached_property
    def value_ids(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.values)

    def meaning(self, value: Any) -> str:
        return dict(self.values).get(value, str(value))


# --- rules -----------------------------------------------------------------


@dataclass(frozen=True)
class All:
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Any_:
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Not:
    rule: Rule


@dataclass(frozen=True)
class CriterionRef:
    criterion: str


@dataclass(frozen=True)
class FactTest:
    fact: str
    op: Literal["equals", "one_of", "is_set", "includes"]
    value: Any  # Scalar, tuple of Scalar, or bool for is_set


Rule = All | Any_ | Not | CriterionRef | FactTest
RULE_KEYS: tuple[str, ...] = ("all", "any", "not", "criterion", "fact", "equals", "one_of", "is_set", "includes")


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    description: str
    rule: Rule
    cite: Citation

    KEYS: ClassVar[tuple[str, ...]] = ("title", "description", "rule", "cite")


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    description: str | None = None
    cite: Citation | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("title", "description", "cite")


@dataclass(frozen=True)
class State:
    id: str
    title: str
    stage: str
    description: str | None = None
    initial: bool = False
    final: bool = False
    cite: Citation | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("title", "stage", "description", "initial", "final", "cite")


@dataclass(frozen=True)
class Requirements:
    facts: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()
    signoff: tuple[str, ...] = ()

    KEYS: ClassVar[tuple[str, ...]] = ("facts", "criteria", "signoff")


@dataclass(frozen=True)
class Event:
    id: str
    title: str
    sources: tuple[str, ...]  # the 'from' states
    target: str  # the 'to' state
    by: tuple[str, ...]
    cite: Citation
    requires: Requirements = field(default_factory=Requirements)
    description: str | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("title", "description", "from", "to", "by", "requires", "cite")


@dataclass(frozen=True)
class Period:
    amount: int
    unit: PeriodUnit

    KEYS: ClassVar[tuple[str, ...]] = tuple(PeriodUnit)

    def words(self) -> str:
        return self.unit.amount(self.amount)


@dataclass(frozen=True)
class Anchor:
    kind: Literal["fact", "event"]
    ref: str

    KEYS: ClassVar[tuple[str, ...]] = ("fact", "event")


@dataclass(frozen=True)
class Deadline:
    id: str
    title: str
    owner: tuple[str, ...]
    period: Period
    direction: Literal["after", "before"]
    anchor: Anchor
    met_by: tuple[str, ...]
    cite: Citation
    warn: Period | None = None
    applies_when: tuple[str, ...] = ()
    description: str | None = None

    KEYS: ClassVar[tuple[str, ...]] = (
        "title", "description", "owner", "period", "after", "before", "met_by", "warn", "applies_when", "cite",
    )


@dataclass(frozen=True)
class ActionRule:
    """Actions that arise at one stage, and the roles who must all agree each one."""

    stage: str
    agreed_by: tuple[str, ...]
    cite: Citation
    description: str | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("agreed_by", "description", "cite")


@dataclass(frozen=True)
class Opening:
    date_fact: str
    facts: tuple[str, ...] = ()

    KEYS: ClassVar[tuple[str, ...]] = ("date_fact", "facts")


@dataclass(frozen=True)
class ReferenceFormat:
    pattern: str
    example: str

    KEYS: ClassVar[tuple[str, ...]] = ("pattern", "example")


@dataclass(frozen=True)
class Definition:
    """One version of one process, checked and ready to run."""

    id: str
    title: str
    version: str
    edition: str
    effective_from: dt.date
    opening: Opening
    sources: dict[str, Source]
    calendar: CalendarSpec
    roles: dict[str, Role]
    facts: dict[str, Fact]
    criteria: dict[str, Criterion]
    stages: dict[str, Stage]
    states: dict[str, State]
    events: dict[str, Event]
    deadlines: dict[str, Deadline]
    supersedes: str | None = None
    description: str | None = None
    reference: ReferenceFormat | None = None
    actions: Mapping[str, ActionRule] = field(default_factory=dict)
    language_version: int = 1
    file: str = field(default="", compare=False)
    source_text: str = field(default="", compare=False, repr=False)
    document: Any = field(default=None, compare=False, repr=False)  # the parsed YAML, in document order

    KEYS: ClassVar[tuple[str, ...]] = (
        "language_version", "id", "title", "version", "edition", "effective_from", "supersedes",
        "description", "reference", "opening", "sources", "calendar", "roles", "facts", "criteria",
        "stages", "states", "events", "deadlines", "actions",
    )

    def __hash__(self) -> int:
        return hash(self.content_hash)

    @property
    def initial_state(self) -> State:
        return next(s for s in self.states.values() if s.initial)

    def events_from(self, state: str) -> list[Event]:
        return [e for e in self.events.values() if state in e.sources]

    def canonical(self) -> dict[str, Any]:
        """The definition in normal form: plain JSON values, sets sorted."""
        return canonical(self)

    @property
    def content_hash(self) -> str:
        cached = self.__dict__.get("_content_hash")
        if cached is None:
            text = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            cached = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
            object.__setattr__(self, "_content_hash", cached)
        return cached

    @property
    def label(self) -> str:
        return f"{self.id} {self.version}"


# --- normal form -------------------------------------------------------------


def _drop_none(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


def citation_dict(c: Citation | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return _drop_none({"source": c.source, "section": c.section, "note": c.note, "verified": c.verified})


def rule_dict(rule: Rule) -> dict[str, Any]:
    if isinstance(rule, All):
        return {"all": [rule_dict(r) for r in rule.rules]}
    if isinstance(rule, Any_):
        return {"any": [rule_dict(r) for r in rule.rules]}
    if isinstance(rule, Not):
        return {"not": rule_dict(rule.rule)}
    if isinstance(rule, CriterionRef):
        return {"criterion": rule.criterion}
    value = list(rule.value) if isinstance(rule.value, tuple) else rule.value
    return {"fact": rule.fact, rule.op: value}


def period_dict(p: Period | None) -> dict[str, int] | None:
    return None if p is None else {p.unit: p.amount}


def canonical(d: Definition) -> dict[str, Any]:
    def iso(day: dt.date | None) -> str | None:
        return day.isoformat() if day else None

    return _drop_none({
        "language_version": d.language_version,
        "id": d.id,
        "title": d.title,
        "version": d.version,
        "edition": d.edition,
        "effective_from": iso(d.effective_from),
        "supersedes": d.supersedes,
        "description": d.description,
        "reference": None if d.reference is None else {"pattern": d.reference.pattern, "example": d.reference.example},
        "opening": {"date_fact": d.opening.date_fact, "facts": sorted(d.opening.facts)},
        "sources": {
            s.id: _drop_none({
                "title": s.title, "section": s.section, "publisher": s.publisher, "published": iso(s.published),
                "url": s.url, "note": s.note, "verified": s.verified,
            })
            for s in d.sources.values()
        },
        "calendar": _drop_none({
            "holidays": _drop_none({"country": d.calendar.country, "subdivision": d.calendar.subdivision}),
            "closures": sorted(({"date": c.date.isoformat(), "reason": c.reason} for c in d.calendar.closures),
                               key=lambda c: (c["date"], c["reason"])),
            "cite": citation_dict(d.calendar.cite),
        }),
        "roles": {r.id: _drop_none({"name": r.name, "description": r.description, "cite": citation_dict(r.cite)})
                  for r in d.roles.values()},
        "facts": {
            f.id: _drop_none({
                "type": f.type, "label": f.label, "description": f.description,
                "values": dict(f.values) or None, "items": f.items, "minimum": f.minimum, "maximum": f.maximum,
                "max_length": f.max_length, "cite": citation_dict(f.cite),
            })
            for f in d.facts.values()
        },
        "criteria": {
            c.id: {"title": c.title, "description": c.description, "rule": rule_dict(c.rule), "cite": citation_dict(c.cite)}
            for c in d.criteria.values()
        },
        "stages": {s.id: _drop_none({"title": s.title, "description": s.description, "cite": citation_dict(s.cite)})
                   for s in d.stages.values()},
        "states": {
            s.id: _drop_none({
                "title": s.title, "stage": s.stage, "description": s.description, "initial": s.initial,
                "final": s.final, "cite": citation_dict(s.cite),
            })
            for s in d.states.values()
        },
        "events": {
            e.id: _drop_none({
                "title": e.title, "description": e.description, "from": sorted(e.sources), "to": e.target,
                "by": sorted(e.by),
                "requires": {"facts": sorted(e.requires.facts), "criteria": sorted(e.requires.criteria),
                             "signoff": sorted(e.requires.signoff)},
                "cite": citation_dict(e.cite),
            })
            for e in d.events.values()
        },
        "deadlines": {
            x.id: _drop_none({
                "title": x.title, "description": x.description, "owner": sorted(x.owner),
                "period": period_dict(x.period), x.direction: {x.anchor.kind: x.anchor.ref},
                "met_by": sorted(x.met_by), "warn": period_dict(x.warn), "applies_when": sorted(x.applies_when),
                "cite": citation_dict(x.cite),
            })
            for x in d.deadlines.values()
        },
        "actions": {
            a.stage: _drop_none({"agreed_by": sorted(a.agreed_by), "description": a.description,
                                 "cite": citation_dict(a.cite)})
            for a in d.actions.values()
        } or None,
    })
