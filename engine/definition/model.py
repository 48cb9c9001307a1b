"""The process definition as immutable values: the *spec*, never a running case.

Plain frozen dataclasses with no I/O. :mod:`cspr.engine.definition.loader` builds them from a
checked YAML document; everything else (the case engine, the diff, the
diagrams) reads them. ``Definition.canonical()`` is the normal form used for
the content hash (:mod:`cspr.engine.definition.normal`): it does not depend on
key order, comments, or whether a single item was written as ``x`` or ``[x]``.

Language 2 adds parties, tasks, consistency rules, extensions, pauses, cycles,
comparisons and steps that change no state. Every field it adds has a default
that means "not used", and the normal form leaves such fields out, so a
language-1 document keeps the hash it always had.

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
    derive: Derivation | None = None  # language 2: computed from dates, never recorded

    KEYS: ClassVar[tuple[str, ...]] = (
        "type", "label", "description", "values", "items", "minimum", "maximum", "max_length", "cite", "derive",
    )

    @cached_property
    def value_ids(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.values)

    def meaning(self, value: Any) -> str:
        return dict(self.values).get(value, str(value))


@dataclass(frozen=True)
class Period:
    amount: int
    unit: PeriodUnit

    KEYS: ClassVar[tuple[str, ...]] = tuple(PeriodUnit)

    def words(self) -> str:
        return self.unit.amount(self.amount)


@dataclass(frozen=True)
class DateRef:
    """A date a rule or a derived fact reads: a date fact, the date of an event, or a fixed date."""

    kind: Literal["fact", "event", "date"]
    ref: str  # the fact or event id, or the date written YYYY-MM-DD

    KEYS: ClassVar[tuple[str, ...]] = ("fact", "event", "date")


@dataclass(frozen=True)
class Derivation:
    """A fact computed from two dates, e.g. an age in whole years at an event (language 2)."""

    start: DateRef
    end: DateRef
    unit: Literal["years", "months", "calendar_days", "working_days"]

    KEYS: ClassVar[tuple[str, ...]] = ("from", "to", "in")


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


FactOp = Literal["equals", "one_of", "is_set", "includes", "at_least", "at_most", "between",
                 "before", "after", "on_or_before", "on_or_after", "within"]
COMPARISONS: tuple[str, ...] = ("at_least", "at_most", "between", "before", "after", "on_or_before", "on_or_after",
                                "within")


@dataclass(frozen=True)
class Within:
    """``within: {working_days: 5, after: {fact: x}}``: no more than a period after (or before) a date."""

    period: Period
    direction: Literal["after", "before"]
    ref: DateRef


@dataclass(frozen=True)
class FactTest:
    fact: str
    op: FactOp
    value: Any  # Scalar, tuple of Scalar, bool for is_set; int or (low, high) for numbers; DateRef or Within for dates


@dataclass(frozen=True)
class EventTest:
    """Whether an event has been recorded for the case (language 2)."""

    event: str
    happened: bool


@dataclass(frozen=True)
class PartyTest:
    """Which organisation a case party is (language 2)."""

    role: str
    op: Literal["equals", "one_of", "is_set"]
    value: Any  # an organisation's name, a tuple of names, or bool for is_set


@dataclass(frozen=True)
class TasksTest:
    """Whether every task of a kind has been received (or waived) (language 2)."""

    kind: str
    all_received: bool


Rule = All | Any_ | Not | CriterionRef | FactTest | EventTest | PartyTest | TasksTest
RULE_KEYS: tuple[str, ...] = ("all", "any", "not", "criterion", "fact", "equals", "one_of", "is_set", "includes",
                              *COMPARISONS, "event", "happened", "party", "tasks", "all_received")


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
class ConditionalSignoff:
    """A sign-off needed only when a rule holds (language 2): ``{role: x, when: RULE}``."""

    role: str
    when: Rule

    KEYS: ClassVar[tuple[str, ...]] = ("role", "when")


@dataclass(frozen=True)
class Requirements:
    facts: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()
    signoff: tuple[str, ...] = ()  # always needed
    signoff_when: tuple[ConditionalSignoff, ...] = ()  # needed when their rule holds

    KEYS: ClassVar[tuple[str, ...]] = ("facts", "criteria", "signoff")

    @property
    def signoff_roles(self) -> tuple[str, ...]:
        """Every role whose sign-off may be needed, conditional or not."""
        return (*self.signoff, *(c.role for c in self.signoff_when if c.role not in self.signoff))


@dataclass(frozen=True)
class OffRoute:
    """Where an event is off the usual route, and the words that flag it (language 2)."""

    states: tuple[str, ...]
    words: str

    KEYS: ClassVar[tuple[str, ...]] = ("from", "words")


@dataclass(frozen=True)
class Event:
    id: str
    title: str
    sources: tuple[str, ...]  # the 'from' states
    target: str | None  # the 'to' state; None: the case stays where it is (language 2)
    by: tuple[str, ...]
    cite: Citation
    requires: Requirements = field(default_factory=Requirements)
    description: str | None = None
    from_any: bool = False  # written 'from: any': every state that is not final
    off_route: OffRoute | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("title", "description", "from", "to", "by", "requires", "off_route", "cite")

    @property
    def moves(self) -> bool:
        return self.target is not None


Occurrence = Literal["first", "latest", "each"]


@dataclass(frozen=True)
class Anchor:
    """Where a deadline counts from: a date fact, an event (its first, latest or each occurrence), or the
    earliest or latest of several of those (language 2)."""

    kind: Literal["fact", "event", "earliest", "latest"]
    ref: str = ""  # the fact or event id; empty for earliest and latest
    occurrence: Occurrence = "latest"  # for events: language 1 always counts from the latest
    parts: tuple[Anchor, ...] = ()  # for earliest and latest

    KEYS: ClassVar[tuple[str, ...]] = ("fact", "event", "occurrence", "earliest", "latest")

    def events(self) -> tuple[str, ...]:
        """Every event this anchor reads."""
        if self.kind == "event":
            return (self.ref,)
        return tuple(e for part in self.parts for e in part.events())

    def facts(self) -> tuple[str, ...]:
        if self.kind == "fact":
            return (self.ref,)
        return tuple(f for part in self.parts for f in part.facts())


@dataclass(frozen=True)
class ExtensionRule:
    """Who may agree to extend a deadline (language 2)."""

    agreed_by: tuple[str, ...]
    cite: Citation | None = None
    description: str | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("agreed_by", "description", "cite")


@dataclass(frozen=True)
class Pause:
    """An event that stops a deadline's clock and the event that starts it again (language 2)."""

    paused_by: str
    resumed_by: str

    KEYS: ClassVar[tuple[str, ...]] = ("paused_by", "resumed_by")


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
    extension: ExtensionRule | None = None
    pauses: tuple[Pause, ...] = ()
    roll: Literal["next_working_day", "previous_working_day"] | None = None
    late_in: Literal["working_days", "calendar_days"] = "working_days"

    KEYS: ClassVar[tuple[str, ...]] = (
        "title", "description", "owner", "period", "after", "before", "met_by", "warn", "applies_when", "cite",
        "extension", "pauses", "roll", "late_in",
    )


@dataclass(frozen=True)
class PartySpec:
    """A role bound, case by case, to a named organisation (language 2). The key is the role's id."""

    role: str
    organisations: tuple[str, ...] = ()  # the names allowed; empty: any name
    required: bool = False  # must be named when a case is opened
    multiple: bool = False  # a case may name several organisations for this role
    default: str | None = None  # the organisation named when none is given
    description: str | None = None
    cite: Citation | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("organisations", "required", "multiple", "default", "description", "cite")


@dataclass(frozen=True)
class TaskKind:
    """Work each party of a role does in parallel, one task per party, each with a due date (language 2)."""

    id: str
    title: str
    party: str  # the role whose parties do it
    cite: Citation
    period: Period | None = None
    anchor: Anchor | None = None  # the default due date: period after the anchor
    warn: Period | None = None
    description: str | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("title", "description", "party", "period", "after", "warn", "cite")


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
    option: str | None = None  # language 2: another name for --on when a case is opened, e.g. started-on

    KEYS: ClassVar[tuple[str, ...]] = ("date_fact", "facts", "option")


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
    parties: Mapping[str, PartySpec] = field(default_factory=dict)
    tasks: Mapping[str, TaskKind] = field(default_factory=dict)
    consistency: Mapping[str, Criterion] = field(default_factory=dict)
    language_version: int = 1
    file: str = field(default="", compare=False)
    source_text: str = field(default="", compare=False, repr=False)
    document: Any = field(default=None, compare=False, repr=False)  # the parsed YAML, in document order

    KEYS: ClassVar[tuple[str, ...]] = (
        "language_version", "id", "title", "version", "edition", "effective_from", "supersedes",
        "description", "reference", "opening", "sources", "calendar", "roles", "facts", "criteria",
        "stages", "states", "events", "deadlines", "actions", "parties", "tasks", "consistency",
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
        from .normal import canonical

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
